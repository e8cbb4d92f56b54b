package backend

import "context"

// Records that survive a crash.
//
// A change and its audit entry are two writes: the change's document, then
// the entry in the chain. A process that stops between them would leave a
// change nobody recorded. So the record travels with the change (an
// outbox): the document a change writes carries the entries of its audit
// records, prepared with the change's actor and time (AuditLog.Prepare),
// in the same single-document write; the store appends them after the
// write and only then settles the write; a sweeper appends the entries of
// writes left unsettled. An entry's Key (AuditKey: object type, id and the
// version the write made) makes the append idempotent: the chain holds one
// entry per key however often the request, a retry and the sweeper append
// it, so a resent change answered as a duplicate is audited exactly once.
//
// Tasks are the outbox's main users: a service states the records of a
// task write in Task.Audit; the TaskStore keys them by the version the
// write makes and stores them in Task.AuditPending together with those of
// earlier writes not known to be appended, appends them once the task is
// written and its feed notified, and settles the task's key (the feed's
// outbox mark, backend/mongo/taskkey.go). A mark left behind is the feed
// sweeper's, which appends the entries too. When the key of the version a
// write starts from is settled, the entries that version carried are in the
// chain and are not carried again: a task carries the records of its last
// write and, while the audit log cannot be written, of the writes since.
// At most MaxAuditPending: past that, task writes are refused until the
// log is back.
//
// Every other stored change (targets, inspectors, experts, departments,
// items and templates, users, device revocations, ratings, complaints,
// check-ins, back-fills, issued codes, plans, rounds, signing keys) embeds
// Outbox: the service states the write's records (Outbox.Record) before
// calling the store, and the store writes the document with its entries
// through the mongo package's helpers, marked in the outbox collection
// until they are appended. docs/audit.md lists them.
//
// Operations of several writes (a draw, a publication) first store an
// intent (intent.go) and complete or roll forward from it after a crash;
// so do the follow-ups of a change (the codes withdrawn when a user's
// sessions end, the sessions ended when a device is revoked).

// AuditAppender appends prepared entries, each key once: what stores need
// of the audit log to empty their outbox (AuditLog implements it).
type AuditAppender interface {
	AppendEntries(ctx context.Context, entries []AuditEntry) error
}

// MaxAuditPending bounds the audit entries one document carries while the
// audit log cannot be written: a write that would carry more is refused
// (EUNAVAILABLE) rather than grow the document without end.
const MaxAuditPending = 64

var _ AuditAppender = (*AuditLog)(nil)

// Outbox is the audit outbox of a stored document other than a task: the
// records its next write states (Audit; set by the service, never stored)
// and the entries the stored document carries until they are in the log
// (AuditPending). Types embed it inline:
//
//	Outbox `json:"-" bson:",inline"`
//
// and their stores write them with the mongo package's audited helpers.
type Outbox struct {
	Audit        []AuditRecord `json:"-" bson:"-"`
	AuditPending []AuditEntry  `json:"-" bson:"auditPending,omitempty"`
}

// AuditOutbox returns o: what the stores' helpers need of a document.
func (o *Outbox) AuditOutbox() *Outbox { return o }

// Record states the records of the document's next write, replacing any
// stated before.
func (o *Outbox) Record(rs ...AuditRecord) { o.Audit = rs }
