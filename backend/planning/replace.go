package planning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// ReplaceRequest replaces the target of a task that turned out closed or
// unreachable.
type ReplaceRequest struct {
	Reason  string `json:"reason"`
	Version int64  `json:"version"` // the task's version as read
	// PlanID names, for a round's joint visit, the plan whose part is
	// replaced (optional when the visit serves one plan).
	PlanID string `json:"planId,omitempty"`
}

// Replace marks a drawn task replaced and issues a task for the next
// eligible target of the same stratum by (PRN, id), as fc-draw-1 defines;
// the public record lists the replacement with its reason.
func (s *Service) Replace(ctx context.Context, taskID string, req ReplaceRequest) (*backend.Task, error) {
	if t, err := s.visibleTask(ctx, taskID); err != nil {
		return nil, err
	} else if t.Random && len(t.Parts) > 0 {
		return s.replaceRoundPart(ctx, t, req)
	}
	old, p, d, rec, err := s.drawnTask(ctx, "task.replace", taskID)
	if err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	if old.Version != req.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", taskID)
	}
	if !old.Status.CanMove(backend.TaskReplaced) {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: only a task not yet checked in can be replaced", taskID, old.Status)
	}
	if _, err := draw.Replace(rec, old.TargetID, req.Reason); err != nil {
		return nil, err
	}
	// The record, the new task, the old one and the selection are four
	// writes: the intent comes first (rollReplace).
	intent, err := s.Intents.Begin(ctx, intentReplace, old.ID, "task", old.ID, req.Reason)
	if backend.IsCode(err, backend.ECONFLICT) {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s is being replaced by someone else", old.ID)
	}
	if err != nil {
		return nil, err
	}
	if err := s.updateRecord(ctx, d, rec); err != nil {
		return nil, err
	}
	nt, err := s.completeReplace(ctx, old, p, d, rec)
	if err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, intent)
	return nt, nil
}

// completeReplace makes the writes of a replacement whose record is
// stored: the replacement's annual selection (before its task, so that
// the cap holds at every moment), its task, and the old task replaced,
// carrying the task.replace record. Each can be made again: the
// roll-forward of a replacement cut short runs it (rollReplace).
func (s *Service) completeReplace(ctx context.Context, old *backend.Task, p *backend.Plan, d *backend.Draw, rec *draw.Record) (*backend.Task, error) {
	n := slices.IndexFunc(rec.Replacements, func(r draw.Replacement) bool { return r.Replaced == old.TargetID })
	if n < 0 {
		return nil, backend.Errorf(backend.EINTERNAL, "the record of draw %s does not replace %s", d.ID, old.TargetID)
	}
	r := rec.Replacements[n]
	target, err := s.Targets.FindTargetByID(ctx, r.Replacement)
	if err != nil {
		return nil, err
	}
	users, err := s.teamLogins(ctx, [][]string{r.Assignment.Team})
	if err != nil {
		return nil, err
	}
	var sel []*backend.Selection
	for _, it := range p.Items {
		sel = append(sel, &backend.Selection{Year: p.Year, ItemCode: it, TargetID: r.Replacement, DrawID: d.ID, At: s.Now().UTC(), Remote: p.Method.Remote()})
	}
	if err := s.Draws.AddSelections(ctx, sel); err != nil {
		return nil, err
	}
	nt := *old
	nt.ID = fmt.Sprintf("%s-r%03d", d.ID, n+1)
	nt.TargetID, nt.TargetName, nt.PRN, nt.Stratum = r.Replacement, target.Name, r.PRN, r.Stratum
	nt.Replaces, nt.ReplacedBy, nt.Status = old.ID, "", backend.TaskAssigned
	setTeam(&nt, r.Assignment, users)
	if err := s.createMissingTasks(ctx, []*backend.Task{&nt}); err != nil {
		return nil, err
	}
	if old.Status != backend.TaskReplaced {
		old.Status, old.ReplacedBy = backend.TaskReplaced, nt.ID
		old.Audit = []backend.AuditRecord{{Action: "task.replace", ObjectType: "task", ObjectID: old.ID, Change: r,
			Detail: fmt.Sprintf("replaced %s by %s: %s", old.TargetID, r.Replacement, r.Reason)}}
		if err := s.Tasks.UpdateTask(ctx, old); err != nil {
			return nil, err
		}
	}
	return &nt, nil
}

// ReassignRequest re-matches a task's team without some members.
type ReassignRequest struct {
	Unavailable []string `json:"unavailable"` // inspector ids
	Reason      string   `json:"reason"`
	Version     int64    `json:"version"`
}

// Reassign re-matches the team of a task by the same key order, leaving out
// the members who became unavailable (illness, a conflict discovered late).
func (s *Service) Reassign(ctx context.Context, taskID string, req ReassignRequest) (*backend.Task, error) {
	t, _, _, rec, err := s.drawnTask(ctx, "task.reassign", taskID)
	if err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	if t.Version != req.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", taskID)
	}
	if !t.Status.Open() || t.Status == backend.TaskSubmitted {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: its team can no longer change", taskID, t.Status)
	}
	if len(req.Unavailable) == 0 || len(req.Unavailable) > 20 {
		return nil, backend.Errorf(backend.EINVALID, "name between 1 and 20 unavailable inspectors")
	}
	asg, err := draw.Reassign(rec, t.TargetID, req.Unavailable)
	if err != nil {
		return nil, err
	}
	users, err := s.teamLogins(ctx, [][]string{asg.Team})
	if err != nil {
		return nil, err
	}
	before := slices.Clone(t.Team)
	setTeam(t, *asg, users)
	c := struct {
		Before, After, Unavailable []string
		Reason                     string
	}{before, t.Team, req.Unavailable, req.Reason}
	// The record travels with the task's write (backend/outbox.go).
	t.Audit = []backend.AuditRecord{change("task.reassign", "task", t.ID, c, fmt.Sprintf("team %v -> %v: %s", before, t.Team, req.Reason))}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// drawnTask loads a randomly drawn task with its plan, draw and record, for
// a manager of the plan's lead department.
func (s *Service) drawnTask(ctx context.Context, action, taskID string) (*backend.Task, *backend.Plan, *backend.Draw, *draw.Record, error) {
	t, err := s.visibleTask(ctx, taskID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	p, err := s.Plans.FindPlanByID(ctx, t.PlanID)
	if !t.Random || backend.IsCode(err, backend.ENOTFOUND) {
		return nil, nil, nil, nil, backend.Errorf(backend.EINVALID, "task %s was not drawn at random", taskID)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if _, err := s.requireManager(ctx, action, p, false); err != nil {
		return nil, nil, nil, nil, err
	}
	if len(t.Parts) > 0 {
		// Replace handles a round's visit (replaceRoundPart); its team is not re-matched yet.
		return nil, nil, nil, nil, backend.Errorf(backend.EINVALID, "task %s is a visit of coordination round %s: its team cannot be re-matched yet", taskID, t.DrawID)
	}
	d, err := s.Draws.FindDrawByID(ctx, t.DrawID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rec, err := s.loadRecord(ctx, d.ID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return t, p, d, rec, nil
}

// updateRecord stores a changed record and the draw's digest of it.
func (s *Service) updateRecord(ctx context.Context, d *backend.Draw, rec *draw.Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "planning.updateRecord", Err: err}
	}
	sum := sha256.Sum256(data)
	d.RecordSHA, d.RecordBytes = hex.EncodeToString(sum[:]), len(data)
	if err := s.Draws.UpdateDraw(ctx, d); err != nil {
		return err
	}
	return s.Draws.SaveDrawRecord(ctx, d.ID, data)
}
