package fcsync_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// --- the queue on its own ---

func mustOpenQueue(tb testing.TB, dir string) *fcsync.Queue {
	tb.Helper()
	q, err := fcsync.OpenQueue(dir)
	if err != nil {
		tb.Fatalf("open queue: %v", err)
	}
	return q
}

func mutation(tb testing.TB, entity, task string, base int64, payload any) fcsync.Mutation {
	tb.Helper()
	m, err := fcsync.NewMutation(entity, task, base, payload)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func mustEnqueue(tb testing.TB, q *fcsync.Queue, n int) []string {
	tb.Helper()
	var ids []string
	for i := range n {
		out, err := q.Enqueue(mutation(tb, fcsync.EntityTask, "t1", int64(i+1), fcsync.TaskPayload{To: backend.TaskAccepted, Comment: strings.Repeat("x", i)}))
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, out[0].OpID)
	}
	return ids
}

func pendingIDs(q *fcsync.Queue) []string {
	var ids []string
	for _, m := range q.Pending() {
		ids = append(ids, m.OpID)
	}
	return ids
}

func TestQueueSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	q := mustOpenQueue(t, dir)
	ids := mustEnqueue(t, q, 5)
	if len(slices.Compact(slices.Clone(ids))) != 5 {
		t.Fatalf("op ids repeat: %v", ids)
	}
	// Killed: no Close. What Enqueue returned is there, in order.
	q2 := mustOpenQueue(t, dir)
	if got := pendingIDs(q2); !slices.Equal(got, ids) {
		t.Fatalf("after a crash: pending %v, want %v", got, ids)
	}
	if r := q2.Recovery(); r.Dropped != 0 || r.Pending != 5 {
		t.Fatalf("recovery %+v", r)
	}
	if err := q2.Complete([]fcsync.MutationResult{{OpID: ids[1], Status: fcsync.Applied}, {OpID: ids[3], Status: fcsync.Rejected}, {OpID: "unknown", Status: fcsync.Applied}}); err != nil {
		t.Fatal(err)
	}
	q3 := mustOpenQueue(t, dir)
	want := []string{ids[0], ids[2], ids[4]}
	if got := pendingIDs(q3); !slices.Equal(got, want) {
		t.Fatalf("after completing two: pending %v, want %v", got, want)
	}
	// New op ids never repeat old ones, also after the log was compacted.
	if err := q3.Complete([]fcsync.MutationResult{{OpID: ids[0], Status: fcsync.Duplicate}, {OpID: ids[2], Status: fcsync.Conflict}, {OpID: ids[4], Status: fcsync.Applied}}); err != nil {
		t.Fatal(err)
	}
	if n := q3.Len(); n != 0 {
		t.Fatalf("%d pending after completing all", n)
	}
	q4 := mustOpenQueue(t, dir)
	more := mustEnqueue(t, q4, 2)
	for _, id := range more {
		if slices.Contains(ids, id) {
			t.Fatalf("op id %s reused after compaction", id)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "queue.log")); err != nil || fi.Size() > 2000 {
		t.Fatalf("the log was not compacted: %v", err)
	}
	// A queue created anew in another directory (a wiped phone) uses other ids.
	other := mustEnqueue(t, mustOpenQueue(t, t.TempDir()), 1)
	if slices.Contains(append(ids, more...), other[0]) {
		t.Fatalf("a new queue reused op id %s", other[0])
	}
}

func TestQueueTornTail(t *testing.T) {
	dir := t.TempDir()
	ids := mustEnqueue(t, mustOpenQueue(t, dir), 3)
	whole, err := os.ReadFile(filepath.Join(dir, "queue.log"))
	if err != nil {
		t.Fatal(err)
	}
	// Find where the last record starts: each is a 4-byte length, a 4-byte
	// checksum and the payload.
	lastStart := 0
	for off := 0; off < len(whole); off += 8 + int(binary.BigEndian.Uint32(whole[off:])) {
		lastStart = off
	}

	// Every place a crash can tear the last append: it is dropped and
	// counted, the others are kept, and the queue works on.
	for cut := lastStart + 1; cut < len(whole); cut++ {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "queue.log"), whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		q := mustOpenQueue(t, d)
		r := q.Recovery()
		if r.Dropped != 1 || r.DroppedBytes != int64(cut-lastStart) || r.Reason == "" {
			t.Fatalf("cut at %d: recovery %+v", cut, r)
		}
		if got := pendingIDs(q); !slices.Equal(got, ids[:2]) {
			t.Fatalf("cut at %d: pending %v, want %v", cut, got, ids[:2])
		}
		next := mustEnqueue(t, q, 1)
		q = mustOpenQueue(t, d)
		if r := q.Recovery(); r.Dropped != 0 || r.Pending != 3 {
			t.Fatalf("cut at %d, after repair: %+v", cut, r)
		}
		if got := pendingIDs(q); !slices.Equal(got, append(slices.Clone(ids[:2]), next...)) {
			t.Fatalf("cut at %d, after repair: pending %v", cut, got)
		}
	}

	for _, tt := range []struct {
		name   string
		damage func([]byte) []byte
		keep   int
	}{
		{"ErrChecksum", func(b []byte) []byte { b = slices.Clone(b); b[len(b)-2] ^= 0x20; return b }, 2},
		{"ErrGarbageAppended", func(b []byte) []byte { return append(slices.Clone(b), 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 1) }, 3},
		{"ErrHugeLength", func(b []byte) []byte { return append(slices.Clone(b), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, "queue.log"), tt.damage(whole), 0o600); err != nil {
				t.Fatal(err)
			}
			q := mustOpenQueue(t, d)
			if r := q.Recovery(); r.Dropped != 1 {
				t.Fatalf("recovery %+v", r)
			}
			if got := pendingIDs(q); !slices.Equal(got, ids[:tt.keep]) {
				t.Fatalf("pending %v, want %v", got, ids[:tt.keep])
			}
		})
	}

	t.Run("ErrNoHead", func(t *testing.T) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "queue.log"), []byte("not a log at all"), 0o600); err != nil {
			t.Fatal(err)
		}
		q := mustOpenQueue(t, d)
		if r := q.Recovery(); r.Dropped != 1 || r.Pending != 0 {
			t.Fatalf("recovery %+v", r)
		}
		mustEnqueue(t, q, 1)
		if n := mustOpenQueue(t, d).Len(); n != 1 {
			t.Fatalf("%d pending after a fresh start", n)
		}
	})
}

func TestQueueRefusesBadMutations(t *testing.T) {
	q := mustOpenQueue(t, t.TempDir())
	for _, tt := range []struct {
		name string
		m    fcsync.Mutation
	}{
		{"ErrPayloadNotJSON", fcsync.Mutation{Entity: "task", TaskID: "t1", Payload: fcsync.Payload("{")}},
		{"ErrPayloadTooLarge", fcsync.Mutation{Entity: "task", TaskID: "t1", Payload: fcsync.Payload(`"` + strings.Repeat("a", fcsync.MaxPayloadBytes) + `"`)}},
		{"ErrNoEntity", fcsync.Mutation{TaskID: "t1", Payload: fcsync.Payload("{}")}},
		{"ErrBadOpID", fcsync.Mutation{OpID: "a b", Entity: "task", Payload: fcsync.Payload("{}")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Enqueue(tt.m); backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("err=%v, want %s", err, backend.EINVALID)
			}
		})
	}
	mine := mutation(t, fcsync.EntityTask, "t1", 1, fcsync.TaskPayload{To: backend.TaskAccepted})
	mine.OpID = "chosen-1"
	if _, err := q.Enqueue(mine); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(mine); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("the same op id queued twice: %v", err)
	}
	if n := q.Len(); n != 1 {
		t.Fatalf("%d pending, want 1", n)
	}
}

func TestQueueState(t *testing.T) {
	dir := t.TempDir()
	q := mustOpenQueue(t, dir)
	if s := q.State(); s.Cursor != "" || len(s.Tasks) != 0 {
		t.Fatalf("a new queue has state %+v", s)
	}
	s := fcsync.LocalState{Cursor: "c1", Tasks: map[string]*fcsync.TaskView{"t1": {Task: &backend.Task{ID: "t1", Version: 3}}}}
	if err := q.SaveState(s); err != nil {
		t.Fatal(err)
	}
	got := mustOpenQueue(t, dir).State()
	if got.Cursor != "c1" || got.Tasks["t1"] == nil || got.Tasks["t1"].Task.Version != 3 {
		t.Fatalf("state after reopening: %+v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"cursor":`), 0o600); err != nil {
		t.Fatal(err)
	}
	q = mustOpenQueue(t, dir)
	if r, s := q.Recovery(), q.State(); !r.StateReset || s.Cursor != "" || len(s.Tasks) != 0 {
		t.Fatalf("damaged state: recovery %+v, state %+v", r, s)
	}
}

// --- the client against a real server ---

// serve serves the env's app on a loopback port, as a real server does.
func serve(t *testing.T, e *env) string {
	t.Helper()
	return apptest.Serve(t, e.m)
}

// visitTask returns the first drawn task whose team has two logins and
// whose target has a licence code to check in with.
func (e *env) visitTask() *backend.Task {
	e.t.Helper()
	for _, t := range e.tasks {
		if len(t.TeamUsers) >= 2 && backend.ValidateUSCC(t.TargetID) == nil {
			return t
		}
	}
	e.t.Fatal("no drawn task has a team of two logins and an enterprise to visit")
	return nil
}

// fastRetry retries often and quickly: tests wait for nothing.
var fastRetry = fcsync.Retry{Attempts: 20, Base: time.Millisecond, Max: 10 * time.Millisecond, Budget: time.Minute}

func newClient(t *testing.T, url, user, device, dir string) *fcsync.Client {
	t.Helper()
	return &fcsync.Client{
		BaseURL: url, Username: user, Password: "demo-" + user,
		Device: backend.DeviceInfo{ID: device, Name: "test phone", Platform: backend.PlatformAndroid},
		Queue:  mustOpenQueue(t, dir), Retry: fastRetry, PendingWait: 10 * time.Millisecond,
	}
}

// mustHold checks that the client holds exactly the server's view.
func (e *env) mustHold(c *fcsync.Client) {
	e.t.Helper()
	want, got := e.serverView(c.Username), map[string]int64{}
	for id, v := range c.Tasks() {
		got[id] = v.Task.Version
	}
	if len(want) != len(got) {
		e.t.Fatalf("%s holds %d tasks, the server has %d", c.Username, len(got), len(want))
	}
	for id, v := range want {
		if got[id] != v {
			e.t.Fatalf("%s holds task %s at version %d, the server at %d", c.Username, id, got[id], v)
		}
	}
}

// workOn queues a team member's offline work on a task: accept (the
// lead), check in with the enterprise's code, answers, evidence. It
// returns the op ids.
func (e *env) workOn(c *fcsync.Client, task *backend.Task, accept bool) []string {
	e.t.Helper()
	v := c.Task(task.ID)
	if v == nil {
		e.t.Fatalf("%s does not hold task %s", c.Username, task.ID)
	}
	code, err := e.m.Codes.SignEnterpriseCode(context.Background(), task.TargetID)
	if err != nil {
		e.t.Fatal(err)
	}
	where := backend.GeoPoint{Lat: 26.26, Lng: 117.63}
	if v.Target.Location != nil {
		where = *v.Target.Location
	}
	var ms []fcsync.Mutation
	if accept {
		ms = append(ms, mutation(e.t, fcsync.EntityTask, task.ID, v.Task.Version, fcsync.TaskPayload{To: backend.TaskAccepted}))
	}
	ms = append(ms,
		mutation(e.t, fcsync.EntityCheckIn, task.ID, 0, fcsync.CheckInPayload{Code: code.String(), Position: &where, AccuracyM: 5, DeviceTime: time.Now()}),
		mutation(e.t, fcsync.EntityAnswers, task.ID, v.Task.Version, answersFor(task, c.Username, time.Now())),
		mutation(e.t, fcsync.EntityEvidence, task.ID, v.Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
			ID: "ev-" + c.Device.ID, Type: backend.EvidencePhoto, SHA256: strings.Repeat("ab", 32), Size: 1234, ContentType: "image/jpeg", CapturedAt: time.Now(),
		}}}),
	)
	var ids []string
	for _, m := range ms {
		out, err := c.Enqueue(m)
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, out.OpID)
	}
	return ids
}

// mustApplyOnce checks in the store that each of the device's operations
// on the task took effect exactly once: each operation is recorded once,
// the device's check-in and evidence slot are there once.
func (e *env) mustApplyOnce(taskID string, c *fcsync.Client, ops []string) {
	e.t.Helper()
	task, err := e.m.Stores.Tasks.FindTaskByID(context.Background(), taskID)
	if err != nil {
		e.t.Fatal(err)
	}
	recorded := 0
	for _, op := range ops {
		key := backend.OpKey(c.Username, c.Device.ID, op)
		n := 0
		for _, r := range task.Ops {
			if r.Key == key {
				n++
			}
		}
		if n > 1 {
			e.t.Fatalf("op %s recorded %d times", op, n)
		}
		recorded += n
	}
	// Every op but the check-in is recorded under its key.
	if recorded != len(ops)-1 {
		e.t.Fatalf("%d of %d ops recorded on the task", recorded, len(ops)-1)
	}
	checkIns := 0
	for _, ci := range task.CheckIns {
		if ci.UserID == c.Username {
			checkIns++
		}
	}
	if checkIns != 1 {
		e.t.Fatalf("%s checked in %d times on task %s, want once", c.Username, checkIns, taskID)
	}
	slots := 0
	for _, ev := range task.Evidence {
		if ev.ID == "ev-"+c.Device.ID {
			slots++
		}
	}
	if slots != 1 {
		e.t.Fatalf("task %s has %d evidence slots of %s, want 1", taskID, slots, c.Device.ID)
	}
	for k, a := range answersFor(task, c.Username, time.Now()).Answers {
		if got := task.Answers[a.Question]; got.Value != a.Value {
			e.t.Fatalf("answer %d (%s) = %q, want %q", k, a.Question, got.Value, a.Value)
		}
	}
}

func statuses(rs []fcsync.MutationResult) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.Status]++
	}
	return out
}

func TestClientPullAndPush(t *testing.T) {
	e := newEnv(t, 300)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	c := newClient(t, url, task.TeamUsers[0], "phone-client-1", t.TempDir())
	c.PageSize = 2
	res, err := c.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages < 2 || c.Queue.State().Keys == nil {
		t.Fatalf("pull %+v, keys %v", res, c.Queue.State().Keys != nil)
	}
	e.mustHold(c)
	ops := e.workOn(c, task, true)
	out, err := c.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(out); st[fcsync.Applied] != len(ops) {
		t.Fatalf("push answered %v", out)
	}
	if c.Queue.Len() != 0 {
		t.Fatalf("%d left in the queue", c.Queue.Len())
	}
	e.mustApplyOnce(task.ID, c, ops)
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	e.mustHold(c)
	if got := c.Task(task.ID).Task.Status; got != backend.TaskCheckedIn {
		t.Fatalf("task is %s on the phone", got)
	}

	// Nothing queued: Push sends nothing.
	if out, err := c.Push(ctx); err != nil || len(out) != 0 {
		t.Fatalf("empty push: %v %v", out, err)
	}

	// A stored cursor the server refuses starts a full download.
	s := c.Queue.State()
	s.Cursor = "garbage"
	if err := c.Queue.SaveState(s); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Pull(ctx); err != nil || !res.Restart {
		t.Fatalf("pull with a bad cursor: %+v %v", res, err)
	}
	e.mustHold(c)
}

func TestClientConflictBringsTheServersTask(t *testing.T) {
	e := newEnv(t, 300)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	a := newClient(t, url, task.TeamUsers[0], "phone-conf-a", t.TempDir())
	b := newClient(t, url, task.TeamUsers[1], "phone-conf-b", t.TempDir())
	for _, c := range []*fcsync.Client{a, b} {
		if _, err := c.Pull(ctx); err != nil {
			t.Fatal(err)
		}
	}
	v := a.Task(task.ID).Task.Version
	for _, c := range []*fcsync.Client{a, b} {
		if _, err := c.Enqueue(mutation(t, fcsync.EntityTask, task.ID, v, fcsync.TaskPayload{To: backend.TaskAccepted})); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := a.Push(ctx); err != nil || out[0].Status != fcsync.Applied {
		t.Fatalf("a: %v %v", out, err)
	}
	out, err := b.Push(ctx)
	if err != nil || out[0].Status != fcsync.Conflict || out[0].Task == nil {
		t.Fatalf("b: %+v %v", out, err)
	}
	if got := b.Task(task.ID).Task; got.Version <= v || got.Status != backend.TaskAccepted {
		t.Fatalf("b holds version %d (%s) after the conflict, want a later accepted one", got.Version, got.Status)
	}
	if b.Queue.Len() != 0 {
		t.Fatal("a conflict stayed in the queue")
	}
}

// TestClientKilledMidQueue: the client is killed after the server applied
// its push but before the answer arrived; a new process on the same
// directory resends everything, which the server answers as duplicates.
func TestClientKilledMidQueue(t *testing.T) {
	e := newEnv(t, 300)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	user, device, dir := task.TeamUsers[0], "phone-kill-1", t.TempDir()

	c1 := newClient(t, url, user, device, dir)
	if _, err := c1.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	ops := e.workOn(c1, task, true)

	// An image of the directory as a process killed right after queuing
	// leaves it.
	image := copyDir(t, dir)
	c1.HTTP = &http.Client{Transport: loseAnswers{next: http.DefaultTransport}}
	c1.Retry.Attempts = 1
	if _, err := c1.Push(ctx); err == nil {
		t.Fatal("the push's answer was lost, yet Push succeeded")
	}
	if n := c1.Queue.Len(); n != len(ops) {
		t.Fatalf("%d of %d ops left the queue without an answer", len(ops)-n, len(ops))
	}

	// Killed: no Close; the next process opens the same directory.
	c2 := newClient(t, url, user, device, dir)
	if got := c2.Queue.Len(); got != len(ops) {
		t.Fatalf("after the restart %d ops queued, want %d", got, len(ops))
	}
	if _, err := c2.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := c2.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(out); st[fcsync.Duplicate] != len(ops) {
		t.Fatalf("after the restart: %v, want %d duplicates", st, len(ops))
	}
	e.mustApplyOnce(task.ID, c2, ops)

	// The process killed right after queuing (the image) sends the same
	// again: nothing changes.
	c3 := newClient(t, url, user, device, image)
	out, err = c3.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(out); st[fcsync.Duplicate] != len(ops) {
		t.Fatalf("from the image: %v", st)
	}
	e.mustApplyOnce(task.ID, c3, ops)

	// Answers recorded, then the process dies: nothing is sent again.
	if n := mustOpenQueue(t, dir).Len(); n != 0 {
		t.Fatalf("%d answered ops still queued after a restart", n)
	}
}

// loseAnswers lets pushes reach the server and loses their answers.
type loseAnswers struct{ next http.RoundTripper }

func (l loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/mobile/v1/sync" {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, errors.New("the connection broke before the answer arrived")
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, de.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// fault is what the proxy does to one request.
type fault int

const (
	pass       fault = iota
	dropBefore       // close the connection before forwarding
	dropAfter        // forward, then close the connection without answering
	refuse           // answer with a canned status without forwarding
)

// faultProxy stands between a client and the server and breaks requests
// as decide says: decide gets the kind of request, how many of that kind
// came so far (1 for the first) and the body.
type faultProxy struct {
	target string
	decide func(kind string, n int, body []byte) (fault, int, http.Header)

	mu     sync.Mutex
	counts map[string]int
}

func newFaultProxy(t *testing.T, target string, decide func(kind string, n int, body []byte) (fault, int, http.Header)) (*faultProxy, string) {
	p := &faultProxy{target: target, decide: decide, counts: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func requestKind(r *http.Request) string {
	switch {
	case strings.HasSuffix(r.URL.Path, "/auth/login"):
		return fcsync.KindLogin
	case strings.HasSuffix(r.URL.Path, "/auth/refresh"):
		return fcsync.KindRefresh
	case r.Method == http.MethodGet:
		return fcsync.KindPull
	}
	return fcsync.KindPush
}

func (p *faultProxy) count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[kind]
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	kind := requestKind(r)
	p.mu.Lock()
	p.counts[kind]++
	n := p.counts[kind]
	p.mu.Unlock()
	f, status, header := p.decide(kind, n, body)
	hangUp := func() {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	switch f {
	case dropBefore:
		hangUp()
		return
	case refuse:
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		code := map[int]string{401: "unauthenticated", 400: "invalid", 429: "too_many_requests", 503: "unavailable"}[status]
		w.Write([]byte(`{"code":"` + code + `","message":"from the test proxy"}`))
		return
	}
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	out.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if f == dropAfter {
		hangUp()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

// TestClientRetriesLostConnections: connections drop before and after the
// server handled the request, for logins, pulls and pushes; the client
// retries until it has every answer, and each operation took effect
// exactly once.
func TestClientRetriesLostConnections(t *testing.T) {
	e := newEnv(t, 300)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	proxy, purl := newFaultProxy(t, url, func(kind string, n int, _ []byte) (fault, int, http.Header) {
		switch {
		case kind == fcsync.KindLogin && n == 1, kind == fcsync.KindPull && n == 1:
			return dropAfter, 0, nil
		case kind == fcsync.KindPull && n == 2:
			return dropBefore, 0, nil
		case kind == fcsync.KindPush && n <= 3:
			return []fault{dropAfter, dropBefore, dropAfter}[n-1], 0, nil
		}
		return pass, 0, nil
	})
	a := newClient(t, purl, task.TeamUsers[0], "phone-drop-a", t.TempDir())
	a.Replay = true
	if _, err := a.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	e.mustHold(a)
	ops := e.workOn(a, task, true)
	out, err := a.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The first push was applied and its answer lost: every answer is the
	// duplicate's.
	if st := statuses(out); st[fcsync.Duplicate] != len(ops) {
		t.Fatalf("answers %v, want %d duplicates", st, len(ops))
	}
	if got := proxy.count(fcsync.KindPush); got != 5 {
		t.Fatalf("%d pushes went through the proxy, want 4 tries and a replay", got)
	}
	// (Go's transport itself retries a GET whose connection closed before
	// any answer, so the pull's drops need not all reach the client.)
	s := a.Stats()
	if s.Logins != 1 || s.Retries < 4 || s.Replays != 1 || s.ReplayMismatches != 0 {
		t.Fatalf("stats %+v", s)
	}
	e.mustApplyOnce(task.ID, a, ops)

	// The teammate, replaying every batch: each op once.
	b := newClient(t, purl, task.TeamUsers[1], "phone-drop-b", t.TempDir())
	b.Replay = true
	if _, err := b.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	opsB := e.workOn(b, task, false)
	out, err = b.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(out); st[fcsync.Applied] != len(opsB) {
		t.Fatalf("teammate's answers %v", st)
	}
	if s := b.Stats(); s.Replays != 1 || s.ReplayMismatches != 0 {
		t.Fatalf("teammate's stats %+v", s)
	}
	e.mustApplyOnce(task.ID, b, opsB)
	if _, err := a.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	e.mustHold(a)
}

func TestClientRenewsTokens(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	var (
		mu          sync.Mutex
		sent        = map[string]int{}
		refuseNext  bool // answer the next pull with 401
		loseRefresh bool // forward the next refresh and lose its answer
	)
	set := func(refuse, lose bool) { mu.Lock(); refuseNext, loseRefresh = refuse, lose; mu.Unlock() }
	proxy, purl := newFaultProxy(t, url, func(kind string, n int, body []byte) (fault, int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case kind == fcsync.KindRefresh:
			var r struct{ RefreshToken string }
			json.Unmarshal(body, &r)
			sent[r.RefreshToken]++
			if loseRefresh {
				loseRefresh = false
				return dropAfter, 0, nil
			}
		case kind == fcsync.KindPull && refuseNext:
			refuseNext = false
			return refuse, http.StatusUnauthorized, nil
		}
		return pass, 0, nil
	})
	c := newClient(t, purl, task.TeamUsers[0], "phone-token-1", t.TempDir())
	pull := func() {
		t.Helper()
		if _, err := c.Pull(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pull()
	set(true, false) // the access token is refused: refresh, try again
	pull()
	if s := c.Stats(); s.Logins != 1 || s.Refreshes != 1 {
		t.Fatalf("stats %+v, want 1 login, 1 refresh", s)
	}
	set(true, true) // refused again, and the refresh's answer is lost: log in
	pull()
	pull()
	s := c.Stats()
	if s.Logins != 2 || s.Refreshes != 1 || s.RefreshFailures != 1 {
		t.Fatalf("stats %+v, want 2 logins, 1 refresh, 1 failed refresh", s)
	}
	if got := proxy.count(fcsync.KindRefresh); got != 2 {
		t.Fatalf("%d refreshes, want 2", got)
	}
	for tok, n := range sent {
		if n > 1 {
			t.Fatalf("refresh token %.8s… sent %d times", tok, n)
		}
	}
	e.mustHold(c)
}

func TestClientRetryBounds(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		status int
		header http.Header
		tries  int
		code   string
	}{
		{"ErrRetryAfterBeyondBudget", http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}}, 1, backend.ETOOMANY},
		{"ErrUnavailable", http.StatusServiceUnavailable, nil, 3, backend.EUNAVAILABLE},
		{"ErrInvalidNotRetried", http.StatusBadRequest, nil, 1, backend.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxy, purl := newFaultProxy(t, url, func(kind string, n int, _ []byte) (fault, int, http.Header) {
				if kind == fcsync.KindPush {
					return refuse, tt.status, tt.header
				}
				return pass, 0, nil
			})
			c := newClient(t, purl, task.TeamUsers[0], "phone-bounds", t.TempDir())
			c.Retry = fcsync.Retry{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, Budget: time.Minute}
			if _, err := c.Enqueue(mutation(t, fcsync.EntityTask, task.ID, 1, fcsync.TaskPayload{To: backend.TaskAccepted})); err != nil {
				t.Fatal(err)
			}
			_, err := c.Push(ctx)
			if got := backend.ErrorCode(err); got != tt.code {
				t.Fatalf("err=%v, want code %s", err, tt.code)
			}
			if got := proxy.count(fcsync.KindPush); got != tt.tries {
				t.Fatalf("%d tries, want %d", got, tt.tries)
			}
			if c.Queue.Len() != 1 {
				t.Fatal("an unanswered mutation left the queue")
			}
		})
	}
	t.Run("OKRetryAfterWithinBudget", func(t *testing.T) {
		_, purl := newFaultProxy(t, url, func(kind string, n int, _ []byte) (fault, int, http.Header) {
			if kind == fcsync.KindPull && n == 1 {
				return refuse, http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}
			}
			return pass, 0, nil
		})
		c := newClient(t, purl, task.TeamUsers[0], "phone-bounds-2", t.TempDir())
		if _, err := c.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.Retries != 1 {
			t.Fatalf("stats %+v, want one retry", s)
		}
	})
}

// A server that turns requests away with Retry-After (busy: 429 or 503)
// is asked again after that delay, and up to half of it more: those
// answers count against the budget, not the attempts, so a phone queued
// behind a hundred others gets through instead of giving up.
func TestClientHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	url := serve(t, e)
	ctx := context.Background()
	const refusals = 6
	_, purl := newFaultProxy(t, url, func(kind string, n int, _ []byte) (fault, int, http.Header) {
		switch {
		case kind == fcsync.KindLogin && n <= refusals:
			return refuse, http.StatusTooManyRequests, http.Header{"Retry-After": {"2"}}
		case kind == fcsync.KindPush && n <= refusals:
			return refuse, http.StatusServiceUnavailable, http.Header{"Retry-After": {"3"}}
		}
		return pass, 0, nil
	})
	c := newClient(t, purl, task.TeamUsers[0], "phone-busy", t.TempDir())
	c.Retry = fcsync.Retry{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond, Budget: time.Minute}
	var slept []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	c.Jitter = func(d time.Duration) time.Duration { return d } // the most it may add
	if _, err := c.Pull(ctx); err != nil {
		t.Fatalf("pull behind %d busy answers to the login: %v", refusals, err)
	}
	if _, err := c.Enqueue(mutation(t, fcsync.EntityTask, task.ID, 1, fcsync.TaskPayload{To: backend.TaskAccepted})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(ctx); err != nil {
		t.Fatalf("push behind %d busy answers: %v", refusals, err)
	}
	want := slices.Concat(slices.Repeat([]time.Duration{3 * time.Second}, refusals), slices.Repeat([]time.Duration{4500 * time.Millisecond}, refusals))
	if !slices.Equal(slept, want) {
		t.Fatalf("waits %v, want %v (Retry-After and half of it)", slept, want)
	}
	if c.Queue.Len() != 0 {
		t.Fatalf("%d mutations still queued", c.Queue.Len())
	}
}

func TestClientCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &fcsync.Client{BaseURL: "http://127.0.0.1:1", Username: "x", Password: "y",
		Device: backend.DeviceInfo{ID: "phone-cancel", Platform: backend.PlatformAndroid}, Queue: mustOpenQueue(t, t.TempDir())}
	if _, err := c.Pull(ctx); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err=%v, want cancelled", err)
	}
}
