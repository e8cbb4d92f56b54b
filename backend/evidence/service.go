// Package evidence receives, keeps and serves the files that back an
// inspection's result: resumable uploads bound to the slots of a task's
// evidence manifest, checked on arrival (size, SHA-256, the type sniffed
// from the bytes, image dimensions before any decode), recorded in the
// audit chain, and served only to the people who may see them — originals
// byte for byte, images also as derivatives without metadata.
//
// The upload protocol is tus 1.0 (see docs/evidence.md); this package is
// its logic, with no HTTP in it: mobileapi speaks tus and calls it.
package evidence

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// Limits and timings of uploads. Each is tested.
const (
	// DefaultExpiry is how long an upload may go without progress before it
	// is dropped with its staged bytes.
	DefaultExpiry = 24 * time.Hour
	// LockLease is how long a request holds an upload without renewing:
	// the time another instance waits before taking over an upload whose
	// writer died (with Exclusive, a restarted server does not wait).
	LockLease = 45 * time.Second
	// renewEvery is how often a writing request renews its lock and
	// records its progress (also every checkpointBytes).
	renewEvery      = 20 * time.Second
	checkpointBytes = 8 << 20
	// MaxWritesPerUser bounds the uploads one login writes at once, on
	// every instance together (a phone uploads one or two at a time). The
	// slots are in the store (backend.UploadWriters), leased like locks.
	MaxWritesPerUser = 4
	// writesRetry is the Retry-After of a write refused over
	// MaxWritesPerUser.
	writesRetry = 5 * time.Second
	// DefaultTakeoverPoll is how often a write looks whether a later
	// request of the same upload, on another instance, asked it to let go,
	// and how often that request looks whether it has.
	DefaultTakeoverPoll = time.Second
	// DefaultTakeoverWait bounds how long a write waits for the writer it
	// asked to let go: then 409 with Retry-After (a writer whose instance
	// died is not asked: its lock lapses within LockLease).
	DefaultTakeoverWait = 5 * time.Second
	// maxFilename bounds the file name a phone gives.
	maxFilename = 255
)

// maxUploadChunk bounds the PATCH size UploadChunk advises.
const maxUploadChunk = 4 << 20

// UploadChunk is the size of PATCH a client should send: the largest
// multiple of the store's staging piece up to 4 MiB, so that no PATCH ends
// inside a piece. A PATCH of any size is taken; one that ends inside a
// piece makes the next rewrite that piece, which on GridFS over the
// embedded engine reads the whole chunk collection (backend/mongo,
// gridstage.go): 4 MiB PATCHes over 255 KiB chunks did so every time.
func (s *Service) UploadChunk() int64 {
	piece := int64(s.Store.StageChunk())
	return max(piece, maxUploadChunk/piece*piece)
}

// The results Service.Finished hears.
const (
	UploadFiled   = "filed"
	UploadRefused = "refused"
)

// Service is the evidence service.
type Service struct {
	Uploads     backend.UploadStore
	Store       backend.EvidenceStore
	Derivatives backend.DerivativeStore
	Tasks       backend.TaskStore
	Audit       *backend.AuditLog
	Limits      backend.EvidenceLimits
	Images      media.Limits // DefaultLimits when zero
	Expiry      time.Duration
	Now         func() time.Time
	// Exclusive says this process is the only server of the store (the
	// embedded store's data directory is locked to one process): a lock
	// or a write slot another process left is a dead server's and is not
	// waited for.
	Exclusive bool
	// TakeoverPoll and TakeoverWait time the takeover of an upload written
	// on another instance (DefaultTakeoverPoll, DefaultTakeoverWait when
	// zero).
	TakeoverPoll time.Duration
	TakeoverWait time.Duration
	// Finished, when set, hears of every upload whose last byte arrived:
	// UploadFiled with its size when it became the slot's evidence (or
	// another upload of the same file did first), UploadRefused when the
	// file did not match its declaration (SHA-256, type, image header).
	// The metrics count them.
	Finished func(result string, size int64)
	// Prepared, when set, hears of every thumbnail made in the background
	// once an image's bytes were stored (Service.prepare): the evidence's
	// SHA-256 and the error, nil when the thumbnail is kept.
	Prepared func(sha256 string, err error)

	instance string // names this process in the locks it takes

	mu     sync.Mutex
	active map[string]*active // upload → the write under way here
	// stopping: Stop was called (the server shuts down); writes are
	// refused and those that start anyway are interrupted at once.
	stopping bool
	derive   chan struct{} // bounds image decodes at once
	making   singleflight.Group
	// background is the context of the thumbnails made after uploads,
	// cancelled by Stop; preparing counts those under way.
	background     context.Context
	stopBackground context.CancelFunc
	preparing      sync.WaitGroup
	once           sync.Once
}

func (s *Service) init() {
	s.once.Do(func() {
		s.active = map[string]*active{}
		if s.TakeoverPoll <= 0 {
			s.TakeoverPoll = DefaultTakeoverPoll
		}
		if s.TakeoverWait <= 0 {
			s.TakeoverWait = DefaultTakeoverWait
		}
		s.derive = make(chan struct{}, 2)
		s.background, s.stopBackground = context.WithCancel(context.Background())
		if s.Expiry <= 0 {
			s.Expiry = DefaultExpiry
		}
		if s.Images == (media.Limits{}) {
			s.Images = media.DefaultLimits
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		s.instance = newUploadID()[:12]
	})
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// uploader returns the calling inspector: uploads come from phones.
func uploader(ctx context.Context) (*backend.Actor, error) {
	a := backend.ActorFrom(ctx)
	switch {
	case a == nil:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case !a.Fresh:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	case a.Role != backend.RoleInspector:
		return nil, backend.Errorf(backend.EFORBIDDEN, "only enforcement officers upload evidence")
	}
	return a, nil
}

// CreateRequest starts an upload of a slot's bytes.
type CreateRequest struct {
	TaskID   string
	SlotID   string
	Length   int64 // Upload-Length: must be the slot's declared size
	Filename string
}

// Create starts an upload bound to a declared slot of one of the caller's
// tasks. A slot whose bytes have arrived already gets an upload that is
// complete at once, so a phone that lost the answer to its last write
// learns it is done (a tus client's HEAD finds the whole length).
func (s *Service) Create(ctx context.Context, req CreateRequest) (*backend.Upload, error) {
	s.init()
	a, err := uploader(ctx)
	if err != nil {
		return nil, err
	}
	if len(req.Filename) > maxFilename {
		return nil, backend.Errorf(backend.EINVALID, "the file name is limited to %d bytes", maxFilename)
	}
	t, err := s.Tasks.FindTaskByID(ctx, req.TaskID)
	if err != nil || !t.EvidenceVisibleTo(a) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", req.TaskID)
	}
	if t.Status == backend.TaskCancelled || t.Status == backend.TaskReplaced {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: it takes no more evidence", t.ID, t.Status)
	}
	slot, ok := t.FindEvidence(req.SlotID)
	if !ok {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %s declares no evidence %q: sync its manifest first", t.ID, req.SlotID)
	}
	if req.Length != slot.Size {
		return nil, backend.Errorf(backend.EINVALID, "evidence %q was declared with %d bytes; Upload-Length is %d", slot.ID, slot.Size, req.Length)
	}
	if err := s.Limits.CheckSize(slot.ID, slot.Type, slot.Size); err != nil {
		return nil, err
	}
	now := s.now()
	u := &backend.Upload{
		ID: newUploadID(), TaskID: t.ID, SlotID: slot.ID, Type: slot.Type, SHA256: slot.SHA256, Size: slot.Size,
		UserID: a.UserID, DeviceID: a.DeviceID, Filename: req.Filename, HashState: hashState(sha256.New()),
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.Expiry),
	}
	if slot.Uploaded {
		u.Offset, u.Done, u.ContentType = u.Size, true, slot.Received.ContentType
	}
	if err := s.Uploads.CreateUpload(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func hashState(h hash.Hash) []byte {
	b, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	return b
}

// Status returns the caller's upload (tus HEAD).
func (s *Service) Status(ctx context.Context, id string) (*backend.Upload, error) {
	s.init()
	a := backend.ActorFrom(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	u, err := s.Uploads.FindUpload(ctx, id)
	if err != nil || u.UserID != a.UserID || !u.ExpiresAt.After(s.Now()) {
		return nil, backend.Errorf(backend.ENOTFOUND, "no upload %q (it may have expired)", id)
	}
	return u, nil
}

// Terminate abandons the caller's upload and its staged bytes (tus
// DELETE). A finished upload's evidence stays: only the record goes.
func (s *Service) Terminate(ctx context.Context, id string) error {
	u, err := s.Status(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.lock(ctx, u, s.lockHolder()); err != nil {
		return err
	}
	if !u.Done {
		if err := s.Store.DiscardStaged(ctx, id); err != nil {
			return err
		}
	}
	return s.Uploads.DeleteUpload(ctx, id)
}

// lockHolder names a request: this process, then the request.
func (s *Service) lockHolder() string { return s.instance + "/" + newUploadID() }

// lock takes upload u's lock for holder.
func (s *Service) lock(ctx context.Context, u *backend.Upload, holder string) (*backend.Upload, error) {
	now := s.Now()
	checkAt := now
	if s.deadHolder(u.Holder) {
		checkAt = u.LockedUntil // a dead process's lock: treat it as lapsed
	}
	return s.Uploads.LockUpload(ctx, u.ID, holder, checkAt, now.Add(LockLease))
}

// deadHolder reports whether holder is a request of a process that is no
// longer running: with Exclusive, every other process's.
func (s *Service) deadHolder(holder string) bool {
	return s.Exclusive && holder != "" && !strings.HasPrefix(holder, s.instance+"/")
}

// Sweep drops uploads that expired, with their staged bytes. It returns
// how many went.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	s.init()
	n := 0
	for {
		us, err := s.Uploads.ExpiredUploads(ctx, s.Now(), 100)
		if err != nil || len(us) == 0 {
			return n, err
		}
		for _, u := range us {
			if u.Holder != "" && u.LockedUntil.After(s.Now()) {
				continue // being written right now: its writer extends it
			}
			if !u.Done {
				if err := s.Store.DiscardStaged(ctx, u.ID); err != nil {
					return n, err
				}
			}
			if err := s.Uploads.DeleteUpload(ctx, u.ID); err != nil {
				return n, err
			}
			n++
		}
		if len(us) < 100 {
			return n, nil
		}
	}
}

// takeSlot gives holder a write slot of the caller's uploads for upload
// id, refusing it (ETOOMANY) when MaxWritesPerUser other uploads of the
// login are being written, on any instance. A slot of the same upload
// (a write this one takes over) is taken over with it.
func (s *Service) takeSlot(ctx context.Context, user, id, holder string) error {
	return s.updateWriters(ctx, user, func(ws []backend.UploadWriter, now time.Time) ([]backend.UploadWriter, error) {
		ws = slices.DeleteFunc(ws, func(w backend.UploadWriter) bool { return w.UploadID == id })
		if len(ws) >= MaxWritesPerUser {
			return nil, &backend.Error{Code: backend.ETOOMANY, Op: "evidence.Write",
				Message: fmt.Sprintf("at most %d uploads of one login are written at once", MaxWritesPerUser),
				Err:     &backend.RetryError{After: writesRetry}}
		}
		return append(ws, backend.UploadWriter{UploadID: id, Holder: holder, Until: now.Add(LockLease)}), nil
	})
}

// renewSlot extends holder's slot (if it still holds it).
func (s *Service) renewSlot(ctx context.Context, user, holder string) error {
	return s.updateWriters(ctx, user, func(ws []backend.UploadWriter, now time.Time) ([]backend.UploadWriter, error) {
		for i := range ws {
			if ws[i].Holder == holder {
				ws[i].Until = now.Add(LockLease)
			}
		}
		return ws, nil
	})
}

// releaseSlot gives holder's slot back.
func (s *Service) releaseSlot(ctx context.Context, user, holder string) {
	_ = s.updateWriters(ctx, user, func(ws []backend.UploadWriter, _ time.Time) ([]backend.UploadWriter, error) {
		return slices.DeleteFunc(ws, func(w backend.UploadWriter) bool { return w.Holder == holder }), nil
	})
}

// maxSlotRaces bounds how often updateWriters loses a race to another
// write of the same login before it gives up.
const maxSlotRaces = 8

// updateWriters applies change to the login's write slots, lapsed ones
// left out, and stores the result conditionally on the version read.
func (s *Service) updateWriters(ctx context.Context, user string, change func([]backend.UploadWriter, time.Time) ([]backend.UploadWriter, error)) error {
	for range maxSlotRaces {
		w, err := s.Uploads.FindUploadWriters(ctx, user)
		if err != nil {
			return err
		}
		now := s.Now()
		live := slices.DeleteFunc(w.Writers, func(x backend.UploadWriter) bool { return !x.Until.After(now) || s.deadHolder(x.Holder) })
		if w.Writers, err = change(live, now); err != nil {
			return err
		}
		if err = s.Uploads.SaveUploadWriters(ctx, w); !backend.IsCode(err, backend.ECONFLICT) {
			return err
		}
	}
	return &backend.Error{Code: backend.EUNAVAILABLE, Op: "evidence.updateWriters", Message: "too many uploads of this login start at once; try again",
		Err: &backend.RetryError{After: time.Second}}
}

// errRefused marks a finished upload whose bytes were refused: the upload
// is gone and must start again.
var errRefused = errors.New("refused")

func refused(format string, args ...any) error {
	return &backend.Error{Code: backend.EINVALID, Message: fmt.Sprintf(format, args...), Err: errRefused}
}
