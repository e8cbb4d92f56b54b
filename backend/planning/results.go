package planning

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The results register (backend/result.go, docs/results.md): an approved
// task's result is an entry of its lead department's register; managers
// of that department publish it (alone or in bulk), propose to withhold it
// (a second person confirms) and correct it after publication; the team
// that checked enters the follow-up. Every change of an entry is one
// audited write (the outbox); a change that also writes the task, the
// target's public results or a re-check task runs under an intent.

// Kinds of the intents of the register.
const (
	intentResult       = "result"          // an approval: the task, its register entry, the follow-up it closes
	intentBulkPublish  = "results-publish" // a bulk publication: per entry the task, the entry, the public result
	intentResultPublic = "result-public"   // a correction: the entry, then its public result
	intentRecheck      = "recheck"         // a 责令改正: the entry's follow-up, then the re-check task
)

// registerIntents gives s.Intents the roll-forward of the register.
func (s *Service) registerResultIntents() {
	s.Intents.Handle(intentResult, s.rollResult)
	s.Intents.Handle(intentBulkPublish, s.rollBulkPublish)
	s.Intents.Handle(intentResultPublic, s.rollResultPublic)
	s.Intents.Handle(intentRecheck, s.rollRecheck)
}

func (s *Service) today() backend.Date { return backend.DateOf(s.Now()) }

func (s *Service) stamp() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// approvedAt is when t's result was approved: its last approval note.
func approvedAt(t *backend.Task) time.Time {
	for i := len(t.Reviews) - 1; i >= 0; i-- {
		if t.Reviews[i].Status == backend.TaskApproved {
			return t.Reviews[i].At
		}
	}
	return t.UpdatedAt
}

// entryOf is the register entry of an approved task.
func entryOf(t *backend.Task) *backend.ResultEntry {
	e := &backend.ResultEntry{
		ID: t.ID, TargetID: t.TargetID, TargetName: t.TargetName, PlanID: t.PlanID, Random: t.Random,
		LeadDepartment: t.LeadDepartment, Departments: slices.Clone(t.Departments), Items: slices.Clone(t.Items),
		TeamUsers: slices.Clone(t.TeamUsers), ResultDate: backend.ResultDateOf(approvedAt(t)), State: backend.ResultPending,
		Versions: []backend.ResultVersion{},
	}
	if t.Trigger != nil && t.Trigger.Kind == backend.TriggerRecheck {
		e.RecheckOf = t.Trigger.Reference
	}
	if t.Result != nil {
		e.Code, e.Label, e.LabelsVersion = t.Result.Code, t.Result.Label, t.Result.LabelsVersion
	}
	if e.Label == "" {
		e.Label = e.Code.PublicLabel()
	}
	e.SetDeadline()
	return e
}

// entriesOf are the register entries of an approved task: one, or for a
// round's joint visit whose parts are led by several departments one per
// leading department, each with its parts' plan, items and departments
// (docs/results.md, "Joint checks"). The first is the visit's lead's, with
// the task's id; the others have PartEntryID ids.
func entriesOf(t *backend.Task) []*backend.ResultEntry {
	e := entryOf(t)
	if len(t.Parts) == 0 {
		return []*backend.ResultEntry{e}
	}
	var out []*backend.ResultEntry
	byDept := map[string]*backend.ResultEntry{}
	for _, p := range t.Parts {
		pe, ok := byDept[p.LeadDepartment]
		if !ok {
			pe = entryOf(t)
			pe.LeadDepartment, pe.PlanID, pe.Items, pe.Departments = p.LeadDepartment, p.PlanID, []string{}, []string{p.LeadDepartment}
			if len(out) > 0 {
				pe.ID, pe.PartOf = backend.PartEntryID(t.ID, p.LeadDepartment), t.ID
			}
			byDept[p.LeadDepartment] = pe
			out = append(out, pe)
		}
		for _, it := range p.Items {
			if !slices.Contains(pe.Items, it) {
				pe.Items = append(pe.Items, it)
			}
		}
		for _, d := range p.Departments {
			if !slices.Contains(pe.Departments, d) {
				pe.Departments = append(pe.Departments, d)
			}
		}
	}
	if len(out) == 1 {
		return []*backend.ResultEntry{e} // one department leads every part: one entry, as for any task
	}
	return out
}

// ensureEntry returns t's entry, storing it first when the approval that
// should have did not (a crash, or a task approved before the register).
func (s *Service) ensureEntry(ctx context.Context, t *backend.Task) (*backend.ResultEntry, error) {
	entries := entriesOf(t)
	for _, pe := range entries[1:] {
		if _, err := s.storeEntry(ctx, pe); err != nil {
			return nil, err
		}
	}
	return s.storeEntry(ctx, entries[0])
}

// storeEntry stores the new entry e unless an entry with its id is stored,
// and returns the stored one.
func (s *Service) storeEntry(ctx context.Context, e *backend.ResultEntry) (*backend.ResultEntry, error) {
	stored, err := s.Register.FindResultEntry(ctx, e.ID)
	if !backend.IsCode(err, backend.ENOTFOUND) {
		return stored, err
	}
	detail := fmt.Sprintf("result date %s, publication due %s", e.ResultDate, e.Deadline)
	if e.DeadlineError != "" {
		detail = fmt.Sprintf("result date %s, publication deadline unknown: %s", e.ResultDate, e.DeadlineError)
	}
	e.Audit = []backend.AuditRecord{{Action: "result.register", ObjectType: "result", ObjectID: e.ID, Change: e, Detail: detail}}
	if err := s.Register.CreateResultEntry(ctx, e); backend.IsCode(err, backend.ECONFLICT) {
		return s.Register.FindResultEntry(ctx, e.ID) // stored meanwhile
	} else if err != nil {
		return nil, err
	}
	return e, nil
}

// approve writes the approval of t (its status and note set by transition)
// and registers its result, under an intent.
func (s *Service) approve(ctx context.Context, t *backend.Task) error {
	in, err := s.Intents.Begin(ctx, intentResult, t.ID, "task", t.ID, "")
	if backend.IsCode(err, backend.ECONFLICT) {
		return backend.Errorf(backend.ECONFLICT, "task %s is being approved by someone else", t.ID)
	}
	if err != nil {
		return err
	}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			s.Intents.Done(ctx, in)
		}
		return err
	}
	if err := s.registerApproved(ctx, t); err != nil {
		return err
	}
	s.Intents.Done(ctx, in)
	return nil
}

// registerApproved stores the entry of the approved t and, for a re-check,
// closes the follow-up of the entry it re-checks. Idempotent.
func (s *Service) registerApproved(ctx context.Context, t *backend.Task) error {
	e, err := s.ensureEntry(ctx, t)
	if err != nil {
		return err
	}
	if e.RecheckOf == "" {
		return nil
	}
	return s.closeFollowUp(ctx, e)
}

// rollResult completes an approval that stopped.
func (s *Service) rollResult(ctx context.Context, in *backend.Intent) error {
	t, err := s.Tasks.FindTaskByID(ctx, in.ObjectID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.Status != backend.TaskApproved && t.Status != backend.TaskPublished {
		return nil // the approval was never written
	}
	return s.registerApproved(ctx, t)
}

// closeFollowUp records the re-check rc's result on the entry it
// re-checks: the follow-up is closed with the outcome, and a problem found
// corrected makes the result 发现问题经责令已改正 (a new public version when
// the entry is published).
func (s *Service) closeFollowUp(ctx context.Context, rc *backend.ResultEntry) error {
	for range maxRetries {
		orig, err := s.Register.FindResultEntry(ctx, rc.RecheckOf)
		if err != nil {
			return err
		}
		f := orig.FollowUp
		if f == nil || f.RecheckTaskID != rc.ID || f.ClosedAt != nil {
			return nil // done, or not this re-check's
		}
		at := s.stamp()
		closed := *f
		closed.Outcome, closed.ClosedAt = rc.Code, &at
		orig.FollowUp = &closed
		detail := fmt.Sprintf("re-check %s: %s", rc.ID, rc.Code.PublicLabel())
		code := orig.Code
		if rc.Code == backend.ResultNoProblem {
			code = backend.ResultRectified
		}
		public := false
		switch {
		case orig.State == backend.ResultPublished:
			public = true
			reason := fmt.Sprintf("复查（%s）：%s", rc.ResultDate, rc.Code.PublicLabel())
			if err := addVersion(orig, code, reason, actorName(ctx), at); err != nil {
				return err
			}
		default:
			orig.Code, orig.Label = code, code.PublicLabel()
		}
		orig.Audit = []backend.AuditRecord{{Action: "result.follow-up.close", ObjectType: "result", ObjectID: orig.ID, Change: orig, Detail: detail}}
		err = s.Register.UpdateResultEntry(ctx, orig)
		if backend.IsCode(err, backend.ECONFLICT) {
			continue
		}
		if err != nil {
			return err
		}
		if public {
			return s.putPublic(ctx, orig)
		}
		return nil
	}
	return backend.Errorf(backend.ECONFLICT, "result %s keeps changing; try again", rc.RecheckOf)
}

const maxRetries = 5

func actorName(ctx context.Context) string {
	if a := actorOf(ctx); a != nil {
		return a.UserID
	}
	return ""
}

// addVersion makes a new public version of e: code, reason, now.
func addVersion(e *backend.ResultEntry, code backend.ResultCode, reason, by string, at time.Time) error {
	if len(e.Versions) >= backend.MaxResultVersions {
		return backend.Errorf(backend.EINVALID, "result %s has %d public versions, the most one result has", e.ID, backend.MaxResultVersions)
	}
	e.Code, e.Label = code, code.PublicLabel()
	if code != backend.ResultRectified {
		e.LabelsVersion = backend.ResultLabelsVersion
	}
	e.Versions = append(e.Versions, backend.ResultVersion{N: len(e.Versions) + 1, Code: code, Label: e.Label, LabelsVersion: backend.ResultLabelsVersion,
		FollowUp: e.FollowUpText(), Reason: reason, PublishedAt: at, PublishedBy: by})
	return nil
}

// putPublic writes e's current public version to its target's results.
func (s *Service) putPublic(ctx context.Context, e *backend.ResultEntry) error {
	if s.Results == nil || e.State != backend.ResultPublished {
		return nil
	}
	return s.Results.PutPublishedResult(ctx, e.TargetID, backend.PublishedOf(e))
}

// publishEntry makes the published task t's entry public (version 1) and
// writes its public result. Idempotent: the roll-forward calls it.
func (s *Service) publishEntry(ctx context.Context, t *backend.Task) error {
	for range maxRetries {
		e, err := s.ensureEntry(ctx, t)
		if err != nil {
			return err
		}
		if e.State == backend.ResultPublished {
			return s.putPublic(ctx, e)
		}
		by := actorName(ctx)
		if err := addVersion(e, e.Code, "", by, s.stamp()); err != nil {
			return err
		}
		from := e.State
		e.State, e.Withholding = backend.ResultPublished, nil
		e.Audit = []backend.AuditRecord{{Action: "result.publish", ObjectType: "result", ObjectID: e.ID, Change: e,
			Detail: fmt.Sprintf("%s -> published, version 1: %s", from, e.Label)}}
		err = s.Register.UpdateResultEntry(ctx, e)
		if backend.IsCode(err, backend.ECONFLICT) {
			continue
		}
		if err != nil {
			return err
		}
		return s.putPublic(ctx, e)
	}
	return backend.Errorf(backend.ECONFLICT, "result %s keeps changing; try again", t.ID)
}

// checkPublishable refuses the publication of a task whose entry is
// withheld or proposed for withholding.
func (s *Service) checkPublishable(ctx context.Context, t *backend.Task) error {
	if s.Register == nil {
		return nil
	}
	e, err := s.Register.FindResultEntry(ctx, t.ID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	return notWithheld(e)
}

// notWithheld refuses to publish an entry withheld or proposed for
// withholding.
func notWithheld(e *backend.ResultEntry) error {
	switch e.State {
	case backend.ResultWithheld:
		return backend.Errorf(backend.EINVALID, "the result of task %s is withheld (依法不予公开): it is not published", e.ID)
	case backend.ResultWithholdProposed:
		return backend.Errorf(backend.EINVALID, "withholding the result of task %s is proposed: confirm or reject that first", e.ID)
	}
	return nil
}

// RegisterEntry is an entry as the register shows it on a day: its view
// and the working days left until its deadline.
type RegisterEntry struct {
	*backend.ResultEntry
	View backend.RegisterView `json:"view" enum:"pending,overdue,withhold-proposed,withheld,published"`
	// DaysLeft are the working days from today to the deadline (0 on the
	// day itself), for a pending entry whose deadline is known.
	DaysLeft *int `json:"daysLeft,omitempty"`
}

// RegisterQuery selects a part of a register.
type RegisterQuery struct {
	Department string // one of the caller's departments; empty: all of them
	View       backend.RegisterView
	PlanID     string
	Code       backend.ResultCode
	From, To   backend.Date // result date
}

// Register is one page of a register with its counts.
type Register struct {
	Today  backend.Date         `json:"today"`
	Counts backend.ResultCounts `json:"counts"`
	Items  []*RegisterEntry     `json:"items"`
	Next   string               `json:"nextCursor,omitempty"`
}

// registerDepartments are the departments whose register the caller reads:
// the one asked (theirs), or all of theirs; every one for an admin.
func registerDepartments(a *backend.Actor, dept string) ([]string, error) {
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "sign in to read a register")
	}
	switch {
	case a.Role == backend.RoleAdmin && dept == "":
		return nil, nil
	case a.Role == backend.RoleAdmin:
		return []string{dept}, nil
	case a.Role != backend.RoleManager && a.Role != backend.RoleReviewer:
		return nil, backend.Errorf(backend.EFORBIDDEN, "the results register is for managers and reviewers")
	case dept == "":
		return slices.Clone(a.Departments), nil
	case a.InDepartment(dept):
		return []string{dept}, nil
	}
	return nil, backend.Errorf(backend.EFORBIDDEN, "the register of %s is not yours to read", dept)
}

// ListRegister returns a page of the caller's register.
func (s *Service) ListRegister(ctx context.Context, q RegisterQuery, page backend.PageRequest) (*Register, error) {
	depts, err := registerDepartments(actorOf(ctx), q.Department)
	if err != nil {
		return nil, err
	}
	today := s.today()
	f, err := filterOf(q.View, q.PlanID, q.Code, q.From, q.To, today)
	if err != nil {
		return nil, err
	}
	f.Departments = depts
	p, err := s.Register.FindResultEntries(ctx, f, page)
	if err != nil {
		return nil, err
	}
	counts, err := s.Register.CountResultEntries(ctx, depts, today)
	if err != nil {
		return nil, err
	}
	out := &Register{Today: today, Counts: counts, Items: make([]*RegisterEntry, 0, len(p.Items)), Next: p.NextCursor}
	for _, e := range p.Items {
		out.Items = append(out.Items, registerEntry(e, today))
	}
	return out, nil
}

func registerEntry(e *backend.ResultEntry, today backend.Date) *RegisterEntry {
	r := &RegisterEntry{ResultEntry: e, View: e.View(today)}
	if r.View == backend.ViewPending && e.Deadline != "" {
		if n, err := backend.WorkingDaysBetween(today, e.Deadline); err == nil {
			r.DaysLeft = &n
		}
	}
	return r
}

// filterOf checks a list's filters and turns them into the store's.
func filterOf(view backend.RegisterView, plan string, code backend.ResultCode, from, to, today backend.Date) (backend.ResultFilter, error) {
	f := backend.ResultFilter{PlanID: plan, Code: code, From: from, To: to}
	switch {
	case view != "" && !view.Valid():
		return f, backend.Errorf(backend.EINVALID, "view %q is not one of: pending, overdue, withhold-proposed, withheld, published", view)
	case code != "" && !code.Valid() && code != backend.ResultRectified:
		return f, backend.Errorf(backend.EINVALID, "result category %q is not an official one", code)
	case from != "" && !from.Valid(), to != "" && !to.Valid():
		return f, backend.Errorf(backend.EINVALID, "from and to are dates (YYYY-MM-DD)")
	case from != "" && to != "" && from > to:
		return f, backend.Errorf(backend.EINVALID, "from %s is after to %s", from, to)
	case len(plan) > 100:
		return f, backend.Errorf(backend.EINVALID, "the plan id is too long")
	}
	switch view {
	case backend.ViewPending:
		f.States, f.DeadlineFrom = []backend.ResultState{backend.ResultPending}, today
	case backend.ViewOverdue:
		f.States, f.DeadlineBefore = []backend.ResultState{backend.ResultPending}, today
	case backend.ViewWithholdProposed:
		f.States = []backend.ResultState{backend.ResultWithholdProposed}
	case backend.ViewWithheld:
		f.States = []backend.ResultState{backend.ResultWithheld}
	case backend.ViewPublished:
		f.States = []backend.ResultState{backend.ResultPublished}
	}
	return f, nil
}

// GetResultEntry returns one entry of a register the caller reads.
func (s *Service) GetResultEntry(ctx context.Context, id string) (*RegisterEntry, error) {
	a := actorOf(ctx)
	e, err := s.Register.FindResultEntry(ctx, id)
	if err != nil {
		return nil, err
	}
	if a == nil || !(a.Role == backend.RoleAdmin || slices.Contains(e.TeamUsers, a.UserID) || slices.ContainsFunc(e.Departments, a.InDepartment)) {
		return nil, backend.Errorf(backend.ENOTFOUND, "result %q not found", id)
	}
	return registerEntry(e, s.today()), nil
}

// PublishRequest publishes entries of the caller's register.
type PublishRequest struct {
	IDs []string `json:"ids" doc:"the entries (task ids) to publish, 1 to 100; each must be pending"`
}

// PublishResults publishes the entries ids (1 to MaxBulkPublish) under one
// intent: each task becomes published, its entry's version 1 public, its
// target's public results updated. Every entry is checked before any is
// written: one the caller may not publish refuses them all.
func (s *Service) PublishResults(ctx context.Context, req PublishRequest) ([]*RegisterEntry, error) {
	a := actorOf(ctx)
	if len(req.IDs) == 0 || len(req.IDs) > backend.MaxBulkPublish {
		return nil, backend.Errorf(backend.EINVALID, "a publication takes 1 to %d results", backend.MaxBulkPublish)
	}
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	seen := map[string]bool{}
	tasks := make([]*backend.Task, 0, len(req.IDs))
	var parts []*backend.ResultEntry // entries of joint visits' parts: no task of their own
	for _, id := range req.IDs {
		if seen[id] {
			return nil, backend.Errorf(backend.EINVALID, "result %s is listed twice", id)
		}
		seen[id] = true
		if part, err := s.Register.FindResultEntry(ctx, id); err == nil && part.PartOf != "" {
			if err := s.checkPartPublishable(ctx, a, part); err != nil {
				return nil, err
			}
			parts = append(parts, part)
			continue
		}
		t, err := s.Tasks.FindTaskByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := s.CheckMove(ctx, a, t, backend.TaskPublished); err != nil {
			if backend.IsCode(err, backend.EFORBIDDEN) {
				_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "result.publish", ObjectType: "result", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
			}
			return nil, err
		}
		if err := s.checkPublishable(ctx, t); err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	nonce, err := s.random(8)
	if err != nil {
		return nil, err
	}
	in, err := s.Intents.BeginWith(ctx, intentBulkPublish, hex.EncodeToString(nonce), "result", req.IDs[0], fmt.Sprintf("%d results", len(req.IDs)), req.IDs)
	if err != nil {
		return nil, err
	}
	out := make([]*RegisterEntry, 0, len(req.IDs))
	for _, e := range parts {
		pub, err := s.publishPart(ctx, e)
		if err != nil {
			return nil, err
		}
		out = append(out, registerEntry(pub, s.today()))
	}
	for _, t := range tasks {
		t.Status = backend.TaskPublished
		t.Audit = []backend.AuditRecord{{Action: "task." + string(backend.TaskPublished), ObjectType: "task", ObjectID: t.ID, Change: t,
			Detail: fmt.Sprintf("%s -> %s (bulk publication of %d)", backend.TaskApproved, backend.TaskPublished, len(tasks))}}
		if err := s.Tasks.UpdateTask(ctx, t); err != nil {
			// The ones before are published; the intent completes their
			// entries if this process stops; the caller learns which failed.
			if backend.IsCode(err, backend.ECONFLICT) {
				return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else while publishing; the results before it are published, publish again the rest", t.ID)
			}
			return nil, err
		}
		if err := s.publishEntry(ctx, t); err != nil {
			return nil, err
		}
		e, err := s.Register.FindResultEntry(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, registerEntry(e, s.today()))
	}
	s.Intents.Done(ctx, in)
	return out, nil
}

// checkPartPublishable refuses the publication of a joint visit's part
// entry by anyone but a manager of its lead department who did not
// inspect, and of an entry that is not pending.
func (s *Service) checkPartPublishable(ctx context.Context, a *backend.Actor, e *backend.ResultEntry) error {
	if err := s.mayChange(ctx, a, e, "result.publish", false); err != nil {
		return err
	}
	if e.State == backend.ResultPublished {
		return backend.Errorf(backend.EINVALID, "result %s is published", e.ID)
	}
	return notWithheld(e)
}

// publishPart makes a joint visit's part entry public (version 1) and
// writes its public result; the visit's task is published with its lead's
// entry, not here.
func (s *Service) publishPart(ctx context.Context, e *backend.ResultEntry) (*backend.ResultEntry, error) {
	if err := addVersion(e, e.Code, "", actorName(ctx), s.stamp()); err != nil {
		return nil, err
	}
	from := e.State
	e.State, e.Withholding = backend.ResultPublished, nil
	e.Audit = []backend.AuditRecord{{Action: "result.publish", ObjectType: "result", ObjectID: e.ID, Change: e,
		Detail: fmt.Sprintf("%s -> published, version 1 (part of %s): %s", from, e.PartOf, e.Label)}}
	if err := s.Register.UpdateResultEntry(ctx, e); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "result %s was changed by someone else while publishing; the results before it are published, publish again the rest", e.ID)
		}
		return nil, err
	}
	return e, s.putPublic(ctx, e)
}

// rollBulkPublish completes a bulk publication that stopped: each of its
// tasks already published gets its entry and public result, each part
// entry published its public result.
func (s *Service) rollBulkPublish(ctx context.Context, in *backend.Intent) error {
	for _, id := range in.Objects {
		if e, err := s.Register.FindResultEntry(ctx, id); err == nil && e.PartOf != "" {
			if err := s.putPublic(ctx, e); err != nil {
				return err
			}
			continue
		}
		t, err := s.Tasks.FindTaskByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		if t.Status == backend.TaskPublished {
			if err := s.publishEntry(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// EntryChange is a change of one entry: the version read and, as the
// change needs, a reason and a new category.
type EntryChange struct {
	Version int64              `json:"version" doc:"the entry's version as read"`
	Reason  string             `json:"reason,omitempty" doc:"why: required to propose withholding and to correct (at most 1000 bytes)"`
	Code    backend.ResultCode `json:"code,omitempty" doc:"a correction's new result category" enum:"no-problem,corrected,follow-up,not-disclosed,unreachable,obstructed,no-activity,closed,deregistered,rectified"`
}

// mayChange checks that a may change entry e (action): a manager of its
// lead department, or with reviewer also a reviewer, who did not inspect.
// A refusal is audited.
func (s *Service) mayChange(ctx context.Context, a *backend.Actor, e *backend.ResultEntry, action string, reviewer bool) error {
	deny := func(format string, args ...any) error {
		err := backend.Errorf(backend.EFORBIDDEN, format, args...)
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "result", ObjectID: e.ID, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return err
	}
	roleOK := a.Role == backend.RoleManager || reviewer && a.Role == backend.RoleReviewer
	if !roleOK || !a.InDepartment(e.LeadDepartment) {
		return deny("only managers of the lead department %s may do this", e.LeadDepartment)
	}
	if slices.Contains(e.TeamUsers, a.UserID) {
		return deny("you are on the team of task %s: its publication is decided by someone who did not inspect", e.ID)
	}
	return nil
}

// changeEntry reads entry id, checks that a may make the change (a
// manager of the lead department, or with reviewer also a reviewer, who
// did not inspect), applies it and writes it with its record.
func (s *Service) changeEntry(ctx context.Context, id, action string, version int64, reviewer bool, apply func(a *backend.Actor, e *backend.ResultEntry) (string, error)) (*backend.ResultEntry, error) {
	a := actorOf(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	e, err := s.Register.FindResultEntry(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayChange(ctx, a, e, action, reviewer); err != nil {
		return nil, err
	}
	if version != e.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "result %s was changed by someone else; reload and try again", id)
	}
	detail, err := apply(a, e)
	if err != nil {
		return nil, err
	}
	e.Audit = []backend.AuditRecord{{Action: action, ObjectType: "result", ObjectID: id, Change: e, Detail: detail}}
	if err := s.Register.UpdateResultEntry(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// ProposeWithhold proposes not to publish a pending result (依法不予公开),
// with the reason; a second person confirms (ConfirmWithhold).
func (s *Service) ProposeWithhold(ctx context.Context, id string, c EntryChange) (*RegisterEntry, error) {
	if err := backend.CheckReason(c.Reason); err != nil {
		return nil, err
	}
	e, err := s.changeEntry(ctx, id, "result.withhold.propose", c.Version, false, func(a *backend.Actor, e *backend.ResultEntry) (string, error) {
		if e.State != backend.ResultPending {
			return "", backend.Errorf(backend.EINVALID, "result %s is %s: only a pending result can be withheld", id, e.State)
		}
		e.State = backend.ResultWithholdProposed
		e.Withholding = &backend.Withholding{Reason: strings.TrimSpace(c.Reason), ProposedBy: a.UserID, ProposedAt: s.stamp()}
		return "pending -> withhold-proposed: " + e.Withholding.Reason, nil
	})
	if err != nil {
		return nil, err
	}
	return registerEntry(e, s.today()), nil
}

// ConfirmWithhold confirms a proposal to withhold: by a manager or a
// reviewer of the lead department who is not the one who proposed it.
func (s *Service) ConfirmWithhold(ctx context.Context, id string, c EntryChange) (*RegisterEntry, error) {
	e, err := s.changeEntry(ctx, id, "result.withhold.confirm", c.Version, true, func(a *backend.Actor, e *backend.ResultEntry) (string, error) {
		if e.State != backend.ResultWithholdProposed || e.Withholding == nil {
			return "", backend.Errorf(backend.EINVALID, "result %s is %s: there is no proposal to withhold it", id, e.State)
		}
		if e.Withholding.ProposedBy == a.UserID {
			return "", backend.Errorf(backend.EFORBIDDEN, "you proposed to withhold result %s: a second person confirms it", id)
		}
		at := s.stamp()
		e.State, e.Withholding.ConfirmedBy, e.Withholding.ConfirmedAt = backend.ResultWithheld, a.UserID, &at
		return fmt.Sprintf("withhold-proposed -> withheld (proposed by %s): %s", e.Withholding.ProposedBy, e.Withholding.Reason), nil
	})
	if err != nil {
		if backend.IsCode(err, backend.EFORBIDDEN) && strings.Contains(backend.ErrorMessage(err), "second person") {
			_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "result.withhold.confirm", ObjectType: "result", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		}
		return nil, err
	}
	return registerEntry(e, s.today()), nil
}

// RejectWithhold rejects a proposal to withhold: the result is pending
// again (the proposal stays in the audit log).
func (s *Service) RejectWithhold(ctx context.Context, id string, c EntryChange) (*RegisterEntry, error) {
	e, err := s.changeEntry(ctx, id, "result.withhold.reject", c.Version, true, func(a *backend.Actor, e *backend.ResultEntry) (string, error) {
		if e.State != backend.ResultWithholdProposed || e.Withholding == nil {
			return "", backend.Errorf(backend.EINVALID, "result %s is %s: there is no proposal to withhold it", id, e.State)
		}
		w := e.Withholding
		e.State, e.Withholding = backend.ResultPending, nil
		return fmt.Sprintf("withhold-proposed -> pending (proposed by %s: %s)", w.ProposedBy, w.Reason), nil
	})
	if err != nil {
		return nil, err
	}
	return registerEntry(e, s.today()), nil
}

// CorrectResult corrects a published result: a new public version with the
// new category and the reason; the earlier versions stay public.
func (s *Service) CorrectResult(ctx context.Context, id string, c EntryChange) (*RegisterEntry, error) {
	if err := backend.CheckReason(c.Reason); err != nil {
		return nil, err
	}
	if !c.Code.Valid() && c.Code != backend.ResultRectified {
		return nil, backend.Errorf(backend.EINVALID, "result category %q is not an official one", c.Code)
	}
	in, err := s.Intents.Begin(ctx, intentResultPublic, fmt.Sprintf("%s/%d", id, c.Version), "result", id, "correction")
	if backend.IsCode(err, backend.ECONFLICT) {
		return nil, backend.Errorf(backend.ECONFLICT, "result %s is being corrected by someone else", id)
	}
	if err != nil {
		return nil, err
	}
	e, err := s.changeEntry(ctx, id, "result.correct", c.Version, false, func(a *backend.Actor, e *backend.ResultEntry) (string, error) {
		if e.State != backend.ResultPublished {
			return "", backend.Errorf(backend.EINVALID, "result %s is %s: only a published result is corrected (before, the reviewers return the task)", id, e.State)
		}
		from := e.Code
		if err := addVersion(e, c.Code, strings.TrimSpace(c.Reason), a.UserID, s.stamp()); err != nil {
			return "", err
		}
		return fmt.Sprintf("version %d: %s -> %s: %s", len(e.Versions), from, c.Code, strings.TrimSpace(c.Reason)), nil
	})
	if err != nil {
		s.Intents.Done(ctx, in)
		return nil, err
	}
	return s.complete(ctx, in, e, s.putPublic)
}

// complete makes the writes that follow an entry's (rest, idempotent: the
// roll-forward of in makes them again if this process stops) and ends
// the intent.
func (s *Service) complete(ctx context.Context, in *backend.Intent, e *backend.ResultEntry, rest func(context.Context, *backend.ResultEntry) error) (*RegisterEntry, error) {
	if err := rest(ctx, e); err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, in)
	return registerEntry(e, s.today()), nil
}

// rollResultPublic writes an entry's current public version to its
// target's results (a correction that stopped after its entry).
func (s *Service) rollResultPublic(ctx context.Context, in *backend.Intent) error {
	return s.withEntry(ctx, in.ObjectID, s.putPublic)
}

// withEntry runs fn on the stored entry id; none stored is nothing to do.
func (s *Service) withEntry(ctx context.Context, id string, fn func(context.Context, *backend.ResultEntry) error) error {
	e, err := s.Register.FindResultEntry(ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	return fn(ctx, e)
}

// RecheckID is the id of the re-check task of entry id.
func RecheckID(id string) string { return id + "-fc" }

// RecheckWorkingDays is how long after the rectification deadline a
// re-check is due.
const RecheckWorkingDays = 10

// SetFollowUp records the follow-up of a result: entered by the team that
// checked (谁检查、谁录入), once. 责令改正 creates the re-check task (复查)
// for the same team, from the working day after the deadline, due
// RecheckWorkingDays working days after it. On a published result the
// follow-up is published as a new version.
func (s *Service) SetFollowUp(ctx context.Context, id string, in backend.FollowUpInput) (*RegisterEntry, error) {
	a := actorOf(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	e, err := s.Register.FindResultEntry(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != backend.RoleInspector || !slices.Contains(e.TeamUsers, a.UserID) {
		err := backend.Errorf(backend.EFORBIDDEN, "the follow-up is entered by the team that checked (谁检查、谁录入)")
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "result.follow-up", ObjectType: "result", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	if e.FollowUp != nil {
		return nil, backend.Errorf(backend.ECONFLICT, "the follow-up of result %s is entered: %s", id, e.FollowUp.Action.Label())
	}
	if err := in.Validate(e.ResultDate); err != nil {
		return nil, err
	}
	var rc *backend.Task
	if in.Action == backend.FollowUpRectify {
		orig, err := s.Tasks.FindTaskByID(ctx, e.TaskID())
		if err != nil {
			return nil, err
		}
		if rc, err = recheckTask(orig, e, in.Deadline); err != nil {
			return nil, err
		}
	}
	f := &backend.FollowUp{Action: in.Action, Label: in.Action.Label(), Deadline: in.Deadline, Department: strings.TrimSpace(in.Department),
		Note: in.Note, EnteredBy: a.UserID, EnteredAt: s.stamp()}
	if rc != nil {
		f.RecheckTaskID = rc.ID
	}
	var intent *backend.Intent
	if rc != nil || e.State == backend.ResultPublished {
		intent, err = s.Intents.Begin(ctx, intentRecheck, id, "result", id, string(in.Action))
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "the follow-up of result %s is being entered", id)
		}
		if err != nil {
			return nil, err
		}
	}
	e.FollowUp = f
	detail := f.Label
	if e.State == backend.ResultPublished {
		if err := addVersion(e, e.Code, "后续处置："+e.FollowUpText(), a.UserID, s.stamp()); err != nil {
			s.Intents.Done(ctx, intent)
			return nil, err
		}
		detail += fmt.Sprintf(", published as version %d", len(e.Versions))
	}
	if rc != nil {
		detail += fmt.Sprintf(": deadline %s, re-check %s due %s", f.Deadline, rc.ID, rc.Due)
	}
	e.Audit = []backend.AuditRecord{{Action: "result.follow-up", ObjectType: "result", ObjectID: id, Change: e, Detail: detail}}
	if err := s.Register.UpdateResultEntry(ctx, e); err != nil {
		s.Intents.Done(ctx, intent)
		return nil, err
	}
	return s.complete(ctx, intent, e, s.completeFollowUp)
}

// completeFollowUp makes the writes after an entry's follow-up: its
// re-check task and its public result. Idempotent.
func (s *Service) completeFollowUp(ctx context.Context, e *backend.ResultEntry) error {
	if f := e.FollowUp; f != nil && f.RecheckTaskID != "" {
		_, err := s.Tasks.FindTaskByID(ctx, f.RecheckTaskID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			orig, err := s.Tasks.FindTaskByID(ctx, e.TaskID())
			if err != nil {
				return err
			}
			rc, err := recheckTask(orig, e, f.Deadline)
			if err != nil {
				return err
			}
			rc.Audit = []backend.AuditRecord{{Action: "task.recheck", ObjectType: "task", ObjectID: rc.ID, Change: rc,
				Detail: fmt.Sprintf("复查 of %s (责令改正 by %s), due %s", e.ID, f.Deadline, rc.Due)}}
			if err := s.Tasks.CreateTasks(ctx, []*backend.Task{rc}); err != nil && !backend.IsCode(err, backend.ECONFLICT) {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return s.putPublic(ctx, e)
}

// rollRecheck completes a follow-up that stopped after its entry.
func (s *Service) rollRecheck(ctx context.Context, in *backend.Intent) error {
	return s.withEntry(ctx, in.ObjectID, s.completeFollowUp)
}

// recheckTask is the re-check (复查) of entry e of task orig after a
// 责令改正 with deadline: the same target and team, the entry's items (of
// a joint visit: its department's parts), their checklist, its lead and
// departments; not drawn at random. Its id is RecheckID(e.ID), so each
// department's part of a joint visit has its own.
func recheckTask(orig *backend.Task, e *backend.ResultEntry, deadline backend.Date) (*backend.Task, error) {
	start, err := backend.AddWorkingDays(deadline, 1)
	if err != nil {
		return nil, err
	}
	due, err := backend.AddWorkingDays(deadline, RecheckWorkingDays)
	if err != nil {
		return nil, err
	}
	checklist := []backend.ChecklistRef{}
	for _, c := range orig.Checklist {
		if slices.Contains(e.Items, c.Item) {
			checklist = append(checklist, c)
		}
	}
	return &backend.Task{
		ID: RecheckID(e.ID), Random: false,
		Trigger:  &backend.Trigger{Kind: backend.TriggerRecheck, Reference: e.ID, Reason: fmt.Sprintf("责令改正（限期 %s）后复查", deadline)},
		TargetID: orig.TargetID, TargetName: orig.TargetName, Items: slices.Clone(e.Items), Method: orig.Method,
		LeadDepartment: e.LeadDepartment, Departments: slices.Clone(e.Departments),
		Team: slices.Clone(orig.Team), TeamUsers: slices.Clone(e.TeamUsers), Batch: "recheck",
		Start: start, End: due, Due: due, Checklist: checklist, Status: backend.TaskAssigned,
	}, nil
}

// RegisterApproved registers the result of an approved or published task
// that has no register entry: one approved before the register existed,
// or last year's work brought in (the demo's). Administrators and the
// system only; an entry already stored is returned as it is.
func (s *Service) RegisterApproved(ctx context.Context, taskID string) (*backend.ResultEntry, error) {
	if a := actorOf(ctx); a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	} else if a.Role != backend.RoleAdmin {
		return nil, backend.Errorf(backend.EFORBIDDEN, "results are registered by their approval; only administrators register older ones")
	}
	t, err := s.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if t.Status != backend.TaskApproved && t.Status != backend.TaskPublished {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: only an approved result is registered", t.ID, t.Status)
	}
	if err := s.registerApproved(ctx, t); err != nil {
		return nil, err
	}
	e, err := s.Register.FindResultEntry(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	if t.Status == backend.TaskPublished && e.State != backend.ResultPublished {
		// Published before the register: its public result is the task's.
		if err := s.publishEntry(ctx, t); err != nil {
			return nil, err
		}
		return s.Register.FindResultEntry(ctx, t.ID)
	}
	return e, nil
}

// RegisterOlder registers the results of tasks approved before the
// register (RegisterApproved), 1 to MaxBulkPublish at a time.
func (s *Service) RegisterOlder(ctx context.Context, ids []string) ([]*backend.ResultEntry, error) {
	if len(ids) == 0 || len(ids) > backend.MaxBulkPublish {
		return nil, backend.Errorf(backend.EINVALID, "registering takes 1 to %d tasks", backend.MaxBulkPublish)
	}
	out := make([]*backend.ResultEntry, 0, len(ids))
	for _, id := range ids {
		e, err := s.RegisterApproved(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
