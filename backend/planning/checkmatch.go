package planning

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Auto-match of registered checks (backend/checkmatch.go, docs/draw2.md
// "Auto-match"): a department's manager registers a non-random check on
// an enterprise with a window; it is matched at once with the drawn
// visits whose batch overlaps the window and the registered checks of the
// enterprise whose windows overlap; the match is proposed to every
// department involved; when all accept, it is merged.

// RegisterCheckRequest registers a non-random check ahead.
type RegisterCheckRequest struct {
	Department string            `json:"department" doc:"one of the caller's departments (managers)"`
	TargetID   string            `json:"targetId" doc:"the enterprise's USCC"`
	Kind       backend.CheckKind `json:"kind" enum:"complaint,campaign,recheck"`
	Reference  string            `json:"reference" doc:"complaint number, campaign document, task re-checked (1-100 bytes)"`
	Reason     string            `json:"reason" doc:"why (1-500 bytes)"`
	Items      []string          `json:"items" doc:"1-10 items of the department's list"`
	From       backend.Date      `json:"from" doc:"first day of the window (YYYY-MM-DD)"`
	To         backend.Date      `json:"to" doc:"last day of the window, at most 366 days after from, of the same year"`
}

// CheckRegistration is a registered check and the proposal it is in, if
// it matched something.
type CheckRegistration struct {
	Check    *backend.RegisteredCheck `json:"check"`
	Proposal *backend.MatchProposal   `json:"proposal,omitempty"`
}

// MatchDecision answers a proposal.
type MatchDecision struct {
	Department string `json:"department,omitempty" doc:"the department answering, when the caller is of several"`
	Reason     string `json:"reason,omitempty" doc:"required when declining (1-500 bytes)"`
}

func (s *Service) checkManager(ctx context.Context, action, id, dept string) (*backend.Actor, error) {
	return s.require(ctx, action, "check", id, func(a *backend.Actor) error {
		if a.Role != backend.RoleManager || !a.InDepartment(dept) {
			return backend.Errorf(backend.EFORBIDDEN, "only managers of department %s register its checks and answer for it", dept)
		}
		return nil
	})
}

func (req *RegisterCheckRequest) validate() error {
	switch {
	case !req.Kind.Valid():
		return backend.Errorf(backend.EINVALID, "kind %q is not one of complaint, campaign, recheck", req.Kind)
	case len(req.Items) == 0 || len(req.Items) > backend.MaxCheckItems:
		return backend.Errorf(backend.EINVALID, "a registered check has 1 to %d items, not %d", backend.MaxCheckItems, len(req.Items))
	case strings.TrimSpace(req.Reference) == "" || len(req.Reference) > backend.MaxCheckReference:
		return backend.Errorf(backend.EINVALID, "the reference is required, at most %d bytes", backend.MaxCheckReference)
	case strings.TrimSpace(req.Reason) == "" || len(req.Reason) > backend.MaxCheckReason:
		return backend.Errorf(backend.EINVALID, "the reason is required, at most %d bytes", backend.MaxCheckReason)
	}
	from, err := time.Parse(time.DateOnly, string(req.From))
	if err != nil {
		return backend.Errorf(backend.EINVALID, "from %q is not a date YYYY-MM-DD", req.From)
	}
	to, err := time.Parse(time.DateOnly, string(req.To))
	if err != nil {
		return backend.Errorf(backend.EINVALID, "to %q is not a date YYYY-MM-DD", req.To)
	}
	switch days := int(to.Sub(from).Hours() / 24); {
	case days < 0:
		return backend.Errorf(backend.EINVALID, "the window ends (%s) before it starts (%s)", req.To, req.From)
	case days > backend.MaxCheckWindowDays || from.Year() != to.Year():
		return backend.Errorf(backend.EINVALID, "the window is of one calendar year, at most %d days", backend.MaxCheckWindowDays)
	}
	return nil
}

// RegisterCheck registers a check and matches it: with the first open
// drawn visit of the enterprise whose batch overlaps the window, and with
// the enterprise's registered checks (on their own) whose windows
// overlap. A match becomes a proposal to every department involved, in
// the same write as the registration and its audit record.
func (s *Service) RegisterCheck(ctx context.Context, req RegisterCheckRequest) (*CheckRegistration, error) {
	if _, err := s.checkManager(ctx, "check.register", req.TargetID, req.Department); err != nil {
		return nil, err
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	if err := backend.ValidateUSCC(req.TargetID); err != nil {
		return nil, err
	}
	if _, err := s.Targets.FindTargetByID(ctx, req.TargetID); err != nil {
		return nil, err
	}
	for _, code := range req.Items {
		it, err := s.Items.FindItemByCode(ctx, code)
		if backend.IsCode(err, backend.ENOTFOUND) || err == nil && it.DepartmentID != req.Department {
			return nil, backend.Errorf(backend.EINVALID, "item %s is not on the list of department %s", code, req.Department)
		}
		if err != nil {
			return nil, err
		}
	}
	year, _ := time.Parse(time.DateOnly, string(req.From))
	visits, err := s.Tasks.FindTasks(ctx, backend.TaskFilter{TargetID: req.TargetID, Statuses: []backend.TaskStatus{backend.TaskAssigned, backend.TaskAccepted}},
		backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	a := actorOf(ctx)
	for range maxRoundRetries {
		b, err := s.Checks.FindCheckBook(ctx, year.Year(), req.TargetID)
		fresh := backend.IsCode(err, backend.ENOTFOUND)
		switch {
		case fresh:
			b = &backend.CheckBook{ID: backend.CheckBookID(year.Year(), req.TargetID), Year: year.Year(), TargetID: req.TargetID,
				Checks: []backend.RegisteredCheck{}, Proposals: []backend.MatchProposal{}}
		case err != nil:
			return nil, err
		}
		if len(b.Checks) >= backend.MaxChecksPerBook {
			return nil, backend.Errorf(backend.EINVALID, "enterprise %s has %d registered checks in %d, the most it may have", req.TargetID, len(b.Checks), b.Year)
		}
		now := s.Now().UTC().Truncate(time.Millisecond)
		c := backend.RegisteredCheck{
			ID: fmt.Sprintf("%s:c%d", b.ID, len(b.Checks)+1), Department: req.Department, Kind: req.Kind, Reference: req.Reference,
			Reason: req.Reason, Items: slices.Clone(req.Items), From: req.From, To: req.To, State: backend.CheckRegistered,
			RegisteredBy: a.UserID, RegisteredAt: now,
		}
		p := match(b, &c, visits.Items, now)
		b.Checks = append(b.Checks, c)
		detail := fmt.Sprintf("%s %s on %s, %s to %s, items %v", c.Kind, c.Reference, req.TargetID, c.From, c.To, c.Items)
		b.Audit = []backend.AuditRecord{{Action: "check.register", ObjectType: "check", ObjectID: c.ID, Change: c, Detail: detail}}
		if p != nil {
			b.Proposals = append(b.Proposals, *p)
			b.Audit = append(b.Audit, backend.AuditRecord{Action: "check.propose", ObjectType: "match", ObjectID: p.ID, Change: p,
				Detail: fmt.Sprintf("one visit for checks %v and drawn visit %q, %s to %s", p.Checks, p.TaskID, p.From, p.To)})
		}
		if fresh {
			err = s.Checks.CreateCheckBook(ctx, b)
		} else {
			err = s.Checks.UpdateCheckBook(ctx, b)
		}
		if backend.IsCode(err, backend.ECONFLICT) {
			continue // someone registered on the same enterprise meanwhile: match again
		}
		if err != nil {
			return nil, err
		}
		out := &CheckRegistration{Check: b.Check(c.ID)}
		if p != nil {
			out.Proposal = b.Proposal(p.ID)
		}
		return out, nil
	}
	return nil, backend.Errorf(backend.EUNAVAILABLE, "enterprise %s's checks are changing too often; try again", req.TargetID)
}

// match proposes one visit for c with the book's checks on their own
// whose windows overlap c's (and each other's), and the first drawn visit
// among visits (open, random) whose batch overlaps the common window; it
// marks the checks it takes proposed. Nil when nothing matches.
func match(b *backend.CheckBook, c *backend.RegisteredCheck, visits []*backend.Task, now time.Time) *backend.MatchProposal {
	from, to := c.From, c.To
	var with []*backend.RegisteredCheck
	for i := range b.Checks {
		o := &b.Checks[i]
		if o.State == backend.CheckRegistered && o.Overlaps(from, to) {
			with = append(with, o)
			from, to = max(from, o.From), min(to, o.To)
		}
	}
	taken := map[string]bool{}
	for _, p := range b.Proposals {
		if p.State != backend.ProposalDeclined && p.TaskID != "" {
			taken[p.TaskID] = true
		}
	}
	slices.SortFunc(visits, func(x, y *backend.Task) int { return strings.Compare(string(x.Start)+x.ID, string(y.Start)+y.ID) })
	var task *backend.Task
	for _, t := range visits {
		if t.Random && !taken[t.ID] && t.Start <= to && from <= t.End {
			task = t
			from, to = max(from, t.Start), min(to, t.End)
			break
		}
	}
	if len(with) == 0 && task == nil {
		return nil
	}
	p := &backend.MatchProposal{ID: fmt.Sprintf("%s:m%d", b.ID, len(b.Proposals)+1), From: from, To: to, State: backend.ProposalOpen, At: now}
	depts := []string{c.Department}
	for _, o := range with {
		p.Checks = append(p.Checks, o.ID)
		depts = append(depts, o.Department)
		o.State, o.Proposal = backend.CheckProposed, p.ID
	}
	p.Checks = append(p.Checks, c.ID)
	c.State, c.Proposal = backend.CheckProposed, p.ID
	if task != nil {
		p.TaskID = task.ID
		depts = append(depts, task.Departments...)
	}
	slices.Sort(depts)
	for _, d := range slices.Compact(depts) {
		p.Answers = append(p.Answers, backend.MatchAnswer{Department: d, State: backend.ConsentRequested})
	}
	return p
}

// bookOfProposal is the book a proposal id names (<year>:<target>:m<n>).
func (s *Service) bookOfProposal(ctx context.Context, id string) (*backend.CheckBook, *backend.MatchProposal, error) {
	i := strings.LastIndexByte(id, ':')
	year, target, ok := strings.Cut(id[:max(i, 0)], ":")
	var y int
	if _, err := fmt.Sscanf(year, "%d", &y); i < 0 || !ok || err != nil || len(id) > 100 {
		return nil, nil, backend.Errorf(backend.ENOTFOUND, "proposal %q not found", id)
	}
	b, err := s.Checks.FindCheckBook(ctx, y, target)
	if err != nil {
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil, nil, backend.Errorf(backend.ENOTFOUND, "proposal %q not found", id)
		}
		return nil, nil, err
	}
	p := b.Proposal(id)
	if p == nil {
		return nil, nil, backend.Errorf(backend.ENOTFOUND, "proposal %q not found", id)
	}
	return b, p, nil
}

// DecideMatch records a department's answer to a proposal: a manager of
// a department it asks accepts, or declines with a reason. The last
// acceptance merges: the proposal and its checks are marked merged in the
// book's write (with the audit record of the merge), then the drawn visit,
// if any, takes the checks' items, a part per check (audited in its own
// write). A merge stopped between the two is completed by accepting again.
// A decline ends the proposal; its checks are on their own again.
func (s *Service) DecideMatch(ctx context.Context, id string, accept bool, d MatchDecision) (*backend.MatchProposal, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	action := map[bool]string{true: "match.accept", false: "match.decline"}[accept]
	for range maxRoundRetries {
		b, p, err := s.bookOfProposal(ctx, id)
		if err != nil {
			return nil, err
		}
		if !p.Involves(a.Departments) && a.Role != backend.RoleAdmin {
			return nil, backend.Errorf(backend.ENOTFOUND, "proposal %q not found", id) // no probing of others' proposals
		}
		dept := d.Department
		if dept == "" {
			for _, x := range p.Answers {
				if a.InDepartment(x.Department) && (dept == "" || x.State == backend.ConsentRequested) {
					dept = x.Department
				}
			}
		}
		if _, err := s.checkManager(ctx, action, id, dept); err != nil {
			return nil, err
		}
		if p.State == backend.ProposalMerged && accept {
			return p, s.mergeIntoTask(ctx, b, p) // completes a merge stopped half-way
		}
		if p.State != backend.ProposalOpen {
			return nil, backend.Errorf(backend.ECONFLICT, "proposal %s is %s", id, p.State)
		}
		ai := slices.IndexFunc(p.Answers, func(x backend.MatchAnswer) bool { return x.Department == dept })
		if ai < 0 {
			return nil, backend.Errorf(backend.EINVALID, "proposal %s does not ask department %s", id, dept)
		}
		if p.Answers[ai].State != backend.ConsentRequested {
			return nil, backend.Errorf(backend.ECONFLICT, "department %s answered proposal %s already (%s)", dept, id, p.Answers[ai].State)
		}
		if !accept && (strings.TrimSpace(d.Reason) == "" || len(d.Reason) > backend.MaxCheckReason) {
			return nil, backend.Errorf(backend.EINVALID, "a decline states its reason, at most %d bytes", backend.MaxCheckReason)
		}
		if len(d.Reason) > backend.MaxCheckReason {
			return nil, backend.Errorf(backend.EINVALID, "the reason is at most %d bytes", backend.MaxCheckReason)
		}
		var task *backend.Task
		if accept && p.TaskID != "" {
			if task, err = s.Tasks.FindTaskByID(ctx, p.TaskID); err != nil {
				return nil, err
			}
			if task.Status != backend.TaskAssigned && task.Status != backend.TaskAccepted {
				return nil, backend.Errorf(backend.EINVALID, "the drawn visit %s is %s: checks join a visit before its team is on site", task.ID, task.Status)
			}
		}
		now := s.Now().UTC().Truncate(time.Millisecond)
		st := map[bool]backend.ConsentState{true: backend.ConsentAccepted, false: backend.ConsentDeclined}[accept]
		p.Answers[ai] = backend.MatchAnswer{Department: dept, State: st, By: a.UserID, At: &now, Reason: d.Reason}
		b.Audit = []backend.AuditRecord{{Action: action, ObjectType: "match", ObjectID: p.ID, Change: p.Answers[ai], Detail: fmt.Sprintf("%s by %s: %s", st, dept, d.Reason)}}
		switch {
		case !accept:
			p.State = backend.ProposalDeclined
			for _, cid := range p.Checks {
				c := b.Check(cid)
				c.State, c.Proposal = backend.CheckRegistered, ""
			}
		case !slices.ContainsFunc(p.Answers, func(x backend.MatchAnswer) bool { return x.State != backend.ConsentAccepted }):
			p.State = backend.ProposalMerged
			task := p.TaskID
			if task == "" {
				task = mergedVisitID(p) // the task issued for them (issueMergedVisit)
			}
			for _, cid := range p.Checks {
				c := b.Check(cid)
				c.State, c.TaskID = backend.CheckMerged, task
			}
			b.Audit = append(b.Audit, backend.AuditRecord{Action: "match.merge", ObjectType: "match", ObjectID: p.ID, Change: p,
				Detail: fmt.Sprintf("checks %v merged into one visit %q, %s to %s", p.Checks, task, p.From, p.To)})
		}
		err = s.Checks.UpdateCheckBook(ctx, b)
		if backend.IsCode(err, backend.ECONFLICT) {
			continue
		}
		if err != nil {
			return nil, err
		}
		p = b.Proposal(id)
		if p.State == backend.ProposalMerged {
			return p, s.mergeIntoTask(ctx, b, p)
		}
		return p, nil
	}
	return nil, backend.Errorf(backend.EUNAVAILABLE, "proposal %s is changing too often; try again", id)
}

// mergeIntoTask gives a merged proposal's drawn visit the items of its
// checks, a part per check, once (a check with its part is skipped); for
// checks merged without a drawn visit it issues their one task.
func (s *Service) mergeIntoTask(ctx context.Context, b *backend.CheckBook, p *backend.MatchProposal) error {
	if p.TaskID == "" {
		return s.issueMergedVisit(ctx, b, p)
	}
	var docs []*backend.Item
	for _, cid := range p.Checks {
		for _, code := range b.Check(cid).Items {
			it, err := s.Items.FindItemByCode(ctx, code)
			if err != nil {
				return err
			}
			docs = append(docs, it)
		}
	}
	_, err := backend.UpdateTaskWith(ctx, s.Tasks, p.TaskID, func(t *backend.Task) (bool, error) {
		changed := false
		for _, cid := range p.Checks {
			if slices.ContainsFunc(t.Parts, func(x backend.TaskPart) bool { return x.CheckID == cid }) {
				continue
			}
			changed = true
			c := b.Check(cid)
			if len(t.Parts) == 0 { // the visit of one plan: its own part first
				t.Parts = []backend.TaskPart{{PlanID: t.PlanID, PlanVersion: t.PlanVersion, LeadDepartment: t.LeadDepartment,
					Departments: slices.Clone(t.Departments), Items: slices.Clone(t.Items), Stratum: t.Stratum}}
			}
			t.Parts = append(t.Parts, backend.TaskPart{CheckID: c.ID, LeadDepartment: c.Department, Departments: []string{c.Department}, Items: slices.Clone(c.Items)})
			if !slices.Contains(t.Departments, c.Department) {
				t.Departments = append(t.Departments, c.Department)
				slices.Sort(t.Departments)
			}
		}
		if !changed {
			return false, nil // every check has its part: merged before
		}
		added, err := s.addItems(ctx, t, docs)
		if err != nil {
			return false, err
		}
		t.Audit = []backend.AuditRecord{{Action: "task.merge", ObjectType: "task", ObjectID: t.ID, Change: t,
			Detail: fmt.Sprintf("registered checks %v joined the visit (proposal %s): items %v", p.Checks, p.ID, added)}}
		return true, nil
	})
	return err
}

// addItems puts on t the items of docs it does not have yet, in order,
// with their checklists, and returns their codes.
func (s *Service) addItems(ctx context.Context, t *backend.Task, docs []*backend.Item) ([]string, error) {
	var added []*backend.Item
	var codes []string
	for _, it := range docs {
		if !slices.Contains(t.Items, it.Code) {
			t.Items = append(t.Items, it.Code)
			added, codes = append(added, it), append(codes, it.Code)
		}
	}
	if len(added) > 0 {
		refs, err := s.checklist(ctx, added)
		if err != nil {
			return nil, err
		}
		t.Checklist = append(t.Checklist, refs...)
	}
	return codes, nil
}

// TargetChecks returns an enterprise's registered checks and proposals of
// a year that the caller's departments take part in (all for
// administrators): managers and reviewers of the back office.
func (s *Service) TargetChecks(ctx context.Context, targetID string, year int) (*backend.CheckBook, error) {
	if err := backOffice(ctx); err != nil {
		return nil, err
	}
	if err := backend.ValidateUSCC(targetID); err != nil {
		return nil, err
	}
	if year < 2000 || year > 2100 {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	b, err := s.Checks.FindCheckBook(ctx, year, targetID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return &backend.CheckBook{ID: backend.CheckBookID(year, targetID), Year: year, TargetID: targetID, Checks: []backend.RegisteredCheck{}, Proposals: []backend.MatchProposal{}}, nil
	}
	if err != nil {
		return nil, err
	}
	a := actorOf(ctx)
	if a.Role == backend.RoleAdmin {
		return b, nil
	}
	out := *b
	out.Proposals = slices.DeleteFunc(slices.Clone(b.Proposals), func(p backend.MatchProposal) bool { return !p.Involves(a.Departments) })
	out.Checks = slices.DeleteFunc(slices.Clone(b.Checks), func(c backend.RegisteredCheck) bool {
		if a.InDepartment(c.Department) {
			return false
		}
		return !slices.ContainsFunc(out.Proposals, func(p backend.MatchProposal) bool { return slices.Contains(p.Checks, c.ID) })
	})
	return &out, nil
}
