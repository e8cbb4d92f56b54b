package planning_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

var (
	manager2  = as("scjg.manager2", backend.RoleManager, "scjg")
	reviewer2 = as("scjg.reviewer2", backend.RoleReviewer, "scjg")
	otherMgr  = as("yjgl.manager", backend.RoleManager, "yjgl")
)

// withRegister gives f's service the results register, published results
// and intents.
func withRegister(f *fixture) *planning.Service {
	svc, _ := withIntents(f, "")
	svc.Register = &mongo.ResultStore{DB: f.db}
	f.svc = svc
	return svc
}

// approveAt submits task id and has the lead reviewer approve it at at.
func approveAt(t *testing.T, f *fixture, id string, at time.Time) *backend.Task {
	t.Helper()
	tk := submitAt(t, f, id, at.Add(-time.Hour))
	was := f.now
	f.now = at
	defer func() { f.now = was }()
	got, err := f.svc.Transition(leadReviewer, id, planning.TransitionRequest{To: backend.TaskApproved, Version: tk.Version})
	if err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
	return got
}

func entryIDs(items []*planning.RegisterEntry) []string {
	var ids []string
	for _, e := range items {
		ids = append(ids, e.ID)
	}
	return ids
}

func mustResults(t *testing.T, svc *planning.Service, ctx context.Context, q planning.RegisterQuery) *planning.Register {
	t.Helper()
	r, err := svc.ListRegister(ctx, q, backend.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustEntry(t *testing.T, svc *planning.Service, id string) *backend.ResultEntry {
	t.Helper()
	e, err := svc.Register.FindResultEntry(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestResultRegister: approved results enter the lead department's
// register with their result date and deadline; the register lists them
// pending with the working days left, then overdue; managers publish one
// and several (task, entry and public result, each audited), withhold one
// with a second person, correct one as a new public version; another
// department and the team cannot.
func TestResultRegister(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, jointPlan())
	if len(tasks) < 6 {
		t.Fatalf("%d tasks with a team, want 6", len(tasks))
	}
	// Approved on Friday 2026-09-18 (10:00, China): due 2026-10-22.
	approved := time.Date(2026, 9, 18, 10, 0, 0, 0, backend.China)
	for _, tk := range tasks[:6] {
		approveAt(t, f, tk.ID, approved)
	}
	ids := []string{tasks[0].ID, tasks[1].ID, tasks[2].ID, tasks[3].ID, tasks[4].ID, tasks[5].ID}
	e := mustEntry(t, svc, ids[0])
	if e.ResultDate != "2026-09-18" || e.Deadline != "2026-10-22" || e.State != backend.ResultPending || e.LeadDepartment != "scjg" {
		t.Fatalf("entry %+v, want result date 2026-09-18, deadline 2026-10-22, pending, of scjg", e)
	}

	f.now = time.Date(2026, 10, 9, 9, 0, 0, 0, backend.China) // Friday, before the make-up Saturday 10-10
	reg := mustResults(t, svc, manager, planning.RegisterQuery{View: backend.ViewPending})
	if len(reg.Items) != 6 || reg.Counts.Pending != 6 || reg.Counts.Overdue != 0 {
		t.Fatalf("pending %v counts %+v, want the 6", entryIDs(reg.Items), reg.Counts)
	}
	// 10-10 (Sat, worked), 10-12..16, 10-19..22: 10 working days left.
	if d := reg.Items[0].DaysLeft; d == nil || *d != 10 {
		t.Fatalf("days left %v, want 10", d)
	}

	t.Run("ErrOtherDepartmentReadsRegister", func(t *testing.T) {
		_, err := svc.ListRegister(otherMgr, planning.RegisterQuery{Department: "scjg"}, backend.PageRequest{})
		if !backend.IsCode(err, backend.EFORBIDDEN) {
			t.Fatalf("err %v, want forbidden", err)
		}
	})

	// BOLA: neither a participating department's manager, another
	// department's, a reviewer, nor the team publishes or withholds.
	member := as(tasks[0].TeamUsers[0], backend.RoleInspector, "scjg")
	for _, tt := range []struct {
		name string
		ctx  context.Context
	}{
		{"ErrParticipatingDepartment", as("yjgl.manager", backend.RoleManager, "yjgl")},
		{"ErrOtherDepartment", as("wsjk.manager", backend.RoleManager, "wsjk")},
		{"ErrReviewer", leadReviewer},
		{"ErrTeamMember", member},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.PublishResults(tt.ctx, planning.PublishRequest{IDs: ids[:1]}); !backend.IsCode(err, backend.EFORBIDDEN) {
				t.Fatalf("publish: %v, want forbidden", err)
			}
			if _, err := svc.ProposeWithhold(tt.ctx, ids[0], planning.EntryChange{Version: 1, Reason: "涉及国家秘密"}); !backend.IsCode(err, backend.EFORBIDDEN) {
				t.Fatalf("withhold: %v, want forbidden", err)
			}
		})
	}
	// A bulk publication with one entry not the caller's publishes none.
	if _, err := svc.PublishResults(otherMgr, planning.PublishRequest{IDs: ids[:3]}); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("bulk by another department: %v, want forbidden", err)
	}
	if e := mustEntry(t, svc, ids[0]); e.State != backend.ResultPending {
		t.Fatalf("after refused publications %s is %s", ids[0], e.State)
	}

	f.now = time.Date(2026, 10, 23, 9, 0, 0, 0, backend.China) // the day after the deadline
	reg = mustResults(t, svc, manager, planning.RegisterQuery{View: backend.ViewOverdue})
	if len(reg.Items) != 6 || reg.Counts.Overdue != 6 || reg.Counts.Pending != 0 {
		t.Fatalf("overdue %v counts %+v, want the 6", entryIDs(reg.Items), reg.Counts)
	}

	// Publish one, then two in bulk.
	got, err := svc.PublishResults(manager, planning.PublishRequest{IDs: ids[:1]})
	if err != nil || len(got) != 1 || got[0].State != backend.ResultPublished || len(got[0].Versions) != 1 {
		t.Fatalf("publish: %+v, %v", got, err)
	}
	if got, err = svc.PublishResults(manager, planning.PublishRequest{IDs: ids[1:3]}); err != nil || len(got) != 2 {
		t.Fatalf("bulk publish: %+v, %v", got, err)
	}
	if _, err := svc.PublishResults(manager, planning.PublishRequest{IDs: ids[:1]}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("publish again: %v, want invalid", err)
	}
	for _, id := range ids[:3] {
		tk, err := svc.Tasks.FindTaskByID(context.Background(), id)
		if err != nil || tk.Status != backend.TaskPublished {
			t.Fatalf("task %s: %v, %v; want published", id, tk.Status, err)
		}
		pub, err := svc.Results.PublishedResults(context.Background(), tk.TargetID)
		if err != nil || len(pub) != 1 || pub[0].Version != 1 || pub[0].ResultDate != "2026-09-18" {
			t.Fatalf("public results of %s: %+v, %v", tk.TargetID, pub, err)
		}
	}

	// Withhold: proposed, refused to the proposer, confirmed by a second person.
	wid := ids[3]
	w, err := svc.ProposeWithhold(manager, wid, planning.EntryChange{Version: 1, Reason: "涉及正在查处的案件，依法不予公开"})
	if err != nil || w.State != backend.ResultWithholdProposed {
		t.Fatalf("propose: %+v, %v", w, err)
	}
	if _, err := svc.PublishResults(manager2, planning.PublishRequest{IDs: []string{wid}}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("publish a proposed withholding: %v, want invalid", err)
	}
	if _, err := svc.ConfirmWithhold(manager, wid, planning.EntryChange{Version: w.Version}); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("the proposer confirms: %v, want forbidden", err)
	}
	if _, err := svc.ConfirmWithhold(otherMgr, wid, planning.EntryChange{Version: w.Version}); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("another department confirms: %v, want forbidden", err)
	}
	if w, err = svc.ConfirmWithhold(reviewer2, wid, planning.EntryChange{Version: w.Version}); err != nil || w.State != backend.ResultWithheld || w.Withholding.ConfirmedBy != "scjg.reviewer2" {
		t.Fatalf("confirm: %+v, %v", w, err)
	}
	// Rejecting a proposal brings the entry back.
	r, err := svc.ProposeWithhold(manager, ids[4], planning.EntryChange{Version: 1, Reason: "待核实"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = svc.RejectWithhold(manager2, ids[4], planning.EntryChange{Version: r.Version}); err != nil || r.State != backend.ResultPending || r.Withholding != nil {
		t.Fatalf("reject: %+v, %v", r, err)
	}

	// Correct a published result: a new version, the old one in the history.
	c, err := svc.CorrectResult(manager, ids[0], planning.EntryChange{Version: mustEntry(t, svc, ids[0]).Version, Code: backend.ResultFollowUp, Reason: "录入有误：检查中发现问题待后续处理"})
	if err != nil || len(c.Versions) != 2 || c.Code != backend.ResultFollowUp {
		t.Fatalf("correct: %+v, %v", c, err)
	}
	if _, err := svc.CorrectResult(manager, ids[5], planning.EntryChange{Version: 1, Code: backend.ResultFollowUp, Reason: "x"}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("correct a pending result: %v, want invalid", err)
	}
	if _, err := svc.CorrectResult(manager, ids[0], planning.EntryChange{Version: c.Version}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("correct without a reason: %v, want invalid", err)
	}
	pub, _ := svc.Results.PublishedResults(context.Background(), tasks[0].TargetID)
	if len(pub) != 1 || pub[0].Version != 2 || pub[0].Code != backend.ResultFollowUp || len(pub[0].History) != 1 || pub[0].History[0].Code != backend.ResultNoProblem {
		t.Fatalf("public result after the correction %+v, want version 2 with version 1 in its history", pub)
	}

	reg = mustResults(t, svc, manager, planning.RegisterQuery{})
	want := backend.ResultCounts{Overdue: 2, Withheld: 1, Published: 3}
	if reg.Counts != want {
		t.Fatalf("counts %+v, want %+v", reg.Counts, want)
	}
	// The participating department reads the joint results in its register.
	if reg := mustResults(t, svc, otherMgr, planning.RegisterQuery{}); reg.Counts != want {
		t.Fatalf("yjgl's counts %+v, want %+v", reg.Counts, want)
	}

	// Every change audited, the refusals too.
	n := auditActions(t, svc.Audit)
	for action, min := range map[string]int{"result.register": 6, "result.publish": 3 + 4 + 1, "task.published": 3, "result.withhold.propose": 2 + 4,
		"result.withhold.confirm": 2, "result.withhold.reject": 1, "result.correct": 1} {
		if n[action] < min {
			t.Errorf("%d %s entries, want at least %d (%v)", n[action], action, min, n)
		}
	}
}

// TestRegisterPagesAndFilters: keyset pages cover the register once in
// (result date, id) order; filters by view, plan, category and period.
func TestRegisterPagesAndFilters(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	days := []time.Time{
		time.Date(2026, 3, 3, 10, 0, 0, 0, backend.China),
		time.Date(2026, 3, 4, 10, 0, 0, 0, backend.China),
		time.Date(2026, 3, 5, 10, 0, 0, 0, backend.China),
	}
	var want []string
	for i, tk := range tasks[:7] {
		approveAt(t, f, tk.ID, days[i%3])
		want = append(want, tk.ID)
	}
	slices.SortFunc(want, func(a, b string) int {
		ea, eb := mustEntry(t, svc, a), mustEntry(t, svc, b)
		return strings.Compare(backend.ResultCursor(ea), backend.ResultCursor(eb))
	})
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		r, err := svc.ListRegister(manager, planning.RegisterQuery{}, backend.PageRequest{After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entryIDs(r.Items)...)
		if r.Next == "" || pages > 5 {
			break
		}
		after = r.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	tests := []struct {
		name string
		q    planning.RegisterQuery
		n    int
		err  string
	}{
		{"OK/Period", planning.RegisterQuery{From: "2026-03-04", To: "2026-03-04"}, 2, ""},
		{"OK/Plan", planning.RegisterQuery{PlanID: tasks[0].PlanID}, 7, ""},
		{"OK/OtherPlan", planning.RegisterQuery{PlanID: "nope"}, 0, ""},
		{"OK/Category", planning.RegisterQuery{Code: backend.ResultNoProblem}, 7, ""},
		{"OK/OtherCategory", planning.RegisterQuery{Code: backend.ResultClosed}, 0, ""},
		{"OK/Published", planning.RegisterQuery{View: backend.ViewPublished}, 0, ""},
		{"ErrView", planning.RegisterQuery{View: "late"}, 0, "view"},
		{"ErrCategory", planning.RegisterQuery{Code: "R01"}, 0, "official"},
		{"ErrPeriod", planning.RegisterQuery{From: "2026-03-05", To: "2026-03-04"}, 0, "after"},
		{"ErrDate", planning.RegisterQuery{From: "5 March"}, 0, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := svc.ListRegister(manager, tt.q, backend.PageRequest{})
			if tt.err != "" {
				if !backend.IsCode(err, backend.EINVALID) || !strings.Contains(backend.ErrorMessage(err), tt.err) {
					t.Fatalf("err %v, want invalid with %q", err, tt.err)
				}
				return
			}
			if err != nil || len(r.Items) != tt.n {
				t.Fatalf("%d entries (%v), want %d", len(r.Items), err, tt.n)
			}
		})
	}
	if _, err := svc.ListRegister(manager, planning.RegisterQuery{}, backend.PageRequest{After: "garbage"}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("malformed cursor: %v, want invalid", err)
	}
}

// TestFollowUpRecheck: the team enters 责令改正 with a deadline; it
// creates the re-check task for the same team, due after the deadline;
// the re-check's approved result closes the follow-up and publishes the
// entry as 发现问题经责令已改正 (a new version). Nobody else enters it.
func TestFollowUpRecheck(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	tk := tasks[0]
	approveAt(t, f, tk.ID, time.Date(2026, 3, 3, 10, 0, 0, 0, backend.China))
	if _, err := svc.PublishResults(manager, planning.PublishRequest{IDs: []string{tk.ID}}); err != nil {
		t.Fatal(err)
	}
	member := as(tk.TeamUsers[0], backend.RoleInspector, "scjg")
	in := backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: "2026-03-17"}
	for _, tt := range []struct {
		name string
		ctx  context.Context
	}{
		{"ErrManager", manager},
		{"ErrOtherInspector", as("someone.else", backend.RoleInspector, "scjg")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.SetFollowUp(tt.ctx, tk.ID, in); !backend.IsCode(err, backend.EFORBIDDEN) {
				t.Fatalf("err %v, want forbidden", err)
			}
		})
	}
	e, err := svc.SetFollowUp(member, tk.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if e.FollowUp.RecheckTaskID != planning.RecheckID(tk.ID) || len(e.Versions) != 2 || !strings.Contains(e.Versions[1].FollowUp, "责令改正") {
		t.Fatalf("entry %+v, want its re-check and the follow-up published as version 2", e.ResultEntry)
	}
	if _, err := svc.SetFollowUp(member, tk.ID, in); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("again: %v, want conflict", err)
	}
	rc, err := svc.Tasks.FindTaskByID(context.Background(), e.FollowUp.RecheckTaskID)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Trigger == nil || rc.Trigger.Kind != backend.TriggerRecheck || rc.Trigger.Reference != tk.ID || !slices.Equal(rc.TeamUsers, tk.TeamUsers) ||
		rc.Start <= "2026-03-17" || rc.Due <= rc.Start || rc.Random || rc.Status != backend.TaskAssigned {
		t.Fatalf("re-check %+v, want the same team, after the deadline, not random", rc)
	}

	// The team re-checks and finds it corrected; the reviewers approve.
	approveAt(t, f, rc.ID, time.Date(2026, 3, 19, 10, 0, 0, 0, backend.China))
	orig := mustEntry(t, svc, tk.ID)
	if orig.FollowUp.ClosedAt == nil || orig.FollowUp.Outcome != backend.ResultNoProblem || orig.Code != backend.ResultRectified || len(orig.Versions) != 3 {
		t.Fatalf("entry after the re-check %+v, want closed, rectified, version 3", orig)
	}
	if rce := mustEntry(t, svc, rc.ID); rce.RecheckOf != tk.ID {
		t.Fatalf("re-check's entry %+v, want it to name %s", rce, tk.ID)
	}
	pub, _ := svc.Results.PublishedResults(context.Background(), tk.TargetID)
	if len(pub) != 1 || pub[0].Label != "发现问题经责令已改正" || pub[0].Version != 3 || len(pub[0].History) != 2 {
		t.Fatalf("public result %+v, want 发现问题经责令已改正 as version 3", pub)
	}
	n := auditActions(t, svc.Audit)
	if n["result.follow-up"] < 3 || n["task.recheck"] != 1 || n["result.follow-up.close"] != 1 {
		t.Fatalf("audit %v, want the follow-up (and its refusals), the re-check and its closing", n)
	}
}

// TestBulkPublicationSurvivesACrash: a bulk publication killed at the
// public result of its first entry is completed by the roll-forward.
func TestBulkPublicationSurvivesACrash(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	for _, tk := range tasks[:2] {
		approveAt(t, f, tk.ID, time.Date(2026, 3, 3, 10, 0, 0, 0, backend.China))
	}
	crashing := *svc
	crashing.Results = &crashResults{PublishedResultStore: svc.Results, at: "PutPublishedResult"}
	ids := []string{tasks[0].ID, tasks[1].ID}
	if _, err := crashing.PublishResults(manager, planning.PublishRequest{IDs: ids}); err != errKilled {
		t.Fatalf("publish: %v, want it killed", err)
	}
	if n, err := svc.Intents.RollForward(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("roll forward: %d, %v; want 1", n, err)
	}
	e := mustEntry(t, svc, ids[0])
	pub, _ := svc.Results.PublishedResults(context.Background(), tasks[0].TargetID)
	if e.State != backend.ResultPublished || len(pub) != 1 || pub[0].Version != 1 {
		t.Fatalf("after the roll-forward: entry %s, public %+v", e.State, pub)
	}
	// The second was never written: still approved and pending, to publish again.
	if e := mustEntry(t, svc, ids[1]); e.State != backend.ResultPending {
		t.Fatalf("second entry %s, want pending", e.State)
	}
}

type crashRegister struct {
	backend.ResultStore
	at string
}

func (c *crashRegister) CreateResultEntry(ctx context.Context, e *backend.ResultEntry) error {
	if c.at == "CreateResultEntry" {
		return errKilled
	}
	return c.ResultStore.CreateResultEntry(ctx, e)
}

// TestRegisterSurvivesACrash: an approval killed before its register entry,
// and a correction killed before its public result, are completed by the
// roll-forward, each recorded once.
func TestRegisterSurvivesACrash(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	ctx := context.Background()

	crashing := *svc
	crashing.Register = &crashRegister{ResultStore: svc.Register, at: "CreateResultEntry"}
	tk := submitAt(t, f, tasks[0].ID, f.now.Add(-time.Hour))
	if _, err := crashing.Transition(leadReviewer, tk.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: tk.Version}); err != errKilled {
		t.Fatalf("approve: %v, want it killed", err)
	}
	if _, err := svc.Register.FindResultEntry(ctx, tk.ID); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("entry before the roll-forward: %v, want none", err)
	}
	if n, err := svc.Intents.RollForward(ctx, 0); err != nil || n != 1 {
		t.Fatalf("roll forward: %d, %v; want 1", n, err)
	}
	e := mustEntry(t, svc, tk.ID)
	if e.State != backend.ResultPending || e.ResultDate != backend.DateOf(f.now) {
		t.Fatalf("entry after the roll-forward %+v, want pending, dated by the approval", e)
	}

	if _, err := svc.PublishResults(manager, planning.PublishRequest{IDs: []string{tk.ID}}); err != nil {
		t.Fatal(err)
	}
	crashing = *svc
	crashing.Results = &crashResults{PublishedResultStore: svc.Results, at: "PutPublishedResult"}
	e = mustEntry(t, svc, tk.ID)
	if _, err := crashing.CorrectResult(manager, tk.ID, planning.EntryChange{Version: e.Version, Code: backend.ResultNoActivity, Reason: "更正"}); err != errKilled {
		t.Fatalf("correct: %v, want it killed", err)
	}
	if n, err := svc.Intents.RollForward(ctx, 0); err != nil || n != 1 {
		t.Fatalf("roll forward: %d, %v; want 1", n, err)
	}
	pub, _ := svc.Results.PublishedResults(ctx, tk.TargetID)
	if len(pub) != 1 || pub[0].Version != 2 || pub[0].Code != backend.ResultNoActivity {
		t.Fatalf("public result after the roll-forward %+v, want the correction", pub)
	}
	n := auditActions(t, svc.Audit)
	if n["result.register"] != 1 || n["result.correct"] != 1 || n["task.approved"] != 1 {
		t.Fatalf("audit %v, want one register, one approval, one correction", n)
	}
}

// TestRegisterUncoveredDeadline: a result whose 20 working days run into a
// year the calendar does not cover is registered without a deadline and
// with the calendar's sentence, listed as pending without days left, never
// overdue.
func TestRegisterUncoveredDeadline(t *testing.T) {
	f := newFixture(t, 300)
	svc := withRegister(f)
	tasks := mustDraw(t, f, manager, basePlan())
	approveAt(t, f, tasks[0].ID, time.Date(2027, 12, 20, 10, 0, 0, 0, backend.China))
	f.now = time.Date(2028, 3, 1, 9, 0, 0, 0, backend.China)
	reg := mustResults(t, svc, manager, planning.RegisterQuery{})
	if len(reg.Items) != 1 {
		t.Fatalf("%d entries, want 1", len(reg.Items))
	}
	e := reg.Items[0]
	if e.Deadline != "" || !strings.Contains(e.DeadlineError, "工作日历未收录 2028 年") || e.View != backend.ViewPending || e.DaysLeft != nil {
		t.Fatalf("entry %+v (view %s), want no deadline, the calendar's error, pending without days left", e.ResultEntry, e.View)
	}
	if reg.Counts != (backend.ResultCounts{Pending: 1}) {
		t.Fatalf("counts %+v, want one pending", reg.Counts)
	}
}
