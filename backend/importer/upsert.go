package importer

import (
	"fmt"

	"github.com/fieldcheck/fieldcheck/backend"
)

// validator is what every directory record's pointer implements.
type validator interface{ Validate() error }

// upsert describes how to write one kind of record found by natural key.
type upsert[T any] struct {
	objectType  string // audit object type: "inspector", "item"
	keyColumn   int    // column of the natural key, for conflict errors
	prefixes    []fieldPrefix
	find        func() (*T, error) // the stored record, ENOTFOUND when new
	create      func(*T) error
	update      func(*T) error
	merge       func(cur *T) *T // the stored record with the row's columns applied
	same        func(a, b *T) bool
	id          func(*T) string
	version     func(*T) int64
	content     func(*T) any // what the audit log digests
	createTaken string       // message when create conflicts, with %s for the id
}

// writeRow creates the row's record or updates the stored one when the row
// changes it, rejecting the row (not the import) when it breaks a rule or
// loses a race with another writer.
func writeRow[T any](j *job, rec *record, row *T, u upsert[T]) error {
	reject := func(col int, reason string) error {
		j.summary.reject([]RowError{{Row: rec.row, Column: rec.h.column(col), Reason: reason}})
		return nil
	}
	cur, err := u.find()
	if backend.IsCode(err, backend.ENOTFOUND) {
		// Each record's entry travels with its write (backend/outbox.go).
		outboxOf(row).Record(j.createRecord(u.objectType, u.id(row), rec.row, u.content(row)))
		if err := u.create(row); err != nil {
			if backend.IsCode(err, backend.ECONFLICT) {
				return reject(u.keyColumn, fmt.Sprintf(u.createTaken, u.id(row)))
			}
			return err
		}
		j.summary.Imported++
		j.recordWrite(u.id(row), u.content(row), true)
		return j.maybeFlush()
	}
	if err != nil {
		return err
	}
	m := u.merge(cur)
	if err := any(m).(validator).Validate(); err != nil {
		return reject(attribute(err, u.prefixes), backend.ErrorMessage(err))
	}
	if u.same(m, cur) {
		j.summary.Unchanged++
		return nil
	}
	content := u.content(m)
	outboxOf(m).Record(j.updateRecord(u.objectType, u.id(m), rec.row, content, u.version(m)+1))
	if err := u.update(m); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return reject(u.keyColumn, fmt.Sprintf("%s %s was changed by someone else during the import; import the file again", u.objectType, u.id(m)))
		}
		return err
	}
	j.summary.Updated++
	j.recordWrite(u.id(m), content, false)
	return j.maybeFlush()
}

// outboxOf is the audit outbox of a directory record (backend.Outbox).
func outboxOf(v any) *backend.Outbox {
	return v.(interface{ AuditOutbox() *backend.Outbox }).AuditOutbox()
}
