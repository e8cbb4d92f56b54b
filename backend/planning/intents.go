package planning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Kinds of the intents planning begins (backend/intent.go).
const (
	intentPublish = "publish" // a task's publication: the task, then its public result
	intentDraw    = "draw"    // a draw: its metadata, record, selections, tasks, plan, entry
)

// RegisterIntents gives s.Intents the roll-forward of draws and
// publications.
func (s *Service) RegisterIntents() {
	s.Intents.Handle(intentPublish, s.rollPublish)
	s.Intents.Handle(intentDraw, s.rollDraw)
}

// rollPublish completes a publication that stopped: a published task gets
// its public result; a task the publication never wrote stays as it is
// (the manager publishes it again).
func (s *Service) rollPublish(ctx context.Context, in *backend.Intent) error {
	t, err := s.Tasks.FindTaskByID(ctx, in.ObjectID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.Status != backend.TaskPublished {
		return nil
	}
	return s.publishResult(ctx, t)
}

// rollDraw completes a draw that stopped. One whose record is stored whole
// is completed from it (completeDraw); one that stopped before (its record
// missing or cut short, so its secret was never published) is removed
// with what it stored, so that the plan version can be drawn.
func (s *Service) rollDraw(ctx context.Context, in *backend.Intent) error {
	d, err := s.Draws.FindDrawByID(ctx, in.ObjectID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil // stopped before its first write
	}
	if err != nil {
		return err
	}
	data, err := s.Draws.LoadDrawRecord(ctx, d.ID)
	if err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
		return err
	}
	if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != d.RecordSHA {
		if err := s.Draws.DeleteDraw(ctx, d.ID); err != nil {
			return err
		}
		_, err := s.Audit.Append(ctx, backend.AuditRecord{Action: "draw.abandon", ObjectType: "plan", ObjectID: d.PlanID, Change: d,
			Detail: "draw " + d.ID + " stopped before its record was stored: removed, the version can be drawn", Key: "draw/" + d.ID + "/abandon"})
		return err
	}
	rec, err := s.loadRecord(ctx, d.ID)
	if err != nil {
		return err
	}
	p, err := s.Plans.FindPlanByID(ctx, d.PlanID)
	if err != nil {
		return err
	}
	items, err := s.checkRules(ctx, p)
	if err != nil {
		return err
	}
	targets := map[string]*backend.Target{}
	for _, x := range rec.Selected {
		t, err := s.Targets.FindTargetByID(ctx, x.ID)
		if err != nil {
			return err
		}
		targets[x.ID] = t
	}
	earlier, _, err := s.earlierDraws(ctx, p)
	if err != nil {
		return err
	}
	_, err = s.completeDraw(ctx, p, items, d, rec, targets, earlier, nil)
	return err
}
