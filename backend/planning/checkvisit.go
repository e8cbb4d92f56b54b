package planning

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// mergedVisitID is the id of the task issued for the checks of proposal
// p merged without a drawn visit: one per proposal, so that issuing it
// again finds it.
func mergedVisitID(p *backend.MatchProposal) string {
	return "visit-" + strings.ReplaceAll(p.ID, ":", "-")
}

// issueMergedVisit issues, once, the one task of the checks that proposal
// p merged without a drawn visit (docs/draw2.md, "Auto-match"): the items
// of every check in registration order, a part per check, the first
// check's department leading and its kind, reference and reason as the
// trigger, the proposal's common window as its days; the team by
// fc-draw-1's rules of step 7 (certificates, leave, conflicts, caps, the
// best-ranked officer of each department, then the fill to the larger
// of two and the number of departments), ranked with a fresh secret
// (the seed in the audit record's detail, the ranking in its change), so
// that no manager picks the team. Every
// department consented in the proposal: the task is assigned at once.
func (s *Service) issueMergedVisit(ctx context.Context, b *backend.CheckBook, p *backend.MatchProposal) error {
	const op = "planning.issueMergedVisit"
	id := mergedVisitID(p)
	if _, err := s.Tasks.FindTaskByID(ctx, id); err == nil {
		return nil // issued before
	} else if !backend.IsCode(err, backend.ENOTFOUND) {
		return err
	}
	target, err := s.Targets.FindTargetByID(ctx, b.TargetID)
	if err != nil {
		return err
	}
	var items, depts []string
	var docs []*backend.Item
	var parts []backend.TaskPart
	for _, cid := range p.Checks {
		c := b.Check(cid)
		for _, code := range c.Items {
			if slices.Contains(items, code) {
				continue
			}
			it, err := s.Items.FindItemByCode(ctx, code)
			if err != nil {
				return err
			}
			items, docs = append(items, code), append(docs, it)
		}
		if !slices.Contains(depts, c.Department) {
			depts = append(depts, c.Department)
		}
		parts = append(parts, backend.TaskPart{CheckID: c.ID, LeadDepartment: c.Department, Departments: []string{c.Department}, Items: slices.Clone(c.Items)})
	}
	checklist, err := s.checklist(ctx, docs)
	if err != nil {
		return err
	}
	first := b.Check(p.Checks[0])
	slices.Sort(depts)

	// The team: fc-draw-1's step 7 for this one target.
	secret, err := s.random(32)
	if err != nil {
		return err
	}
	today := backend.DateOf(s.Now())
	pool, err := s.inspectorPool(ctx, depts, string(today), map[string]*backend.Target{target.ID: target})
	if err != nil {
		return err
	}
	one := 1
	in := draw.Input{
		Algorithm: draw.Algorithm, PlanID: id, PlanVersion: 1, Commitment: draw.Commitment(secret), Secret: hex.EncodeToString(secret),
		PublicEntropy: "match " + p.ID, DrawDate: string(today), TeamSize: max(2, len(depts)), Departments: depts,
		Strata: map[string]draw.Rule{"visit": {Count: &one}}, Population: []draw.Candidate{{ID: target.ID, Stratum: "visit"}},
		Inspectors: pool,
	}
	rec, err := draw.Run(in)
	if err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: op, Err: err}
	}
	asg := rec.Selected[0].Assignment
	if asg.Unassigned || len(asg.Team) < 2 {
		return backend.Errorf(backend.EINVALID, "合并检查 %s：%s 可派的执法人员不足两名，无法组成检查组", p.ID, strings.Join(depts, "、"))
	}
	users, err := s.teamLogins(ctx, [][]string{asg.Team})
	if err != nil {
		return err
	}
	t := &backend.Task{
		ID: id, Random: false, Trigger: &backend.Trigger{Kind: backend.TriggerKind(first.Kind), Reference: first.Reference, Reason: first.Reason},
		TargetID: target.ID, TargetName: target.Name, Items: items, Method: backend.MethodOnSite,
		LeadDepartment: first.Department, Departments: depts, Batch: "ad-hoc", Start: max(p.From, today), End: p.To, Due: p.To,
		Checklist: checklist, Status: backend.TaskAssigned, Parts: parts,
	}
	setTeam(t, asg, users)
	team := struct {
		Proposal string       `json:"proposal"`
		Checks   []string     `json:"checks"`
		Record   *draw.Record `json:"teamDraw"` // the team's ranking, redone by draw.Verify
	}{p.ID, p.Checks, rec}
	t.Audit = []backend.AuditRecord{change("task.merge", "task", t.ID, team,
		fmt.Sprintf("registered checks %v merged without a drawn visit (proposal %s): one visit, team %v by fc-draw-1's rules (seed %s)", p.Checks, p.ID, t.Team, rec.Seed))}
	return s.createMissingTasks(ctx, []*backend.Task{t})
}
