package planning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// intentRoundReplace is a replacement of one plan's part of a round's
// visit: the round's record, the selections, the replacement's task, the
// replaced visit's task.
const intentRoundReplace = "round-replace"

// replaceRoundPart replaces plan req.PlanID's part of old, a round's visit
// (docs/draw2.md, "Replacements"): the managers of that plan's lead
// department decide it, whichever department leads the visit.
func (s *Service) replaceRoundPart(ctx context.Context, old *backend.Task, req ReplaceRequest) (*backend.Task, error) {
	planID := req.PlanID
	if planID == "" {
		var plans []string
		for _, p := range old.Parts {
			if p.CheckID == "" {
				plans = append(plans, p.PlanID)
			}
		}
		if len(plans) != 1 {
			return nil, backend.Errorf(backend.EINVALID, "任务 %s 是联合检查（%s）：请指明替换哪个计划的部分（planId）", old.ID, strings.Join(plans, "、"))
		}
		planID = plans[0]
	}
	if !slices.ContainsFunc(old.Parts, func(p backend.TaskPart) bool { return p.CheckID == "" && p.PlanID == planID }) {
		return nil, backend.Errorf(backend.EINVALID, "任务 %s 没有计划 %s 的部分", old.ID, planID)
	}
	p, err := s.Plans.FindPlanByID(ctx, planID)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, "task.replace", p, false); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	if old.Version != req.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", old.ID)
	}
	if !old.Status.CanMove(backend.TaskReplaced) {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: only a task not yet checked in can be replaced", old.ID, old.Status)
	}
	// Refused before any write when the engine refuses (stratum
	// exhausted) or the visit to join is under way.
	r, rec, err := s.roundRecord(ctx, old.DrawID)
	if err != nil {
		return nil, err
	}
	x, err := draw.ReplaceInRound(rec, planID, old.TargetID, req.Reason)
	if err != nil {
		return nil, err
	}
	if x.Joins {
		joined, err := s.Tasks.FindTaskByID(ctx, fmt.Sprintf("%s-%s", r.ID, x.Replacement))
		if err != nil {
			return nil, err
		}
		if joined.Status != backend.TaskAssigned && joined.Status != backend.TaskAccepted {
			return nil, backend.Errorf(backend.ECONFLICT, "替换对象 %s 的检查已开始（%s），计划 %s 的部分无法并入", x.Replacement, joined.Status, planID)
		}
	}
	intent, err := s.Intents.BeginWith(ctx, intentRoundReplace, old.ID+"/"+planID, "task", old.ID, req.Reason, []string{planID})
	if backend.IsCode(err, backend.ECONFLICT) {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s is being replaced by someone else", old.ID)
	}
	if err != nil {
		return nil, err
	}
	nt, err := s.completeRoundReplace(ctx, old.ID, planID, req.Reason)
	if err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, intent)
	return nt, nil
}

// rollRoundReplace completes a replacement of a round's part that stopped.
func (s *Service) rollRoundReplace(ctx context.Context, in *backend.Intent) error {
	if len(in.Objects) != 1 {
		return backend.Errorf(backend.EINTERNAL, "intent %s names no plan", in.ID)
	}
	_, err := s.completeRoundReplace(ctx, in.ObjectID, in.Objects[0], in.Detail)
	return err
}

// roundRecord loads a round and its record.
func (s *Service) roundRecord(ctx context.Context, roundID string) (*backend.Round, *draw.RoundRecord, error) {
	r, err := s.Rounds.FindRoundByID(ctx, roundID)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.Draws.LoadDrawRecord(ctx, backend.RoundRecordKey(roundID))
	if err != nil {
		return nil, nil, err
	}
	rec := &draw.RoundRecord{}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, nil, &backend.Error{Code: backend.EINTERNAL, Op: "planning.roundRecord", Err: err}
	}
	return r, rec, nil
}

// completeRoundReplace makes, or completes, the writes of replacing plan
// planID's part of task taskID, each of which can be made again: the
// record with the replacement (computed unless it holds it already: the
// replacement is a function of the record before it) and the round's
// digest of it; the replacement's annual selections (before its task, so
// that the cap holds at every moment); the replacement's task (a new
// visit, or the part joining the visit of a target the round already
// visits, with the officers the replacement adds); and the replaced
// part taken out of its task, which is replaced when no part is left.
// The task writes carry their task.replace records.
func (s *Service) completeRoundReplace(ctx context.Context, taskID, planID, reason string) (*backend.Task, error) {
	old, err := s.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	p, err := s.Plans.FindPlanByID(ctx, planID)
	if err != nil {
		return nil, err
	}
	r, rec, err := s.roundRecord(ctx, old.DrawID)
	if err != nil {
		return nil, err
	}
	find := func() *draw.RoundReplacement {
		for i := range rec.Replacements {
			if x := &rec.Replacements[i]; x.Plan == planID && x.Replaced == old.TargetID {
				return x
			}
		}
		return nil
	}
	x := find()
	if x == nil {
		if _, err = draw.ReplaceInRound(rec, planID, old.TargetID, reason); err != nil {
			return nil, err
		}
		x = &rec.Replacements[len(rec.Replacements)-1]
		x.At = s.stamp().Format(time.RFC3339)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "planning.completeRoundReplace", Err: err}
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if digest != r.RecordSHA {
		if err := s.Draws.SaveDrawRecord(ctx, backend.RoundRecordKey(r.ID), data); err != nil {
			return nil, err
		}
		if _, err := s.updateRound(ctx, r.ID, func(r *backend.Round) (bool, error) {
			if r.RecordSHA == digest {
				return false, nil
			}
			r.RecordSHA, r.RecordBytes = digest, len(data)
			r.Record(change("round.replace", "round", r.ID, x, fmt.Sprintf("plan %s: %s replaced by %s: %s", x.Plan, x.Replaced, x.Replacement, x.Reason)))
			return true, nil
		}); err != nil {
			return nil, err
		}
	}

	var sel []*backend.Selection
	for _, it := range p.Items {
		sel = append(sel, &backend.Selection{Year: r.Year, ItemCode: it, TargetID: x.Replacement, DrawID: r.ID, At: s.Now().UTC()})
	}
	if err := s.Draws.AddSelections(ctx, sel); err != nil {
		return nil, err
	}
	items, err := s.checkRules(ctx, p)
	if err != nil {
		return nil, err
	}
	users, err := s.teamLogins(ctx, [][]string{x.Team})
	if err != nil {
		return nil, err
	}
	part := backend.TaskPart{PlanID: p.ID, PlanVersion: p.PublicVersion, LeadDepartment: p.LeadDepartment,
		Departments: slices.Clone(p.Departments), Items: slices.Clone(p.Items), Stratum: x.Stratum}
	newID := fmt.Sprintf("%s-%s", r.ID, x.Replacement)
	var nt *backend.Task
	if x.Joins {
		nt, err = s.joinVisit(ctx, newID, part, items, x, users)
	} else {
		nt, err = s.newVisit(ctx, old, newID, p, part, items, x, users)
	}
	if err != nil {
		return nil, err
	}
	if _, err := backend.UpdateTaskWith(ctx, s.Tasks, old.ID, func(t *backend.Task) (bool, error) {
		return removePart(t, planID, nt.ID, x), nil
	}); err != nil {
		return nil, err
	}
	return nt, nil
}

// joinVisit adds the part to the visit the round already makes to the
// replacement, once.
func (s *Service) joinVisit(ctx context.Context, id string, part backend.TaskPart, items []*backend.Item, x *draw.RoundReplacement, users map[string]string) (*backend.Task, error) {
	return backend.UpdateTaskWith(ctx, s.Tasks, id, func(t *backend.Task) (bool, error) {
		if slices.ContainsFunc(t.Parts, func(q backend.TaskPart) bool { return q.CheckID == "" && q.PlanID == part.PlanID }) {
			return false, nil // joined before
		}
		t.Parts = append(t.Parts, part)
		if _, err := s.addItems(ctx, t, items); err != nil {
			return false, err
		}
		for _, d := range part.Departments {
			if !slices.Contains(t.Departments, d) {
				t.Departments = append(t.Departments, d)
			}
		}
		slices.Sort(t.Departments)
		for _, id := range x.Team {
			if !slices.Contains(t.Team, id) {
				t.Team = append(t.Team, id)
				if u := users[id]; u != "" {
					t.TeamUsers = append(t.TeamUsers, u)
				}
			}
		}
		t.Audit = []backend.AuditRecord{change("task.replace", "task", t.ID, x,
			fmt.Sprintf("plan %s joins the visit, replacing %s: officers added %v", x.Plan, x.Replaced, x.Team))}
		return true, nil
	})
}

// newVisit issues the task of a replacement the round did not visit: the
// plan's part alone, in the replaced task's batch when the plan led it,
// else in the plan's first batch.
func (s *Service) newVisit(ctx context.Context, old *backend.Task, id string, p *backend.Plan, part backend.TaskPart, items []*backend.Item, x *draw.RoundReplacement, users map[string]string) (*backend.Task, error) {
	target, err := s.Targets.FindTargetByID(ctx, x.Replacement)
	if err != nil {
		return nil, err
	}
	cl, err := s.checklist(ctx, items)
	if err != nil {
		return nil, err
	}
	b := p.Batches[0]
	if old.PlanID == p.ID {
		if i := slices.IndexFunc(p.Batches, func(b backend.Batch) bool { return b.Name == old.Batch }); i >= 0 {
			b = p.Batches[i]
		}
	}
	nt := &backend.Task{
		ID: id, PlanID: p.ID, PlanVersion: p.PublicVersion, DrawID: old.DrawID, Random: true,
		TargetID: x.Replacement, TargetName: target.Name, Stratum: x.Stratum, PRN: x.PRN,
		Items: slices.Clone(p.Items), Method: backend.MethodOnSite, LeadDepartment: p.LeadDepartment, Departments: slices.Sorted(slices.Values(p.Departments)),
		Batch: b.Name, Start: b.Start, End: b.End, Due: due(b, s.Now()), Checklist: cl, Status: backend.TaskAssigned,
		Parts: []backend.TaskPart{part}, Replaces: old.ID,
	}
	setTeam(nt, x.Assignment, users)
	if err := s.createMissingTasks(ctx, []*backend.Task{nt}); err != nil {
		return nil, err
	}
	return s.Tasks.FindTaskByID(ctx, id)
}

// removePart takes plan planID's part out of t (its items that no other
// part has, their checklists, its departments that no other part has);
// when it is the last part, t is replaced by newID instead. It reports
// whether t changed.
func removePart(t *backend.Task, planID, newID string, x *draw.RoundReplacement) bool {
	at := slices.IndexFunc(t.Parts, func(q backend.TaskPart) bool { return q.CheckID == "" && q.PlanID == planID })
	if at < 0 {
		return false // taken out before
	}
	detail := fmt.Sprintf("plan %s: %s replaced by %s: %s", planID, x.Replaced, x.Replacement, x.Reason)
	if len(t.Parts) == 1 { // the last part: the visit is replaced, its part kept as what it was
		if t.Status == backend.TaskReplaced {
			return false
		}
		t.Status, t.ReplacedBy = backend.TaskReplaced, newID
		t.Audit = []backend.AuditRecord{change("task.replace", "task", t.ID, x, detail)}
		return true
	}
	t.Parts = slices.Delete(t.Parts, at, at+1)
	var items, depts []string
	for _, q := range t.Parts {
		items = append(items, q.Items...)
		depts = append(depts, q.LeadDepartment)
		depts = append(depts, q.Departments...)
	}
	t.Items = slices.DeleteFunc(t.Items, func(code string) bool { return !slices.Contains(items, code) })
	t.Checklist = slices.DeleteFunc(t.Checklist, func(r backend.ChecklistRef) bool { return !slices.Contains(items, r.Item) })
	t.Departments = slices.DeleteFunc(t.Departments, func(d string) bool { return !slices.Contains(depts, d) })
	if t.PlanID == planID { // the lead leaves: the next part leads
		next := t.Parts[0]
		t.LeadDepartment, t.Stratum = next.LeadDepartment, next.Stratum
		if next.CheckID == "" {
			t.PlanID, t.PlanVersion = next.PlanID, next.PlanVersion
		}
	}
	t.Audit = []backend.AuditRecord{change("task.replace", "task", t.ID, x, detail+" (the visit goes on for the other parts)")}
	return true
}
