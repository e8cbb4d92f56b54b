package planning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// Kinds of the intents planning begins (backend/intent.go).
const (
	intentPublish = "publish" // a task's publication: the task, then its public result
	intentDraw    = "draw"    // a draw: its metadata, record, selections, tasks, plan, entry
	intentReplace = "replace" // a replacement: the record, the selection, the new task, the old one
)

// RegisterIntents gives s.Intents the roll-forward of draws and
// publications.
func (s *Service) RegisterIntents() {
	s.Intents.Handle(intentPublish, s.rollPublish)
	s.Intents.Handle(intentDraw, s.rollDraw)
	s.Intents.Handle(intentReplace, s.rollReplace)
	s.Intents.Handle(intentRoundReplace, s.rollRoundReplace)
	s.registerResultIntents()
	s.registerCreditIntents()
}

// rollReplace completes a replacement that stopped. Its record is stored
// whole (the draw's digest is the record's), or the draw's digest already
// names the record with the replacement and the record's save was cut
// short: the replacement is computed again from the record (it is
// deterministic), checked against the digest and saved. A record without
// the replacement whose digest is the draw's means the replacement never
// began: nothing to do.
func (s *Service) rollReplace(ctx context.Context, in *backend.Intent) error {
	old, err := s.Tasks.FindTaskByID(ctx, in.ObjectID)
	if err != nil {
		return err
	}
	p, err := s.Plans.FindPlanByID(ctx, old.PlanID)
	if err != nil {
		return err
	}
	d, err := s.Draws.FindDrawByID(ctx, old.DrawID)
	if err != nil {
		return err
	}
	data, err := s.Draws.LoadDrawRecord(ctx, d.ID)
	if err != nil {
		return err
	}
	rec, err := s.loadRecord(ctx, d.ID)
	if err != nil {
		return err
	}
	replaced := slices.ContainsFunc(rec.Replacements, func(r draw.Replacement) bool { return r.Replaced == old.TargetID })
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != d.RecordSHA {
		if replaced {
			return backend.Errorf(backend.EINTERNAL, "the record of draw %s does not match its digest", d.ID)
		}
		if _, err := draw.Replace(rec, old.TargetID, in.Detail); err != nil {
			return err
		}
		again, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(again); hex.EncodeToString(sum[:]) != d.RecordSHA {
			return backend.Errorf(backend.EINTERNAL, "the record of draw %s does not match its digest, with or without replacing %s", d.ID, old.TargetID)
		}
		if err := s.Draws.SaveDrawRecord(ctx, d.ID, again); err != nil {
			return err
		}
	} else if !replaced {
		return nil // stopped before its first write
	}
	_, err = s.completeReplace(ctx, old, p, d, rec)
	return err
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
