package planning

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// tasksFor builds one task per selected target: every item of the plan, the
// references of its checklist, the team and its logins, the batch and due date.
func (s *Service) tasksFor(ctx context.Context, p *backend.Plan, items []*backend.Item, d *backend.Draw, sel []draw.Selection, targets map[string]*backend.Target, now time.Time) ([]*backend.Task, error) {
	checklist, err := s.checklist(ctx, items)
	if err != nil {
		return nil, err
	}
	teams := make([][]string, len(sel))
	for i, x := range sel {
		teams[i] = x.Team
	}
	users, err := s.teamLogins(ctx, teams)
	if err != nil {
		return nil, err
	}
	tasks := make([]*backend.Task, 0, len(sel))
	for i, x := range sel {
		b := p.Batches[i*len(p.Batches)/len(sel)]
		t := &backend.Task{
			ID: fmt.Sprintf("%s-%05d", d.ID, x.Order), PlanID: p.ID, PlanVersion: p.PublicVersion, DrawID: d.ID, Random: true,
			TargetID: x.ID, TargetName: targets[x.ID].Name, Stratum: x.Stratum, PRN: x.PRN, Order: x.Order,
			Items: slices.Clone(p.Items), Method: p.Method, LeadDepartment: p.LeadDepartment, Departments: slices.Clone(p.Departments),
			Batch: b.Name, Start: b.Start, End: b.End, Due: due(b, now), Checklist: checklist, Status: backend.TaskAssigned,
		}
		setTeam(t, x.Assignment, users)
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// setTeam puts an assignment's team on a task.
func setTeam(t *backend.Task, a draw.Assignment, users map[string]string) {
	t.Team = slices.Clone(a.Team)
	if t.Team == nil {
		t.Team = []string{}
	}
	t.TeamUsers = []string{}
	for _, id := range t.Team {
		if u := users[id]; u != "" {
			t.TeamUsers = append(t.TeamUsers, u)
		}
	}
	t.Unassigned = a.Unassigned
}

// due is when a task of batch b issued now must be done: DueDays after the
// later of today and the batch start, and no later than the batch end.
func due(b backend.Batch, now time.Time) backend.Date {
	from := backend.DateOf(now)
	if b.Start > from {
		from = b.Start
	}
	day, _ := time.ParseInLocation(time.DateOnly, string(from), backend.China)
	d := backend.DateOf(day.AddDate(0, 0, b.DueDays))
	if d > b.End {
		d = b.End
	}
	return d
}

// checklist names the current template version of each item, checking
// that the templates exist and merge into one form.
func (s *Service) checklist(ctx context.Context, items []*backend.Item) ([]backend.ChecklistRef, error) {
	tpls := make([]*backend.ChecklistTemplate, len(items))
	for i, it := range items {
		t, err := s.Items.FindTemplate(ctx, it.Code, it.TemplateVersion)
		if err != nil {
			return nil, err
		}
		tpls[i] = t
	}
	cl, err := backend.MergeChecklists(items, tpls)
	if err != nil {
		return nil, err
	}
	return cl.Refs(), nil
}

// teamLogins maps the inspectors on the teams to their logins.
func (s *Service) teamLogins(ctx context.Context, teams [][]string) (map[string]string, error) {
	users := map[string]string{}
	for _, team := range teams {
		for _, id := range team {
			if _, done := users[id]; done {
				continue
			}
			in, err := s.Inspectors.FindInspectorByID(ctx, id)
			if err != nil {
				return nil, err
			}
			users[id] = in.UserID
		}
	}
	return users, nil
}

// GetTask returns a task to someone allowed to see it, as they may read
// it (a department reads only its parts of a round's joint visit until it
// is published: Task.ViewFor). Others are told it does not exist, so that
// task ids cannot be probed.
func (s *Service) GetTask(ctx context.Context, id string) (*backend.Task, error) {
	t, err := s.visibleTask(ctx, id)
	if err != nil {
		return nil, err
	}
	return t.ViewFor(actorOf(ctx)), nil
}

// visibleTask reads a task whole for a change by someone allowed to see
// it; what it returns is never to be sent (GetTask sends).
func (s *Service) visibleTask(ctx context.Context, id string) (*backend.Task, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	t, err := s.Tasks.FindTaskByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.VisibleTo(a) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", id)
	}
	return t, nil
}

// TaskQuery narrows a task list.
type TaskQuery struct {
	PlanID   string
	DrawID   string
	Statuses []backend.TaskStatus
	Batch    string // the plan batch's name
	// Department narrows to the tasks of one department: for anyone but
	// an administrator, one of the caller's (another gives an empty list).
	Department string
	Member     string // an inspector id on the team
	Unplanned  bool   // only ad-hoc tasks, not drawn at random
	Overdue    bool   // open tasks whose due day has passed (Asia/Shanghai)
	// Sort is "" (id order) or "due" (the earliest due day first).
	Sort string
}

// ListTasks lists the tasks the caller may see: inspectors their own,
// managers and reviewers their departments', administrators all.
func (s *Service) ListTasks(ctx context.Context, q TaskQuery, page backend.PageRequest) (*backend.Page[*backend.Task], error) {
	a, f, none, err := s.taskFilter(ctx, q)
	if err != nil {
		return nil, err
	}
	if none {
		return &backend.Page[*backend.Task]{Items: []*backend.Task{}}, nil
	}
	ts, err := s.Tasks.FindTasks(ctx, f, page)
	if err != nil {
		return nil, err
	}
	for i, t := range ts.Items {
		ts.Items[i] = t.ViewFor(a)
	}
	return ts, nil
}

// MaxTaskExport is the most tasks one export of the task list holds.
const MaxTaskExport = 10000

// TaskExport is an export of the task list whose query was checked:
// Each reads its tasks.
type TaskExport struct {
	s    *Service
	a    *backend.Actor
	f    backend.TaskFilter
	none bool
}

// ExportTasks checks q as ListTasks does and returns the export of the
// tasks it selects, for the caller, in id order (the export ignores
// q.Sort once checked).
func (s *Service) ExportTasks(ctx context.Context, q TaskQuery) (*TaskExport, error) {
	a, f, none, err := s.taskFilter(ctx, q)
	if err != nil {
		return nil, err
	}
	f.OrderByDue = false
	return &TaskExport{s: s, a: a, f: f, none: none}, nil
}

// errEnough stops a scan of tasks that has read what it needs.
var errEnough = errors.New("enough tasks read")

// Each calls fn with each task of the export, as the caller may see it,
// at most limit of them, and reports whether more matched.
func (x *TaskExport) Each(ctx context.Context, limit int, fn func(*backend.Task) error) (more bool, err error) {
	if x.none {
		return false, nil
	}
	n := 0
	err = x.s.Tasks.ScanTasks(ctx, x.f, func(t *backend.Task) error {
		if n == limit {
			more = true
			return errEnough
		}
		n++
		return fn(t.ViewFor(x.a))
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return more, err
}

// taskFilter checks q and turns it into the store's filter for the
// caller; none says that nothing can match (a department not the
// caller's, overdue without an open status).
func (s *Service) taskFilter(ctx context.Context, q TaskQuery) (a *backend.Actor, f backend.TaskFilter, none bool, err error) {
	a = actorOf(ctx)
	if a == nil {
		return nil, f, false, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	for _, st := range q.Statuses {
		if !knownStatus(st) {
			return nil, f, false, backend.Errorf(backend.EINVALID, "task status %q is unknown", st)
		}
	}
	if q.Department != "" && !backend.ValidID(q.Department) {
		return nil, f, false, backend.Errorf(backend.EINVALID, "department %q is malformed", q.Department)
	}
	if err := checkFilterText("batch", q.Batch, 50); err != nil {
		return nil, f, false, err
	}
	if err := checkFilterText("member", q.Member, 80); err != nil {
		return nil, f, false, err
	}
	f = backend.TaskFilter{PlanID: q.PlanID, DrawID: q.DrawID, Statuses: q.Statuses, Batch: q.Batch, Member: q.Member, Unplanned: q.Unplanned}
	switch q.Sort {
	case "":
	case "due":
		f.OrderByDue = true
	default:
		return nil, f, false, backend.Errorf(backend.EINVALID, "sort %q must be due (or nothing, for id order)", q.Sort)
	}
	if q.Overdue {
		f.DueBefore = backend.DateOf(s.Now())
		f.Statuses = openStatuses(q.Statuses)
		if len(f.Statuses) == 0 {
			return a, f, true, nil // no open status asked for: nothing is overdue
		}
	}
	switch a.Role {
	case backend.RoleAdmin:
		if q.Department != "" {
			f.Departments = []string{q.Department}
		}
	case backend.RoleInspector:
		f.TeamUser = a.UserID
		if q.Department != "" {
			f.Departments = []string{q.Department}
		}
	default:
		f.Departments = a.Departments
		if q.Department != "" {
			if !slices.Contains(a.Departments, q.Department) {
				return a, f, true, nil
			}
			f.Departments = []string{q.Department}
		}
	}
	return a, f, false, nil
}

// openStatuses returns the open ones of statuses, or every open status
// when none is given.
func openStatuses(statuses []backend.TaskStatus) []backend.TaskStatus {
	all := []backend.TaskStatus{backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted, backend.TaskReturned}
	if len(statuses) == 0 {
		return all
	}
	var out []backend.TaskStatus
	for _, st := range statuses {
		if st.Open() {
			out = append(out, st)
		}
	}
	return out
}

func knownStatus(st backend.TaskStatus) bool {
	switch st {
	case backend.TaskPending, backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted,
		backend.TaskApproved, backend.TaskReturned, backend.TaskPublished, backend.TaskCancelled, backend.TaskReplaced:
		return true
	}
	return false
}

func checkFilterText(name, v string, max int) error {
	if len(v) > max || !utf8.ValidString(v) {
		return backend.Errorf(backend.EINVALID, "%s must be valid text of at most %d bytes", name, max)
	}
	return nil
}

// MaxTimeline is the most audit entries TaskTimeline returns.
const MaxTimeline = 200

// TaskTimeline returns the audit entries of a task the caller may see,
// oldest first: who did what, when and from where. Anyone who may see
// the task may see its entries; another's task is not found.
func (s *Service) TaskTimeline(ctx context.Context, id string) ([]*backend.AuditEntry, error) {
	if _, err := s.GetTask(ctx, id); err != nil {
		return nil, err
	}
	list, err := s.Audit.Store.FindAuditEntries(ctx, "task", id, MaxTimeline)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b *backend.AuditEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	return list, nil
}

// TransitionRequest moves a task to another status.
type TransitionRequest struct {
	To      backend.TaskStatus `json:"to"`
	Version int64              `json:"version"` // the version read
	Comment string             `json:"comment,omitempty"`
}

// Transition moves a task along its life cycle. Team members accept, check
// in and submit; reviewers of the lead department approve or return;
// managers of the lead department publish and cancel.
func (s *Service) Transition(ctx context.Context, id string, req TransitionRequest) (*backend.Task, error) {
	t, err := s.visibleTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if (req.To == backend.TaskApproved || req.To == backend.TaskReturned) && t.ReviewParts() != nil {
		return nil, backend.Errorf(backend.EINVALID, "联合检查按部门分别审核：请在审核页面（/api/v1/reviews/%s）审核本部门的部分", t.ID)
	}
	if t, err = s.transition(ctx, t, req, nil); err != nil {
		return nil, err
	}
	return t.ViewFor(actorOf(ctx)), nil
}

// transition moves t, just read for the caller. review, when not nil,
// completes (or refuses) the reviewer's note of an approval or a return
// once the move is known to be allowed.
func (s *Service) transition(ctx context.Context, t *backend.Task, req TransitionRequest, review func(n *backend.ReviewNote) error) (*backend.Task, error) {
	a, id := actorOf(ctx), t.ID
	deny := func(err error) (*backend.Task, error) {
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "task." + string(req.To), ObjectType: "task", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	if !a.Fresh {
		return deny(backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change"))
	}
	if err := s.CheckMove(ctx, a, t, req.To); err != nil {
		if backend.IsCode(err, backend.EFORBIDDEN) {
			return deny(err)
		}
		return nil, err
	}
	if req.Version != t.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", id)
	}
	if len(req.Comment) > maxComment {
		return nil, backend.Errorf(backend.EINVALID, "the comment is limited to %d bytes", maxComment)
	}
	if req.To == backend.TaskApproved || req.To == backend.TaskReturned {
		n := backend.ReviewNote{Status: req.To, Comment: req.Comment, Reviewer: a.UserID, At: s.Now().UTC().Truncate(time.Millisecond)}
		if req.To == backend.TaskReturned {
			n.Issues = t.RecordedIssues() // the team learns what the reviewers found
		}
		if review != nil {
			if err := review(&n); err != nil {
				return nil, err
			}
		}
		t.Reviews = append(t.Reviews, n)
	}
	from := t.Status
	t.Status = req.To
	// The record travels with the write (backend/outbox.go).
	t.Audit = []backend.AuditRecord{{Action: "task." + string(req.To), ObjectType: "task", ObjectID: t.ID, Change: t,
		Detail: fmt.Sprintf("%s -> %s %s", from, req.To, req.Comment)}}
	if req.To == backend.TaskApproved && s.Register != nil {
		if err := s.approve(ctx, t); err != nil {
			return nil, err
		}
		return t, nil
	}
	if req.To == backend.TaskPublished {
		if err := s.checkPublishable(ctx, t); err != nil {
			return nil, err
		}
	}
	if req.To != backend.TaskPublished {
		if err := s.Tasks.UpdateTask(ctx, t); err != nil {
			return nil, err
		}
		return t, nil
	}
	// A publication is two writes, the task and its public result: its
	// intent comes first, so that a crash between them never strands the
	// result (rollPublish).
	in, err := s.Intents.Begin(ctx, intentPublish, t.ID, "task", t.ID, "")
	if backend.IsCode(err, backend.ECONFLICT) {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s is being published by someone else", t.ID)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			s.Intents.Done(ctx, in) // refused: nothing to complete
		}
		return nil, err
	}
	if err := s.publishResult(ctx, t); err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, in)
	return t, nil
}

// publishResult makes a published task's result public on its target's
// page. Doing it again changes nothing: the roll-forward of publications
// (PublishStranded) calls it for a published task left without it.
func (s *Service) publishResult(ctx context.Context, t *backend.Task) error {
	if s.Register != nil {
		return s.publishEntry(ctx, t)
	}
	if t.Result == nil || s.Results == nil {
		return nil
	}
	r := backend.PublishedResult{
		TaskID: t.ID, PlanID: t.PlanID, Random: t.Random, Code: t.Result.Code, Label: t.Result.Label,
		Items: t.Items, Departments: t.Departments, PublishedAt: t.UpdatedAt,
	}
	return s.Results.AddPublishedResult(ctx, t.TargetID, r)
}

// maxComment bounds a transition's comment.
const maxComment = backend.MaxReviewComment

// CheckMove says whether actor a may move task t to status to now: the
// life cycle allows it, a is someone who makes that move, a submission
// of an on-site check has two enforcement officers checked in, a
// submission and an approval have a photo declared for every question
// that requires one, and an approval has every declared piece of
// evidence.
func (s *Service) CheckMove(ctx context.Context, a *backend.Actor, t *backend.Task, to backend.TaskStatus) error {
	if !t.Status.CanMove(to) {
		return backend.Errorf(backend.EINVALID, "task %s is %s and cannot become %s", t.ID, t.Status, to)
	}
	if err := mayMove(a, t, to); err != nil {
		return err
	}
	if n := t.MissingEvidence(); to == backend.TaskApproved && n > 0 {
		// Reviewers approve what they have seen: a file still on its way
		// from the phone has not been.
		return backend.Errorf(backend.EINVALID, "%d of %d evidence files have not arrived: approve once they are uploaded", n, len(t.Evidence))
	}
	if to == backend.TaskSubmitted && t.Result == nil {
		return backend.Errorf(backend.EINVALID, "task %s has no result to submit", t.ID)
	}
	if to == backend.TaskSubmitted || to == backend.TaskApproved {
		// Approval asks again for a task submitted before the rule held.
		if err := t.CheckPhotos(); err != nil {
			return err
		}
	}
	if to == backend.TaskSubmitted && t.Method != backend.MethodDocument && t.Method != backend.MethodOnline {
		// An on-site check needs two enforcement officers on site.
		cs, err := s.CheckIns.FindCheckInsOfTask(ctx, t.ID)
		if err != nil {
			return err
		}
		if n := backend.OfficersCheckedIn(cs); n < backend.MinOfficers {
			return backend.Errorf(backend.EINVALID, "an on-site check needs %d enforcement officers: %d of the team checked in", backend.MinOfficers, n)
		}
	}
	return nil
}

// mayMove says who may make which move (谁检查、谁录入: the team works the
// task; the lead department reviews and publishes; nobody who worked on
// the task reviews or publishes it).
func mayMove(a *backend.Actor, t *backend.Task, to backend.TaskStatus) error {
	lead := a.InDepartment(t.LeadDepartment)
	switch to {
	case backend.TaskApproved, backend.TaskReturned, backend.TaskPublished:
		if t.WorkedOn(a.UserID) {
			return backend.Errorf(backend.EFORBIDDEN, "you are on the team of task %s: its review is decided by someone who did not inspect", t.ID)
		}
	}
	switch to {
	case backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted:
		if a.Role == backend.RoleInspector && slices.Contains(t.TeamUsers, a.UserID) {
			return nil
		}
		return backend.Errorf(backend.EFORBIDDEN, "only the task's team may move it to %s", to)
	case backend.TaskApproved, backend.TaskReturned:
		if a.Role == backend.RoleReviewer && (lead || slices.ContainsFunc(t.ReviewParts(), a.InDepartment)) {
			return nil // a joint visit reviewed per part: a part's lead department (review.go)
		}
		return backend.Errorf(backend.EFORBIDDEN, "only reviewers of the lead department may review")
	case backend.TaskPublished, backend.TaskCancelled:
		if a.Role == backend.RoleManager && lead {
			return nil
		}
		return backend.Errorf(backend.EFORBIDDEN, "only managers of the lead department may do this")
	}
	return backend.Errorf(backend.EFORBIDDEN, "%s is set by the system", to)
}

// loadRecord reads and decodes a stored draw record.
func (s *Service) loadRecord(ctx context.Context, drawID string) (*draw.Record, error) {
	data, err := s.Draws.LoadDrawRecord(ctx, drawID)
	if err != nil {
		return nil, err
	}
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "planning.loadRecord", Err: err}
	}
	return &rec, nil
}
