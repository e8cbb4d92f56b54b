package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/fieldcheck/fieldcheck/backend"
)

// input is the file being imported.
type input struct {
	r      io.Reader
	format Format
	source string // audit object id: "sha256:<hex>" once known
	name   string // base name, for audit details
	rows   int    // data rows counted by prescan, -1 when unknown
}

// prescan reads a seekable input through once: every problem with the file
// as a whole surfaces before anything is written, the SHA-256 identifies the
// file in the audit log, and the row count tells how to look up records.
func (in *input) prescan(kind Kind) error {
	rs, ok := in.r.(io.ReadSeeker)
	if !ok {
		return nil
	}
	readErr := func(err error) error {
		return &backend.Error{Code: backend.EINVALID, Op: "importer", Message: "cannot read the file", Err: err}
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil // a pipe, such as standard input: read it once
	}
	h := sha256.New()
	src, err := openSource(io.TeeReader(rs, h), in.format)
	if err != nil {
		return err
	}
	var sum Summary
	rows := 0
	err = eachRow(src, specOf(kind), &sum, func(*record) error { rows++; return nil })
	_ = src.Close()
	if err != nil {
		return err
	}
	if _, err := io.Copy(h, rs); err != nil {
		return readErr(err)
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return readErr(err)
	}
	in.source = "sha256:" + hex.EncodeToString(h.Sum(nil))
	in.rows = rows + sum.Rejected
	return nil
}

func specOf(kind Kind) []colSpec {
	switch kind {
	case Inspectors:
		return inspectorColumns
	case Items:
		return itemColumns
	}
	return targetColumns
}

// run is one import: it owns the batch bookkeeping and the audit trail that
// the three kinds share.
func (im *Importer) run(ctx context.Context, kind Kind, in *input) (*Summary, error) {
	if err := im.check(kind); err != nil {
		return nil, err
	}
	audit := im.Audit
	if err := authorize(ctx); err != nil {
		what := in.name
		if what == "" {
			what = in.source
		}
		_, _ = audit.Append(ctx, backend.AuditRecord{Action: "import." + string(kind), ObjectType: "import", ObjectID: what, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	if err := in.prescan(kind); err != nil {
		return nil, err
	}
	src, err := openSource(in.r, in.format)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	j := &job{
		im:      im,
		ctx:     ctx,
		kind:    kind,
		in:      in,
		batch:   im.BatchSize,
		summary: &Summary{},
		audit:   audit,
	}
	if j.batch <= 0 {
		j.batch = DefaultBatchSize
	}
	switch kind {
	case Targets:
		err = j.importTargets(src)
	case Inspectors:
		err = j.importInspectors(src)
	case Items:
		err = j.importItems(src)
	}
	// What was written is audited even when the import stops part-way, and
	// even when it stops because ctx was cancelled.
	j.ctx = context.WithoutCancel(ctx)
	if ferr := j.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		if j.summary.Imported+j.summary.Updated == 0 {
			return nil, err
		}
		return j.summary, err
	}
	return j.summary, nil
}

// job is the state of one import.
type job struct {
	im      *Importer
	ctx     context.Context
	kind    Kind
	in      *input
	batch   int
	summary *Summary
	audit   *backend.AuditLog

	batchNo int
	intent  *backend.Intent // of the current batch's creations, until flushed
	updates []targetUpdate  // the current batch's target updates, written at its flush
	written int             // records written in the current batch
	changes []auditChange   // what the current batch wrote
	newRows int             // creations in the current batch
	updRows int             // updates in the current batch
}

type auditChange struct {
	ID     string `json:"id"`
	Digest string `json:"digest"`
}

func (j *job) action() string { return "import." + string(j.kind) }

// recordWrite notes one written record in the current batch.
func (j *job) recordWrite(id string, content any, created bool) {
	j.changes = append(j.changes, auditChange{ID: id, Digest: backend.Digest(content)})
	j.written++
	if created {
		j.newRows++
	} else {
		j.updRows++
	}
}

// createRecord is the record of a record's creation by the import (on
// the record itself, so that its history can be found by object id; the
// batch's entry lists it too).
func (j *job) createRecord(objectType, id string, row int, content any) backend.AuditRecord {
	detail := fmt.Sprintf("row %d: created", row)
	if j.in.name != "" {
		detail = j.in.name + " " + detail
	}
	return backend.AuditRecord{Action: j.action(), ObjectType: objectType, ObjectID: id, Change: content, Detail: detail}
}

// updateRecord is the record of an update to version of a record.
func (j *job) updateRecord(objectType, id string, row int, content any, version int64) backend.AuditRecord {
	detail := fmt.Sprintf("row %d: updated to version %d", row, version)
	if j.in.name != "" {
		detail = j.in.name + " " + detail
	}
	return backend.AuditRecord{Action: j.action(), ObjectType: objectType, ObjectID: id, Change: content, Detail: detail}
}

// flush writes the current batch's target updates and audits the batch.
func (j *job) flush() error {
	if err := j.writeUpdates(); err != nil {
		return err
	}
	if j.written == 0 {
		// An intent still open (its batch's entry failed, or every row of
		// it was refused) is the roll-forward's: it records what is stored.
		return nil
	}
	j.batchNo++
	detail := fmt.Sprintf("batch %d: %d new, %d updated", j.batchNo, j.newRows, j.updRows)
	if j.in.name != "" {
		detail = j.in.name + " " + detail
	}
	rec := backend.AuditRecord{
		Action:     j.action(),
		ObjectType: "import",
		ObjectID:   j.in.source,
		Change:     j.changes,
		Detail:     detail,
	}
	if j.intent != nil {
		rec.Key = batchKey(j.intent) // the roll-forward's record of this batch, if it comes first
	}
	_, err := j.audit.Append(j.ctx, rec)
	j.changes, j.written, j.newRows, j.updRows = nil, 0, 0, 0
	if err == nil {
		j.im.Intents.Done(j.ctx, j.intent)
		j.intent = nil
	}
	return err
}

// maybeFlush audits the batch once it is full.
func (j *job) maybeFlush() error {
	if j.written+len(j.updates) >= j.batch {
		return j.flush()
	}
	return nil
}
