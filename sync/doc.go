// Package fcsync is fieldcheck's offline sync protocol: how an inspector's
// phone keeps its tasks while the network comes and goes, and sends back
// what was done offline without losing, duplicating or silently
// overwriting anything. (Import it as fcsync: the standard library has a
// sync too.) docs/sync.md describes the protocol for app teams; this
// comment is the reasoning behind it.
//
// # Version
//
// The protocol has a version (Version, 2), which every request names in
// its query (v=2) and every answer in its protocol field; a request of a
// version the server does not speak is refused with 400 naming those it
// speaks (CheckVersion), so that an app and a server of different ages
// agree on one or say why not. Version 2 sends checklists by reference:
// a task names its template versions, and a pull sends each template once
// on a cursor's way (the cursor remembers which it sent, up to
// MaxCursorTemplates; sending one again is harmless, as a template version
// never changes). testdata/sync/v2.json holds the normative examples of
// the phone's side, which Client passes (vectors_test.go).
//
// # Pull
//
// GET /mobile/v1/sync?v=2&cursor=C returns one page of changes in the phone's
// scope (the tasks whose team includes the login, except cancelled and
// replaced ones) and a new cursor. An empty cursor starts a full download:
// every task in scope, in id order, page by page. After that the cursor
// stands on the login's change feed (backend.FeedStore): every write to a
// task appends an entry to the feed of each login that has or had the
// task, and a page answers each task named there with its current state,
// or with a tombstone when it left the scope (reassigned, cancelled,
// replaced).
//
// Never missing a change: feed numbers are taken in one order and written
// in another when several server instances write at once. A reader never
// passes a number that was taken but not written; it stops there (Pending
// in the answer) until the number is written, or voided once it is older
// than backend.FeedLease (the writer died; a writer that comes back later
// finds its number voided and takes another). A task write and its feed
// entries are two writes: the task is marked in the same write that
// changes it, and the mark is cleared after the entries are written; a
// sweeper redoes the entries of marks left behind. The full download takes
// the feed's head before the first page, so whatever changes during the
// download follows in the feed. A phone that applies every page in order,
// each task replacing its older copy, holds exactly the server's view as
// of its last pull.
//
// # Push
//
// POST /mobile/v1/sync?v=2 sends up to MaxPushBatch mutations, applied in
// order, each answered on its own: applied, duplicate (an operation id
// already applied: the same answer as the first time), conflict (the task
// changed since the mutation's base version, for the changes that must not
// be merged blindly: status moves and the result; or the operation id came
// back with a different body), or rejected (with a code and a message for
// the inspector). Checklist answers and the evidence manifest are merged
// instead: answers field by field, the latest edit winning; manifest slots
// are immutable once declared, and a slot whose bytes were not accepted
// can be withdrawn (entity withdrawal: a slot not declared is no error, so
// that a phone unsure whether its declaration arrived withdraws it all the
// same; a received slot refuses it). A result is rejected while a question that
// requires a photo has no photo slot declared for it, and the rejection
// lists those questions (MutationResult.MissingPhotos). A submitted result
// is immutable until a reviewer returns the task, which then reopens on
// the phones with the reviewer's notes. A check-in is recorded for the
// session's device; its payload names none.
//
// Exactly once without transactions: an operation's record (its key and a
// hash of its body) is stored in the task document by the very write that
// applies it, so a replay finds it there whatever happened in between. The
// document keeps the last backend.MaxRecentOps records; a write that
// pushes older ones out stores them beside the task first, and a replay
// whose base version is below the document's floor looks there
// (backend.FindTaskOp). A strict change on such a base is a conflict: the
// records that would show the versions since were the device's own are
// no longer at hand. A check-in's id is derived from the operation, so the
// check-in store's unique id does the same for check-ins.
//
// # Client
//
// Client is a Go implementation of the phone's side, with a durable queue
// on disk (it survives the process being killed) and retries with backoff
// and jitter; cmd/fieldsim drives many of them against a server.
package fcsync
