package fcsync

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Queue is one device's durable storage: the mutations made offline and not
// yet answered by the server, in order, and the local state (the cursor and
// the tasks held). It lives in a directory of its own, which belongs to one
// device and one open Queue at a time.
//
// The mutations are kept in an append-only log, queue.log. Each record is
//
//	uint32 length, uint32 CRC-32C of the payload (both big-endian), payload (JSON)
//
// and every append is fsynced before it returns, so a mutation that Enqueue
// accepted survives the process being killed at any instant. The first
// record is a head: the op id prefix of this queue and the next sequence
// number. An "add" record holds a mutation, a "done" record says that a
// mutation got its final answer (applied, duplicate, conflict or
// rejected). When nothing is pending, or when most of the log is done, the
// log is rewritten (to a temporary file, fsynced, renamed over the old one)
// with the pending mutations only.
//
// A record torn by a crash during an append can only be at the end of the
// log: OpenQueue stops at the first record that is short or fails its
// checksum, cuts the log there and says so in Recovery. Such a record was
// never acknowledged to the caller, so nothing acknowledged is lost. A
// mutation whose answer arrived but whose "done" record was not written is
// simply sent again: the server answers it as a duplicate.
//
// The local state is a JSON snapshot, state.json, replaced atomically
// (temporary file, fsync, rename) whenever it changes.
type Queue struct {
	dir string

	mu      sync.Mutex
	log     *os.File
	size    int64  // bytes of the log
	records int    // records in the log
	prefix  string // op id prefix, random per queue directory
	next    uint64 // sequence number of the next op id
	pending []Mutation
	index   map[string]int // op id → position in pending (before compaction of the slice)
	state   LocalState
	rec     Recovery
	broken  error // an append failed and could not be undone
}

// LocalState is what a device holds of the server's view: apply each pull
// page to it, and store it with the page's cursor.
type LocalState struct {
	Cursor string               `json:"cursor"`
	Tasks  map[string]*TaskView `json:"tasks"`
	// Templates are the checklist templates received, by id
	// ("<item>@<version>"): every one a held task names.
	Templates  map[string]*Template `json:"templates"`
	Keys       *qr.PublicKeySet     `json:"keys,omitempty"`
	ServerTime time.Time            `json:"serverTime"`
	// Limits are the server's, as last fetched (Client.FetchLimits).
	Limits *Limits `json:"limits,omitempty"`
}

// Apply applies one pull page to the state, as the protocol says: on the
// first page of a full download (the state's cursor is empty) the tasks
// held are dropped, the scope coming whole; templates are kept; a task
// replaces the one held unless that one is newer; a tombstone drops its
// task; the page's cursor is the state's. It returns how many tasks were
// added or replaced and how many dropped.
func (s *LocalState) Apply(page *PullResponse) (changed, removed int) {
	if s.Cursor == "" || s.Tasks == nil {
		// A full download is the whole scope: what it does not name is
		// no longer ours.
		s.Tasks = map[string]*TaskView{}
	}
	if s.Templates == nil {
		s.Templates = map[string]*Template{}
	}
	for _, t := range page.Templates {
		if t != nil {
			s.Templates[t.ID()] = t
		}
	}
	for _, v := range page.Tasks {
		if v == nil || v.Task == nil {
			continue
		}
		if old, ok := s.Tasks[v.Task.ID]; ok && old.Task.Version > v.Task.Version {
			continue
		}
		s.Tasks[v.Task.ID] = v
		changed++
	}
	for _, r := range page.Removed {
		if _, ok := s.Tasks[r.TaskID]; ok {
			delete(s.Tasks, r.TaskID)
			removed++
		}
	}
	s.Cursor = page.Cursor
	if page.Keys != nil {
		s.Keys = page.Keys
	}
	s.ServerTime = page.ServerTime
	return changed, removed
}

// Form returns the form of a held task, merged from the templates held.
func (s *LocalState) Form(taskID string) (*backend.Checklist, error) {
	v := s.Tasks[taskID]
	if v == nil || v.Task == nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %s is not held", taskID)
	}
	return Form(v.Task, s.Templates)
}

// Recovery says what OpenQueue found.
type Recovery struct {
	Records      int    // good records read from the log
	Pending      int    // mutations waiting for an answer
	Dropped      int    // torn or corrupt records cut from the end of the log (0 or 1)
	DroppedBytes int64  // bytes cut from the end of the log
	Reason       string // why the log was cut, for the logs
	StateReset   bool   // state.json was unreadable: the device pulls from the start
}

const (
	logName      = "queue.log"
	stateName    = "state.json"
	tmpSuffix    = ".tmp"
	headerLen    = 8
	maxRecord    = 4 << 20 // a mutation is at most MaxPayloadBytes; anything much longer is corruption
	compactBytes = 1 << 20 // rewrite a log this long when most of it is done
	logVersion   = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is one entry of the log.
type record struct {
	Type   string    `json:"t"`              // head, add, done
	V      int       `json:"v,omitempty"`    // head: format version
	Prefix string    `json:"p,omitempty"`    // head: op id prefix
	Next   uint64    `json:"n,omitempty"`    // head: next sequence number; add: its sequence number
	M      *Mutation `json:"m,omitempty"`    // add
	Op     string    `json:"op,omitempty"`   // done
	Status string    `json:"s,omitempty"`    // done: the final answer
	At     time.Time `json:"at,omitzero"`    // add, done: when, for the curious
	Detail string    `json:"code,omitempty"` // done: the error code of a refusal
}

// OpenQueue opens the queue in dir, creating it when it does not exist.
func OpenQueue(dir string) (*Queue, error) {
	const op = "fcsync.OpenQueue"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	for _, name := range []string{logName + tmpSuffix, stateName + tmpSuffix} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, &backend.Error{Op: op, Err: err}
		}
	}
	q := &Queue{dir: dir, index: map[string]int{}}
	if err := q.loadLog(); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	if err := q.loadState(); err != nil {
		q.log.Close()
		return nil, &backend.Error{Op: op, Err: err}
	}
	q.rec.Pending = len(q.pending)
	return q, nil
}

// newPrefix makes the op id prefix of a new queue: a directory that is
// wiped and created again must not reuse the op ids the server has
// recorded for this device with other bodies.
func newPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (q *Queue) loadLog() error {
	path := filepath.Join(q.dir, logName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		q.prefix, q.next = newPrefix(), 1
		return q.rewrite()
	}
	if err != nil {
		return err
	}
	good, reason := q.replay(data)
	if good < int64(len(data)) {
		q.rec.Dropped = 1
		q.rec.DroppedBytes = int64(len(data)) - good
		q.rec.Reason = reason
	}
	if q.prefix == "" {
		// Not even the head survived: start a new queue. Whatever was in
		// it was never acknowledged.
		q.prefix, q.next = newPrefix(), 1
		q.pending, q.index = nil, map[string]int{}
		return q.rewrite()
	}
	if good < int64(len(data)) {
		if err := truncateSync(path, good); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	q.log, q.size = f, good
	return nil
}

// replay reads the log's records and returns the length of its good
// prefix, and why the rest (if any) was refused.
func (q *Queue) replay(data []byte) (int64, string) {
	var off int64
	done := map[string]bool{}
	var adds []Mutation
	for off < int64(len(data)) {
		rest := data[off:]
		if len(rest) < headerLen {
			return q.finish(off, adds, done, fmt.Sprintf("a torn record header at byte %d", off))
		}
		n := binary.BigEndian.Uint32(rest[0:4])
		sum := binary.BigEndian.Uint32(rest[4:8])
		if n > maxRecord {
			return q.finish(off, adds, done, fmt.Sprintf("an impossible record length %d at byte %d", n, off))
		}
		if int64(len(rest)) < headerLen+int64(n) {
			return q.finish(off, adds, done, fmt.Sprintf("a torn record at byte %d (%d of %d bytes)", off, len(rest)-headerLen, n))
		}
		payload := rest[headerLen : headerLen+n]
		if crc32.Checksum(payload, castagnoli) != sum {
			return q.finish(off, adds, done, fmt.Sprintf("a record failing its checksum at byte %d", off))
		}
		var r record
		if err := json.Unmarshal(payload, &r); err != nil {
			return q.finish(off, adds, done, fmt.Sprintf("an undecodable record at byte %d", off))
		}
		switch {
		case q.records == 0 && (r.Type != "head" || r.V != logVersion || !validOpID(r.Prefix)):
			return q.finish(off, adds, done, "no valid head record")
		case r.Type == "head":
			if q.records != 0 {
				return q.finish(off, adds, done, fmt.Sprintf("a second head record at byte %d", off))
			}
			q.prefix, q.next = r.Prefix, max(r.Next, 1)
		case r.Type == "add" && r.M != nil:
			adds = append(adds, *r.M)
			q.next = max(q.next, r.Next+1)
		case r.Type == "done":
			done[r.Op] = true
		default:
			return q.finish(off, adds, done, fmt.Sprintf("an unknown record %q at byte %d", r.Type, off))
		}
		q.records++
		off += headerLen + int64(n)
	}
	return q.finish(off, adds, done, "")
}

func (q *Queue) finish(off int64, adds []Mutation, done map[string]bool, reason string) (int64, string) {
	for _, m := range adds {
		if !done[m.OpID] {
			q.index[m.OpID] = len(q.pending)
			q.pending = append(q.pending, m)
		}
	}
	q.rec.Records = q.records
	return off, reason
}

func (q *Queue) loadState() error {
	data, err := os.ReadFile(filepath.Join(q.dir, stateName))
	if errors.Is(err, os.ErrNotExist) {
		q.state = LocalState{Tasks: map[string]*TaskView{}}
		return nil
	}
	if err != nil {
		return err
	}
	var s LocalState
	if err := json.Unmarshal(data, &s); err != nil {
		// The snapshot is replaced atomically, so this is damage from
		// outside. It is only a copy of the server's view: pull it again.
		q.rec.StateReset = true
		s = LocalState{}
	}
	if s.Tasks == nil {
		s.Tasks = map[string]*TaskView{}
	}
	q.state = s
	return nil
}

// Recovery says what OpenQueue found in the directory.
func (q *Queue) Recovery() Recovery { return q.rec }

// Dir is the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// Close closes the log. Closing is not needed for durability: every
// change is on disk when its method returns.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.log == nil {
		return nil
	}
	err := q.log.Close()
	q.log = nil
	return err
}

// Enqueue appends mutations to the queue, durably, and returns them with
// their op ids: an empty OpID is given the queue's next one (unique for the
// directory's life), a set one must be valid and not pending already. The
// payload must be JSON of at most MaxPayloadBytes.
func (q *Queue) Enqueue(ms ...Mutation) ([]Mutation, error) {
	const op = "fcsync.Queue.Enqueue"
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.usable(op); err != nil {
		return nil, err
	}
	out := make([]Mutation, len(ms))
	seqs := make([]uint64, len(ms))
	next := q.next
	batch := map[string]bool{}
	for i, m := range ms {
		if m.OpID == "" {
			m.OpID = q.prefix + "-" + strconv.FormatUint(next, 10)
			seqs[i] = next
			next++
		}
		if err := checkMutation(m); err != nil {
			return nil, &backend.Error{Code: backend.EINVALID, Op: op, Message: err.Error()}
		}
		if _, dup := q.index[m.OpID]; dup || batch[m.OpID] {
			return nil, backend.Errorf(backend.EINVALID, "op id %s is already queued", m.OpID)
		}
		batch[m.OpID] = true
		out[i] = m
	}
	now := time.Now().UTC()
	var buf []byte
	for i := range out {
		var err error
		if buf, err = appendRecord(buf, record{Type: "add", Next: seqs[i], M: &out[i], At: now}); err != nil {
			return nil, &backend.Error{Op: op, Err: err}
		}
	}
	if err := q.append(buf, len(out)); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	q.next = next
	for _, m := range out {
		q.index[m.OpID] = len(q.pending)
		q.pending = append(q.pending, m)
	}
	return out, nil
}

func checkMutation(m Mutation) error {
	switch {
	case !validOpID(m.OpID):
		return fmt.Errorf("op id %q must be 1-%d letters, digits, '-', '_' or '.'", m.OpID, MaxOpIDLength)
	case m.Entity == "":
		return errors.New("the entity is required")
	case len(m.Payload) > MaxPayloadBytes:
		return fmt.Errorf("the payload is %d bytes, more than the %d a mutation may carry", len(m.Payload), MaxPayloadBytes)
	case !json.Valid(m.Payload):
		return errors.New("the payload is not JSON")
	}
	return nil
}

// Pending returns the mutations waiting for an answer, in the order they
// were queued.
func (q *Queue) Pending() []Mutation {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Mutation(nil), q.pending...)
}

// Len is the number of mutations waiting for an answer.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// Complete records final answers and takes their mutations off the queue.
// Answers for op ids that are not pending are ignored (a second answer to
// a replayed batch).
func (q *Queue) Complete(results []MutationResult) error {
	const op = "fcsync.Queue.Complete"
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.usable(op); err != nil {
		return err
	}
	now := time.Now().UTC()
	var buf []byte
	finished := map[string]bool{}
	for _, r := range results {
		if _, ok := q.index[r.OpID]; !ok || finished[r.OpID] || !Final(r.Status) {
			continue
		}
		finished[r.OpID] = true
		var err error
		if buf, err = appendRecord(buf, record{Type: "done", Op: r.OpID, Status: r.Status, Detail: r.Code, At: now}); err != nil {
			return &backend.Error{Op: op, Err: err}
		}
	}
	if len(finished) == 0 {
		return nil
	}
	if err := q.append(buf, len(finished)); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	kept := q.pending[:0]
	for _, m := range q.pending {
		if !finished[m.OpID] {
			kept = append(kept, m)
		}
	}
	clear(q.pending[len(kept):])
	q.pending = kept
	clear(q.index)
	for i, m := range q.pending {
		q.index[m.OpID] = i
	}
	if len(q.pending) == 0 || q.size > compactBytes && q.records > 4*len(q.pending) {
		if err := q.rewrite(); err != nil {
			// The answers are recorded; the log is just longer than it
			// needs to be.
			return &backend.Error{Op: op, Message: "compact the log", Err: err}
		}
	}
	return nil
}

// Final reports whether a mutation's status is a final answer.
func Final(status string) bool {
	switch status {
	case Applied, Duplicate, Conflict, Rejected:
		return true
	}
	return false
}

func (q *Queue) usable(op string) error {
	switch {
	case q.broken != nil:
		return &backend.Error{Op: op, Message: "the queue's log could not be repaired after a failed write; open the queue again", Err: q.broken}
	case q.log == nil:
		return &backend.Error{Op: op, Message: "the queue is closed"}
	}
	return nil
}

// append writes records at the end of the log and fsyncs. A failed append
// is cut off again, so that later records never follow a torn one.
func (q *Queue) append(buf []byte, n int) error {
	_, err := q.log.Write(buf)
	if err == nil {
		err = q.log.Sync()
	}
	if err != nil {
		if terr := q.log.Truncate(q.size); terr != nil {
			q.broken = terr
		}
		return err
	}
	q.size += int64(len(buf))
	q.records += n
	return nil
}

// rewrite replaces the log by a head and the pending mutations.
func (q *Queue) rewrite() error {
	var buf []byte
	buf, err := appendRecord(buf, record{Type: "head", V: logVersion, Prefix: q.prefix, Next: q.next})
	if err != nil {
		return err
	}
	for i := range q.pending {
		if buf, err = appendRecord(buf, record{Type: "add", M: &q.pending[i]}); err != nil {
			return err
		}
	}
	path := filepath.Join(q.dir, logName)
	if err := writeAtomic(path, buf); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		q.broken = err
		return err
	}
	if q.log != nil {
		q.log.Close()
	}
	q.log, q.size, q.records, q.broken = f, int64(len(buf)), 1+len(q.pending), nil
	return nil
}

func appendRecord(buf []byte, r record) ([]byte, error) {
	payload, err := json.Marshal(r)
	if err != nil {
		return buf, err
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(payload, castagnoli))
	return append(buf, payload...), nil
}

// State returns a copy of the local state. The task views are shared:
// treat them as read-only.
func (q *Queue) State() LocalState {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.state
	s.Tasks, s.Templates = maps.Clone(q.state.Tasks), maps.Clone(q.state.Templates)
	return s
}

// SaveState replaces the local state, durably.
func (q *Queue) SaveState(s LocalState) error {
	const op = "fcsync.Queue.SaveState"
	if s.Tasks == nil {
		s.Tasks = map[string]*TaskView{}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := writeAtomic(filepath.Join(q.dir, stateName), data); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	s.Tasks, s.Templates = maps.Clone(s.Tasks), maps.Clone(s.Templates)
	q.state = s
	return nil
}

// writeAtomic replaces path by data: a reader (or a restart) sees the old
// file or the new one, never a mixture.
func writeAtomic(path string, data []byte) error {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	_, err = w.Write(data)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory
// (and does not need to).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) {
		return nil // some file systems cannot sync directories
	}
	return err
}
