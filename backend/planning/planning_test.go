package planning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

func TestMain(m *testing.M) { apptest.Main(m) }

var today = time.Date(2026, 3, 2, 10, 0, 0, 0, backend.China)

type fixture struct {
	svc    *planning.Service
	db     *mongo.DB
	county *demo.County
	now    time.Time // the service's clock: today unless a test moves it
}

// testSource is the entropy source the tests' plans declare: an issue of
// 福彩3D drawn on the evening before today, and testValue its result.
var testSource = backend.EntropySource{Source: "fc-3d", Issue: "2026060", Date: "2026-03-01"}

const testValue = "5 8 2"

// publishedAt is when mustPublish publishes: before testSource's result.
var publishedAt = time.Date(2026, 3, 1, 9, 0, 0, 0, backend.China)

func source(s backend.EntropySource) *backend.EntropySource { return &s }

// newFixture seeds a small demo county (deterministic) into a fresh
// database and returns the planning service on it.
func newFixture(t *testing.T, targets int) *fixture {
	t.Helper()
	db := mongotest.Open(t)
	audit := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: func() time.Time { return today }}
	st := demo.Stores{Departments: &mongo.DepartmentStore{DB: db}, Users: &mongo.UserStore{DB: db}, Targets: &mongo.TargetStore{DB: db},
		Inspectors: &mongo.InspectorStore{DB: db}, Items: &mongo.ItemStore{DB: db}, Audit: audit}
	county := demo.GenerateAt(demo.DefaultSeed, targets, today)
	if _, err := demo.Seed(context.Background(), st, county); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, county: county, now: today}
	f.svc = &planning.Service{
		Plans: &mongo.PlanStore{DB: db}, Draws: &mongo.DrawStore{DB: db}, Tasks: &mongo.TaskStore{DB: db},
		Targets: st.Targets, Inspectors: st.Inspectors, Items: st.Items, Departments: st.Departments,
		CheckIns: &mongo.CheckInStore{DB: db}, Rounds: &mongo.RoundStore{DB: db}, Audit: audit, Now: func() time.Time { return f.now },
	}
	return f
}

func as(user string, role backend.Role, depts ...string) context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: user, Role: role, Departments: depts, ClientAddr: "127.0.0.1", Fresh: true})
}

var manager = as("scjg.manager", backend.RoleManager, "scjg")

func ptr(n int) *int { return &n }

func basePlan() *backend.Plan {
	return &backend.Plan{
		Year: 2026, Name: "2026年度市场监管部门双随机抽查计划（第一批）", Items: []string{"SCJG-03"},
		LeadDepartment: "scjg", Departments: []string{"scjg"},
		StratumKey: backend.StratumCredit,
		Strata:     []backend.StratumRule{{Key: "A", RatioBp: ptr(300)}, {Key: "B", RatioBp: ptr(500)}, {Key: "C", RatioBp: ptr(1500)}, {Key: "D", RatioBp: ptr(3000)}},
		Default:    &backend.StratumRule{RatioBp: ptr(500)},
		TeamSize:   2,
		Batches:    []backend.Batch{{Name: "第一批", Start: "2026-03-01", End: "2026-06-30", DueDays: 30}},
		Method:     backend.MethodOnSite,
	}
}

// mustPublish creates p and publishes it at publishedAt declaring
// testSource; the clock is back at today afterwards, after the source's
// result.
func mustPublish(t *testing.T, f *fixture, p *backend.Plan) *backend.Plan {
	t.Helper()
	if err := f.svc.CreatePlan(manager, p); err != nil {
		t.Fatal(err)
	}
	f.now = publishedAt
	defer func() { f.now = today }()
	got, err := f.svc.PublishPlan(manager, p.ID, p.Version, source(testSource))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPlanRules(t *testing.T) {
	f := newFixture(t, 200)
	tests := []struct {
		name   string
		mutate func(*backend.Plan)
		ctx    context.Context
		want   string
		msg    string
	}{
		{"OK", func(*backend.Plan) {}, manager, "", ""},
		{"ErrRatioOverCap", func(p *backend.Plan) { p.Items = []string{"SCJG-01"} }, manager, backend.EINVALID, "exceeds the cap of 300 bp"},
		{"OK/GeneralUnderCap", func(p *backend.Plan) {
			p.Items = []string{"SCJG-01"}
			p.Strata = []backend.StratumRule{{Key: "A", RatioBp: ptr(100)}}
			p.Default = &backend.StratumRule{RatioBp: ptr(300)}
		}, manager, "", ""},
		{"ErrRatioRange", func(p *backend.Plan) { p.Strata[0].RatioBp = ptr(10001) }, manager, backend.EINVALID, "outside 0-10000"},
		{"ErrCountAndRatio", func(p *backend.Plan) { p.Strata[0].Count = ptr(3) }, manager, backend.EINVALID, "not both"},
		{"ErrUnknownStratum", func(p *backend.Plan) { p.Strata[0].Key = "E" }, manager, backend.EINVALID, "not a stratum"},
		{"ErrTeamSize", func(p *backend.Plan) { p.TeamSize = 1 }, manager, backend.EINVALID, "at least 2"},
		{"ErrItemNotOnList", func(p *backend.Plan) { p.Items = []string{"NOPE-1"} }, manager, backend.EINVALID, "清单之外无检查"},
		{"ErrItemOfOtherDepartment", func(p *backend.Plan) { p.Items = []string{"YJGL-01"} }, manager, backend.EINVALID, "does not take part"},
		{"OK/JointPlan", func(p *backend.Plan) {
			p.Items = []string{"SCJG-03", "YJGL-01"}
			p.Departments = []string{"scjg", "yjgl"}
		}, manager, "", ""},
		{"ErrOtherDepartmentsManager", func(*backend.Plan) {}, as("yjgl.manager", backend.RoleManager, "yjgl"), backend.EFORBIDDEN, "lead department"},
		{"ErrReviewer", func(*backend.Plan) {}, as("scjg.reviewer", backend.RoleReviewer, "scjg"), backend.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := basePlan()
			tt.mutate(p)
			err := f.svc.CreatePlan(tt.ctx, p)
			if got := backend.ErrorCode(err); got != tt.want || (tt.msg != "" && !strings.Contains(backend.ErrorMessage(err), tt.msg)) {
				t.Fatalf("CreatePlan: %v (code %q), want code %q with %q", err, got, tt.want, tt.msg)
			}
		})
	}
}

func TestDrawEndToEnd(t *testing.T) {
	f := newFixture(t, 400)
	p := mustPublish(t, f, basePlan())
	if p.State != backend.PlanPublished || p.PublicVersion != 1 || len(p.Commitment) != 64 {
		t.Fatalf("published plan: state %s version %d commitment %q", p.State, p.PublicVersion, p.Commitment)
	}
	// Before the draw the public sees the commitment, never the secret.
	pub, err := f.svc.PublicPlan(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := f.svc.Plans.FindPlanSecret(context.Background(), p.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(pub); strings.Contains(string(b), secret.Secret) || !strings.Contains(string(b), p.Commitment) {
		t.Fatal("public plan leaks the secret or lacks the commitment")
	}

	if _, err := f.svc.Draw(as("yjgl.manager", backend.RoleManager, "yjgl"), p.ID, planning.DrawRequest{Value: testValue}); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("draw by another department's manager: %v, want forbidden", err)
	}
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if res.Draw.Selected == 0 || len(res.Tasks) != res.Draw.Selected {
		t.Fatalf("selected %d, tasks %d", res.Draw.Selected, len(res.Tasks))
	}

	// The public record reveals the secret, matches the commitment and
	// verifies from its own inputs.
	data, err := f.svc.PublicDrawRecord(context.Background(), res.Draw.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Secret != secret.Secret || rec.Commitment != p.Commitment || rec.PlanVersion != 1 {
		t.Fatalf("record secret/commitment/version do not match the plan")
	}
	// The public entropy is written by the server from the declared source
	// and the value, and the record shows the source next to it.
	if want := "福彩3D 第2026060期 2026-03-01 5 8 2"; rec.PublicEntropy != want || rec.EntropySource == nil || *rec.EntropySource != testSource {
		t.Fatalf("record entropy %q from %+v, want %q from %+v", rec.PublicEntropy, rec.EntropySource, want, testSource)
	}
	if diffs := draw.Verify(&rec); len(diffs) != 0 {
		t.Fatalf("record does not verify: %v", diffs)
	}
	// Exclusions are recorded with reasons: the demo county has closed and
	// whitelisted targets.
	reasons := map[string]int{}
	for _, c := range rec.Population {
		reasons[c.Excluded]++
	}
	if reasons[draw.ExcludedInactive] == 0 || reasons[draw.ExcludedWhitelist] == 0 {
		t.Fatalf("exclusions %v: want inactive and whitelist ones", reasons)
	}

	// Tasks: one per selected target, every item, a merged checklist, and a
	// team that never includes an inspector in conflict with the target.
	for _, tk := range res.Tasks {
		if !tk.Random || len(tk.Checklist) != 1 || tk.Form == nil || len(tk.Form.Sections[0].Questions) == 0 || tk.Status != backend.TaskAssigned {
			t.Fatalf("task %s: random=%v checklist=%v status=%s", tk.ID, tk.Random, tk.Checklist, tk.Status)
		}
		if !tk.Unassigned && len(tk.Team) < 2 {
			t.Fatalf("task %s has a team of %d", tk.ID, len(tk.Team))
		}
		for _, id := range tk.Team {
			in, _ := f.svc.Inspectors.FindInspectorByID(context.Background(), id)
			if in.ConflictsWith(tk.TargetID) {
				t.Fatalf("inspector %s in conflict with %s is on its team", id, tk.TargetID)
			}
		}
	}

	// A version is drawn once (TestRedrawNeedsANewVersion).
	if _, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: "1 2 3"}); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("second draw: %v, want conflict", err)
	}
}

func TestTaskVisibilityAndTransitions(t *testing.T) {
	f := newFixture(t, 400)
	p := mustPublish(t, f, basePlan())
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	// Find a task whose team includes an inspector with a login.
	var task *backend.Task
	for _, tk := range res.Tasks {
		if len(tk.TeamUsers) > 0 {
			task = tk
			break
		}
	}
	if task == nil {
		// The seeded county gives every drawn team logins: without one this
		// test would check nothing, so it fails rather than skip.
		t.Fatal("no task has a team member with a login in this county")
	}
	member := as(task.TeamUsers[0], backend.RoleInspector, "scjg")
	var outsider string
	for _, u := range []string{"scjg.inspector1", "scjg.inspector2", "scjg.inspector3"} {
		if !slices.Contains(task.TeamUsers, u) {
			outsider = u
			break
		}
	}
	other := as(outsider, backend.RoleInspector, "scjg")
	if _, err := f.svc.GetTask(other, task.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("another team's inspector reads the task: %v, want not_found", err)
	}
	page, err := f.svc.ListTasks(other, planning.TaskQuery{}, backend.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range page.Items {
		if !slices.Contains(tk.TeamUsers, outsider) {
			t.Fatalf("%s sees task %s of another team", outsider, tk.ID)
		}
	}
	if _, err := f.svc.GetTask(member, task.ID); err != nil {
		t.Fatalf("team member cannot read own task: %v", err)
	}
	if _, err := f.svc.GetTask(as("wsjk.manager", backend.RoleManager, "wsjk"), task.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("manager of an uninvolved department reads the task: %v", err)
	}

	steps := []struct {
		name string
		ctx  context.Context
		to   backend.TaskStatus
		want string
	}{
		{"ErrSkipToSubmitted", member, backend.TaskSubmitted, backend.EINVALID},
		{"ErrReviewerAccepts", as("scjg.reviewer", backend.RoleReviewer, "scjg"), backend.TaskAccepted, backend.EFORBIDDEN},
		{"OK/Accept", member, backend.TaskAccepted, ""},
		{"OK/CheckIn", member, backend.TaskCheckedIn, ""},
		{"ErrSubmitWithoutResult", member, backend.TaskSubmitted, backend.EINVALID},
		{"ErrSubmitWithoutTwoOfficers", member, backend.TaskSubmitted, backend.EINVALID},
		{"ErrSubmitWithoutPhotos", member, backend.TaskSubmitted, backend.EINVALID},
		{"OK/Submit", member, backend.TaskSubmitted, ""},
		{"ErrTeamApproves", member, backend.TaskApproved, backend.EFORBIDDEN},
		{"OK/Return", as("scjg.reviewer", backend.RoleReviewer, "scjg"), backend.TaskReturned, ""},
		{"OK/Resubmit", member, backend.TaskSubmitted, ""},
		{"OK/Approve", as("scjg.reviewer", backend.RoleReviewer, "scjg"), backend.TaskApproved, ""},
		{"OK/Publish", manager, backend.TaskPublished, ""},
		{"ErrAfterPublish", manager, backend.TaskCancelled, backend.EINVALID},
	}
	for _, st := range steps {
		if st.name == "ErrSubmitWithoutTwoOfficers" {
			// The team enters its result.
			_, err := backend.UpdateTaskWith(context.Background(), f.svc.Tasks, task.ID, func(t *backend.Task) (bool, error) {
				t.Result = &backend.Result{Code: backend.ResultNoProblem, Label: backend.ResultNoProblem.Label(), EnteredBy: task.TeamUsers[0]}
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if st.name == "OK/Submit" {
			// A photo of each question that requires one has arrived.
			_, err := backend.UpdateTaskWith(context.Background(), f.svc.Tasks, task.ID, func(t *backend.Task) (bool, error) {
				for i, q := range t.PhotosMissing() {
					t.Evidence = append(t.Evidence, backend.EvidenceSlot{ID: fmt.Sprint("photo-", i), Type: backend.EvidencePhoto, Question: q, Uploaded: true})
				}
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if st.name == "ErrSubmitWithoutPhotos" {
			// Both officers of the team check in on site.
			for i, id := range task.Team {
				in, _ := f.svc.Inspectors.FindInspectorByID(context.Background(), id)
				c := &backend.CheckIn{ID: fmt.Sprintf("ci-%d-%s", i, task.ID), TaskID: task.ID, TargetID: task.TargetID, InspectorID: id, CertNo: in.CertNo, Flags: []string{}}
				if err := f.svc.CheckIns.CreateCheckIn(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Run(st.name, func(t *testing.T) {
			cur, err := f.svc.Tasks.FindTaskByID(context.Background(), task.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.Transition(st.ctx, task.ID, planning.TransitionRequest{To: st.to, Version: cur.Version})
			if got := backend.ErrorCode(err); got != st.want {
				t.Fatalf("-> %s: %v (code %q), want %q", st.to, err, got, st.want)
			}
		})
	}
	cur, _ := f.svc.Tasks.FindTaskByID(context.Background(), task.ID)
	if _, err := f.svc.Transition(manager, task.ID, planning.TransitionRequest{To: backend.TaskCancelled, Version: cur.Version - 1}); backend.ErrorCode(err) == "" {
		t.Fatal("stale version accepted")
	}
}

func TestReplaceReassignRedrawAnnualCap(t *testing.T) {
	f := newFixture(t, 400)
	p := mustPublish(t, f, basePlan())
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	first := res.Tasks[0]

	// Replacement: same stratum, the record lists it, the old task is replaced.
	nt, err := f.svc.Replace(manager, first.ID, planning.ReplaceRequest{Reason: "通过登记的住所无法联系", Version: first.Version})
	if err != nil {
		t.Fatal(err)
	}
	if nt.Stratum != first.Stratum || nt.TargetID == first.TargetID || nt.Replaces != first.ID {
		t.Fatalf("replacement %+v of %+v", nt, first)
	}
	old, _ := f.svc.Tasks.FindTaskByID(context.Background(), first.ID)
	if old.Status != backend.TaskReplaced || old.ReplacedBy != nt.ID {
		t.Fatalf("old task status %s replacedBy %s", old.Status, old.ReplacedBy)
	}
	data, _ := f.svc.PublicDrawRecord(context.Background(), res.Draw.ID)
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Replacements) != 1 || rec.Replacements[0].Replacement != nt.TargetID || rec.Replacements[0].Reason == "" {
		t.Fatalf("record replacements %+v", rec.Replacements)
	}
	if diffs := draw.Verify(&rec); len(diffs) != 0 {
		t.Fatalf("record with replacement does not verify: %v", diffs)
	}

	// Reassignment: the unavailable member leaves the team.
	var withTeam *backend.Task
	for _, tk := range res.Tasks[1:] {
		if !tk.Unassigned {
			withTeam = tk
			break
		}
	}
	gone := withTeam.Team[0]
	re, err := f.svc.Reassign(manager, withTeam.ID, planning.ReassignRequest{Unavailable: []string{gone}, Reason: "病假", Version: withTeam.Version})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(re.Team, gone) || (len(re.Team) < 2 && !re.Unassigned) {
		t.Fatalf("reassigned team %v still has %s or is too small", re.Team, gone)
	}

	// A second plan for the same item this year excludes every target already
	// drawn (annual cap), with the reason recorded.
	p2 := basePlan()
	p2.Name = "第二批"
	p2 = mustPublish(t, f, p2)
	res2, err := f.svc.Draw(manager, p2.ID, planning.DrawRequest{Value: "0 4 9"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ = f.svc.PublicDrawRecord(context.Background(), res2.Draw.ID)
	var rec2 draw.Record
	if err := json.Unmarshal(data, &rec2); err != nil {
		t.Fatal(err)
	}
	capped := map[string]bool{}
	for _, c := range rec2.Population {
		if c.Excluded == draw.ExcludedAnnualCap {
			capped[c.ID] = true
		}
	}
	for _, tk := range append(res.Tasks, nt) {
		if !capped[tk.TargetID] {
			t.Fatalf("target %s drawn by the first plan is not excluded by the annual cap", tk.TargetID)
		}
	}
	for _, s := range rec2.Selected {
		if capped[s.ID] {
			t.Fatalf("capped target %s selected again", s.ID)
		}
	}

	// A redraw of the first plan (the draw of a new version) is refused once
	// field work has begun.
	for _, st := range []backend.TaskStatus{backend.TaskAccepted, backend.TaskCheckedIn} {
		cur, _ := f.svc.Tasks.FindTaskByID(context.Background(), nt.ID)
		cur.Status = st
		if err := f.svc.Tasks.UpdateTask(context.Background(), cur); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = f.svc.Plans.FindPlanByID(context.Background(), p.ID)
	if err := f.svc.UpdatePlan(manager, p, "抽取参数有误", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	f.now = afterNext
	if _, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue}); backend.ErrorCode(err) != backend.ECONFLICT || !strings.Contains(backend.ErrorMessage(err), "field work has begun") {
		t.Fatalf("redraw after check-in: %v, want conflict", err)
	}
}

// nextSource is the source of a second version published today, before
// its result (this evening); afterNext is after it.
var (
	nextSource = backend.EntropySource{Source: "fc-3d", Issue: "2026061", Date: "2026-03-02"}
	afterNext  = time.Date(2026, 3, 2, 22, 0, 0, 0, backend.China)
)

// TestRedrawNeedsANewVersion is issue 12's hole 1: a redraw reused the
// secret the first draw had revealed, with free-text entropy, so a manager
// could try entropy offline until the sample suited them. Now a version is
// drawn once; a redraw is the draw of a new version, with a fresh
// commitment and a new future source, which supersedes the earlier draw.
func TestRedrawNeedsANewVersion(t *testing.T) {
	f := newFixture(t, 300)
	ctx := context.Background()
	p := mustPublish(t, f, basePlan())
	c1 := p.Commitment
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	drawn := map[string]bool{}
	for _, tk := range res.Tasks {
		drawn[tk.TargetID] = true
	}

	// The same version is never drawn again, redraw or not.
	for _, req := range []planning.DrawRequest{{Value: "1 2 3", Redraw: true}, {Value: testValue}} {
		_, err := f.svc.Draw(manager, p.ID, req)
		if backend.ErrorCode(err) != backend.ECONFLICT || !strings.Contains(backend.ErrorMessage(err), "publish a new version") {
			t.Fatalf("Draw(%+v) of a drawn version: %v, want conflict saying to publish a new version", req, err)
		}
	}

	// The new version needs a reason and a source whose result is to come:
	// the old one's is out.
	p, _ = f.svc.Plans.FindPlanByID(ctx, p.ID)
	versions := []struct {
		name   string
		reason string
		src    *backend.EntropySource
		msg    string
	}{
		{"ErrNoReason", "", source(nextSource), "needs a reason"},
		{"ErrNoSource", "开奖号码录入错误", nil, "declares the entropy source"},
		{"ErrOldSource", "开奖号码录入错误", source(testSource), "public since 2026-03-01 21:15:00"},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			q := *p
			if err := f.svc.UpdatePlan(manager, &q, v.reason, v.src); backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), v.msg) {
				t.Fatalf("UpdatePlan: %v, want invalid containing %q", err, v.msg)
			}
		})
	}
	if err := f.svc.UpdatePlan(manager, p, "开奖号码录入错误", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	if p.PublicVersion != 2 || p.Commitment == c1 || *p.EntropySource != nextSource || !p.EntropyResultAt.Equal(nextSource.ResultAt()) {
		t.Fatalf("version 2: version %d, new commitment %v, source %+v at %v", p.PublicVersion, p.Commitment != c1, p.EntropySource, p.EntropyResultAt)
	}

	// Its draw waits for the result, and takes only a value in the form of
	// the source: no free text.
	draws := []struct {
		name string
		now  time.Time
		req  planning.DrawRequest
		msg  string
	}{
		{"ErrBeforeResult", today, planning.DrawRequest{Value: testValue}, "published at 2026-03-02 21:15:00 (Asia/Shanghai)"},
		{"ErrFreeText", afterNext, planning.DrawRequest{Value: "福彩3D 2026061 1 2 3（更正 42）"}, "not a result of 福彩3D"},
		{"ErrCommas", afterNext, planning.DrawRequest{Value: "1,2,3"}, "three digits 0-9 separated by single spaces"},
		{"ErrEmpty", afterNext, planning.DrawRequest{}, "not a result of 福彩3D"},
	}
	for _, d := range draws {
		t.Run(d.name, func(t *testing.T) {
			f.now = d.now
			defer func() { f.now = today }()
			if _, err := f.svc.Draw(manager, p.ID, d.req); backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), d.msg) {
				t.Fatalf("Draw: %v, want invalid containing %q", err, d.msg)
			}
		})
	}
	f.now = afterNext
	res2, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: "0 4 9", Redraw: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := res2.Draw; d.ID != p.ID+"-v2-d1" || !d.Redraw || d.Reason != "开奖号码录入错误" || !slices.Equal(d.Supersedes, []string{res.Draw.ID}) {
		t.Fatalf("draw of version 2: %+v, want v2-d1 superseding %s with the version's reason", d, res.Draw.ID)
	}

	// The earlier draw is superseded: its tasks cancelled, its selections
	// released, so that its targets are not excluded by the annual cap.
	for _, tk := range res.Tasks {
		cur, _ := f.svc.Tasks.FindTaskByID(ctx, tk.ID)
		if cur.Status != backend.TaskCancelled {
			t.Fatalf("task %s of the superseded draw is %s", tk.ID, cur.Status)
		}
	}
	data, _ := f.svc.PublicDrawRecord(ctx, res2.Draw.ID)
	var rec2 draw.Record
	if err := json.Unmarshal(data, &rec2); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec2.Population {
		if c.Excluded == draw.ExcludedAnnualCap && drawn[c.ID] {
			t.Fatalf("target %s of the superseded draw is excluded by the annual cap", c.ID)
		}
	}
	if diffs := draw.Verify(&rec2); len(diffs) != 0 || rec2.PublicEntropy != "福彩3D 第2026061期 2026-03-02 0 4 9" {
		t.Fatalf("record of version 2: entropy %q, differences %v", rec2.PublicEntropy, diffs)
	}
	selected, err := f.svc.Draws.SelectedTargets(ctx, 2026, []string{"SCJG-03"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(selected) != len(res2.Tasks) {
		t.Fatalf("%d targets count toward the annual cap, want the %d of the new draw", len(selected), len(res2.Tasks))
	}

	// The public sees both versions with their sources, and both draws.
	pub, err := f.svc.PublicPlan(ctx, p.ID)
	if err != nil || len(pub.Versions) != 2 || len(pub.Draws) != 2 {
		t.Fatalf("public plan %+v, %v", pub, err)
	}
	if *pub.Versions[0].EntropySource != testSource || *pub.Versions[1].EntropySource != nextSource || pub.Versions[1].Reason != "开奖号码录入错误" {
		t.Fatalf("public versions declare %+v and %+v", pub.Versions[0].EntropySource, pub.Versions[1].EntropySource)
	}
	if pub.Draws[0].SupersededBy != res2.Draw.ID || pub.Draws[1].Supersedes[0] != res.Draw.ID {
		t.Fatalf("public draws %+v %+v", pub.Draws[0], pub.Draws[1])
	}
	// Nothing to supersede: a redraw flag on a plan's first draw is refused.
	f.now = today
	q := mustPublish(t, f, basePlan())
	if _, err := f.svc.Draw(manager, q.ID, planning.DrawRequest{Value: testValue, Redraw: true}); backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), "nothing to redraw") {
		t.Fatalf("redraw of a first version: %v, want invalid", err)
	}
}

func TestPublicationDeclaresASource(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	tests := []struct {
		name string
		src  *backend.EntropySource
		now  time.Time
		msg  string
	}{
		{"ErrNoSource", nil, publishedAt, "declares the entropy source"},
		{"ErrResultOut", source(testSource), today, "public since 2026-03-01 21:15:00"},
		{"ErrUnknownSource", &backend.EntropySource{Source: "上证指数", Issue: "2026061", Date: "2026-03-02"}, publishedAt, "not supported"},
		{"ErrMalformed", &backend.EntropySource{Source: "fc-ssq", Issue: "2026061", Date: "2026-03-02"}, publishedAt, "drawn only"},
		{"ErrTooFarAhead", &backend.EntropySource{Source: "fc-3d", Issue: "2027100", Date: "2027-04-10"}, publishedAt, "more than 366 days"},
		{"OK", source(testSource), publishedAt, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := basePlan()
			if err := f.svc.CreatePlan(manager, p); err != nil {
				t.Fatal(err)
			}
			f.now = tt.now
			defer func() { f.now = today }()
			got, err := f.svc.PublishPlan(manager, p.ID, p.Version, tt.src)
			if tt.msg != "" {
				if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
					t.Fatalf("PublishPlan: %v, want invalid containing %q", err, tt.msg)
				}
				if cur, _ := f.svc.Plans.FindPlanByID(ctx, p.ID); cur.State != backend.PlanDraft {
					t.Fatalf("refused publication left the plan %s", cur.State)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := f.svc.Plans.FindPlanVersion(ctx, p.ID, 1)
			if err != nil || *v.EntropySource != testSource || !v.EntropyResultAt.Equal(testSource.ResultAt()) || *got.EntropySource != testSource {
				t.Fatalf("version 1 declares %+v at %v (%v)", v.EntropySource, v.EntropyResultAt, err)
			}
		})
	}
	// A draft declares its source when it is published, not before.
	d := basePlan()
	if err := f.svc.CreatePlan(manager, d); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UpdatePlan(manager, d, "", source(nextSource)); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("draft change with a source: %v, want invalid", err)
	}
	// A source cannot be slipped in through the plan body.
	e := basePlan()
	e.EntropySource = source(testSource)
	if err := f.svc.CreatePlan(manager, e); err != nil || e.EntropySource != nil {
		t.Fatalf("created plan keeps the body's source %+v (%v)", e.EntropySource, err)
	}
}

// TestRedrawOfALegacyRedraw: a version redrawn before a version was drawn
// once has draws d1 and d2, d2 in force. The next version's draw
// supersedes d2 alone, and the public plan says who superseded whom.
func TestRedrawOfALegacyRedraw(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	p := mustPublish(t, f, basePlan())
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	legacy := &backend.Draw{ID: p.ID + "-v1-d2", PlanID: p.ID, PlanVersion: 1, Number: 2, Redraw: true, Reason: "开奖号码录入错误", DrawnBy: "scjg.manager", DrawnAt: today}
	if err := f.svc.Draws.CreateDraw(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	p, _ = f.svc.Plans.FindPlanByID(ctx, p.ID)
	if err := f.svc.UpdatePlan(manager, p, "重新抽取", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	f.now = afterNext
	res2, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res2.Draw.Supersedes, []string{legacy.ID}) {
		t.Fatalf("draw of version 2 supersedes %v, want only %s", res2.Draw.Supersedes, legacy.ID)
	}
	pub, err := f.svc.PublicPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{res.Draw.ID: legacy.ID, legacy.ID: res2.Draw.ID, res2.Draw.ID: ""}
	if len(pub.Draws) != len(want) {
		t.Fatalf("public plan lists %d draws, want %d", len(pub.Draws), len(want))
	}
	for _, d := range pub.Draws {
		if d.SupersededBy != want[d.ID] {
			t.Errorf("draw %s superseded by %q, want %q", d.ID, d.SupersededBy, want[d.ID])
		}
	}
}

// TestLegacyPlanCannotBeDrawn: a version published before sources were
// declared has none; it is drawn only through a new version.
func TestLegacyPlanCannotBeDrawn(t *testing.T) {
	f := newFixture(t, 200)
	ctx := context.Background()
	p := mustPublish(t, f, basePlan())
	p.EntropySource, p.EntropyResultAt = nil, nil
	if err := f.svc.Plans.UpdatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), "publish a new version declaring one") {
		t.Fatalf("draw of a legacy version: %v, want invalid asking for a new version", err)
	}
	if err := f.svc.UpdatePlan(manager, p, "补充声明随机源", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	f.now = afterNext
	if _, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue}); err != nil {
		t.Fatalf("draw of the new version: %v", err)
	}
}

func TestPlanVersions(t *testing.T) {
	f := newFixture(t, 200)
	p := mustPublish(t, f, basePlan())
	c1 := p.Commitment
	p.Name = "2026年度抽查计划（修订）"
	if err := f.svc.UpdatePlan(manager, p, "", source(nextSource)); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("change without reason: %v, want invalid", err)
	}
	if err := f.svc.UpdatePlan(manager, p, "调整抽查范围", source(nextSource)); err != nil {
		t.Fatal(err)
	}
	if p.PublicVersion != 2 || p.Commitment == c1 {
		t.Fatalf("after change: version %d, commitment changed %v", p.PublicVersion, p.Commitment != c1)
	}
	f.now = afterNext
	res, err := f.svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	if res.Draw.PlanVersion != 2 || res.Draw.Redraw || len(res.Draw.Supersedes) != 0 {
		t.Fatalf("draw names version %d (redraw %v, supersedes %v), want 2, a first draw", res.Draw.PlanVersion, res.Draw.Redraw, res.Draw.Supersedes)
	}
	pub, _ := f.svc.PublicPlan(context.Background(), p.ID)
	if len(pub.Versions) != 2 || pub.Versions[1].Reason != "调整抽查范围" || pub.Versions[0].Commitment != c1 {
		t.Fatalf("public versions %+v", pub.Versions)
	}
	// Drafts are not public; unpublished plans cannot be drawn.
	d := basePlan()
	if err := f.svc.CreatePlan(manager, d); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PublicPlan(context.Background(), d.ID); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("draft is public: %v", err)
	}
	if _, err := f.svc.Draw(manager, d.ID, planning.DrawRequest{Value: testValue}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("draw of a draft: %v, want invalid", err)
	}
}
