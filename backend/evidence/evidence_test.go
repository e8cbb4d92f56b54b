package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/media"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// stores are the two places evidence bytes go: the embedded store's
// directory and GridFS (here on the test store).
var stores = []struct {
	name string
	make func(t *testing.T, db *mongo.DB) backend.EvidenceStore
}{
	{"Directory", func(t *testing.T, _ *mongo.DB) backend.EvidenceStore { return &blobfs.Store{Dir: t.TempDir()} }},
	{"GridFS", func(_ *testing.T, db *mongo.DB) backend.EvidenceStore { return &mongo.GridFSStore{DB: db} }},
}

// fixture is the evidence service on a fresh database, with one task
// whose team is ana and bo (department scjg) and whose manifest declares
// the files of files.
type fixture struct {
	t     *testing.T
	svc   *evidence.Service
	db    *mongo.DB
	clock *clocktest.Clock
	task  string
	files map[string][]byte // slot → the bytes declared
}

var (
	photo     = testJPEG(900, 600, 1)
	signature = testJPEG(200, 100, 2)
	document  = []byte("%PDF-1.4\n" + strings.Repeat("1 0 obj << /Type /Page >> endobj\n", 40) + "%%EOF\n")
)

func newFixture(t *testing.T, store func(*testing.T, *mongo.DB) backend.EvidenceStore) *fixture {
	t.Helper()
	db := mongotest.Open(t)
	clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	if store == nil {
		store = stores[0].make
	}
	f := &fixture{t: t, db: db, clock: clk, task: "task-1", files: map[string][]byte{
		"photo": photo, "photo2": testJPEG(300, 200, 3), "photo3": testJPEG(320, 240, 4), "sign": signature,
		"doc": document, "notphoto": document, "wronghash": photo,
	}}
	f.svc = &evidence.Service{
		Uploads: &mongo.UploadStore{DB: db}, Store: store(t, db), Derivatives: &mongo.DerivativeStore{DB: db},
		Tasks: &mongo.TaskStore{DB: db}, Audit: &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: clk.Now},
		Now: clk.Now,
	}
	// Thumbnails made in the background end before the store's directory
	// is removed.
	t.Cleanup(f.svc.Stop)
	task := &backend.Task{ID: f.task, TargetID: "91440300708461136T", Status: backend.TaskCheckedIn,
		Items: []string{"SCJG-SPAQ-01"}, LeadDepartment: "scjg", Departments: []string{"scjg"},
		Team: []string{"ins-ana", "ins-bo"}, TeamUsers: []string{"ana", "bo"}}
	types := map[string]backend.EvidenceType{"sign": backend.EvidenceSignature, "doc": backend.EvidenceDocument}
	for slot, data := range f.files {
		typ := types[slot]
		if typ == "" {
			typ = backend.EvidencePhoto
		}
		sum := sha(data)
		if slot == "wronghash" {
			sum = sha([]byte("another file"))
		}
		task.Evidence = append(task.Evidence, backend.EvidenceSlot{ID: slot, Type: typ, SHA256: sum, Size: int64(len(data)),
			ContentType: "image/jpeg", DeclaredBy: "ana", DeviceID: "dev-ana", DeclaredAt: clk.Now()})
	}
	if err := f.svc.Tasks.CreateTasks(context.Background(), []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	return f
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// testJPEG is a photo-like JPEG: noise, as a photo's detail.
func testJPEG(w, h int, seed uint64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Callers.
var (
	ana       = actor("ana", backend.RoleInspector, "scjg")
	bo        = actor("bo", backend.RoleInspector, "scjg")
	outsider  = actor("cy", backend.RoleInspector, "scjg")
	reviewer  = actor("scjg.reviewer", backend.RoleReviewer, "scjg")
	otherRev  = actor("wsjk.reviewer", backend.RoleReviewer, "wsjk")
	manager   = actor("scjg.manager", backend.RoleManager, "scjg")
	admin     = actor("admin", backend.RoleAdmin)
	anonymous = context.Background()
	staleAna  = backend.WithActor(context.Background(), &backend.Actor{UserID: "ana", Role: backend.RoleInspector, Departments: []string{"scjg"}, DeviceID: "dev-ana"})
)

func actor(user string, role backend.Role, departments ...string) context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: user, Role: role, Departments: departments, DeviceID: "dev-" + user, Fresh: true})
}

func (f *fixture) create(ctx context.Context, slot string) *backend.Upload {
	f.t.Helper()
	u, err := f.svc.Create(ctx, evidence.CreateRequest{TaskID: f.task, SlotID: slot, Length: int64(len(f.files[slot])), Filename: "IMG_0001.jpg"})
	if err != nil {
		f.t.Fatalf("create %s: %v", slot, err)
	}
	return u
}

// write sends body as one PATCH at off.
func (f *fixture) write(ctx context.Context, id string, off int64, body []byte) (*backend.Upload, error) {
	return f.svc.Write(ctx, evidence.WriteRequest{ID: id, Offset: off, Length: int64(len(body)), Body: bytes.NewReader(body)})
}

func (f *fixture) storedTask() *backend.Task {
	f.t.Helper()
	tk, err := f.svc.Tasks.FindTaskByID(context.Background(), f.task)
	if err != nil {
		f.t.Fatal(err)
	}
	return tk
}

func (f *fixture) slot(id string) backend.EvidenceSlot {
	f.t.Helper()
	e, ok := f.storedTask().FindEvidence(id)
	if !ok {
		f.t.Fatalf("no slot %s", id)
	}
	return *e
}

// audit returns the entries recorded about the task, the latest first.
func (f *fixture) audit() []*backend.AuditEntry {
	f.t.Helper()
	es, err := f.svc.Audit.Store.FindAuditEntries(context.Background(), "task", f.task, 200)
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if code == "" && err != nil || code != "" && !backend.IsCode(err, code) {
		t.Fatalf("%s: %v, want %q", what, err, code)
	}
}

func TestCreate(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name     string
		ctx      context.Context
		task     string
		slot     string
		length   int64 // the slot's size when 0
		filename string
		code     string
	}{
		{"OK", ana, "", "photo", 0, "IMG_0001.jpg", ""},
		{"OK/OtherTeamMember", bo, "", "photo", 0, "", ""},
		{"ErrNoLogin", anonymous, "", "photo", 0, "", backend.EUNAUTHENTICATED},
		{"ErrSessionNotRevalidated", staleAna, "", "photo", 0, "", backend.EUNAUTHENTICATED},
		{"ErrReviewerUploads", reviewer, "", "photo", 0, "", backend.EFORBIDDEN},
		{"ErrNotOnTheTeam", outsider, "", "photo", 0, "", backend.ENOTFOUND},
		{"ErrUnknownTask", ana, "task-x", "photo", 0, "", backend.ENOTFOUND},
		{"ErrUndeclaredSlot", ana, "", "nope", 0, "", backend.ENOTFOUND},
		{"ErrLengthNotDeclared", ana, "", "photo", 1, "", backend.EINVALID},
		{"ErrFilenameTooLong", ana, "", "photo", 0, strings.Repeat("x", 256), backend.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := tt.task
			if task == "" {
				task = f.task
			}
			length := tt.length
			if length == 0 {
				length = int64(len(f.files[tt.slot]))
			}
			u, err := f.svc.Create(tt.ctx, evidence.CreateRequest{TaskID: task, SlotID: tt.slot, Length: length, Filename: tt.filename})
			wantCode(t, "create", err, tt.code)
			if err != nil {
				return
			}
			wantSlot := f.slot(tt.slot)
			if u.Offset != 0 || u.Done || u.Size != length || u.SHA256 != wantSlot.SHA256 || u.UserID != backend.ActorFrom(tt.ctx).UserID ||
				!u.ExpiresAt.Equal(f.clock.Now().Add(evidence.DefaultExpiry)) || u.Filename != tt.filename {
				t.Fatalf("upload %+v", u)
			}
		})
	}
}

// TestCreateRefusedByTask: the task's state and the limits in force when
// the upload starts (they may have changed since the declaration).
func TestCreateRefusedByTask(t *testing.T) {
	t.Run("ErrOverTheSizeCap", func(t *testing.T) {
		f := newFixture(t, nil)
		f.svc.Limits = backend.EvidenceLimits{MaxSize: map[backend.EvidenceType]int64{backend.EvidencePhoto: int64(len(photo)) - 1}}
		_, err := f.svc.Create(ana, evidence.CreateRequest{TaskID: f.task, SlotID: "photo", Length: int64(len(photo))})
		wantCode(t, "a photo over the cap", err, backend.ETOOLARGE)
	})
	for _, status := range []backend.TaskStatus{backend.TaskCancelled, backend.TaskReplaced} {
		t.Run("ErrTask"+string(status), func(t *testing.T) {
			f := newFixture(t, nil)
			tk := f.storedTask()
			tk.Status = status
			if err := f.svc.Tasks.UpdateTask(context.Background(), tk); err != nil {
				t.Fatal(err)
			}
			_, err := f.svc.Create(ana, evidence.CreateRequest{TaskID: f.task, SlotID: "photo", Length: int64(len(photo))})
			wantCode(t, "an upload to a "+string(status)+" task", err, backend.EINVALID)
		})
	}
}

// TestUploadWhole: one PATCH with the whole file, on both blob stores.
func TestUploadWhole(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.make)
			u := f.create(ana, "photo")
			got, err := f.write(ana, u.ID, 0, photo)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Done || got.Offset != int64(len(photo)) || got.ContentType != "image/jpeg" {
				t.Fatalf("upload after the last byte: %+v", got)
			}
			e := f.slot("photo")
			r := e.Received
			if !e.Uploaded || r == nil || r.ContentType != "image/jpeg" || r.Width != 900 || r.Height != 600 ||
				r.By != "ana" || r.DeviceID != "dev-ana" || r.UploadID != u.ID || !r.At.Equal(f.clock.Now()) {
				t.Fatalf("slot after the upload: %+v %+v", e, r)
			}
			file, err := f.svc.Open(reviewer, f.task, "photo")
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			b, _ := io.ReadAll(file)
			if !bytes.Equal(b, photo) || file.SHA256 != sha(photo) || file.ContentType != "image/jpeg" {
				t.Fatalf("served %d bytes, sha %s, type %s: not the file", len(b), file.SHA256, file.ContentType)
			}
			if a := f.audit(); len(a) == 0 || a[0].Action != "evidence.receive" || !strings.Contains(a[0].Detail, sha(photo)) {
				t.Fatalf("audit %+v, want evidence.receive with the hash first", a)
			}
			// A second upload of an arrived slot is complete at once: a phone
			// that lost the answer learns it is done.
			again := f.create(bo, "photo")
			if !again.Done || again.Offset != again.Size {
				t.Fatalf("upload of an arrived slot: %+v", again)
			}
		})
	}
}

// TestUploadInPieces: PATCHes of parts resume where the last one stopped,
// the hash going on from its recorded state; a PATCH at another offset
// is a conflict that tells where the upload stands.
func TestUploadInPieces(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.make)
			u := f.create(ana, "photo")
			cuts := []int{100, 270_000, len(photo) - 10, len(photo)} // under the sniffed head, past a GridFS chunk, all but the end
			off := 0
			for _, cut := range cuts {
				got, err := f.write(ana, u.ID, int64(off), photo[off:cut])
				if err != nil {
					t.Fatalf("part %d-%d: %v", off, cut, err)
				}
				if got.Offset != int64(cut) || got.Done != (cut == len(photo)) {
					t.Fatalf("after part %d-%d: offset %d done %v", off, cut, got.Offset, got.Done)
				}
				if cut < len(photo) {
					if st, err := f.svc.Status(ana, u.ID); err != nil || st.Offset != int64(cut) {
						t.Fatalf("status after part %d-%d: %+v %v", off, cut, st, err)
					}
				}
				off = cut
			}
			if !f.slot("photo").Uploaded {
				t.Fatal("the file put together is not the slot's evidence")
			}
		})
	}
}

func TestWriteRefusesBadRequests(t *testing.T) {
	f := newFixture(t, nil)
	u := f.create(ana, "photo")
	if _, err := f.write(ana, u.ID, 0, photo[:1000]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ctx    context.Context
		id     string
		offset int64
		length int64 // of the body when 0
		body   []byte
		code   string
	}{
		{"ErrOffsetBehind", ana, u.ID, 0, 0, photo[:10], backend.ECONFLICT},
		{"ErrOffsetAhead", ana, u.ID, 2000, 0, photo[2000:2010], backend.ECONFLICT},
		{"ErrDeclaredLengthTooLong", ana, u.ID, 1000, int64(len(photo)), photo[1000:], backend.EINVALID},
		{"ErrBodyPastTheFile", ana, u.ID, 1000, -1, append(append([]byte(nil), photo[1000:]...), 'x'), backend.EINVALID},
		{"ErrOtherLogin", bo, u.ID, 1000, 0, photo[1000:1010], backend.ENOTFOUND},
		{"ErrUnknownUpload", ana, "0123456789abcdef0123456789abcdef", 0, 0, photo[:10], backend.ENOTFOUND},
		{"ErrNoLogin", anonymous, u.ID, 1000, 0, photo[1000:1010], backend.EUNAUTHENTICATED},
		{"ErrReviewer", reviewer, u.ID, 1000, 0, photo[1000:1010], backend.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			length := tt.length
			if length == 0 {
				length = int64(len(tt.body))
			}
			_, err := f.svc.Write(tt.ctx, evidence.WriteRequest{ID: tt.id, Offset: tt.offset, Length: length, Body: bytes.NewReader(tt.body)})
			wantCode(t, "write", err, tt.code)
		})
	}
	// None of them moved the upload or took its lock for good: the rest
	// goes in where the first part ended.
	if got, err := f.write(ana, u.ID, 1000, photo[1000:]); err != nil || !got.Done {
		t.Fatalf("the rest after the refusals: %+v %v", got, err)
	}
}

// TestWriteRefusesBadFiles: a file that cannot be the declared evidence is
// refused, the upload and its staged bytes dropped, and the refusal
// audited; the slot stays waiting for the right file.
func TestWriteRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		slot   string
		images media.Limits
		first  int // bytes of a first PATCH; the whole file when 0
		want   string
	}{
		{"ErrHashMismatch", "wronghash", media.Limits{}, 0, "SHA-256"},
		{"ErrTypeSniffedAtTheStart", "notphoto", media.Limits{}, 600, "application/pdf"},
		{"ErrTypeSniffedAtTheEnd", "notphoto", media.Limits{}, 0, "application/pdf"},
		{"ErrImageTooLarge", "photo", media.Limits{MaxPixels: 1000, MaxSide: 100}, 0, "photo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if tt.images != (media.Limits{}) {
				f.svc.Images = tt.images
			}
			data := f.files[tt.slot]
			u := f.create(ana, tt.slot)
			first := tt.first
			if first == 0 {
				first = len(data)
			}
			_, err := f.write(ana, u.ID, 0, data[:first])
			if !backend.IsCode(err, backend.EINVALID) || !strings.Contains(backend.ErrorMessage(err), tt.want) {
				t.Fatalf("write: %v, want invalid naming %q", err, tt.want)
			}
			if _, err := f.svc.Status(ana, u.ID); !backend.IsCode(err, backend.ENOTFOUND) {
				t.Fatalf("the refused upload is still there: %v", err)
			}
			if r, err := f.svc.Store.OpenStaged(context.Background(), u.ID, int64(len(data))); err == nil {
				b, _ := io.ReadAll(r)
				r.Close()
				if len(b) > 0 {
					t.Fatalf("%d staged bytes of the refused upload are left", len(b))
				}
			}
			if e := f.slot(tt.slot); e.Uploaded {
				t.Fatal("the refused file became evidence")
			}
			if a := f.audit(); len(a) == 0 || a[0].Action != "evidence.refuse" || a[0].Outcome != backend.OutcomeDenied {
				t.Fatalf("audit %+v, want evidence.refuse denied first", a)
			}
		})
	}
}

// TestSignatureAndDocument: each kind takes its own types.
func TestSignatureAndDocument(t *testing.T) {
	f := newFixture(t, nil)
	for slot, ct := range map[string]string{"sign": "image/jpeg", "doc": "application/pdf"} {
		u := f.create(ana, slot)
		if got, err := f.write(ana, u.ID, 0, f.files[slot]); err != nil || !got.Done || got.ContentType != ct {
			t.Fatalf("%s: %+v %v, want done as %s", slot, got, err, ct)
		}
	}
}

// TestStatusAndTerminate: an upload is its uploader's, lives until it
// expires, and a terminated one goes with its staged bytes.
func TestStatusAndTerminate(t *testing.T) {
	f := newFixture(t, nil)
	u := f.create(ana, "photo")
	if _, err := f.write(ana, u.ID, 0, photo[:5000]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		id   string
		code string
	}{
		{"OK", ana, u.ID, ""},
		{"ErrOtherLogin", bo, u.ID, backend.ENOTFOUND},
		{"ErrNoLogin", anonymous, u.ID, backend.EUNAUTHENTICATED},
		{"ErrUnknown", ana, "nope", backend.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run("Status/"+tt.name, func(t *testing.T) {
			got, err := f.svc.Status(tt.ctx, tt.id)
			wantCode(t, "status", err, tt.code)
			if err == nil && got.Offset != 5000 {
				t.Fatalf("offset %d, want 5000", got.Offset)
			}
		})
	}
	t.Run("Terminate/ErrOtherLogin", func(t *testing.T) {
		wantCode(t, "terminate", f.svc.Terminate(bo, u.ID), backend.ENOTFOUND)
	})
	t.Run("Terminate/OK", func(t *testing.T) {
		if err := f.svc.Terminate(ana, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Status(ana, u.ID); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("terminated upload: %v", err)
		}
		if r, err := f.svc.Store.OpenStaged(context.Background(), u.ID, 5000); err == nil {
			b, _ := io.ReadAll(r)
			r.Close()
			if len(b) > 0 {
				t.Fatalf("%d staged bytes left", len(b))
			}
		}
	})
	t.Run("Terminate/OKFinishedKeepsTheEvidence", func(t *testing.T) {
		u := f.create(ana, "photo2")
		if _, err := f.write(ana, u.ID, 0, f.files["photo2"]); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Terminate(ana, u.ID); err != nil {
			t.Fatal(err)
		}
		if file, err := f.svc.Open(ana, f.task, "photo2"); err != nil {
			t.Fatalf("evidence after terminating its finished upload: %v", err)
		} else {
			file.Close()
		}
	})
	t.Run("Status/ErrExpired", func(t *testing.T) {
		u := f.create(ana, "photo3")
		f.clock.Advance(evidence.DefaultExpiry)
		defer f.clock.Advance(-evidence.DefaultExpiry)
		if _, err := f.svc.Status(ana, u.ID); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("status of an expired upload: %v, want not_found", err)
		}
	})
}

// TestSweep: expired uploads go with their staged bytes; fresh ones and one
// being written stay.
func TestSweep(t *testing.T) {
	f := newFixture(t, nil)
	f.svc.Expiry = 30 * time.Second // shorter than the lock's lease, to see a locked one kept
	ctx := context.Background()
	old := f.create(ana, "photo")
	if _, err := f.write(ana, old.ID, 0, photo[:5000]); err != nil {
		t.Fatal(err)
	}
	locked := f.create(ana, "photo2")
	// Another instance is writing this one: its lock runs past the expiry.
	if _, err := f.svc.Uploads.LockUpload(ctx, locked.ID, "other-instance/request", f.clock.Now(), f.clock.Now().Add(evidence.LockLease)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20 * time.Second)
	fresh := f.create(ana, "photo3")
	if n, err := f.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before any expiry: %d %v", n, err)
	}
	f.clock.Advance(11 * time.Second) // old and locked expired; fresh not; the lock runs on
	if n, err := f.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v, want 1 (the old one)", n, err)
	}
	for _, c := range []struct {
		name string
		id   string
		gone bool
	}{{"old", old.ID, true}, {"locked", locked.ID, false}, {"fresh", fresh.ID, false}} {
		_, err := f.svc.Uploads.FindUpload(ctx, c.id)
		if gone := backend.IsCode(err, backend.ENOTFOUND); gone != c.gone {
			t.Errorf("%s upload: gone=%v (%v), want %v", c.name, gone, err, c.gone)
		}
	}
	if r, err := f.svc.Store.OpenStaged(ctx, old.ID, 5000); err == nil {
		b, _ := io.ReadAll(r)
		r.Close()
		if len(b) > 0 {
			t.Fatalf("%d staged bytes of the swept upload are left", len(b))
		}
	}
	f.clock.Advance(evidence.LockLease) // the lock lapsed: a dead writer's upload goes too
	if n, err := f.svc.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep after the lease: %d %v, want 2", n, err)
	}
}

// TestLockOfAnotherWriter: an upload another request holds is refused
// until its lock lapses, or at once when the store is this process's own
// (Exclusive) and the holder another process: a server that died.
func TestLockOfAnotherWriter(t *testing.T) {
	tests := []struct {
		name      string
		exclusive bool
		wait      time.Duration // the clock moves on this much before the retry
		first     string        // code of the first try
	}{
		{"ErrLockedByAnotherInstance", false, 0, backend.ECONFLICT},
		{"OK/AfterTheLeaseLapsed", false, evidence.LockLease + time.Second, backend.ECONFLICT},
		{"OK/ExclusiveTakesADeadProcesssLock", true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.svc.Exclusive = tt.exclusive
			u := f.create(ana, "photo")
			if _, err := f.svc.Uploads.LockUpload(context.Background(), u.ID, "other-process/request", f.clock.Now(), f.clock.Now().Add(evidence.LockLease)); err != nil {
				t.Fatal(err)
			}
			_, err := f.write(ana, u.ID, 0, photo)
			wantCode(t, "write under another's lock", err, tt.first)
			if err == nil || tt.wait == 0 {
				return
			}
			f.clock.Advance(tt.wait)
			if got, err := f.write(ana, u.ID, 0, photo); err != nil || !got.Done {
				t.Fatalf("write after the lease: %+v %v", got, err)
			}
		})
	}
}

// heldWrite is a PATCH whose body arrives as the test sends it.
type heldWrite struct {
	pw   *io.PipeWriter
	done chan error
}

var errCut = errors.New("the phone's connection died")

// hold starts a write of slot's bytes from off and sends n of them: when
// it returns, the write is under way on the server (it has read them).
func (f *fixture) hold(ctx context.Context, id string, off int64, data []byte, n int) *heldWrite {
	f.t.Helper()
	pr, pw := io.Pipe()
	h := &heldWrite{pw: pw, done: make(chan error, 1)}
	go func() {
		_, err := f.svc.Write(ctx, evidence.WriteRequest{ID: id, Offset: off, Length: int64(len(data)) - off, Body: pr,
			Interrupt: func() { pr.CloseWithError(errCut) }})
		h.done <- err
	}()
	if _, err := pw.Write(data[off : off+int64(n)]); err != nil {
		f.t.Fatalf("the write did not start: %v", err)
	}
	return h
}

// TestTakeOver: a phone whose connection died unnoticed sends its PATCH
// again; the new request interrupts the old one on this instance, which
// records what it received, instead of waiting for the lock's lease.
func TestTakeOver(t *testing.T) {
	f := newFixture(t, nil)
	u := f.create(ana, "photo")
	old := f.hold(ana, u.ID, 0, photo, 5000)
	// The retry, from where the phone last heard: 0.
	_, err := f.write(ana, u.ID, 0, photo)
	if !backend.IsCode(err, backend.ECONFLICT) || !strings.Contains(backend.ErrorMessage(err), "5000") {
		t.Fatalf("retry: %v, want a conflict saying the upload is at 5000", err)
	}
	if err := <-old.done; !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("the interrupted write: %v, want conflict", err)
	}
	st, err := f.svc.Status(ana, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Offset != 5000 || st.LockedUntil.After(f.clock.Now()) {
		t.Fatalf("after the takeover: offset %d, locked until %v (%v); want 5000, unlocked", st.Offset, st.LockedUntil, err)
	}
	if got, err := f.write(ana, u.ID, 5000, photo[5000:]); err != nil || !got.Done {
		t.Fatalf("resumed: %+v %v", got, err)
	}
}

// TestWritesPerLoginBounded: one login writes at most MaxWritesPerUser
// uploads at once; another login is not held back by it.
func TestWritesPerLoginBounded(t *testing.T) {
	f := newFixture(t, nil)
	big := testJPEG(200, 150, 9)
	var held []*heldWrite
	for i := range evidence.MaxWritesPerUser {
		slot := "held-" + string(rune('a'+i))
		f.declare(slot, big)
		u := f.create(ana, slot)
		held = append(held, f.hold(ana, u.ID, 0, big, 100))
	}
	f.declare("one-too-many", big)
	u := f.create(ana, "one-too-many")
	_, err := f.write(ana, u.ID, 0, big)
	wantCode(t, "one write too many", err, backend.ETOOMANY)
	other := f.create(bo, "photo")
	if got, err := f.write(bo, other.ID, 0, photo); err != nil || !got.Done {
		t.Fatalf("another login's write: %+v %v", got, err)
	}
	// One held write ends: a slot is free again.
	_, _ = held[0].pw.Write(big[100:])
	held[0].pw.Close()
	if err := <-held[0].done; err != nil {
		t.Fatal(err)
	}
	if got, err := f.write(ana, u.ID, 0, big); err != nil || !got.Done {
		t.Fatalf("a write after one ended: %+v %v", got, err)
	}
	for _, h := range held[1:] {
		h.pw.CloseWithError(errCut)
		<-h.done
	}
}

// declare adds a slot for data to the task (as a sync push would).
func (f *fixture) declare(slot string, data []byte) {
	f.t.Helper()
	tk := f.storedTask()
	tk.Evidence = append(tk.Evidence, backend.EvidenceSlot{ID: slot, Type: backend.EvidencePhoto, SHA256: sha(data), Size: int64(len(data)),
		ContentType: "image/jpeg", DeclaredBy: "ana", DeviceID: "dev-ana", DeclaredAt: f.clock.Now()})
	if err := f.svc.Tasks.UpdateTask(context.Background(), tk); err != nil {
		f.t.Fatal(err)
	}
	f.files[slot] = data
}

// TestVisibility: who may read an arrived file and its derivatives; anyone
// else is told it does not exist.
func TestVisibility(t *testing.T) {
	f := newFixture(t, nil)
	for _, slot := range []string{"photo", "doc"} {
		u := f.create(ana, slot)
		if _, err := f.write(ana, u.ID, 0, f.files[slot]); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		ctx  context.Context
		slot string
		code string
	}{
		{"OK/Uploader", ana, "photo", ""},
		{"OK/TeamMember", bo, "photo", ""},
		{"OK/ReviewerOfTheDepartment", reviewer, "photo", ""},
		{"OK/Admin", admin, "photo", ""},
		{"ErrManager", manager, "photo", backend.ENOTFOUND},
		{"ErrReviewerOfAnotherDepartment", otherRev, "photo", backend.ENOTFOUND},
		{"ErrInspectorOfAnotherTeam", outsider, "photo", backend.ENOTFOUND},
		{"ErrNoLogin", anonymous, "photo", backend.EUNAUTHENTICATED},
		{"ErrDeclaredNotArrived", ana, "photo2", backend.ENOTFOUND},
		{"ErrUndeclared", ana, "nope", backend.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run("Open/"+tt.name, func(t *testing.T) {
			file, err := f.svc.Open(tt.ctx, f.task, tt.slot)
			wantCode(t, "open", err, tt.code)
			if err == nil {
				file.Close()
			}
		})
		t.Run("Thumbnail/"+tt.name, func(t *testing.T) {
			file, err := f.svc.OpenDerived(tt.ctx, f.task, tt.slot, evidence.Thumbnail)
			wantCode(t, "thumbnail", err, tt.code)
			if err == nil {
				file.Close()
			}
		})
	}
	t.Run("Thumbnail/ErrNotAnImage", func(t *testing.T) {
		_, err := f.svc.OpenDerived(ana, f.task, "doc", evidence.Thumbnail)
		wantCode(t, "thumbnail of a PDF", err, backend.ENOTFOUND)
	})
	t.Run("Derived/ErrUnknownKind", func(t *testing.T) {
		_, err := f.svc.OpenDerived(ana, f.task, "photo", "poster")
		wantCode(t, "unknown derivative", err, backend.ENOTFOUND)
	})
}

// TestDerivatives: a thumbnail and a preview are JPEGs within their side,
// made once and kept.
func TestDerivatives(t *testing.T) {
	f := newFixture(t, nil)
	big := testJPEG(2000, 1000, 5)
	f.declare("big", big)
	u := f.create(ana, "big")
	if _, err := f.write(ana, u.ID, 0, big); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind string
		w, h int
	}{{evidence.Thumbnail, media.ThumbnailSide, media.ThumbnailSide / 2}, {evidence.Preview, media.PreviewSide, media.PreviewSide / 2}} {
		t.Run(c.kind, func(t *testing.T) {
			file, err := f.svc.OpenDerived(reviewer, f.task, "big", c.kind)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(file)
			file.Close()
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil || file.ContentType != "image/jpeg" || cfg.Width != c.w || cfg.Height != c.h || file.SHA256 != sha(b) {
				t.Fatalf("%s: %dx%d %s %v, want a %dx%d JPEG", c.kind, cfg.Width, cfg.Height, file.ContentType, err, c.w, c.h)
			}
			kept, err := f.svc.Derivatives.FindDerivative(context.Background(), sha(big)+"/"+c.kind)
			if err != nil || kept != file.SHA256 {
				t.Fatalf("kept derivative %q %v, want %s", kept, err, file.SHA256)
			}
			again, err := f.svc.OpenDerived(ana, f.task, "big", c.kind)
			if err != nil || again.SHA256 != file.SHA256 {
				t.Fatalf("second %s: %v %v, want the kept one", c.kind, again, err)
			}
			again.Close()
		})
	}
}

// TestThumbnailAtUpload: once an image's bytes are stored, its thumbnail
// is made in the background and kept, so that the first review view finds
// it made; a document gets none.
func TestThumbnailAtUpload(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := newFixture(t, st.make)
			prepared := make(chan string, 4)
			f.svc.Prepared = func(sum string, err error) {
				if err != nil {
					t.Errorf("thumbnail of %s: %v", sum, err)
				}
				prepared <- sum
			}
			for _, c := range []struct {
				slot  string
				thumb bool
			}{{"photo", true}, {"sign", true}, {"doc", false}} {
				u := f.create(ana, c.slot)
				if _, err := f.write(ana, u.ID, 0, f.files[c.slot]); err != nil {
					t.Fatalf("%s: %v", c.slot, err)
				}
				if c.thumb {
					select {
					case got := <-prepared:
						if got != sha(f.files[c.slot]) {
							t.Fatalf("%s: thumbnail made for %s, want %s", c.slot, got, sha(f.files[c.slot]))
						}
					case <-time.After(time.Minute):
						t.Fatalf("%s: no thumbnail made after its upload", c.slot)
					}
				}
				key := sha(f.files[c.slot]) + "/" + evidence.Thumbnail
				kept, err := f.svc.Derivatives.FindDerivative(context.Background(), key)
				switch {
				case !c.thumb:
					wantCode(t, c.slot+": derivative", err, backend.ENOTFOUND)
					continue
				case err != nil:
					t.Fatalf("%s: no kept thumbnail: %v", c.slot, err)
				}
				file, err := f.svc.OpenDerived(reviewer, f.task, c.slot, evidence.Thumbnail)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(file)
				file.Close()
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
				if err != nil || file.SHA256 != kept || max(cfg.Width, cfg.Height) > media.ThumbnailSide {
					t.Fatalf("%s: served %s %dx%d %v, want the kept thumbnail %s", c.slot, file.SHA256, cfg.Width, cfg.Height, err, kept)
				}
			}
			select {
			case got := <-prepared:
				t.Fatalf("a thumbnail made for %s, which is no image", got)
			default:
			}
		})
	}
}

// TestThumbnailAfterStop: once the server stops, an upload is refused and
// no thumbnail is started.
func TestThumbnailAfterStop(t *testing.T) {
	f := newFixture(t, nil)
	f.svc.Prepared = func(sum string, err error) { t.Errorf("thumbnail of %s made after Stop", sum) }
	u := f.create(ana, "photo")
	f.svc.Stop()
	if _, err := f.write(ana, u.ID, 0, photo); !backend.IsCode(err, backend.EUNAVAILABLE) {
		t.Fatalf("write after Stop: %v, want unavailable", err)
	}
	if _, err := f.svc.Derivatives.FindDerivative(context.Background(), sha(photo)+"/"+evidence.Thumbnail); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("derivative after Stop: %v, want none", err)
	}
}

func TestHasPreview(t *testing.T) {
	received := func(ct string) *backend.EvidenceReceipt { return &backend.EvidenceReceipt{ContentType: ct} }
	tests := []struct {
		name string
		slot backend.EvidenceSlot
		want bool
	}{
		{"OK/Photo", backend.EvidenceSlot{Type: backend.EvidencePhoto, Uploaded: true, Received: received("image/jpeg")}, true},
		{"OK/Signature", backend.EvidenceSlot{Type: backend.EvidenceSignature, Uploaded: true, Received: received("image/png")}, true},
		{"NoneHEIC", backend.EvidenceSlot{Type: backend.EvidencePhoto, Uploaded: true, Received: received("image/heic")}, false},
		{"NoneNotArrived", backend.EvidenceSlot{Type: backend.EvidencePhoto}, false},
		{"NoneDocument", backend.EvidenceSlot{Type: backend.EvidenceDocument, Uploaded: true, Received: received("image/jpeg")}, false},
		{"NoneVideo", backend.EvidenceSlot{Type: backend.EvidenceVideo, Uploaded: true, Received: received("video/mp4")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evidence.HasPreview(&tt.slot); got != tt.want {
				t.Fatalf("HasPreview = %v, want %v", got, tt.want)
			}
		})
	}
}
