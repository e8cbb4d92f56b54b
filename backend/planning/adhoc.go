package planning

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// AdHocRequest creates a task that was not drawn at random: a complaint, a
// referral or a special campaign. It is marked as such everywhere it shows.
type AdHocRequest struct {
	TargetID string           `json:"targetId"`
	Items    []string         `json:"items"`
	Team     []string         `json:"team"` // inspector ids
	Trigger  *backend.Trigger `json:"trigger"`
	Due      backend.Date     `json:"due"`
}

// CreateAdHocTask issues a triggered task. Managers issue it for their own
// department; the items must be on the list and the team must hold two
// certified officers of the participating departments. A task that uses
// the officers or items of a department the manager does not manage is
// not issued yet: it is pending until a manager of each such department
// accepts it (AcceptTaskRequest), and reaches no phone before.
func (s *Service) CreateAdHocTask(ctx context.Context, req AdHocRequest) (*backend.Task, error) {
	a := actorOf(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if a.Role != backend.RoleManager || len(a.Departments) == 0 {
		err := backend.Errorf(backend.EFORBIDDEN, "only department managers issue ad-hoc tasks")
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "task.adhoc", ObjectType: "target", ObjectID: req.TargetID, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	tr := req.Trigger
	if tr == nil {
		return nil, backend.Errorf(backend.EINVALID, "an ad-hoc task needs a trigger: complaint, referral or campaign, with a reference and a reason")
	}
	switch tr.Kind {
	case backend.TriggerComplaint, backend.TriggerReferral, backend.TriggerCampaign:
	default:
		return nil, backend.Errorf(backend.EINVALID, "trigger kind %q must be complaint, referral or campaign", tr.Kind)
	}
	if n := len([]rune(tr.Reference)); n < 1 || n > 100 {
		return nil, backend.Errorf(backend.EINVALID, "the trigger needs a reference (complaint number, document) of at most 100 characters")
	}
	if err := checkReason(tr.Reason); err != nil {
		return nil, err
	}
	if !req.Due.Valid() || req.Due < backend.DateOf(s.Now()) {
		return nil, backend.Errorf(backend.EINVALID, "due %q must be a date from today on", req.Due)
	}
	lead := a.Departments[0]
	target, err := s.Targets.FindTargetByID(ctx, req.TargetID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, backend.Errorf(backend.EINVALID, "target %q is not in the directory", req.TargetID)
	}
	if err != nil {
		return nil, err
	}
	if len(req.Items) == 0 || len(req.Items) > backend.MaxMergedItems {
		return nil, backend.Errorf(backend.EINVALID, "give between 1 and %d items", backend.MaxMergedItems)
	}
	var items []*backend.Item
	depts := []string{lead}
	for _, code := range req.Items {
		it, err := s.Items.FindItemByCode(ctx, code)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil, backend.Errorf(backend.EINVALID, "item %s is not on the item list (清单之外无检查)", code)
		}
		if err != nil {
			return nil, err
		}
		if it.TemplateVersion == 0 {
			return nil, backend.Errorf(backend.EINVALID, "item %s has no checklist yet", code)
		}
		items = append(items, it)
		if !slices.Contains(depts, it.DepartmentID) {
			depts = append(depts, it.DepartmentID)
		}
	}
	if len(req.Team) < 2 || len(req.Team) > 10 {
		return nil, backend.Errorf(backend.EINVALID, "an on-site check needs a team of 2 to 10 enforcement officers")
	}
	today := backend.DateOf(s.Now())
	officers, err := s.adHocTeam(ctx, req.Team, target.ID, depts, today)
	if err != nil {
		return nil, err
	}
	checklist, err := s.checklist(ctx, items)
	if err != nil {
		return nil, err
	}
	suffix, err := s.random(5)
	if err != nil {
		return nil, err
	}
	slices.Sort(depts)
	t := &backend.Task{
		ID: fmt.Sprintf("adhoc-%s-%x", today, suffix), Random: false, Trigger: tr,
		TargetID: target.ID, TargetName: target.Name, Items: slices.Clone(req.Items), Method: backend.MethodOnSite, LeadDepartment: lead, Departments: depts,
		Batch: "ad-hoc", Start: today, End: req.Due, Due: req.Due, Checklist: checklist, Status: backend.TaskAssigned,
	}
	t.Team, t.TeamUsers = slices.Clone(req.Team), []string{}
	t.Consents = consentsFor(a, items, req.Team, officers, s.Now())
	detail := fmt.Sprintf("%s %s: %s (not drawn at random)", tr.Kind, tr.Reference, tr.Reason)
	if len(t.Consents) > 0 {
		// Another department's people or checks: theirs to accept first.
		t.Status = backend.TaskPending
		var asked []string
		for _, c := range t.Consents {
			asked = append(asked, c.DepartmentID)
		}
		detail += "; pending until accepted by " + strings.Join(asked, ", ")
	} else {
		t.TeamUsers = teamUsers(t.Team, officers)
	}
	t.Audit = []backend.AuditRecord{change("task.adhoc", "task", t.ID, t, detail)}
	if err := s.Tasks.CreateTasks(ctx, []*backend.Task{t}); err != nil {
		return nil, err
	}
	return t, nil
}

// adHocTeam checks the officers of an ad-hoc team, today: each in the
// directory, active with a valid certificate, without a conflict of
// interest with the target, of a department with an item in the task,
// and listed once. It returns them by id.
func (s *Service) adHocTeam(ctx context.Context, team []string, targetID string, depts []string, today backend.Date) (map[string]*backend.Inspector, error) {
	officers := map[string]*backend.Inspector{}
	certs := map[string]bool{}
	for _, id := range team {
		in, err := s.Inspectors.FindInspectorByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil, backend.Errorf(backend.EINVALID, "inspector %q is not in the directory", id)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case !in.Active || !in.CertValidOn(today):
			return nil, backend.Errorf(backend.EINVALID, "inspector %s has no valid enforcement certificate", id)
		case in.ConflictsWith(targetID):
			return nil, backend.Errorf(backend.EINVALID, "inspector %s declared a conflict of interest with %s (回避)", id, targetID)
		case !slices.Contains(depts, in.DepartmentID):
			return nil, backend.Errorf(backend.EINVALID, "inspector %s belongs to %s, which has no item in this task", id, in.DepartmentID)
		case certs[in.CertNo]:
			return nil, backend.Errorf(backend.EINVALID, "inspector %s is listed twice", id)
		}
		certs[in.CertNo] = true
		officers[id] = in
	}
	return officers, nil
}

// teamUsers lists the logins of a team's officers, in team order.
func teamUsers(team []string, officers map[string]*backend.Inspector) []string {
	users := []string{}
	for _, id := range team {
		if u := officers[id].UserID; u != "" {
			users = append(users, u)
		}
	}
	return users
}

// consentsFor asks each department the manager does not manage whose
// officers or items the task uses, in department order.
func consentsFor(a *backend.Actor, items []*backend.Item, team []string, officers map[string]*backend.Inspector, now time.Time) []backend.Consent {
	byDept := map[string]*backend.Consent{}
	ask := func(dept string) *backend.Consent {
		if a.InDepartment(dept) {
			return nil
		}
		if byDept[dept] == nil {
			byDept[dept] = &backend.Consent{DepartmentID: dept, Officers: []string{}, Items: []string{}, State: backend.ConsentRequested,
				RequestedBy: a.UserID, RequestedAt: now.UTC().Truncate(time.Millisecond)}
		}
		return byDept[dept]
	}
	for _, it := range items {
		if c := ask(it.DepartmentID); c != nil {
			c.Items = append(c.Items, it.Code)
		}
	}
	for _, id := range team {
		if c := ask(officers[id].DepartmentID); c != nil {
			c.Officers = append(c.Officers, id)
		}
	}
	var out []backend.Consent
	for _, c := range byDept {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(x, y backend.Consent) int { return strings.Compare(x.DepartmentID, y.DepartmentID) })
	return out
}

// TaskRequests lists the ad-hoc tasks waiting for the caller's answer: a
// manager sees those that ask one of their departments, oldest first by
// id (administrators see every pending task, and decide none).
func (s *Service) TaskRequests(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.Task], error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	f := backend.TaskFilter{Statuses: []backend.TaskStatus{backend.TaskPending}}
	switch {
	case a.Role == backend.RoleAdmin:
	case a.Role == backend.RoleManager && len(a.Departments) > 0:
		f.Departments = a.Departments
	default:
		return nil, backend.Errorf(backend.EFORBIDDEN, "requests for officers and items are answered by department managers")
	}
	var waiting []*backend.Task
	err := s.Tasks.ScanTasks(ctx, f, func(t *backend.Task) error {
		if t.ID > p.After && (a.Role == backend.RoleAdmin || len(askedOf(a, t)) > 0) {
			waiting = append(waiting, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(waiting, func(x, y *backend.Task) int { return strings.Compare(x.ID, y.ID) })
	page := &backend.Page[*backend.Task]{Items: waiting}
	if len(waiting) > p.Limit {
		page.Items = waiting[:p.Limit]
		page.NextCursor = page.Items[p.Limit-1].ID
	}
	if page.Items == nil {
		page.Items = []*backend.Task{}
	}
	return page, nil
}

// askedOf returns the indexes of the task's consents still requested of
// the actor's departments.
func askedOf(a *backend.Actor, t *backend.Task) []int {
	var out []int
	for i, c := range t.Consents {
		if c.State == backend.ConsentRequested && a.InDepartment(c.DepartmentID) {
			out = append(out, i)
		}
	}
	return out
}

// TaskDecision is a department manager's answer to a request.
type TaskDecision struct {
	Version int64  `json:"version"` // the task's version as read
	Reason  string `json:"reason"`  // 2-500 characters, recorded with the answer
}

// AcceptTaskRequest records that the caller's departments accept the use
// of their officers and items; once every department asked has, the task
// is issued to its team (assigned, on their phones). The team is checked
// again as of today.
func (s *Service) AcceptTaskRequest(ctx context.Context, id string, d TaskDecision) (*backend.Task, error) {
	return s.decideTaskRequest(ctx, id, d, backend.ConsentAccepted)
}

// DeclineTaskRequest records that a department refuses: the task is
// cancelled, with the reason, for the lead department to see.
func (s *Service) DeclineTaskRequest(ctx context.Context, id string, d TaskDecision) (*backend.Task, error) {
	return s.decideTaskRequest(ctx, id, d, backend.ConsentDeclined)
}

func (s *Service) decideTaskRequest(ctx context.Context, id string, d TaskDecision, answer backend.ConsentState) (*backend.Task, error) {
	action := "task.request_" + map[backend.ConsentState]string{backend.ConsentAccepted: "accept", backend.ConsentDeclined: "decline"}[answer]
	deny := func(err error) (*backend.Task, error) {
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "task", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	t, err := s.visibleTask(ctx, id)
	if err != nil {
		return nil, err
	}
	a := actorOf(ctx)
	if !a.Fresh {
		return deny(backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change"))
	}
	asked := askedOf(a, t)
	if a.Role != backend.RoleManager || len(asked) == 0 && t.Status == backend.TaskPending {
		return deny(backend.Errorf(backend.EFORBIDDEN, "task %s asks nothing of your departments: a manager of each department asked answers", id))
	}
	if t.Status != backend.TaskPending || len(asked) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: it waits for no answer", id, t.Status)
	}
	if d.Version != t.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", id)
	}
	if err := checkReason(d.Reason); err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	var depts []string
	for _, i := range asked {
		c := &t.Consents[i]
		c.State, c.DecidedBy, c.DecidedAt, c.Reason = answer, a.UserID, &now, d.Reason
		depts = append(depts, c.DepartmentID)
	}
	detail := fmt.Sprintf("%s for %s: %s", answer, strings.Join(depts, ", "), d.Reason)
	switch {
	case answer == backend.ConsentDeclined:
		t.Status = backend.TaskCancelled
		detail += "; the task is cancelled"
	case !slices.ContainsFunc(t.Consents, func(c backend.Consent) bool { return c.State != backend.ConsentAccepted }):
		officers, err := s.adHocTeam(ctx, t.Team, t.TargetID, t.Departments, backend.DateOf(now))
		if err != nil {
			return nil, backend.Errorf(backend.EINVALID, "the team can no longer be issued (%s): the lead department must cancel the task and issue another", backend.ErrorMessage(err))
		}
		t.Status, t.TeamUsers = backend.TaskAssigned, teamUsers(t.Team, officers)
		detail += "; every department asked accepted: issued to the team"
	}
	t.Audit = []backend.AuditRecord{change(action, "task", t.ID, t, detail)}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}
