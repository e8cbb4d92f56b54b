package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// simTask is a task the simulation works, with what its team's phones did
// to it: the expected state of the task on the server afterwards.
type simTask struct {
	id, target, name, code string
	team                   []string // logins; the first leads: accepts and submits the result
	questions              []question
	v0                     int64

	decide sync.Once
	done   map[string]chan struct{} // per member: its part has its answers

	mu        sync.Mutex
	started   bool
	answers   map[string]expAnswer // by question key
	evidence  map[string]expSlot   // by slot id
	checkIns  map[string]string    // login → check-in id
	result    *fcsync.ResultPayload
	submitted bool
	failed    []string
}

type question struct {
	key string
	q   backend.Question
}

type expAnswer struct{ value, user string }

type expSlot struct {
	in   backend.EvidenceInput
	user string
}

// start decides, for the first member to reach the task, whether the team
// takes it on; the others follow that decision.
func (t *simTask) start(deadline time.Time) bool {
	t.decide.Do(func() {
		t.mu.Lock()
		t.started = deadline.IsZero() || time.Now().Before(deadline)
		t.mu.Unlock()
	})
	return t.isStarted()
}

func (t *simTask) isStarted() bool { t.mu.Lock(); defer t.mu.Unlock(); return t.started }

func (t *simTask) fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = append(t.failed, fmt.Sprintf(format, args...))
}

// inspector is one phone and the officer holding it.
type inspector struct {
	sim    *sim
	user   string
	index  int
	client *fcsync.Client
	tasks  []*simTask // every task of its teams, in id order
	rng    *rand.Rand

	ops        map[string]*simOp // by op id
	order      []string
	carried    map[string]bool // ops a killed earlier run left in the queue
	superseded int             // accepts overtaken by a teammate's check-in
	conflicts  int             // conflicts decided again
	problems   []string
	signalled  map[string]bool

	// What the phone went through (its goroutine only).
	pulled       bool          // a pull has succeeded
	firstPull    time.Duration // from the first try of the first pull to its success, retries and the gate included
	pullFailures int           // pulls that failed and were tried again
	pushFailures int           // pushes that failed and were tried again
	lastPullErr  string
	files        []*phoneFile // photos declared, until the server has them
	staleViews   int          // result decisions put off: the lead's copy did not show the team's check-ins yet
}

// simOp is one enqueued mutation and its final answer.
type simOp struct {
	id, entity string
	task       *simTask
	result     *fcsync.MutationResult
	files      []*phoneFile // of an evidence declaration: uploaded once it is answered
}

func newRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func (in *inspector) problem(format string, args ...any) {
	in.problems = append(in.problems, in.user+": "+fmt.Sprintf(format, args...))
}

func (in *inspector) lead(t *simTask) bool { return t.team[0] == in.user }

// run is the inspector's day: pull, then tasks worked offline a few at a
// time, each stretch followed by a sync; the results once the whole team's
// work is on the server.
func (in *inspector) run(ctx context.Context) {
	in.signalled = map[string]bool{}
	defer func() {
		// Never leave a teammate waiting, whatever happened here; a task
		// taken on whose part of this member is not on the server is
		// failed, so that the lead does not submit it without that part
		// (and the cause is this member's problem, not the lead's).
		for _, t := range in.tasks {
			if !in.signalled[t.id] && t.isStarted() {
				t.fail("%s stopped before its part was on the server", in.user)
			}
			in.signal(t)
		}
	}()
	if in.client.Queue.Len() > 0 {
		// An earlier run was stopped with work queued: the phone sends it
		// as soon as it is online, as a real one does.
		in.carried = map[string]bool{}
		for _, m := range in.client.Queue.Pending() {
			in.carried[m.OpID] = true
		}
		if err := in.sync(ctx); err != nil {
			in.problem("sending what an earlier run left queued: %v", err)
			return
		}
	}
	if err := in.pull(ctx); err != nil {
		in.problem("first pull: %v", err)
		return
	}
	var stretch []*simTask
	for _, t := range in.tasks {
		if ctx.Err() != nil {
			return
		}
		if !t.start(in.sim.deadline) {
			continue
		}
		in.work(t)
		stretch = append(stretch, t)
		if len(stretch) == in.sim.cfg.offlineTasks {
			if !in.online(ctx, stretch) {
				return
			}
			stretch = nil
			in.submitReady(ctx, false)
		}
	}
	if len(stretch) > 0 && !in.online(ctx, stretch) {
		return
	}
	in.submitReady(ctx, true)
	in.uploadDeclared(ctx, true) // every photo in before the phone is done
}

func (in *inspector) signal(t *simTask) {
	if !in.signalled[t.id] {
		in.signalled[t.id] = true
		close(t.done[in.user])
	}
}

// pull brings the phone's tasks up to date. Like the app, which syncs
// again on a timer after a failed sync, it does not give up: a pull that
// failed (the client gave up within its retry bounds: the server busy,
// restarting or slow) is tried again after a pause that grows to a
// minute, until it succeeds or the run ends. A pull cut off continues
// where it stopped (each page is kept with its cursor).
func (in *inspector) pull(ctx context.Context) error {
	_, err := in.pullResult(ctx)
	return err
}

func (in *inspector) pullResult(ctx context.Context) (fcsync.PullResult, error) {
	began := time.Now()
	for failures := 0; ; failures++ {
		if err := in.sim.gate.wait(ctx); err != nil {
			return fcsync.PullResult{}, err
		}
		res, err := in.client.Pull(ctx)
		if err == nil {
			if !in.pulled {
				in.pulled, in.firstPull = true, time.Since(began)
			}
			return res, nil
		}
		if ctx.Err() != nil {
			return res, err
		}
		in.pullFailures++
		in.lastPullErr = err.Error()
		in.sim.logf("%s: pull failed (%v); again in a moment", in.user, err)
		if err := sleepCtx(ctx, syncPause(failures)); err != nil {
			return res, err
		}
	}
}

// syncPause is how long a phone waits before it syncs again after its
// n-th failure in a row (from 0): 5 s, doubled up to the app's timer of a
// minute.
func syncPause(n int) time.Duration {
	return min(time.Minute, 5*time.Second<<min(n, 4))
}

// online pushes everything queued, decides again where the server says
// so, and tells the teammates of the stretch's tasks that this member's
// part is on the server.
func (in *inspector) online(ctx context.Context, stretch []*simTask) bool {
	if err := in.sync(ctx); err != nil {
		in.problem("sync: %v", err)
		return false
	}
	for _, t := range stretch {
		in.signal(t)
	}
	in.sim.logf("%s: synced %d tasks, %d ops answered", in.user, len(stretch), len(in.order))
	// Then the photos whose slots the server holds, as the app does after
	// a sync; one cut off goes on at the next.
	in.uploadDeclared(ctx, false)
	return true
}

// enqueue queues a mutation and remembers it.
func (in *inspector) enqueue(t *simTask, entity string, base int64, payload any) *simOp {
	m, err := fcsync.NewMutation(entity, t.id, base, payload)
	if err == nil {
		m, err = in.client.Enqueue(m)
	}
	if err != nil {
		in.problem("enqueue %s on %s: %v", entity, t.id, err)
		return nil
	}
	op := &simOp{id: m.OpID, entity: entity, task: t}
	in.ops[m.OpID] = op
	in.order = append(in.order, m.OpID)
	in.sim.queued.Add(1)
	return op
}

// work does this member's part of the visit, offline.
func (in *inspector) work(t *simTask) {
	v := in.client.Task(t.id)
	if v == nil {
		in.problem("task %s is not on the phone", t.id)
		t.fail("%s does not hold the task", in.user)
		return
	}
	now := time.Now()
	if in.lead(t) && v.Task.Status == backend.TaskAssigned {
		in.enqueue(t, fcsync.EntityTask, v.Task.Version, fcsync.TaskPayload{To: backend.TaskAccepted, Comment: "fieldsim"})
	}
	where := backend.GeoPoint{Lat: 26.2634, Lng: 117.6390}
	if v.Target.Location != nil {
		where = *v.Target.Location
	}
	where.Lat += (in.rng.Float64() - 0.5) * 0.0002 // within about 10 m
	where.Lng += (in.rng.Float64() - 0.5) * 0.0002
	in.enqueue(t, fcsync.EntityCheckIn, 0, fcsync.CheckInPayload{Code: t.code, Position: &where, AccuracyM: float64(3 + in.rng.IntN(15)), DeviceTime: now})

	me := indexOf(t.team, in.user)
	var answers fcsync.AnswersPayload
	var photoQuestion string
	var required []string // the questions of this member's share that need a photo
	t.mu.Lock()
	for i, q := range t.questions {
		if q.q.Type == backend.QPhoto || q.q.PhotoRequired {
			photoQuestion = q.key
		}
		if i%len(t.team) != me {
			continue
		}
		val := in.answer(q.q)
		answers.Answers = append(answers.Answers, backend.AnswerInput{Question: q.key, Value: val, EditedAt: now})
		t.answers[q.key] = expAnswer{value: val, user: in.user}
		if q.q.PhotoRequired {
			required = append(required, q.key)
		}
	}
	var files fcsync.EvidencePayload
	var photos []*phoneFile
	photo := func(id, question string) {
		slot := fmt.Sprintf("%s-%s-%s", deviceSafe(in.user), shortID(t.id), id)
		var sum string
		var size int64
		if in.sim.cfg.uploads {
			// A real JPEG, uploaded once the declaration is in.
			pf, sha := in.newPhoto(t, slot)
			photos = append(photos, pf)
			sum, size = sha, pf.size
		} else {
			var blob [8]byte
			binary.BigEndian.PutUint64(blob[:], in.rng.Uint64())
			b := sha256.Sum256(blob[:])
			sum, size = hex.EncodeToString(b[:]), int64(50_000+in.rng.IntN(3_000_000))
		}
		f := backend.EvidenceInput{
			ID: slot, Type: backend.EvidencePhoto, SHA256: sum, Size: size, ContentType: "image/jpeg",
			Question: question, Caption: "现场照片", CapturedAt: now, Position: &where,
		}
		files.Files = append(files.Files, f)
		t.evidence[f.ID] = expSlot{in: f, user: in.user}
	}
	for n := range 1 + in.rng.IntN(2) {
		photo(fmt.Sprint(n+1), photoQuestion)
	}
	for i, q := range required { // a submission needs each of them
		photo(fmt.Sprint("q", i+1), q)
	}
	t.mu.Unlock()
	if len(answers.Answers) > 0 {
		in.enqueue(t, fcsync.EntityAnswers, v.Task.Version, answers)
	}
	if op := in.enqueue(t, fcsync.EntityEvidence, v.Task.Version, files); op != nil {
		op.files = photos
		in.files = append(in.files, photos...)
	}
}

func shortID(id string) string {
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		return id[i+1:]
	}
	return id
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// answer makes up an answer that fits the question.
func (in *inspector) answer(q backend.Question) string {
	switch q.Type {
	case backend.QYesNo:
		return []string{"是", "否"}[in.rng.IntN(2)]
	case backend.QSingle:
		if len(q.Options) > 0 {
			return q.Options[in.rng.IntN(len(q.Options))]
		}
	case backend.QMultiple:
		if len(q.Options) > 0 {
			a, b := in.rng.IntN(len(q.Options)), in.rng.IntN(len(q.Options))
			if a == b {
				return q.Options[a]
			}
			return q.Options[min(a, b)] + "," + q.Options[max(a, b)]
		}
	case backend.QNumber:
		return fmt.Sprintf("%.1f", in.rng.Float64()*10-2)
	case backend.QPhoto:
		return "见现场照片"
	}
	return fmt.Sprintf("现场记录 %s #%d", in.user, in.rng.IntN(1000))
}

// sync pushes until the queue is empty, handling the answers; a push that
// fails (the client has retried within its bounds: the server may be
// restarting) is tried again after a pause.
func (in *inspector) sync(ctx context.Context) error {
	failures := 0
	for in.client.Queue.Len() > 0 {
		if err := in.sim.gate.wait(ctx); err != nil {
			return err
		}
		res, err := in.client.Push(ctx)
		for _, r := range res {
			in.answered(ctx, r)
		}
		if len(res) > 0 {
			failures = 0
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// As the app does: the queue stays, and the phone syncs again
			// a little later, however long the server takes.
			in.pushFailures++
			in.sim.logf("%s: push failed (%v); again in a moment", in.user, err)
			if err := sleepCtx(ctx, syncPause(failures)); err != nil {
				return err
			}
			failures++
		}
	}
	return in.pull(ctx)
}

// answered takes an operation's final answer and decides again where
// needed.
func (in *inspector) answered(ctx context.Context, r fcsync.MutationResult) {
	op := in.ops[r.OpID]
	if op == nil && in.carried[r.OpID] {
		delete(in.carried, r.OpID)
		return
	}
	if op == nil {
		in.problem("an answer for op %s, which this run did not queue", r.OpID)
		return
	}
	if op.result != nil {
		in.problem("a second final answer for op %s: %s after %s", r.OpID, r.Status, op.result.Status)
		return
	}
	op.result = &r
	in.sim.answeredOps.Add(1)
	t := op.task
	ok := r.Status == fcsync.Applied || r.Status == fcsync.Duplicate
	switch op.entity {
	case fcsync.EntityTask:
		if ok {
			return
		}
		// A teammate's check-in got there first (the task is checked in),
		// or someone else changed the task: look again and decide.
		cur := r.Task
		if cur == nil {
			if err := in.pull(ctx); err == nil {
				if v := in.client.Task(t.id); v != nil {
					cur = v.Task
				}
			}
		}
		switch {
		case cur != nil && cur.Status == backend.TaskAssigned:
			in.conflicts++
			in.enqueue(t, fcsync.EntityTask, cur.Version, fcsync.TaskPayload{To: backend.TaskAccepted, Comment: "fieldsim, again"})
		case cur != nil && cur.Status.Editable():
			in.superseded++
		default:
			in.problem("accept of %s: %s %s %s", t.id, r.Status, r.Code, r.Message)
			t.fail("accept by %s: %s", in.user, r.Message)
		}
	case fcsync.EntityCheckIn:
		switch {
		case !ok:
			in.problem("check-in at %s: %s %s %s", t.id, r.Status, r.Code, r.Message)
			t.fail("check-in by %s: %s", in.user, r.Message)
		case r.CheckIn == nil || r.CheckIn.TaskID != t.id:
			in.problem("check-in at %s recorded for another task: %+v", t.id, r.CheckIn)
			t.fail("check-in by %s recorded elsewhere", in.user)
		default:
			t.mu.Lock()
			if prev, dup := t.checkIns[in.user]; dup && prev != r.CheckIn.ID {
				t.failed = append(t.failed, fmt.Sprintf("%s checked in twice: %s and %s", in.user, prev, r.CheckIn.ID))
			}
			t.checkIns[in.user] = r.CheckIn.ID
			t.mu.Unlock()
		}
	case fcsync.EntityResult:
		switch {
		case ok:
			t.mu.Lock()
			t.submitted = true
			t.mu.Unlock()
		case r.Status == fcsync.Conflict:
			in.conflicts++ // submitResult decides again
		default:
			in.problem("result of %s: %s %s %s", t.id, r.Status, r.Code, r.Message)
			t.fail("result by %s: %s", in.user, r.Message)
		}
	default:
		if !ok {
			in.problem("%s on %s: %s %s %s", op.entity, t.id, r.Status, r.Code, r.Message)
			t.fail("%s by %s: %s", op.entity, in.user, r.Message)
		}
		for _, f := range op.files {
			f.declared = ok // the server holds the slot: the bytes may go
		}
	}
}

// submitReady submits the results of the tasks this inspector leads whose
// team has done its part; with wait, it waits for the teams.
func (in *inspector) submitReady(ctx context.Context, wait bool) {
	for _, t := range in.tasks {
		if !in.lead(t) || !t.isStarted() || t.isSubmitted() || t.hasFailed() {
			continue
		}
		ready := true
		for _, u := range t.team {
			if wait {
				select {
				case <-t.done[u]:
				case <-ctx.Done():
					return
				}
			} else {
				select {
				case <-t.done[u]:
				default:
					ready = false
				}
			}
		}
		if ready && !t.hasFailed() {
			in.submitResult(ctx, t)
		}
	}
}

func (t *simTask) isSubmitted() bool { t.mu.Lock(); defer t.mu.Unlock(); return t.submitted }
func (t *simTask) hasFailed() bool   { t.mu.Lock(); defer t.mu.Unlock(); return len(t.failed) > 0 }

// submitResult enters the result on the version of the task the phone
// holds, and on a conflict looks again and resubmits.
func (in *inspector) submitResult(ctx context.Context, t *simTask) {
	codes := []backend.ResultCode{backend.ResultNoProblem, backend.ResultNoProblem, backend.ResultCorrected, backend.ResultFollowUp}
	stale := 0
	for try := 0; try < 10 && ctx.Err() == nil; try++ {
		if err := in.pull(ctx); err != nil {
			in.problem("pull before the result of %s: %v", t.id, err)
			return
		}
		v := in.client.Task(t.id)
		if v == nil {
			in.problem("task %s left the phone", t.id)
			t.fail("the task left %s's phone", in.user)
			return
		}
		if n := len(v.Task.CheckIns); n < len(t.team) {
			// The teammates' parts were answered, but this phone's copy
			// does not show them yet (its feed lags a busy server): look
			// again a little later, as a lead waits to see the team
			// checked in before entering the result.
			if stale < 8 {
				stale++
				in.staleViews++
				try--
				if err := sleepCtx(ctx, syncPause(stale-1)); err != nil {
					return
				}
				continue
			}
			in.problem("task %s shows %d check-ins before the result, want %d, after %d looks", t.id, n, len(t.team), stale+1)
		}
		code := codes[in.rng.IntN(len(codes))]
		p := fcsync.ResultPayload{Code: code, Findings: "现场检查：" + code.Label(), DeviceTime: time.Now()}
		if code != backend.ResultNoProblem {
			p.FollowUp = "责令限期整改，30日内复查"
		}
		t.mu.Lock()
		t.result = &p
		t.mu.Unlock()
		in.enqueue(t, fcsync.EntityResult, v.Task.Version, p)
		if err := in.sync(ctx); err != nil {
			in.problem("sync of the result of %s: %v", t.id, err)
			return
		}
		if t.isSubmitted() || t.hasFailed() {
			return
		}
	}
	in.problem("the result of %s never went through", t.id)
	t.fail("no result after 10 tries")
}
