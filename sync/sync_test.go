package fcsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// env is a running fieldcheck with the demo county seeded and its first
// plan drawn.
type env struct {
	t     testing.TB
	m     *app.Main
	tasks []*backend.Task
}

func newEnv(t testing.TB, targets int) *env {
	t.Helper()
	ctx := context.Background()
	m := apptest.Open(t, "https://fc.example.gov.cn")
	apptest.SeedDemo(t, m, targets, time.Now())
	res, err := demo.DrawFirstPlan(ctx, m.Planning, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, m: m, tasks: res.Tasks}
}

// teamTask returns the first drawn task whose team has two logins.
func (e *env) teamTask() *backend.Task {
	e.t.Helper()
	for _, t := range e.tasks {
		if len(t.TeamUsers) >= 2 {
			return t
		}
	}
	e.t.Fatal("no drawn task has a team of two logins")
	return nil
}

// busyTeamTask returns a drawn task whose team has two logins, and one of
// them who is on the team of another task as well: the draw is random, so
// which inspector has several tasks changes from run to run.
func (e *env) busyTeamTask() (*backend.Task, string) {
	e.t.Helper()
	tasks := map[string]int{}
	for _, t := range e.tasks {
		for _, u := range t.TeamUsers {
			tasks[u]++
		}
	}
	for _, t := range e.tasks {
		if len(t.TeamUsers) < 2 {
			continue
		}
		for _, u := range t.TeamUsers {
			if tasks[u] >= 2 {
				return t, u
			}
		}
	}
	e.t.Fatal("no inspector with a login is on two drawn teams")
	return nil, ""
}

// call sends one request through the app and decodes a JSON answer.
func (e *env) call(method, url, token string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	if b, ok := body.(string); ok {
		r = strings.NewReader(b)
	} else if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, url, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, _, data := e.send(req, token)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s", method, url, status, data)
		}
	}
	return status
}

// send sends one request through the app, with token as the bearer when
// not empty, and returns the whole answer.
func (e *env) send(req *http.Request, token string) (int, http.Header, []byte) {
	e.t.Helper()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r := apptest.Send(e.t, e.m, req)
	return r.Status, r.Header, r.Body
}

// phone is one inspector's device: a login and the tasks it holds.
type phone struct {
	e      *env
	user   string
	device string
	token  string
	cursor string
	tasks  map[string]*fcsync.TaskView
	// templates are those received, by id: each comes once.
	templates map[string]*fcsync.Template
	keys      bool
	ops       int
}

func (e *env) phone(user, device string) *phone {
	e.t.Helper()
	tok := apptest.MustPhoneLogin(e.t, e.m, user, demo.DemoPassword(user), apptest.TestPhone(device))
	return &phone{e: e, user: user, device: device, token: tok.AccessToken, tasks: map[string]*fcsync.TaskView{}, templates: map[string]*fcsync.Template{}}
}

// sync pulls pages until the server has nothing more right now. From an
// empty cursor every template comes again, each once.
func (p *phone) sync(limit int) (pages int) {
	p.e.t.Helper()
	if p.cursor == "" {
		p.templates = map[string]*fcsync.Template{}
	}
	for range 1000 {
		var r fcsync.PullResponse
		if st := p.e.call("GET", fcsync.PullPath(p.cursor, limit), p.token, nil, &r); st != 200 {
			p.e.t.Fatalf("pull: %d", st)
		}
		pages++
		if r.Protocol != fcsync.Version {
			p.e.t.Fatalf("a page of protocol %d, want %d", r.Protocol, fcsync.Version)
		}
		for _, tp := range r.Templates {
			if p.templates[tp.ID()] != nil {
				p.e.t.Fatalf("template %s came a second time", tp.ID())
			}
			p.templates[tp.ID()] = tp
		}
		for _, v := range r.Tasks {
			if _, err := fcsync.Form(v.Task, p.templates); err != nil {
				p.e.t.Fatalf("a page's task without its templates: %v", err)
			}
			if old, ok := p.tasks[v.Task.ID]; ok && old.Task.Version > v.Task.Version {
				p.e.t.Fatalf("task %s went back from version %d to %d", v.Task.ID, old.Task.Version, v.Task.Version)
			}
			p.tasks[v.Task.ID] = v
		}
		for _, rm := range r.Removed {
			delete(p.tasks, rm.TaskID)
		}
		p.keys = p.keys || r.Keys != nil
		p.cursor = r.Cursor
		if !r.More && !r.Pending {
			return pages
		}
		if r.Pending {
			time.Sleep(10 * time.Millisecond)
		}
	}
	p.e.t.Fatal("the pull never ended")
	return
}

// push sends mutations and returns their results. A push turned away by
// admission control (429 or 503 with Retry-After) is sent again after the
// time the server names, as a phone's queue does: on a loaded machine the
// push gate's bounded wait runs out and that answer is the protocol's, not
// a failure. Anything else that is not 200 fails the test.
func (p *phone) push(ms ...fcsync.Mutation) []fcsync.MutationResult {
	p.e.t.Helper()
	body, _ := json.Marshal(fcsync.PushRequest{Mutations: ms})
	var r fcsync.PushResponse
	for attempt := 1; ; attempt++ {
		req := httptest.NewRequest("POST", fcsync.PushPath(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		st, h, data := p.e.send(req, p.token)
		if (st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable) && h.Get("Retry-After") != "" && attempt < 30 {
			secs, err := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || secs < 0 {
				p.e.t.Fatalf("push: %d with Retry-After %q", st, h.Get("Retry-After"))
			}
			time.Sleep(time.Duration(secs) * time.Second)
			continue
		}
		if st != 200 {
			p.e.t.Fatalf("push: %d %s", st, data)
		}
		if err := json.Unmarshal(data, &r); err != nil {
			p.e.t.Fatalf("push: %v: %s", err, data)
		}
		break
	}
	if len(r.Results) != len(ms) {
		p.e.t.Fatalf("%d results for %d mutations", len(r.Results), len(ms))
	}
	return r.Results
}

// mutation builds a mutation with a fresh op id.
func (p *phone) mutation(entity, taskID string, base int64, payload any) fcsync.Mutation {
	p.ops++
	j, _ := json.Marshal(payload)
	return fcsync.Mutation{OpID: fmt.Sprintf("%s-op-%d", p.device, p.ops), Entity: entity, TaskID: taskID, BaseVersion: base, Payload: j}
}

// serverView is what the server holds for user's phone: task id → version.
func (e *env) serverView(user string) map[string]int64 {
	e.t.Helper()
	out := map[string]int64{}
	err := e.m.Stores.Tasks.ScanTasks(context.Background(), backend.TaskFilter{TeamUser: user}, func(t *backend.Task) error {
		if t.Status != backend.TaskCancelled && t.Status != backend.TaskReplaced {
			out[t.ID] = t.Version
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (p *phone) view() map[string]int64 {
	out := map[string]int64{}
	for id, v := range p.tasks {
		out[id] = v.Task.Version
	}
	return out
}

func (p *phone) mustHoldServerView() {
	p.e.t.Helper()
	want, got := p.e.serverView(p.user), p.view()
	if len(want) != len(got) {
		p.e.t.Fatalf("%s holds %d tasks, the server has %d in its scope", p.user, len(got), len(want))
	}
	for id, v := range want {
		if got[id] != v {
			p.e.t.Fatalf("%s holds task %s at version %d, the server at %d", p.user, id, got[id], v)
		}
	}
}

// answersFor answers every question of the task's checklist.
func answersFor(t *backend.Task, value string, at time.Time) fcsync.AnswersPayload {
	var p fcsync.AnswersPayload
	for _, s := range t.Form.Sections {
		for _, q := range s.Questions {
			v := value
			if len(q.Options) > 0 {
				v = q.Options[0]
			}
			p.Answers = append(p.Answers, backend.AnswerInput{Question: s.ItemCode + "/" + q.ID, Value: v, EditedAt: at})
		}
	}
	return p
}

// photosFor declares a photo for each question of the task's checklist
// that requires one.
func photosFor(t *backend.Task, at time.Time) fcsync.EvidencePayload {
	var p fcsync.EvidencePayload
	for i, q := range t.PhotosMissing() {
		p.Files = append(p.Files, backend.EvidenceInput{ID: fmt.Sprint("required-photo-", i), Type: backend.EvidencePhoto,
			SHA256: fmt.Sprintf("%064x", i+1), Size: 4321, ContentType: "image/jpeg", Question: q, CapturedAt: at})
	}
	return p
}

func wantStatus(t *testing.T, what string, r fcsync.MutationResult, status, code string) {
	t.Helper()
	if r.Status != status || r.Code != code {
		t.Fatalf("%s: %s/%s (%s), want %s/%s", what, r.Status, r.Code, r.Message, status, code)
	}
}

func TestPullFullDownloadAndChanges(t *testing.T) {
	e := newEnv(t, 400)
	first, user := e.busyTeamTask()
	p := e.phone(user, "phone-pull-1")
	if pages := p.sync(2); pages < 2 {
		t.Fatalf("%d pages", pages)
	}
	if !p.keys {
		t.Fatal("the full download carried no key set for offline verification")
	}
	p.mustHoldServerView()
	// Every template the tasks name came, once (p.sync refuses a second
	// time), however many pages and tasks name it.
	named := map[string]bool{}
	for _, v := range p.tasks {
		for _, r := range v.Task.Checklist {
			named[r.TemplateID()] = true
		}
	}
	if len(p.templates) != len(named) || len(named) == 0 {
		t.Fatalf("%d templates received for %d named by %d tasks", len(p.templates), len(named), len(p.tasks))
	}
	v := p.tasks[first.ID]
	if v == nil || v.Target.Name == "" || v.Target.ID != first.TargetID || len(v.Team) != 2 || v.Team[0].CertNo == "" || len(v.Task.Checklist) == 0 {
		t.Fatalf("task view lacks what an offline phone needs: %+v", v)
	}

	// A change made in the back office reaches the phone, and nothing else
	// comes again.
	mgr := backend.WithActor(context.Background(), &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
	var cancelled string
	for id, v := range p.tasks {
		if v.Task.Status == backend.TaskAssigned && id != first.ID {
			cancelled = id
			if _, err := e.m.Planning.Transition(mgr, id, planning.TransitionRequest{To: backend.TaskCancelled, Version: v.Task.Version, Comment: "test"}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if cancelled == "" {
		// busyTeamTask chose an inspector with several tasks: without a
		// second one the removal would go untested, so this fails rather
		// than skip.
		t.Fatal("the inspector has a single assigned task in this draw")
	}
	var r fcsync.PullResponse
	e.call("GET", fcsync.PullPath(p.cursor, 0), p.token, nil, &r)
	if len(r.Removed) != 1 || r.Removed[0].TaskID != cancelled || r.Removed[0].Reason != "cancelled" || len(r.Tasks) != 0 {
		t.Fatalf("after a cancellation: tasks %d, removed %+v", len(r.Tasks), r.Removed)
	}
	p.cursor = r.Cursor
	delete(p.tasks, cancelled)
	p.mustHoldServerView()
	e.call("GET", fcsync.PullPath(p.cursor, 0), p.token, nil, &r)
	if len(r.Tasks)+len(r.Removed) != 0 || r.More {
		t.Fatalf("an idle pull returned %d tasks, %d removals", len(r.Tasks), len(r.Removed))
	}
}

func TestPullBadInput(t *testing.T) {
	e := newEnv(t, 200)
	first := e.teamTask()
	user := first.TeamUsers[0]
	p := e.phone(user, "phone-bad-1")
	p.sync(50)
	other := first.TeamUsers[1]
	q := e.phone(other, "phone-bad-2")
	q.sync(50)
	var reviewerTok struct{ AccessToken string }
	e.call("POST", "/api/v1/auth/login", "", `{"username":"scjg.reviewer","password":"demo-scjg.reviewer"}`, &reviewerTok)
	for _, tt := range []struct {
		name, url, token string
		status           int
		code             string
	}{
		{"ErrCursorGarbage", "/mobile/v1/sync?v=2&cursor=%25%25%25", p.token, 400, backend.EINVALID},
		{"ErrCursorNotOurs", "/mobile/v1/sync?v=2&cursor=" + q.cursor, p.token, 400, backend.EINVALID},
		{"ErrCursorTooLong", "/mobile/v1/sync?v=2&cursor=" + strings.Repeat("A", fcsync.MaxCursorLength+1), p.token, 400, backend.EINVALID},
		{"ErrCursorOfVersion1", "/mobile/v1/sync?v=2&cursor=ZmMxAHUub25lADAAdGFzay0x", p.token, 400, backend.EINVALID},
		{"ErrLimitZero", "/mobile/v1/sync?v=2&limit=0", p.token, 400, backend.EINVALID},
		{"ErrLimitTooLarge", "/mobile/v1/sync?v=2&limit=201", p.token, 400, backend.EINVALID},
		{"ErrNoVersion", "/mobile/v1/sync", p.token, 400, backend.EINVALID},
		{"ErrVersion1", "/mobile/v1/sync?v=1", p.token, 400, backend.EINVALID},
		{"ErrVersion3", "/mobile/v1/sync?v=3&cursor=" + p.cursor, p.token, 400, backend.EINVALID},
		{"ErrNoToken", "/mobile/v1/sync?v=2", "", 401, backend.EUNAUTHENTICATED},
		{"ErrBackOfficeToken", "/mobile/v1/sync?v=2", reviewerTok.AccessToken, 401, backend.EUNAUTHENTICATED},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r struct{ Code, Message string }
			if st := e.call("GET", tt.url, tt.token, nil, &r); st != tt.status || r.Code != tt.code || r.Message == "" {
				t.Fatalf("%d %+v, want %d %s", st, r, tt.status, tt.code)
			}
		})
	}
	// A cursor from the future (a store restored from a backup) asks for a
	// fresh download: p moves its feed on, then shows its cursor to a
	// server seeded the same way that never saw those changes.
	// (Plan ids are random, so the other server's draw differs: move this
	// feed well past anything it could hold.)
	for i := range 60 {
		a := answersFor(first, fmt.Sprint("v", i), time.Now())
		wantStatus(t, "answers", p.push(p.mutation(fcsync.EntityAnswers, first.ID, 1, a))[0], fcsync.Applied, "")
	}
	p.sync(50)
	e2 := newEnv(t, 200)
	p2 := e2.phone(user, "phone-bad-1")
	var r struct{ Code, Message string }
	if st := e2.call("GET", fcsync.PullPath(p.cursor, 0), p2.token, nil, &r); st != 409 || r.Code != backend.ECONFLICT || !strings.Contains(r.Message, "empty cursor") {
		t.Fatalf("cursor ahead of the server: %d %+v", st, r)
	}
}

func TestPushLifecycle(t *testing.T) {
	e := newEnv(t, 300)
	task := e.teamTask()
	a, b := e.phone(task.TeamUsers[0], "phone-a-test"), e.phone(task.TeamUsers[1], "phone-b-test")
	a.sync(200)
	b.sync(200)
	v := a.tasks[task.ID].Task.Version

	// Accept; a replay answers the same; the same id with another body is
	// refused.
	accept := a.mutation(fcsync.EntityTask, task.ID, v, fcsync.TaskPayload{To: backend.TaskAccepted})
	r := a.push(accept)[0]
	wantStatus(t, "accept", r, fcsync.Applied, "")
	if r.Version != v+1 {
		t.Fatalf("accept produced version %d, want %d", r.Version, v+1)
	}
	again := a.push(accept)[0]
	wantStatus(t, "replay", again, fcsync.Duplicate, "")
	if again.Version != r.Version {
		t.Fatalf("replay answered version %d, first time %d", again.Version, r.Version)
	}
	forged := accept
	forged.Payload = fcsync.Payload(`{"to":"accepted","comment":"changed"}`)
	wantStatus(t, "same op id, other body", a.push(forged)[0], fcsync.Conflict, backend.ECONFLICT)

	// b decides on the old version: a conflict carrying the server's task.
	stale := b.push(b.mutation(fcsync.EntityTask, task.ID, v, fcsync.TaskPayload{To: backend.TaskAccepted}))[0]
	wantStatus(t, "stale base", stale, fcsync.Conflict, backend.ECONFLICT)
	if stale.Task == nil || stale.Task.Version != v+1 || stale.Task.Status != backend.TaskAccepted {
		t.Fatalf("conflict without the current task: %+v", stale.Task)
	}

	// Bad mutations, each refused on its own in one batch.
	other := ""
	for _, t2 := range e.tasks {
		if !slices.Contains(t2.TeamUsers, a.user) {
			other = t2.ID
			break
		}
	}
	results := a.push(
		a.mutation("photo", task.ID, v+1, map[string]any{}),
		a.mutation(fcsync.EntityTask, task.ID, v+50, fcsync.TaskPayload{To: backend.TaskCheckedIn}),
		a.mutation(fcsync.EntityAnswers, other, 1, answersFor(task, "是", time.Now())),
		a.mutation(fcsync.EntityTask, task.ID, v+1, map[string]any{"to": "accepted", "extra": 1}),
		a.mutation(fcsync.EntityTask, task.ID, v+1, fcsync.TaskPayload{To: backend.TaskApproved}),
		a.mutation(fcsync.EntityAnswers, task.ID, v+1, fcsync.AnswersPayload{Answers: []backend.AnswerInput{{Question: "NOPE/1", Value: "x", EditedAt: time.Now()}}}),
		a.mutation(fcsync.EntityAnswers, task.ID, v+1, answersFor(task, "是", time.Now())),
	)
	wantStatus(t, "unknown entity", results[0], fcsync.Rejected, backend.EINVALID)
	wantStatus(t, "base version from the future", results[1], fcsync.Rejected, backend.EINVALID)
	wantStatus(t, "someone else's task", results[2], fcsync.Rejected, backend.ENOTFOUND)
	wantStatus(t, "unknown payload field", results[3], fcsync.Rejected, backend.EINVALID)
	wantStatus(t, "approval from a phone", results[4], fcsync.Rejected, backend.EINVALID)
	wantStatus(t, "unknown question", results[5], fcsync.Rejected, backend.EINVALID)
	wantStatus(t, "answers", results[6], fcsync.Applied, "")

	// Answers from two phones merge field by field: the later edit wins,
	// whichever phone syncs last.
	q := task.Form.Sections[0].Questions[0]
	key := task.Form.Sections[0].ItemCode + "/" + q.ID
	early, late := time.Now().Add(-time.Hour), time.Now()
	wantStatus(t, "b's later edit", b.push(b.mutation(fcsync.EntityAnswers, task.ID, v, fcsync.AnswersPayload{Answers: []backend.AnswerInput{{Question: key, Value: "later", EditedAt: late}}}))[0], fcsync.Applied, "")
	wantStatus(t, "a's earlier edit", a.push(a.mutation(fcsync.EntityAnswers, task.ID, v, fcsync.AnswersPayload{Answers: []backend.AnswerInput{{Question: key, Value: "earlier", EditedAt: early}}}))[0], fcsync.Applied, "")
	cur, _ := e.m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
	if got := cur.Answers[key]; got.Value != "later" || got.EditedBy != b.user {
		t.Fatalf("answer %s = %+v, want b's later edit", key, got)
	}

	// A result before two officers checked in is refused; both check in
	// with the scanned enterprise code, then the result submits the task.
	result := fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "未发现问题", DeviceTime: time.Now()}
	wantStatus(t, "result before check-ins", a.push(a.mutation(fcsync.EntityResult, task.ID, cur.Version, result))[0], fcsync.Rejected, backend.EINVALID)
	code, err := e.m.Codes.SignEnterpriseCode(context.Background(), task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := e.m.Stores.Targets.FindTargetByID(context.Background(), task.TargetID)
	where := backend.GeoPoint{Lat: 26.26, Lng: 117.63}
	if tg.Location != nil {
		where = *tg.Location
	}
	for _, ph := range []*phone{a, b} {
		ci := ph.mutation(fcsync.EntityCheckIn, task.ID, 0, fcsync.CheckInPayload{Code: code.String(), Position: &where, AccuracyM: 8, DeviceTime: time.Now()})
		r := ph.push(ci)[0]
		wantStatus(t, "check-in", r, fcsync.Applied, "")
		if r.CheckIn == nil || r.CheckIn.TaskID != task.ID {
			t.Fatalf("check-in recorded for %+v", r.CheckIn)
		}
		wantStatus(t, "check-in replay", ph.push(ci)[0], fcsync.Duplicate, "")
	}
	cur, _ = e.m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
	if cur.Status != backend.TaskCheckedIn || len(cur.CheckIns) != 2 {
		t.Fatalf("after two check-ins: %s with %d check-ins", cur.Status, len(cur.CheckIns))
	}
	// Without a photo for each question that requires one, the result is
	// rejected with the list of those questions.
	noPhotos := a.push(a.mutation(fcsync.EntityResult, task.ID, cur.Version, result))[0]
	wantStatus(t, "result without photos", noPhotos, fcsync.Rejected, backend.EINVALID)
	if want := cur.PhotosMissing(); len(want) == 0 || !slices.Equal(noPhotos.MissingPhotos, want) {
		t.Fatalf("result without photos: missingPhotos %v, want %v", noPhotos.MissingPhotos, want)
	}
	photos := a.push(a.mutation(fcsync.EntityEvidence, task.ID, cur.Version, photosFor(cur, time.Now())))[0]
	wantStatus(t, "photos", photos, fcsync.Applied, "")
	submit := a.push(a.mutation(fcsync.EntityResult, task.ID, photos.Version, result))[0]
	wantStatus(t, "result", submit, fcsync.Applied, "")
	wantStatus(t, "answers after submission", b.push(b.mutation(fcsync.EntityAnswers, task.ID, submit.Version, answersFor(task, "否", time.Now())))[0], fcsync.Rejected, backend.EINVALID)

	// The reviewer returns it: it reopens on the phone with the comment.
	rev := backend.WithActor(context.Background(), &backend.Actor{UserID: "scjg.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, Fresh: true})
	if _, err := e.m.Planning.Transition(rev, task.ID, planning.TransitionRequest{To: backend.TaskReturned, Version: submit.Version, Comment: "缺少现场照片"}); err != nil {
		t.Fatal(err)
	}
	b.sync(200)
	got := b.tasks[task.ID].Task
	if got.Status != backend.TaskReturned || len(got.Reviews) != 1 || got.Reviews[0].Comment != "缺少现场照片" || got.Result == nil {
		t.Fatalf("returned task on the phone: %s %+v", got.Status, got.Reviews)
	}
	b.mustHoldServerView()
	ans := b.push(b.mutation(fcsync.EntityAnswers, task.ID, got.Version, answersFor(task, "否", time.Now())))[0]
	wantStatus(t, "answers after return", ans, fcsync.Applied, "")

	// Resubmitted, approved and published: the result is public on the
	// enterprise's page and travels with the target to the phones.
	resubmit := b.push(b.mutation(fcsync.EntityResult, task.ID, ans.Version, fcsync.ResultPayload{Code: backend.ResultCorrected, Findings: "已责令改正", DeviceTime: time.Now()}))[0]
	wantStatus(t, "resubmission", resubmit, fcsync.Applied, "")
	// The photos arrive (uploads are upload_test.go's): approval may go on.
	arrived, err := backend.UpdateTaskWith(context.Background(), e.m.Stores.Tasks, task.ID, func(tk *backend.Task) (bool, error) {
		for i := range tk.Evidence {
			tk.Evidence[i].Uploaded = true
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	approved, err := e.m.Planning.Transition(rev, task.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: arrived.Version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Planning.Transition(mgr(), task.ID, planning.TransitionRequest{To: backend.TaskPublished, Version: approved.Version}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/e/"+task.TargetID, nil)
	resp, err := e.m.HTTP.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), backend.ResultCorrected.Label()) {
		t.Fatalf("the enterprise page does not show the published result:\n%s", page)
	}
	b.sync(200)
	if rs := b.tasks[task.ID].Target.Results; len(rs) != 1 || rs[0].Code != backend.ResultCorrected || rs[0].TaskID != task.ID {
		t.Fatalf("published results with the target on the phone: %+v", rs)
	}
}

func mgr() context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
}

func TestPushBadRequests(t *testing.T) {
	e := newEnv(t, 200)
	p := e.phone(e.teamTask().TeamUsers[0], "phone-push-bad")
	one := `{"opId":"x1","entity":"task","taskId":"t","baseVersion":1,"payload":{"to":"accepted"}}`
	many := func(n int) string {
		ms := make([]string, n)
		for i := range ms {
			ms[i] = strings.Replace(one, `"x1"`, fmt.Sprintf(`"x%d"`, i), 1)
		}
		return `{"mutations":[` + strings.Join(ms, ",") + `]}`
	}
	for _, tt := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"ErrEmpty", `{"mutations":[]}`, 400, backend.EINVALID},
		{"ErrTooMany", many(fcsync.MaxPushBatch + 1), 400, backend.EINVALID},
		{"ErrUnknownField", `{"mutations":[` + one + `],"since":1}`, 400, backend.EINVALID},
		{"ErrDuplicateOpID", `{"mutations":[` + one + `,` + one + `]}`, 400, backend.EINVALID},
		{"ErrBadOpID", `{"mutations":[` + strings.Replace(one, `"x1"`, `"a b"`, 1) + `]}`, 400, backend.EINVALID},
		{"ErrNotJSON", `mutations`, 400, backend.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r struct{ Code, Message string }
			if st := e.call("POST", fcsync.PushPath(), p.token, tt.body, &r); st != tt.status || r.Code != tt.code {
				t.Fatalf("%d %+v, want %d %s", st, r, tt.status, tt.code)
			}
		})
	}
	// A push names its protocol version too: without v=2 it is refused.
	for _, tt := range []struct{ name, url string }{
		{"ErrNoVersion", "/mobile/v1/sync"}, {"ErrVersion1", "/mobile/v1/sync?v=1"}, {"ErrVersion3", "/mobile/v1/sync?v=3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r struct{ Code, Message string }
			if st := e.call("POST", tt.url, p.token, `{"mutations":[`+one+`]}`, &r); st != 400 || r.Code != backend.EINVALID || !strings.Contains(r.Message, "v=2") {
				t.Fatalf("%d %+v, want 400 invalid naming v=2", st, r)
			}
		})
	}
}

// TestConcurrentWritersNeverLoseAChange: phones and the back office write
// to the same tasks at once, each through its own requests (as several
// server instances would commit them, in any order); a phone pulling
// meanwhile, and once more at the end, holds exactly the server's view.
func TestConcurrentWritersNeverLoseAChange(t *testing.T) {
	e := newEnv(t, 400)
	user := e.teamTask().TeamUsers[0]
	var mine []*backend.Task
	for _, t2 := range e.tasks {
		if slices.Contains(t2.TeamUsers, user) {
			mine = append(mine, t2)
		}
	}
	watcher := e.phone(user, "phone-watch")
	watcher.sync(200)
	var wg sync.WaitGroup
	for w := range 4 {
		ph := e.phone(user, fmt.Sprintf("phone-w%d-test", w))
		wg.Go(func() {
			for i := range 10 {
				task := mine[(w+i)%len(mine)]
				a := answersFor(task, fmt.Sprintf("w%d-%d", w, i), time.Now())
				a.Answers = a.Answers[:1]
				ph.push(ph.mutation(fcsync.EntityAnswers, task.ID, 1, a))
			}
		})
	}
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		default:
		}
		watcher.sync(7)
	}
	watcher.sync(7)
	watcher.mustHoldServerView()
}

// TestOfflineVisitInOneBatch: a phone that was offline for a whole visit
// sends it in one batch, every mutation on the version it last pulled; a
// teammate's check-in meanwhile is no conflict. Replaying the batch (the
// answer was lost) applies nothing twice.
func TestOfflineVisitInOneBatch(t *testing.T) {
	e := newEnv(t, 300)
	task := e.teamTask()
	a, b := e.phone(task.TeamUsers[0], "phone-offline-a"), e.phone(task.TeamUsers[1], "phone-offline-b")
	a.sync(200)
	v := a.tasks[task.ID].Task.Version
	code, err := e.m.Codes.SignEnterpriseCode(context.Background(), task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	here := backend.GeoPoint{Lat: 26.26, Lng: 117.63}
	if tg, _ := e.m.Stores.Targets.FindTargetByID(context.Background(), task.TargetID); tg.Location != nil {
		here = *tg.Location
	}
	checkIn := fcsync.CheckInPayload{Code: code.String(), Position: &here, AccuracyM: 5, DeviceTime: time.Now()}
	// The teammate's phone had no position fix: recorded all the same,
	// flagged, and its replay is the same check-in; the same operation
	// with a position is another body.
	when := time.Now()
	blind := b.mutation(fcsync.EntityCheckIn, task.ID, 0, fcsync.CheckInPayload{Code: code.String(), DeviceTime: when})
	r := b.push(blind)[0]
	wantStatus(t, "teammate's check-in without a position", r, fcsync.Applied, "")
	if r.CheckIn == nil || !r.CheckIn.NoPosition || r.CheckIn.DistanceM != nil || !slices.Contains(r.CheckIn.Flags, backend.FlagNoPosition) {
		t.Fatalf("check-in without a position recorded as %+v", r.CheckIn)
	}
	wantStatus(t, "its replay", b.push(blind)[0], fcsync.Duplicate, "")
	located := blind
	located.Payload, _ = json.Marshal(fcsync.CheckInPayload{Code: code.String(), Position: &here, AccuracyM: 5, DeviceTime: when})
	wantStatus(t, "the same operation with a position", b.push(located)[0], fcsync.Conflict, backend.ECONFLICT)

	batch := []fcsync.Mutation{
		a.mutation(fcsync.EntityTask, task.ID, v, fcsync.TaskPayload{To: backend.TaskAccepted}),
		a.mutation(fcsync.EntityCheckIn, task.ID, v, checkIn),
		a.mutation(fcsync.EntityAnswers, task.ID, v, answersFor(task, "是", time.Now())),
		a.mutation(fcsync.EntityEvidence, task.ID, v, photosFor(task, time.Now())),
		a.mutation(fcsync.EntityResult, task.ID, v, fcsync.ResultPayload{Code: backend.ResultNoProblem, DeviceTime: time.Now()}),
	}
	first := a.push(batch...)
	for i, r := range first {
		wantStatus(t, fmt.Sprint("mutation ", i), r, fcsync.Applied, "")
	}
	again := a.push(batch...)
	for i, r := range again {
		wantStatus(t, fmt.Sprint("replayed mutation ", i), r, fcsync.Duplicate, "")
		if i != 1 && r.Version != first[i].Version {
			t.Fatalf("replay of %d answered version %d, first time %d", i, r.Version, first[i].Version)
		}
	}
	cur, _ := e.m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
	if cur.Status != backend.TaskSubmitted || len(cur.CheckIns) != 2 || len(cur.Evidence) != len(photosFor(task, time.Now()).Files) || cur.Result == nil {
		t.Fatalf("after the batch: %s, %d check-ins, %d evidence, result %v", cur.Status, len(cur.CheckIns), len(cur.Evidence), cur.Result)
	}
	a.sync(200)
	a.mustHoldServerView()
}

// TestReplayOfAnOldOperation: once a task's document no longer holds an
// operation's record (more than backend.MaxRecentOps operations came
// after it), a replay of the operation is still answered as the first
// time, and the same id with another body is still refused: the record is
// found beside the task.
func TestReplayOfAnOldOperation(t *testing.T) {
	e := newEnv(t, 200)
	task := e.teamTask()
	p := e.phone(task.TeamUsers[0], "phone-old-op")
	first := p.mutation(fcsync.EntityAnswers, task.ID, task.Version, answersFor(task, "第一次", time.Now()))
	r0 := p.push(first)[0]
	wantStatus(t, "first", r0, fcsync.Applied, "")
	for i := range backend.MaxRecentOps + 4 {
		cur, err := e.m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "later answers", p.push(p.mutation(fcsync.EntityAnswers, task.ID, cur.Version, answersFor(task, fmt.Sprint("第", i+2, "次"), time.Now())))[0], fcsync.Applied, "")
	}
	cur, _ := e.m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
	if _, ok := cur.FindOp(backend.OpKey(p.user, p.device, first.OpID)); ok || len(cur.Ops) > backend.MaxRecentOps {
		t.Fatalf("the document holds %d records, the first among them: %v", len(cur.Ops), ok)
	}
	again := p.push(first)[0]
	if again.Status != fcsync.Duplicate || again.Version != r0.Version {
		t.Fatalf("replay of the first operation: %s version %d, want duplicate of version %d", again.Status, again.Version, r0.Version)
	}
	other := first
	other.Payload = fcsync.Payload(`{"answers":[]}`)
	wantStatus(t, "the first id with another body", p.push(other)[0], fcsync.Conflict, backend.ECONFLICT)
}
