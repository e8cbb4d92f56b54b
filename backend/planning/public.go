package planning

import (
	"context"
	"fmt"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// PublicPlan is what anyone may read about a plan (一公开): its current
// public version, the earlier versions with the reasons for each change,
// and its draws. Drafts are not public.
type PublicPlan struct {
	Current  *backend.PlanVersion   `json:"current"`
	Versions []*backend.PlanVersion `json:"versions"` // oldest first
	Draws    []*backend.Draw        `json:"draws"`
}

// publicPlan strips what the public does not need from a version's
// snapshot: the operator exclusions name targets before they are drawn.
func publicVersion(v *backend.PlanVersion) *backend.PlanVersion {
	c := *v
	c.Plan.Exclusions = nil
	c.Plan.Draws = nil
	c.Plan.CreatedBy = ""
	return &c
}

// PublicPlans lists the public plans of a year (0 for every year).
func (s *Service) PublicPlans(ctx context.Context, year int, page backend.PageRequest) (*backend.Page[*backend.PlanVersion], error) {
	if year != 0 && (year < 2000 || year > 2100) {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	plans, err := s.Plans.FindPlans(ctx, backend.PlanFilterQuery{Year: year, PublicOnly: true}, page)
	if err != nil {
		return nil, err
	}
	out := &backend.Page[*backend.PlanVersion]{NextCursor: plans.NextCursor, Items: []*backend.PlanVersion{}}
	for _, p := range plans.Items {
		v, err := s.Plans.FindPlanVersion(ctx, p.ID, p.PublicVersion)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, publicVersion(v))
	}
	return out, nil
}

// PublicPlan returns one public plan with its history.
func (s *Service) PublicPlan(ctx context.Context, id string) (*PublicPlan, error) {
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State == backend.PlanDraft {
		return nil, backend.Errorf(backend.ENOTFOUND, "plan %q not found", id)
	}
	out := &PublicPlan{Draws: []*backend.Draw{}}
	for v := 1; v <= p.PublicVersion; v++ {
		pv, err := s.Plans.FindPlanVersion(ctx, p.ID, v)
		if err != nil {
			return nil, err
		}
		out.Versions = append(out.Versions, publicVersion(pv))
	}
	out.Current = out.Versions[len(out.Versions)-1]
	by := map[string]string{} // draw id → the draw that superseded it
	for _, id := range p.Draws {
		d, err := s.Draws.FindDrawByID(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, old := range d.Supersedes {
			by[old] = d.ID
		}
		if d.Number > 1 {
			by[drawID(d.PlanID, d.PlanVersion, d.Number-1)] = d.ID
		}
		out.Draws = append(out.Draws, d)
	}
	for _, d := range out.Draws {
		d.SupersededBy = by[d.ID]
	}
	return out, nil
}

// PublicDrawRecord returns the JSON of a draw's public record.
func (s *Service) PublicDrawRecord(ctx context.Context, drawID string) ([]byte, error) {
	if len(drawID) > 200 {
		return nil, backend.Errorf(backend.EINVALID, "draw id is too long")
	}
	if _, err := s.Draws.FindDrawByID(ctx, drawID); err != nil {
		return nil, err
	}
	return s.Draws.LoadDrawRecord(ctx, drawID)
}

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
// certified officers of the participating departments.
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
	users := map[string]string{}
	certs := map[string]bool{}
	for _, id := range req.Team {
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
		case in.ConflictsWith(target.ID):
			return nil, backend.Errorf(backend.EINVALID, "inspector %s declared a conflict of interest with %s (回避)", id, target.ID)
		case !slices.Contains(depts, in.DepartmentID):
			return nil, backend.Errorf(backend.EINVALID, "inspector %s belongs to %s, which has no item in this task", id, in.DepartmentID)
		case certs[in.CertNo]:
			return nil, backend.Errorf(backend.EINVALID, "inspector %s is listed twice", id)
		}
		certs[in.CertNo] = true
		users[id] = in.UserID
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
	for _, id := range t.Team {
		if users[id] != "" {
			t.TeamUsers = append(t.TeamUsers, users[id])
		}
	}
	if err := s.Tasks.CreateTasks(ctx, []*backend.Task{t}); err != nil {
		return nil, err
	}
	return t, s.record(ctx, "task.adhoc", "task", t.ID, t, fmt.Sprintf("%s %s: %s (not drawn at random)", tr.Kind, tr.Reference, tr.Reason))
}
