package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Audit outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
)

// AuditEntry is one line of the append-only audit log. Entries form a hash
// chain: Hash covers every other field and PrevHash, the Hash of the entry
// before. Editing, deleting or reordering a stored entry breaks the chain,
// which VerifyAudit detects.
type AuditEntry struct {
	Seq        int64     `json:"seq" bson:"seq"`
	Time       time.Time `json:"time" bson:"time"` // UTC, millisecond precision (what BSON keeps)
	Actor      string    `json:"actor" bson:"actor"`
	Role       Role      `json:"role" bson:"role"`
	Action     string    `json:"action" bson:"action"`
	ObjectType string    `json:"objectType" bson:"objectType"`
	ObjectID   string    `json:"objectId" bson:"objectId"`
	ClientAddr string    `json:"clientAddr" bson:"clientAddr"`
	Outcome    string    `json:"outcome" bson:"outcome"`
	Digest     string    `json:"digest" bson:"digest"`
	Detail     string    `json:"detail,omitempty" bson:"detail,omitempty"`
	// RequestID is the HTTP request the entry was written for (empty
	// for tools and sweepers, and in entries older than the field). It
	// is hashed only when set, so that older entries keep their hashes.
	RequestID string `json:"requestId,omitempty" bson:"requestId,omitempty"`
	PrevHash  string `json:"prevHash" bson:"prevHash"`
	Hash      string `json:"hash" bson:"hash"`
	// Key, when set, names the record (AuditKey): the log holds at most
	// one entry of a key, however often it is appended (outbox.go). It is
	// not part of the hash: it only keeps a record from being chained twice.
	Key string `json:"key,omitempty" bson:"key,omitempty"`
}

// ComputeHash returns the hash the entry must carry: hex SHA-256 over the
// entry's fields, each length-prefixed so that no two entries encode alike.
func (e *AuditEntry) ComputeHash() string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	field("fc-audit-1")
	field(strconv.FormatInt(e.Seq, 10))
	field(e.Time.UTC().Format("2006-01-02T15:04:05.000Z"))
	for _, s := range []string{e.Actor, string(e.Role), e.Action, e.ObjectType, e.ObjectID, e.ClientAddr, e.Outcome, e.Digest, e.Detail, e.PrevHash} {
		field(s)
	}
	if e.RequestID != "" {
		// After prevHash, as a fifteenth field: an entry without it
		// encodes exactly as before the field existed.
		field(e.RequestID)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditHead is the newest entry's sequence number and hash. Version makes
// advancing it a compare-and-swap, so that appends from several server
// instances serialise without transactions.
type AuditHead struct {
	Seq     int64  `bson:"seq"`
	Hash    string `bson:"hash"`
	Version int64  `bson:"version"`
}

// AuditStore is the storage the audit log needs.
type AuditStore interface {
	FindAuditHead(ctx context.Context) (*AuditHead, error) // zero head when the log is empty
	// AdvanceAuditHead moves the head to (seq, hash) if its version is still
	// version; otherwise it fails with ECONFLICT.
	AdvanceAuditHead(ctx context.Context, version, seq int64, hash string) error
	// InsertAuditEntry stores e; an entry with the same Seq fails with ECONFLICT.
	InsertAuditEntry(ctx context.Context, e *AuditEntry) error
	// InsertAuditEntries stores entries in order in one command, stopping
	// at the first that fails (ECONFLICT when its Seq is taken, or its Key
	// is stored already), and says how many it stored. A count of 0 with an error other than ECONFLICT
	// may hide stored ones: the appender reads the chain to find out.
	InsertAuditEntries(ctx context.Context, entries []*AuditEntry) (int, error)
	FindAuditEntry(ctx context.Context, seq int64) (*AuditEntry, error)
	// ScanAudit calls fn for every entry in ascending Seq order.
	ScanAudit(ctx context.Context, fn func(*AuditEntry) error) error
	// FindAuditEntries lists entries for one object, newest first.
	FindAuditEntries(ctx context.Context, objectType, objectID string, limit int) ([]*AuditEntry, error)
}

// AuditLog appends to and verifies the hash-chained audit log.
//
// Appends are group-committed: the records of all the requests of this
// process that arrive while one batch is written go into the next one,
// which costs one insert and one head update however many records it
// holds. One waiting request at a time writes (the leader); after its batch
// it hands the lead to the first request still waiting, so that nobody
// writes for others for long. Several instances race for the head as
// before, and its compare-and-set settles it.
type AuditLog struct {
	Store AuditStore
	Now   func() time.Time

	qmu     sync.Mutex
	queue   []*auditWaiter
	leading bool // a request is writing a batch, or has been handed the lead
	// head is the head this process last wrote, used only by the leader:
	// the next batch starts from it without reading the store. Another
	// instance's append shows as a conflict, and the head is read again.
	head *AuditHead
}

// maxAuditBatch bounds the records of one group commit (one insert).
const maxAuditBatch = 256

type auditWaiter struct {
	e    *AuditEntry
	done chan auditResult // one result; or first the lead, then the result
}

type auditResult struct {
	err  error
	lead bool // write the next batch, then wait for the result
}

// AuditKey names the record of one version of an object: the idempotency
// key of its audit entry (AuditRecord.Key).
func AuditKey(objectType, objectID string, version int64) string {
	return objectType + "/" + objectID + "/" + strconv.FormatInt(version, 10)
}

// AuditRecord is what a service states about a change.
type AuditRecord struct {
	Action     string // e.g. "target.create"
	ObjectType string
	ObjectID   string
	Outcome    string // OutcomeOK when empty
	Change     any    // digested, not stored
	Detail     string // short human-readable note
	// Key, when set, makes the record idempotent (AuditKey): appending it
	// again, by a retried request or a sweeper, stores nothing.
	Key string
}

const maxAuditRetries = 64

func (l *AuditLog) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Append records r for the actor in ctx (or the system when none).
func (l *AuditLog) Append(ctx context.Context, r AuditRecord) (*AuditEntry, error) {
	list, err := l.AppendAll(ctx, []AuditRecord{r})
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// AppendAll records rs for the actor in ctx, in order and next to one
// another in the chain (up to maxAuditBatch of them go into one insert).
// On an error, the records before the failed one may be stored.
func (l *AuditLog) AppendAll(ctx context.Context, rs []AuditRecord) ([]*AuditEntry, error) {
	now := l.now()
	entries := make([]*AuditEntry, len(rs))
	for i, r := range rs {
		e := NewAuditEntry(ctx, now, r)
		entries[i] = &e
	}
	if err := l.append(ctx, entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// Prepare builds the entry r will be, for the actor in ctx and now, without
// appending it: what an outbox stores beside a change (outbox.go).
func (l *AuditLog) Prepare(ctx context.Context, r AuditRecord) AuditEntry {
	return NewAuditEntry(ctx, l.now(), r)
}

// NewAuditEntry is the entry of r for the actor in ctx at time now, not
// yet chained (no Seq, no hashes).
func NewAuditEntry(ctx context.Context, now time.Time, r AuditRecord) AuditEntry {
	actor, role, addr := "anonymous", Role(""), ""
	if a := ActorFrom(ctx); a != nil {
		actor, role, addr = a.UserID, a.Role, a.ClientAddr
	}
	e := AuditEntry{Time: now.UTC().Truncate(time.Millisecond), Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID,
		Outcome: r.Outcome, Detail: r.Detail, Actor: actor, Role: role, ClientAddr: addr, Key: r.Key, RequestID: RequestIDFrom(ctx)}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	if r.Change != nil {
		e.Digest = Digest(r.Change)
	}
	return e
}

// AppendEntries chains prepared entries (Prepare, NewAuditEntry) as they
// are: their time and actor are the change's, whoever appends them. An
// entry whose Key the log holds already is not chained again.
func (l *AuditLog) AppendEntries(ctx context.Context, es []AuditEntry) error {
	entries := make([]*AuditEntry, len(es))
	for i := range es {
		e := es[i]
		e.Seq, e.PrevHash, e.Hash = 0, "", ""
		entries[i] = &e
	}
	return l.append(ctx, entries)
}

// append queues entries for the group commit and waits for their results.
// An entry found stored already by its key comes back with Seq 0.
func (l *AuditLog) append(ctx context.Context, entries []*AuditEntry) error {
	const op = "AuditLog.Append"
	waiters := make([]*auditWaiter, len(entries))
	for i, e := range entries {
		waiters[i] = &auditWaiter{e: e, done: make(chan auditResult, 1)}
	}
	l.qmu.Lock()
	l.queue = append(l.queue, waiters...)
	lead := !l.leading
	l.leading = true
	l.qmu.Unlock()
	var first error
	for _, w := range waiters {
		for {
			if lead {
				// The batch holds other requests' records: the leader's
				// own cancellation must not cut it short.
				l.commitNext(context.WithoutCancel(ctx))
				lead = false
			}
			r := <-w.done
			if r.lead {
				lead = true
				continue
			}
			if r.err != nil && first == nil {
				first = wrap(op, r.err)
			}
			break
		}
	}
	return first
}

// commitNext writes the next batch of waiting records, tells each its
// result and hands the lead to the first record still waiting.
func (l *AuditLog) commitNext(ctx context.Context) {
	l.qmu.Lock()
	n := min(len(l.queue), maxAuditBatch)
	batch := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.qmu.Unlock()

	entries := make([]*AuditEntry, len(batch))
	for i, w := range batch {
		entries[i] = w.e
	}
	stored, err := l.commit(ctx, entries)
	for i, w := range batch {
		if i < stored {
			w.done <- auditResult{}
		} else {
			w.done <- auditResult{err: err}
		}
	}

	l.qmu.Lock()
	if len(l.queue) == 0 {
		l.leading = false
		l.qmu.Unlock()
		return
	}
	next := l.queue[0]
	l.qmu.Unlock()
	next.done <- auditResult{lead: true}
}

// commit chains entries after the head and stores them, retrying after the
// entries of other instances, and returns how many it settled (in order):
// stored, or dropped because their key is in the log already.
func (l *AuditLog) commit(ctx context.Context, entries []*AuditEntry) (int, error) {
	done := 0
	for conflicts := 0; conflicts < maxAuditRetries; {
		if conflicts > 0 { // another instance got there first: let it finish
			time.Sleep(time.Duration(rand.IntN(conflicts*int(time.Millisecond) + 1)))
		}
		head := l.head
		var err error
		if head == nil {
			if head, err = l.Store.FindAuditHead(ctx); err != nil {
				return done, err
			}
		}
		l.head = nil // until this batch has advanced it
		rest := entries[done:]
		prev, seq := head.Hash, head.Seq
		for _, e := range rest {
			seq++
			e.Seq, e.PrevHash = seq, prev
			e.Hash = e.ComputeHash()
			prev = e.Hash
		}
		n, err := l.Store.InsertAuditEntries(ctx, rest)
		version := head.Version
		if n > 0 {
			last := rest[n-1]
			aerr := l.Store.AdvanceAuditHead(ctx, version, last.Seq, last.Hash)
			switch {
			case aerr == nil:
				version++
				if n == len(rest) && err == nil {
					l.head = &AuditHead{Seq: last.Seq, Hash: last.Hash, Version: version}
				}
			case !IsCode(aerr, ECONFLICT):
				return done + n, aerr
			}
			// On ECONFLICT a concurrent appender already advanced the head
			// past these entries after finding them: they are in the chain
			// either way.
			done += n
		}
		if done == len(entries) && err == nil {
			return done, nil
		}
		if err != nil && !IsCode(err, ECONFLICT) {
			return done, err
		}
		// entries[done] was refused: its Seq is taken (another instance
		// appended it but has not advanced the head yet, or died before it
		// could), or its key is. What holds the Seq tells which.
		e := entries[done]
		other, ferr := l.Store.FindAuditEntry(ctx, e.Seq)
		switch {
		case IsCode(ferr, ENOTFOUND) && e.Key != "":
			// Nothing holds the Seq: the record is in the log already
			// (appended by a sweeper, a retry, or earlier in this batch).
			// Drop it and chain the rest after the head as it is.
			e.Seq, e.PrevHash, e.Hash = 0, "", ""
			done++
			if done == len(entries) {
				return done, nil
			}
			continue
		case ferr != nil:
			return done, ferr
		case e.Key != "" && other.Key == e.Key:
			// Another appender chained this very record at this Seq.
			*e = *other
			done++
		default:
			conflicts++
		}
		// Help the appender of other along, then go on after it.
		_ = l.Store.AdvanceAuditHead(ctx, version, other.Seq, other.Hash)
		if done == len(entries) {
			return done, nil
		}
	}
	return done, &Error{Code: EUNAVAILABLE, Message: "audit log is too busy, try again"}
}

// AuditProblem describes the first place where the chain is broken.
type AuditProblem struct {
	Seq    int64
	Reason string
}

func (p *AuditProblem) Error() string { return fmt.Sprintf("audit entry %d: %s", p.Seq, p.Reason) }

// Verify walks the whole log and returns the number of intact entries and,
// when the chain is broken, the first bad entry.
func (l *AuditLog) Verify(ctx context.Context) (int64, *AuditProblem, error) {
	c, problem, err := l.Check(ctx)
	return c.Entries, problem, err
}

// AuditCheck is what a walk of the log found intact: how many entries, and
// the last of them. A chain can be cut short or rewritten and rechained by
// someone who can write the store; the last entry's sequence number and
// hash, compared with a copy kept elsewhere, show either.
type AuditCheck struct {
	Entries  int64     `json:"entries"`
	LastSeq  int64     `json:"lastSeq"`
	LastHash string    `json:"lastHash"`
	LastTime time.Time `json:"lastTime"`
}

// Check is Verify that also returns the last intact entry.
func (l *AuditLog) Check(ctx context.Context) (AuditCheck, *AuditProblem, error) {
	var (
		c       AuditCheck
		problem *AuditProblem
	)
	errStop := fmt.Errorf("stop")
	err := l.Store.ScanAudit(ctx, func(e *AuditEntry) error {
		want := c.Entries + 1
		switch {
		case e.Seq != want:
			problem = &AuditProblem{Seq: want, Reason: fmt.Sprintf("missing (next stored entry is %d)", e.Seq)}
		case e.PrevHash != c.LastHash:
			problem = &AuditProblem{Seq: e.Seq, Reason: "does not link to the entry before it (prevHash differs)"}
		case e.ComputeHash() != e.Hash:
			problem = &AuditProblem{Seq: e.Seq, Reason: "content was altered (hash does not match)"}
		}
		if problem != nil {
			return errStop
		}
		c = AuditCheck{Entries: e.Seq, LastSeq: e.Seq, LastHash: e.Hash, LastTime: e.Time}
		return nil
	})
	if err != nil && err != errStop {
		return c, nil, wrap("AuditLog.Verify", err)
	}
	if problem != nil {
		return c, problem, nil
	}
	n := c.Entries
	head, err := l.Store.FindAuditHead(ctx)
	if err != nil {
		return c, nil, wrap("AuditLog.Verify", err)
	}
	// The head may lag by entries appended by an instance that died before
	// advancing it, never lead: a head past the last entry means entries at
	// the end were deleted.
	if head.Seq > n {
		return c, &AuditProblem{Seq: n + 1, Reason: fmt.Sprintf("missing: the log head records %d entries, only %d are stored", head.Seq, n)}, nil
	}
	if head.Seq > 0 && head.Seq <= n {
		e, err := l.Store.FindAuditEntry(ctx, head.Seq)
		if err != nil {
			return c, nil, wrap("AuditLog.Verify", err)
		}
		if e.Hash != head.Hash {
			return c, &AuditProblem{Seq: head.Seq, Reason: "differs from the hash recorded in the log head"}, nil
		}
	}
	return c, nil, nil
}

// CheckEntry reports whether entry seq is stored with hash: a head recorded
// earlier (by `audit verify`, on paper, in another system) still stands.
func (l *AuditLog) CheckEntry(ctx context.Context, seq int64, hash string) (*AuditProblem, error) {
	e, err := l.Store.FindAuditEntry(ctx, seq)
	if IsCode(err, ENOTFOUND) {
		return &AuditProblem{Seq: seq, Reason: "missing: an entry recorded earlier is no longer stored (the log was cut short)"}, nil
	}
	if err != nil {
		return nil, wrap("AuditLog.CheckEntry", err)
	}
	if e.Hash != hash {
		return &AuditProblem{Seq: seq, Reason: "its hash differs from the one recorded earlier (the log was rewritten)"}, nil
	}
	return nil, nil
}

// Entries returns the newest entries about one object. Only administrators
// read the audit log.
func (l *AuditLog) Entries(ctx context.Context, objectType, objectID string, limit int) ([]*AuditEntry, error) {
	if _, err := requireReader(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	if err := checkText("objectType", objectType, 1, 40); err != nil {
		return nil, err
	}
	if err := checkText("objectId", objectID, 1, 200); err != nil {
		return nil, err
	}
	p := PageRequest{Limit: limit}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return l.Store.FindAuditEntries(ctx, objectType, objectID, p.Limit)
}

// AuditChainReport is the outcome of a walk of the whole audit log asked
// for by an administrator (the console's 验证审计链).
type AuditChainReport struct {
	Intact bool `json:"intact"`
	// Check is what was found intact: every entry when Intact, those
	// before the first bad one otherwise.
	Check AuditCheck `json:"check"`
	// Problem is the first bad entry, when the chain is broken.
	Problem   *AuditChainProblem `json:"problem,omitempty"`
	CheckedAt time.Time          `json:"checkedAt"`
}

// AuditChainProblem is an AuditProblem as the API shows it.
type AuditChainProblem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// VerifyChain walks the whole log as `fieldcheck audit verify` does (chain
// links, hashes, the head) while the server runs, for administrators, and
// records who asked and what was found. It reads every entry: an explicit
// action, never a page's load.
func (l *AuditLog) VerifyChain(ctx context.Context) (*AuditChainReport, error) {
	a, err := requireWriter(ctx, RoleAdmin)
	if err != nil {
		_, _ = l.Append(ctx, AuditRecord{Action: "audit.verify", ObjectType: "audit-log", ObjectID: "chain", Outcome: OutcomeDenied, Detail: ErrorMessage(err)})
		return nil, err
	}
	c, problem, err := l.Check(ctx)
	if err != nil {
		return nil, err
	}
	r := &AuditChainReport{Intact: problem == nil, Check: c, CheckedAt: l.now()}
	detail := fmt.Sprintf("by %s: intact, %d entries, head %d %s", a.UserID, c.Entries, c.LastSeq, c.LastHash)
	if problem != nil {
		r.Problem = &AuditChainProblem{Seq: problem.Seq, Reason: problem.Reason}
		detail = fmt.Sprintf("by %s: NOT intact at entry %d: %s (%d entries before it intact)", a.UserID, problem.Seq, problem.Reason, c.Entries)
	}
	if _, err := l.Append(ctx, AuditRecord{Action: "audit.verify", ObjectType: "audit-log", ObjectID: "chain", Detail: detail}); err != nil {
		return nil, err
	}
	return r, nil
}
