package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// WriteRequest appends bytes to an upload (tus PATCH).
type WriteRequest struct {
	ID     string
	Offset int64     // Upload-Offset: where the body starts
	Length int64     // the body's Content-Length; -1 when not known (chunked)
	Body   io.Reader // streamed: never held whole
	// Interrupt makes a Read of Body under way return at once with an
	// error (the adapter sets the connection's read deadline to now). A
	// later write of the same upload calls it: the phone has given up on
	// this request (its connection died without the server noticing), and
	// the upload's lock must not wait for the idle timeout.
	Interrupt func()
}

// lockFrom takes upload u's lock for holder. While another request holds
// it, that request is asked, through the store, to let go (see watch), and
// the lock is tried again every TakeoverPoll for up to TakeoverWait; then
// the answer is 409 with the time the other lock runs.
func (s *Service) lockFrom(ctx context.Context, u *backend.Upload, holder string) (*backend.Upload, error) {
	deadline := time.Now().Add(s.TakeoverWait)
	asked := ""
	for {
		locked, err := s.lock(ctx, u, holder)
		if !backend.IsCode(err, backend.ECONFLICT) {
			return locked, err
		}
		if u, err = s.Uploads.FindUpload(ctx, u.ID); err != nil {
			return nil, err
		}
		if u.Holder != "" && u.Holder != asked {
			if err := s.Uploads.RequestTakeover(ctx, u.ID, u.Holder, s.Now().Add(LockLease)); err != nil {
				return nil, err
			}
			asked = u.Holder
		}
		if !time.Now().Before(deadline) {
			wait := max(time.Second, u.LockedUntil.Sub(s.Now()))
			return nil, &backend.Error{Code: backend.ECONFLICT, Op: "evidence.Write",
				Message: "the upload is being written by another request that does not let go; try again later",
				Err:     &backend.RetryError{After: wait}}
		}
		select {
		case <-ctx.Done():
			return nil, &backend.Error{Code: backend.EUNAVAILABLE, Op: "evidence.Write", Message: "request cancelled", Err: ctx.Err()}
		case <-time.After(s.TakeoverPoll):
		}
	}
}

// watch looks every TakeoverPoll whether a later request asked holder to
// let go of upload id (lockFrom on another instance) and then interrupts
// the body being read: the phone gave up on this request. stop ends the
// watch; after it returns, interrupt is no longer called.
func (s *Service) watch(ctx context.Context, id, holder string, interrupt func()) (stop func()) {
	if interrupt == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(s.TakeoverPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			asked, err := s.Uploads.TakeoverRequested(ctx, id, holder)
			select {
			case <-done:
				return
			default:
			}
			if err == nil && asked {
				interrupt()
				return
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// errStopping refuses a write on a server that shuts down: the phone
// resumes it in a moment, on the restarted server or another instance.
var errStopping = &backend.Error{Code: backend.EUNAVAILABLE, Op: "evidence.Write",
	Message: "the server is shutting down; resume the upload in a moment", Err: &backend.RetryError{After: 2 * time.Second}}

// Stop is called when the server shuts down: it interrupts this process's
// writes under way, each of which records how far it got (the upload's
// offset, hash state and staged bytes) before its request ends, so that
// the phone resumes from there; and it refuses writes from then on.
// Requests of other kinds finish within the shutdown's grace; an upload
// can take longer than any grace, so it is cut where it stands.
// Thumbnails being made in the background are given up (the next review
// makes them on request); Stop returns once they have ended.
func (s *Service) Stop() {
	s.init()
	s.mu.Lock()
	s.stopping = true
	var interrupts []func()
	for _, a := range s.active {
		if a.interrupt != nil {
			interrupts = append(interrupts, a.interrupt)
		}
	}
	s.mu.Unlock()
	for _, interrupt := range interrupts {
		interrupt()
	}
	s.stopBackground()
	s.preparing.Wait()
}

func (s *Service) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// active is a write under way in this process.
type active struct {
	interrupt func()
	done      chan struct{}
}

// takeOver interrupts this process's write of upload id, if one is under
// way, and waits (briefly) for it to record its progress and let go.
func (s *Service) takeOver(ctx context.Context, id string, req WriteRequest) (release func()) {
	me := &active{interrupt: req.Interrupt, done: make(chan struct{})}
	for range 50 {
		s.mu.Lock()
		old := s.active[id]
		if old == nil {
			s.active[id] = me
			stopping := s.stopping
			s.mu.Unlock()
			if stopping && me.interrupt != nil {
				me.interrupt() // Stop ran since Write looked: record and let go
			}
			return func() {
				s.mu.Lock()
				delete(s.active, id)
				s.mu.Unlock()
				close(me.done)
			}
		}
		s.mu.Unlock()
		if old.interrupt != nil {
			old.interrupt()
		}
		select {
		case <-old.done:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return func() {}
		}
	}
	return func() {}
}

var buffers sync.Map // piece size → *sync.Pool of []byte

func buffer(n int) (*[]byte, func()) {
	p, _ := buffers.LoadOrStore(n, &sync.Pool{New: func() any { b := make([]byte, n); return &b }})
	pool := p.(*sync.Pool)
	b := pool.Get().(*[]byte)
	return b, func() { pool.Put(b) }
}

// writer is one PATCH under way.
type writer struct {
	s         *Service
	u         *backend.Upload
	holder    string
	h         hash.Hash
	off       int64
	savedAt   time.Time
	savedOff  int64
	lastRenew time.Time
	// slotRenewed is when the write slot was last renewed (taken: at the
	// start of the write).
	slotRenewed time.Time
}

// Write appends the body at the upload's offset, streaming it into the
// staging area piece by piece; progress (offset and hash state) is
// recorded every few megabytes and at the end, so a cut connection or a
// stopped server loses at most the piece under way. When the last byte
// arrives the file is checked and becomes the slot's evidence. It returns
// the upload as recorded: its Offset is what the client resumes from.
func (s *Service) Write(ctx context.Context, req WriteRequest) (*backend.Upload, error) {
	s.init()
	if s.isStopping() {
		return nil, errStopping
	}
	a, err := uploader(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Status(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	if req.Offset != u.Offset {
		return u, offsetMismatch(u, req.Offset)
	}
	if req.Length > u.Size-u.Offset {
		return u, backend.Errorf(backend.EINVALID, "the body has %d bytes; the upload needs %d more", req.Length, u.Size-u.Offset)
	}
	if u.Done {
		return u, nil
	}
	holder := s.lockHolder()
	if err := s.takeSlot(ctx, a.UserID, u.ID, holder); err != nil {
		return u, err
	}
	defer s.releaseSlot(context.WithoutCancel(ctx), a.UserID, holder)
	defer s.takeOver(ctx, req.ID, req)()
	if u, err = s.lockFrom(ctx, u, holder); err != nil {
		return nil, err
	}
	now := s.Now()
	if u.Offset != req.Offset { // it moved while we took the lock
		s.unlock(u, holder)
		return u, offsetMismatch(u, req.Offset)
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
		s.unlock(u, holder)
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "evidence.Write", Message: "the upload's hash state is damaged", Err: err}
	}
	w := &writer{s: s, u: u, holder: holder, h: h, off: u.Offset, savedAt: now, savedOff: u.Offset, lastRenew: now, slotRenewed: now}
	stop := s.watch(ctx, u.ID, holder, req.Interrupt)
	err = w.receive(ctx, req.Body)
	stop()
	if err != nil {
		switch {
		case errors.Is(err, errRefused):
			return nil, err
		case errors.Is(err, errPastEnd):
			// The request is refused whole: what it brought is not
			// recorded (the upload stays where it stood, or at its last
			// checkpoint), so the phone sends it again from there. Were
			// it recorded, the upload would stand at its full length
			// unfiled, and a tus client would take it for done.
			s.unlock(w.u, holder)
			return w.u, err
		}
		w.save(context.WithoutCancel(ctx), false)
		return w.u, err
	}
	if w.off < u.Size {
		return w.u, w.save(ctx, false)
	}
	return s.finish(ctx, w)
}

// offsetMismatch answers a write that does not start where the upload
// stands (tus: 409, and the client asks with HEAD).
func offsetMismatch(u *backend.Upload, off int64) error {
	return backend.Errorf(backend.ECONFLICT, "the upload is at byte %d, not %d: resume from there", u.Offset, off)
}

func (s *Service) unlock(u *backend.Upload, holder string) {
	u.LockedUntil = time.Time{}
	_ = s.Uploads.SaveUpload(context.Background(), u, holder)
}

// receive copies the body into the staging area.
func (w *writer) receive(ctx context.Context, body io.Reader) error {
	chunk := int64(w.s.Store.StageChunk())
	bufp, put := buffer(int(chunk))
	defer put()
	buf := *bufp
	for w.off < w.u.Size {
		want := min(chunk-w.off%chunk, w.u.Size-w.off)
		n, rerr := w.readPiece(ctx, body, buf[:want])
		if n > 0 {
			if w.off == 0 && w.u.ContentType == "" && (n >= media.SniffLen || int64(n) == w.u.Size) {
				// Refuse a file of the wrong kind before the rest of it comes.
				ct, err := w.s.sniff(w.u, buf[:n])
				if err != nil {
					w.s.refuse(ctx, w.u, err)
					return err
				}
				w.u.ContentType = ct
			}
			if err := w.s.Store.WriteStaged(ctx, w.u.ID, w.off, buf[:n]); err != nil {
				return err
			}
			w.h.Write(buf[:n])
			w.off += int64(n)
			if w.off-w.savedOff >= checkpointBytes || w.s.Now().Sub(w.savedAt) >= renewEvery {
				if err := w.save(ctx, true); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF && w.off < w.u.Size {
			return nil // this PATCH carried part of the file
		}
		if rerr != nil && rerr != io.EOF {
			// Retryable: the phone resumes from the offset recorded.
			return backend.Errorf(backend.ECONFLICT, "the upload stopped at byte %d: %v", w.off, rerr)
		}
	}
	var one [1]byte
	if n, _ := body.Read(one[:]); n > 0 {
		return &backend.Error{Code: backend.EINVALID, Message: fmt.Sprintf("the body goes past the upload's %d bytes", w.u.Size), Err: errPastEnd}
	}
	return nil
}

// errPastEnd marks a request whose body goes past the upload's length.
var errPastEnd = errors.New("past the end")

// readPiece fills p from the body like io.ReadFull, renewing the lock while
// a slow network takes its time.
func (w *writer) readPiece(ctx context.Context, body io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := body.Read(p[n:])
		n += k
		if err != nil {
			return n, err
		}
		if w.s.Now().Sub(w.lastRenew) >= renewEvery {
			if err := w.renew(ctx); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// renew extends the lock and the write slot without recording progress:
// the bytes in the piece under way are not staged yet.
func (w *writer) renew(ctx context.Context) error {
	now := w.s.Now()
	w.u.LockedUntil, w.u.UpdatedAt, w.u.ExpiresAt = now.Add(LockLease), now, now.Add(w.s.Expiry)
	w.lastRenew = now
	if err := w.s.Uploads.SaveUpload(ctx, w.u, w.holder); err != nil {
		return err
	}
	return w.renewSlot(ctx, now)
}

// renewSlot extends the write slot as often as the lock.
func (w *writer) renewSlot(ctx context.Context, now time.Time) error {
	if now.Sub(w.slotRenewed) < renewEvery {
		return nil
	}
	w.slotRenewed = now
	return w.s.renewSlot(ctx, w.u.UserID, w.holder)
}

// save records the progress: offset and hash state, which describe the
// same bytes. keep says whether the lock stays held.
func (w *writer) save(ctx context.Context, keep bool) error {
	if w.off > w.savedOff {
		if err := w.s.Store.SyncStaged(ctx, w.u.ID); err != nil {
			return err
		}
	}
	now := w.s.Now()
	w.u.Offset, w.u.HashState = w.off, hashState(w.h)
	w.u.UpdatedAt, w.u.ExpiresAt = now, now.Add(w.s.Expiry)
	w.u.LockedUntil = now.Add(LockLease)
	if !keep {
		w.u.LockedUntil = time.Time{}
	}
	err := w.s.Uploads.SaveUpload(ctx, w.u, w.holder)
	if err == nil {
		w.savedAt, w.savedOff, w.lastRenew = now, w.off, now
		if !keep {
			w.u.Holder = ""
		} else {
			err = w.renewSlot(ctx, now)
		}
	}
	return err
}

// sniff names the file's type from its first bytes and refuses a type the
// slot's kind does not take.
func (s *Service) sniff(u *backend.Upload, head []byte) (string, error) {
	ct := media.Sniff(head)
	if ct == "" || !media.Allowed(u.Type, ct) {
		what := ct
		if what == "" {
			what = "a file of unknown type"
		}
		return "", refused("evidence %q is %s; a %s must be one of: %s", u.SlotID, what, u.Type, strings.Join(media.AllowedTypes(u.Type), ", "))
	}
	return ct, nil
}

// refuse drops an upload whose bytes cannot be evidence, and records why.
func (s *Service) refuse(ctx context.Context, u *backend.Upload, why error) {
	ctx = context.WithoutCancel(ctx)
	_ = s.Store.DiscardStaged(ctx, u.ID)
	_ = s.Uploads.DeleteUpload(ctx, u.ID)
	_, _ = s.Audit.Append(ctx, backend.AuditRecord{
		Action: "evidence.refuse", ObjectType: "task", ObjectID: u.TaskID, Outcome: backend.OutcomeDenied,
		Detail: fmt.Sprintf("slot %s upload %s: %s", u.SlotID, u.ID, backend.ErrorMessage(why)),
	})
}

// finish checks a complete upload and makes it the slot's evidence.
func (s *Service) finish(ctx context.Context, w *writer) (*backend.Upload, error) {
	u := w.u
	sum := hex.EncodeToString(w.h.Sum(nil))
	if sum != u.SHA256 {
		err := refused("the file's SHA-256 is %s, but evidence %q was declared as %s: nothing was kept; upload the declared file", sum, u.SlotID, u.SHA256)
		s.refuse(ctx, u, err)
		s.finished(UploadRefused, u.Size)
		return nil, err
	}
	receipt, err := s.inspect(ctx, u)
	if err != nil {
		if backend.IsCode(err, backend.EINVALID) {
			s.finished(UploadRefused, u.Size)
		}
		s.refuse(ctx, u, err)
		return nil, err
	}
	if err := s.Store.CommitStaged(ctx, u.ID, sum, u.Size); err != nil {
		w.save(context.WithoutCancel(ctx), false)
		return nil, err
	}
	w.savedOff = w.off // committed: the staging is gone, nothing left to sync
	receipt.By, receipt.DeviceID, receipt.At, receipt.UploadID = u.UserID, u.DeviceID, s.now(), u.ID
	var typ backend.EvidenceType
	_, err = backend.UpdateTaskWith(ctx, s.Tasks, u.TaskID, func(t *backend.Task) (bool, error) {
		slot, ok := t.FindEvidence(u.SlotID)
		if !ok || slot.SHA256 != u.SHA256 {
			return false, backend.Errorf(backend.ECONFLICT, "evidence %q of task %s is no longer declared as this file", u.SlotID, u.TaskID)
		}
		typ = slot.Type
		if slot.Uploaded {
			return false, nil // another upload of the same file finished first
		}
		slot.Uploaded, slot.Received = true, &receipt
		// The record travels with the write (backend/outbox.go).
		t.Audit = []backend.AuditRecord{{
			Action: "evidence.receive", ObjectType: "task", ObjectID: u.TaskID,
			Change: struct {
				Slot, SHA256, ContentType, Upload, Device string
				Size                                      int64
			}{u.SlotID, sum, receipt.ContentType, u.ID, u.DeviceID, u.Size},
			Detail: fmt.Sprintf("slot %s sha256 %s size %d type %s device %s upload %s", u.SlotID, sum, u.Size, receipt.ContentType, u.DeviceID, u.ID),
		}}
		return true, nil
	})
	if err != nil {
		w.save(context.WithoutCancel(ctx), false)
		return nil, err
	}
	u.Done, u.ContentType = true, receipt.ContentType
	s.finished(UploadFiled, u.Size)
	s.prepare(backend.EvidenceSlot{ID: u.SlotID, Type: typ, SHA256: sum, Uploaded: true, Received: &receipt})
	if err := w.save(ctx, false); err != nil {
		return u, nil // the evidence is in; the record expires on its own
	}
	return u, nil
}

func (s *Service) finished(result string, size int64) {
	if s.Finished != nil {
		s.Finished(result, size)
	}
}

// inspect checks the staged bytes: their type by sniffing, and for images
// the dimensions in the header, before anything decodes them.
func (s *Service) inspect(ctx context.Context, u *backend.Upload) (backend.EvidenceReceipt, error) {
	r, err := s.Store.OpenStaged(ctx, u.ID, u.Size)
	if err != nil {
		return backend.EvidenceReceipt{}, err
	}
	defer r.Close()
	head := make([]byte, min(int64(media.SniffLen), u.Size))
	if _, err := io.ReadFull(r, head); err != nil {
		return backend.EvidenceReceipt{}, err
	}
	ct, err := s.sniff(u, head)
	if err != nil {
		return backend.EvidenceReceipt{}, err
	}
	cfg, err := media.CheckImage(io.MultiReader(bytes.NewReader(head), r), ct, s.Images)
	if err != nil {
		return backend.EvidenceReceipt{}, refused("evidence %q: %s", u.SlotID, backend.ErrorMessage(err))
	}
	return backend.EvidenceReceipt{ContentType: ct, Width: cfg.Width, Height: cfg.Height}, nil
}

// imageTypes are the kinds of evidence that get thumbnails and previews.
var imageTypes = []backend.EvidenceType{backend.EvidencePhoto, backend.EvidenceSignature}

// HasPreview reports whether a slot's bytes can be shown as an image.
func HasPreview(e *backend.EvidenceSlot) bool {
	return e.Uploaded && slices.Contains(imageTypes, e.Type) && e.Received != nil && e.Received.ContentType != "image/heic"
}
