package importer

import (
	"context"
	"fmt"

	"github.com/fieldcheck/fieldcheck/backend"
)

// A batch of created targets is one insert and then one audit entry
// (flush): an import that dies in between would leave targets nobody
// recorded. So the batch first stores an intent listing the targets it
// creates (backend/intent.go), and its entry is keyed by the intent; the
// roll-forward of a batch that died records the targets of the list that
// are stored, under the same key, so that the batch is recorded once
// whichever comes first.

const intentImportBatch = "import-batch"

// RegisterIntents gives intents the roll-forward of import batches.
func RegisterIntents(intents *backend.Intents, targets backend.TargetStore) {
	intents.Handle(intentImportBatch, func(ctx context.Context, in *backend.Intent) error {
		return rollBatch(ctx, intents.Audit, targets, in)
	})
}

func batchKey(in *backend.Intent) string { return "import/" + in.ID }

// beginBatch stores the intent of creating ts, unless the current batch
// has one (a flush ends it).
func (j *job) beginBatch(ts []*backend.Target) error {
	if j.im.Intents == nil || j.intent != nil {
		return nil
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	op := fmt.Sprintf("%s#%d", j.in.source, j.batchNo+1)
	if j.in.source == "" {
		op = fmt.Sprintf("stdin-%s#%d", backend.Digest(ids)[:16], j.batchNo+1)
	}
	in, err := j.im.Intents.BeginWith(j.ctx, intentImportBatch, op+"/"+backend.Digest(ids)[:16], "import", j.in.source,
		fmt.Sprintf("%s batch %d: %d targets to create", j.in.name, j.batchNo+1, len(ids)), ids)
	if err != nil {
		return err
	}
	j.intent = in
	return nil
}

// rollBatch records the targets of a batch that died which are stored.
func rollBatch(ctx context.Context, audit *backend.AuditLog, targets backend.TargetStore, in *backend.Intent) error {
	var changes []auditChange
	for _, id := range in.Objects {
		t, err := targets.FindTargetByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return err
		}
		changes = append(changes, auditChange{ID: t.ID, Digest: backend.Digest(targetAuditContent(t))})
	}
	if len(changes) == 0 {
		return nil
	}
	_, err := audit.Append(ctx, backend.AuditRecord{
		Action: "import." + string(Targets), ObjectType: "import", ObjectID: in.ObjectID, Change: changes,
		Detail: fmt.Sprintf("%s (completed after the import stopped): %d of %d new", in.Detail, len(changes), len(in.Objects)),
		Key:    batchKey(in),
	})
	return err
}
