package fcsync_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// testJPEG is a photo-like JPEG: noise compresses badly, as photos do.
func testJPEG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// declare puts a slot for data into the task's manifest, as a phone's sync does.
func (p *phone) declare(taskID, slot string, typ backend.EvidenceType, data []byte, declaredSHA string) fcsync.MutationResult {
	p.e.t.Helper()
	p.sync(200)
	v := p.tasks[taskID]
	if v == nil {
		p.e.t.Fatalf("%s does not hold task %s", p.user, taskID)
	}
	if declaredSHA == "" {
		declaredSHA = sha(data)
	}
	r := p.push(p.mutation(fcsync.EntityEvidence, taskID, v.Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
		ID: slot, Type: typ, SHA256: declaredSHA, Size: int64(len(data)), ContentType: "image/jpeg", CapturedAt: time.Now(),
	}}}))
	return r[0]
}

// tusCall sends one tus request through the app.
func (e *env) tusCall(method, url, token string, hdr map[string]string, body []byte) (int, http.Header, string) {
	e.t.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	st, h, data := e.send(req, token)
	return st, h, string(data)
}

func meta(task, slot string) string {
	b := base64.StdEncoding.EncodeToString
	return "taskId " + b([]byte(task)) + ",slotId " + b([]byte(slot)) + ",filename " + b([]byte("IMG_0001.jpg"))
}

// create starts an upload and returns its URL.
func (e *env) createUpload(token, task, slot string, size int) string {
	e.t.Helper()
	st, h, body := e.tusCall("POST", "/mobile/v1/uploads", token, map[string]string{"Upload-Length": strconv.Itoa(size), "Upload-Metadata": meta(task, slot)}, nil)
	if st != http.StatusCreated || h.Get("Location") == "" || h.Get("Upload-Expires") == "" {
		e.t.Fatalf("create: %d %v %s", st, h, body)
	}
	return h.Get("Location")
}

func (e *env) patch(token, url string, off int, body []byte) (int, string, string) {
	e.t.Helper()
	st, h, b := e.tusCall("PATCH", url, token, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off)}, body)
	return st, h.Get("Upload-Offset"), b
}

// download fetches an evidence file with an optional Range.
func (e *env) download(url, token, rng string) (int, http.Header, []byte) {
	e.t.Helper()
	req := httptest.NewRequest("GET", url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	return e.send(req, token)
}

func (e *env) slot(taskID, slotID string) backend.EvidenceSlot {
	e.t.Helper()
	t, err := e.m.Stores.Tasks.FindTaskByID(context.Background(), taskID)
	if err != nil {
		e.t.Fatal(err)
	}
	s, ok := t.FindEvidence(slotID)
	if !ok {
		e.t.Fatalf("task %s has no slot %s", taskID, slotID)
	}
	return *s
}

// cutProxy forwards to the server but cuts every cutEvery-th PATCH off
// after half its body: the network failing mid-upload.
type cutProxy struct {
	target   string
	cutEvery int
	patches  atomic.Int32
	cuts     atomic.Int32
}

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := io.Reader(r.Body)
	if r.Method == http.MethodPatch && int(p.patches.Add(1))%p.cutEvery == 0 {
		p.cuts.Add(1)
		half := r.ContentLength / 2
		body = io.MultiReader(io.LimitReader(r.Body, half), errReader{})
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), body)
	req.Header = r.Header.Clone()
	req.ContentLength = r.ContentLength
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		hj, _ := w.(http.Hijacker)
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close() // the phone sees the connection drop
		}
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestUploadResumesAfterCutsAndFilesTheEvidence(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	url := serve(t, e)
	proxy := &cutProxy{target: url, cutEvery: 3}
	front := httptest.NewServer(proxy)
	defer front.Close()

	photo := testJPEG(t, 900, 700, 1)
	lead, mate := task.TeamUsers[0], task.TeamUsers[1]
	p := e.phone(lead, "dev-lead")
	if r := p.declare(task.ID, "photo-1", backend.EvidencePhoto, photo, ""); r.Status != fcsync.Applied {
		t.Fatalf("declare: %+v", r)
	}
	c := newClient(t, front.URL, lead, "dev-lead", t.TempDir())
	var where string
	if err := c.UploadFile(context.Background(), task.ID, "photo-1", bytes.NewReader(photo), int64(len(photo)), &where, 64<<10); err != nil {
		t.Fatalf("UploadFile: %v (%d cuts)", err, proxy.cuts.Load())
	}
	if proxy.cuts.Load() == 0 {
		t.Fatal("no PATCH was cut off: the test tested nothing")
	}
	slot := e.slot(task.ID, "photo-1")
	if !slot.Uploaded || slot.Received == nil || slot.Received.ContentType != "image/jpeg" || slot.Received.Width != 900 || slot.Received.By != lead || slot.Received.DeviceID != "dev-lead" {
		t.Fatalf("slot after upload: %+v %+v", slot, slot.Received)
	}

	// The teammate reads it byte for byte, and a range of it.
	m := e.phone(mate, "dev-mate")
	path := "/mobile/v1/tasks/" + task.ID + "/evidence/photo-1"
	st, h, got := e.download(path, m.token, "")
	if st != 200 || !bytes.Equal(got, photo) || h.Get("ETag") != `"`+sha(photo)+`"` || h.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("download: %d, %d bytes (want %d), %v", st, len(got), len(photo), h)
	}
	st, h, got = e.download(path, m.token, "bytes=1000-1999")
	if st != http.StatusPartialContent || !bytes.Equal(got, photo[1000:2000]) || h.Get("Content-Range") != fmt.Sprintf("bytes 1000-1999/%d", len(photo)) {
		t.Fatalf("range: %d %d bytes %v", st, len(got), h.Get("Content-Range"))
	}
	st, h, _ = e.download(path, m.token, fmt.Sprintf("bytes=%d-", len(photo)))
	if st != http.StatusRequestedRangeNotSatisfiable || h.Get("Content-Range") != fmt.Sprintf("bytes */%d", len(photo)) {
		t.Fatalf("unsatisfiable range: %d %v", st, h.Get("Content-Range"))
	}
	// The thumbnail is a small JPEG without EXIF.
	st, h, thumb := e.download(path+"/thumbnail", m.token, "")
	if st != 200 || h.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %v", st, h)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); err != nil || max(cfg.Width, cfg.Height) > 320 {
		t.Fatalf("thumbnail %+v %v", cfg, err)
	}
	// Someone of another team: not found, whoever asks.
	other := otherInspector(e, task)
	o := e.phone(other, "dev-other")
	if st, _, _ := e.download(path, o.token, ""); st != http.StatusNotFound {
		t.Fatalf("another team's inspector: %d, want 404", st)
	}
	if st, _, _ := e.download(path, "", ""); st != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", st)
	}

	// The chain of custody has the hash.
	found := false
	entries, err := e.m.Stores.Audit.FindAuditEntries(context.Background(), "task", task.ID, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range entries {
		found = found || a.Action == "evidence.receive" && strings.Contains(a.Detail, sha(photo))
	}
	if !found {
		t.Fatal("no audit entry records the received file's SHA-256")
	}
	// A second upload of the finished slot is done at once.
	again := ""
	if err := c.UploadFile(context.Background(), task.ID, "photo-1", bytes.NewReader(photo), int64(len(photo)), &again, 0); err != nil {
		t.Fatalf("uploading a finished slot again: %v", err)
	}
}

// otherInspector is a login that is not on the task's team.
func otherInspector(e *env, task *backend.Task) string {
	e.t.Helper()
	for _, t := range e.tasks {
		for _, u := range t.TeamUsers {
			if !slices.Contains(task.TeamUsers, u) {
				return u
			}
		}
	}
	e.t.Fatal("every drawn task has the same team")
	return ""
}

// pngBomb is a small PNG that declares 100000×100000 pixels: decoding it
// would take 40 GB.
func pngBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		b.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	lead := task.TeamUsers[0]
	p := e.phone(lead, "dev-lead")
	photo := testJPEG(t, 300, 200, 2)
	ctx := context.Background()

	t.Run("ErrWrongHashKeepsNothing", func(t *testing.T) {
		other := testJPEG(t, 300, 200, 3)[:len(photo)]
		p.declare(task.ID, "hash", backend.EvidencePhoto, photo, "")
		url := e.createUpload(p.token, task.ID, "hash", len(photo))
		st, _, body := e.patch(p.token, url, 0, other)
		if st != http.StatusBadRequest || !strings.Contains(body, "SHA-256") {
			t.Fatalf("wrong bytes: %d %s", st, body)
		}
		if st, _, _ := e.tusCall("HEAD", url, p.token, nil, nil); st != http.StatusNotFound {
			t.Fatalf("the refused upload is still there: HEAD %d", st)
		}
		if s := e.slot(task.ID, "hash"); s.Uploaded {
			t.Fatal("the slot counts as uploaded")
		}
		if _, err := e.m.Stores.Blobs.Open(ctx, sha(other)); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("the refused bytes are stored: %v", err)
		}
	})

	t.Run("ErrWrongTypeRefusedAtTheStart", func(t *testing.T) {
		pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2000)...)
		p.declare(task.ID, "pdf", backend.EvidencePhoto, pdf, "")
		url := e.createUpload(p.token, task.ID, "pdf", len(pdf))
		st, _, body := e.patch(p.token, url, 0, pdf[:1000])
		if st != http.StatusBadRequest || !strings.Contains(body, "application/pdf") {
			t.Fatalf("a PDF as a photo: %d %s", st, body)
		}
	})

	t.Run("ErrImageBombRefused", func(t *testing.T) {
		bomb := pngBomb()
		p.declare(task.ID, "bomb", backend.EvidencePhoto, bomb, "")
		url := e.createUpload(p.token, task.ID, "bomb", len(bomb))
		st, _, body := e.patch(p.token, url, 0, bomb)
		if st != http.StatusBadRequest || !strings.Contains(body, "100000") {
			t.Fatalf("a PNG bomb: %d %s", st, body)
		}
		if s := e.slot(task.ID, "bomb"); s.Uploaded {
			t.Fatal("the bomb counts as uploaded")
		}
	})

	t.Run("ErrSizeCapAndQuotaWhenDeclared", func(t *testing.T) {
		big := make([]byte, 0)
		r := p.push(p.mutation(fcsync.EntityEvidence, task.ID, p.tasks[task.ID].Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
			ID: "huge", Type: backend.EvidencePhoto, SHA256: sha(big), Size: 26 << 20, ContentType: "image/jpeg", CapturedAt: time.Now(),
		}}}))
		if r[0].Status != fcsync.Rejected || r[0].Code != backend.ETOOLARGE {
			t.Fatalf("a 26 MiB photo: %+v", r[0])
		}
		// The task quota counts what is declared already.
		e.m.Sync.Evidence = backend.EvidenceLimits{TaskQuota: 10 << 20}
		defer func() { e.m.Sync.Evidence = backend.EvidenceLimits{} }()
		p.sync(200)
		r = p.push(p.mutation(fcsync.EntityEvidence, task.ID, p.tasks[task.ID].Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
			ID: "over-quota", Type: backend.EvidenceVideo, SHA256: sha(big), Size: 10 << 20, ContentType: "video/mp4", CapturedAt: time.Now(),
		}}}))
		if r[0].Status != fcsync.Rejected || r[0].Code != backend.ETOOLARGE || !strings.Contains(r[0].Message, "at most 10 MiB") {
			t.Fatalf("a file over the task quota: %+v", r[0])
		}
	})

	p.declare(task.ID, "ok", backend.EvidencePhoto, photo, "")
	url := e.createUpload(p.token, task.ID, "ok", len(photo))
	cases := []struct {
		name   string
		method string
		url    string
		hdr    map[string]string
		body   []byte
		status int
	}{
		{"ErrNoTusVersion", "HEAD", url, map[string]string{"Tus-Resumable": ""}, nil, http.StatusPreconditionFailed},
		{"ErrOtherTusVersion", "POST", "/mobile/v1/uploads", map[string]string{"Tus-Resumable": "0.2.2"}, nil, http.StatusPreconditionFailed},
		{"ErrNoLength", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Metadata": meta(task.ID, "ok")}, nil, http.StatusBadRequest},
		{"ErrLengthNotDeclared", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Length": strconv.Itoa(len(photo) + 1), "Upload-Metadata": meta(task.ID, "ok")}, nil, http.StatusBadRequest},
		{"ErrDeferredLength", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Defer-Length": "1", "Upload-Metadata": meta(task.ID, "ok")}, nil, http.StatusBadRequest},
		{"ErrBadMetadata", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Length": "10", "Upload-Metadata": "taskId !!!"}, nil, http.StatusBadRequest},
		{"ErrFilenameTooLong", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Length": strconv.Itoa(len(photo)), "Upload-Metadata": meta(task.ID, "ok") + ",filename " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 256)))}, nil, http.StatusBadRequest},
		{"ErrNoSlot", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Length": "10", "Upload-Metadata": meta(task.ID, "nope")}, nil, http.StatusNotFound},
		{"ErrOtherTask", "POST", "/mobile/v1/uploads", map[string]string{"Upload-Length": "10", "Upload-Metadata": meta(otherTask(e, task).ID, "ok")}, nil, http.StatusNotFound},
		{"ErrPatchContentType", "PATCH", url, map[string]string{"Upload-Offset": "0", "Content-Type": "image/jpeg"}, photo[:10], http.StatusUnsupportedMediaType},
		{"ErrPatchOffsetMismatch", "PATCH", url, map[string]string{"Upload-Offset": "5", "Content-Type": "application/offset+octet-stream"}, photo[5:10], http.StatusConflict},
		{"ErrPatchBadOffset", "PATCH", url, map[string]string{"Upload-Offset": "-1", "Content-Type": "application/offset+octet-stream"}, photo[:10], http.StatusBadRequest},
		{"ErrPatchTooLong", "PATCH", url, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, append(slices.Clone(photo), 1), http.StatusBadRequest},
		{"ErrUnknownUpload", "HEAD", "/mobile/v1/uploads/0123456789abcdef0123456789abcdef", nil, nil, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, h, body := e.tusCall(c.method, c.url, p.token, c.hdr, c.body)
			if st != c.status {
				t.Fatalf("%s %s: %d %s, want %d", c.method, c.url, st, body, c.status)
			}
			if h.Get("Tus-Resumable") != "1.0.0" {
				t.Fatalf("no Tus-Resumable in the answer: %v", h)
			}
			if c.method != "HEAD" && !strings.Contains(body, `"code"`) {
				t.Fatalf("error body: %s", body)
			}
		})
	}
	// None of that moved the upload; it still completes.
	if st, off, body := e.patch(p.token, url, 0, photo); st != http.StatusNoContent || off != strconv.Itoa(len(photo)) {
		t.Fatalf("the upload after refusals: %d %s %s", st, off, body)
	}
	if !e.slot(task.ID, "ok").Uploaded {
		t.Fatal("not filed")
	}

	t.Run("OtherUsersSeeNoUpload", func(t *testing.T) {
		mate := e.phone(task.TeamUsers[1], "dev-mate")
		p.declare(task.ID, "mine", backend.EvidencePhoto, photo[:len(photo)-1], "")
		url := e.createUpload(p.token, task.ID, "mine", len(photo)-1)
		for _, m := range []string{"HEAD", "DELETE"} {
			if st, _, _ := e.tusCall(m, url, mate.token, nil, nil); st != http.StatusNotFound {
				t.Fatalf("%s of another's upload: %d", m, st)
			}
		}
		if st, _, _ := e.patch(mate.token, url, 0, photo[:10]); st != http.StatusNotFound {
			t.Fatalf("PATCH of another's upload: %d", st)
		}
	})
}

// otherTask is a drawn task of another team.
func otherTask(e *env, task *backend.Task) *backend.Task {
	for _, t := range e.tasks {
		if !slices.ContainsFunc(t.TeamUsers, func(u string) bool { return slices.Contains(task.TeamUsers, u) }) {
			return t
		}
	}
	e.t.Fatal("no task of another team")
	return nil
}

func TestUploadExpiresAndResumesAcrossInstances(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	p := e.phone(task.TeamUsers[0], "dev-lead")
	photo := testJPEG(t, 1200, 900, 4)
	p.declare(task.ID, "p", backend.EvidencePhoto, photo, "")
	url := e.createUpload(p.token, task.ID, "p", len(photo))
	cut := len(photo)/2 + 13
	if st, off, body := e.patch(p.token, url, 0, photo[:cut]); st != http.StatusNoContent || off != strconv.Itoa(cut) {
		t.Fatalf("first half: %d %s %s", st, off, body)
	}
	// A second instance on the same store takes the rest.
	second, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(t), Database: e.m.DB.Database.Name(), BaseURL: "https://fc.example.gov.cn"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	first := e.m
	e.m = second
	st, h, _ := e.tusCall("HEAD", url, p.token, nil, nil)
	if st != 200 || h.Get("Upload-Offset") != strconv.Itoa(cut) || h.Get("Upload-Length") != strconv.Itoa(len(photo)) {
		t.Fatalf("HEAD on the second instance: %d %v", st, h)
	}
	if st, _, _ := e.download("/mobile/v1/tasks/"+task.ID+"/evidence/p", p.token, ""); st != http.StatusNotFound {
		t.Fatalf("half an upload is visible as evidence: %d", st)
	}
	if st, off, body := e.patch(p.token, url, cut, photo[cut:]); st != http.StatusNoContent || off != strconv.Itoa(len(photo)) {
		t.Fatalf("second half: %d %s %s", st, off, body)
	}
	if _, _, got := e.download("/mobile/v1/tasks/"+task.ID+"/evidence/p", p.token, ""); !bytes.Equal(got, photo) {
		t.Fatal("the file put together on two instances is not the file")
	}
	e.m = first

	// An abandoned upload expires with its bytes.
	p.declare(task.ID, "q", backend.EvidencePhoto, photo[:len(photo)-7], "")
	url = e.createUpload(p.token, task.ID, "q", len(photo)-7)
	if st, _, _ := e.patch(p.token, url, 0, photo[:100000]); st != http.StatusNoContent {
		t.Fatalf("patch: %d", st)
	}
	id := url[strings.LastIndex(url, "/")+1:]
	if n, err := e.m.Evidence.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	later := time.Now().Add(evidence.DefaultExpiry + time.Minute)
	e.m.Evidence.Now = func() time.Time { return later }
	defer func() { e.m.Evidence.Now = time.Now }()
	if n, err := e.m.Evidence.Sweep(context.Background()); err != nil || n < 1 {
		t.Fatalf("sweep after expiry: %d %v", n, err)
	}
	if _, err := e.m.Stores.Uploads.FindUpload(context.Background(), id); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("the expired upload is still recorded: %v", err)
	}
	if r, err := e.m.Stores.Blobs.OpenStaged(context.Background(), id, 100000); err == nil {
		b, _ := io.ReadAll(r)
		r.Close()
		if len(b) > 0 {
			t.Fatalf("%d staged bytes of the expired upload are left", len(b))
		}
	}
}

// lockSignal is an upload store that reports every lock it grants: a
// write holds its slot of the login's writes before it locks the upload,
// so a lock reported is a write under way.
type lockSignal struct {
	backend.UploadStore
	locked chan string
}

func (l *lockSignal) LockUpload(ctx context.Context, id, holder string, now, until time.Time) (*backend.Upload, error) {
	u, err := l.UploadStore.LockUpload(ctx, id, holder, now, until)
	if err == nil {
		l.locked <- id
	}
	return u, err
}

func TestUploadWritesPerLoginBounded(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	p := e.phone(task.TeamUsers[0], "dev-lead")
	locks := &lockSignal{UploadStore: e.m.Evidence.Uploads, locked: make(chan string, 2*evidence.MaxWritesPerUser)}
	e.m.Evidence.Uploads = locks
	base := serve(t, e)
	photo := testJPEG(t, 300, 200, 5)
	open := func(slot string, hold bool) (*io.PipeWriter, chan int) {
		p.declare(task.ID, slot, backend.EvidencePhoto, photo, "")
		url := e.createUpload(p.token, task.ID, slot, len(photo))
		pr, pw := io.Pipe()
		req, _ := http.NewRequest("PATCH", base+url, pr)
		req.ContentLength = int64(len(photo))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Authorization", "Bearer "+p.token)
		done := make(chan int, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Logf("%s: %d %s", slot, resp.StatusCode, b)
			}
			done <- resp.StatusCode
		}()
		if !hold { // the server answers once it has read the body
			go func() { _, _ = pw.Write(photo); pw.Close() }()
			return pw, done
		}
		_, _ = pw.Write(photo[:16<<10]) // past the server's 8 KiB prefetch, then waiting for more
		return pw, done
	}
	var writers []*io.PipeWriter
	var dones []chan int
	for i := range evidence.MaxWritesPerUser {
		w, d := open(fmt.Sprintf("held-%d", i), true)
		writers, dones = append(writers, w), append(dones, d)
	}
	for range evidence.MaxWritesPerUser { // the held writes are under way on the server
		select {
		case <-locks.locked:
		case <-time.After(time.Minute):
			t.Fatal("the held writes did not start")
		}
	}
	_, d := open("one-too-many", false)
	if st := <-d; st != http.StatusTooManyRequests {
		t.Fatalf("write %d of one login at once: %d, want 429", evidence.MaxWritesPerUser+1, st)
	}
	for i, w := range writers {
		_, _ = w.Write(photo[16<<10:])
		w.Close()
		if st := <-dones[i]; st != http.StatusNoContent {
			t.Fatalf("held write %d: %d", i, st)
		}
	}
}

// benchStores are the two places evidence bytes go: the embedded store's
// directory and GridFS (here on the test store's FerretDB, whose chunk
// reads grow with what is stored: not a production setup).
var benchStores = []struct {
	name string
	set  func(b *testing.B, e *env)
}{
	{"Directory", func(b *testing.B, e *env) { e.m.Evidence.Store = &blobfs.Store{Dir: b.TempDir()} }},
	{"GridFSOnFerretDB", func(*testing.B, *env) {}},
}

// benchUpload is a running fieldcheck whose evidence goes where set puts
// it, a visit task and the phone of its first officer.
func benchUpload(b *testing.B, set func(*testing.B, *env)) (*env, *backend.Task, *phone) {
	e := newEnv(b, 200)
	set(b, e)
	task := e.visitTask()
	return e, task, e.phone(task.TeamUsers[0], "bench-phone-1")
}

// BenchmarkUploadPhoto: a 1 MB photo in one PATCH through the handler,
// staged, checked and filed as the slot's evidence (its declaration and
// the upload's creation are not timed).
func BenchmarkUploadPhoto(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			e, task, p := benchUpload(b, bs.set)
			photo := testJPEG(b, 1200, 900, 6)
			b.SetBytes(int64(len(photo)))
			i := 0
			for b.Loop() {
				b.StopTimer()
				i++
				img := append([]byte(nil), photo...)
				img[len(img)-3] = byte(i) // other bytes each time (inside the JPEG's end)
				slot := fmt.Sprint("bench-", i)
				p.declare(task.ID, slot, backend.EvidencePhoto, img, "")
				url := e.createUpload(p.token, task.ID, slot, len(img))
				b.StartTimer()
				if st, _, body := e.patch(p.token, url, 0, img); st != http.StatusNoContent {
					b.Fatalf("patch: %d %s", st, body)
				}
			}
		})
	}
}

// BenchmarkDownloadPhoto: the same photo read back whole by a teammate.
func BenchmarkDownloadPhoto(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			e, task, p := benchUpload(b, bs.set)
			photo := testJPEG(b, 1200, 900, 7)
			p.declare(task.ID, "photo", backend.EvidencePhoto, photo, "")
			url := e.createUpload(p.token, task.ID, "photo", len(photo))
			if st, _, body := e.patch(p.token, url, 0, photo); st != http.StatusNoContent {
				b.Fatalf("patch: %d %s", st, body)
			}
			b.SetBytes(int64(len(photo)))
			for b.Loop() {
				if st, _, got := e.download("/mobile/v1/tasks/"+task.ID+"/evidence/photo", p.token, ""); st != 200 || len(got) != len(photo) {
					b.Fatalf("download: %d, %d bytes", st, len(got))
				}
			}
		})
	}
}

// BenchmarkUploadPatch: one PATCH of a 500 MiB video through the handler —
// the session check, the upload's lock and write slot, staging the bytes,
// hashing and the progress records — of the size the server advises
// (Advised: GET /mobile/v1/limits, uploads.chunkBytes, as the app and the Go
// client send) and of 4 MiB (what the app sent before; on GridFS it ends
// inside a 255 KiB chunk, which the next PATCH rewrites). Each iteration
// appends the next PATCH to the same upload (a new one once it is full, not
// timed), so -benchtime=Nx shows how the cost grows with the bytes the
// upload has staged: ms/first10 and ms/last10 are the mean of the first and
// last ten PATCHes.
//
//	go test ./sync -run '^$' -bench UploadPatch -benchtime 60x -benchmem
func BenchmarkUploadPatch(b *testing.B) {
	const size = 500 << 20
	for _, bs := range benchStores {
		for _, ps := range []struct {
			name  string
			bytes func(*env) int
		}{
			{"Advised", func(e *env) int { return int(e.m.Evidence.UploadChunk()) }},
			{"4MiB", func(*env) int { return 4 << 20 }},
		} {
			b.Run(bs.name+"/"+ps.name, func(b *testing.B) {
				e, task, p := benchUpload(b, bs.set)
				piece := ps.bytes(e)
				body := make([]byte, piece)
				for i := range body {
					body[i] = byte(i * 7)
				}
				copy(body, "\x1A\x45\xDF\xA3") // a WebM, as the type sniffer wants
				// The declared SHA-256 is never reached: the upload is full
				// only past the benchmark's iterations (or restarted, untimed).
				var url string
				off, uploads := size, 0
				var took []time.Duration
				b.SetBytes(int64(piece))
				for b.Loop() {
					if off+piece > size {
						b.StopTimer()
						uploads++
						slot := fmt.Sprint("video-", uploads)
						p.sync(200)
						r := p.push(p.mutation(fcsync.EntityEvidence, task.ID, p.tasks[task.ID].Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
							ID: slot, Type: backend.EvidenceVideo, SHA256: strings.Repeat("ab", 32), Size: size, ContentType: "video/webm", CapturedAt: time.Now(),
						}}}))
						if r[0].Status != fcsync.Applied {
							b.Fatalf("declare: %+v", r[0])
						}
						url, off = e.createUpload(p.token, task.ID, slot, size), 0
						b.StartTimer()
					}
					start := time.Now()
					if st, got, msg := e.patch(p.token, url, off, body); st != http.StatusNoContent || got != strconv.Itoa(off+piece) {
						b.Fatalf("patch at %d: %d offset %s %s", off, st, got, msg)
					}
					took = append(took, time.Since(start))
					off += piece
				}
				mean := func(d []time.Duration) float64 {
					var sum time.Duration
					for _, x := range d {
						sum += x
					}
					return float64(sum.Milliseconds()) / float64(max(1, len(d)))
				}
				b.ReportMetric(mean(took[:min(10, len(took))]), "ms/first10")
				b.ReportMetric(mean(took[max(0, len(took)-10):]), "ms/last10")
			})
		}
	}
}

// TestWithdrawalLetsTheTaskBeApproved: a file the server refused stays
// declared without bytes, and the approval waits for every declared file;
// the phone withdraws its slot (entity withdrawal), once, recorded in the
// audit chain with the push, and the task is approved. A slot whose bytes
// arrived cannot be withdrawn, nor, on a submitted task, the photo a
// question requires.
func TestWithdrawalLetsTheTaskBeApproved(t *testing.T) {
	e := newEnv(t, 200)
	task := e.visitTask()
	a, b := e.phone(task.TeamUsers[0], "dev-withdraw-a"), e.phone(task.TeamUsers[1], "dev-withdraw-b")
	ctx := context.Background()
	code, err := e.m.Codes.SignEnterpriseCode(ctx, task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []*phone{a, b} {
		wantStatus(t, "check-in", ph.push(ph.mutation(fcsync.EntityCheckIn, task.ID, 0, fcsync.CheckInPayload{Code: code.String(), DeviceTime: time.Now()}))[0], fcsync.Applied, "")
	}
	cur, err := e.m.Stores.Tasks.FindTaskByID(ctx, task.ID) // with its form
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "answers", a.push(a.mutation(fcsync.EntityAnswers, task.ID, cur.Version, answersFor(cur, "是", time.Now())))[0], fcsync.Applied, "")
	wantStatus(t, "photos", a.push(a.mutation(fcsync.EntityEvidence, task.ID, cur.Version, photosFor(cur, time.Now())))[0], fcsync.Applied, "")

	// A "photo" that is not one: refused when its bytes arrive.
	bad := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2000)...)
	wantStatus(t, "declare", a.declare(task.ID, "bad", backend.EvidencePhoto, bad, ""), fcsync.Applied, "")
	url := e.createUpload(a.token, task.ID, "bad", len(bad))
	if st, _, body := e.patch(a.token, url, 0, bad); st != http.StatusBadRequest {
		t.Fatalf("a PDF as a photo: %d %s", st, body)
	}
	a.sync(200)
	submit := a.push(a.mutation(fcsync.EntityResult, task.ID, a.tasks[task.ID].Task.Version, fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "未发现问题", DeviceTime: time.Now()}))[0]
	wantStatus(t, "result", submit, fcsync.Applied, "")
	required := photosFor(cur, time.Now()).Files[0].ID

	// Submitted: the photo a question requires cannot go.
	r := a.push(a.mutation(fcsync.EntityWithdrawal, task.ID, submit.Version, fcsync.WithdrawalPayload{Slots: []string{required}}))[0]
	wantStatus(t, "withdrawing a required photo of a submitted task", r, fcsync.Rejected, backend.EINVALID)
	if len(r.MissingPhotos) == 0 {
		t.Fatalf("the refusal names no question: %+v", r)
	}
	// The required photos arrive (uploads are tested above).
	arrived, err := backend.UpdateTaskWith(ctx, e.m.Stores.Tasks, task.ID, func(tk *backend.Task) (bool, error) {
		for i := range tk.Evidence {
			tk.Evidence[i].Uploaded = tk.Evidence[i].ID != "bad"
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rev := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, Fresh: true})
	if _, err := e.m.Planning.Transition(rev, task.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: arrived.Version}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("approval while the refused file is declared: %v, want invalid", err)
	}

	for _, tt := range []struct {
		name  string
		slots []string
	}{
		{"ErrReceived", []string{required}},
		{"ErrReceivedAmongOthers", []string{"bad", required}},
		{"ErrNone", nil},
		{"ErrBadID", []string{"../bad"}},
	} {
		r := a.push(a.mutation(fcsync.EntityWithdrawal, task.ID, arrived.Version, fcsync.WithdrawalPayload{Slots: tt.slots}))[0]
		wantStatus(t, tt.name, r, fcsync.Rejected, backend.EINVALID)
	}
	if s := e.slot(task.ID, "bad"); s.ID != "bad" {
		t.Fatal("a refused withdrawal took the slot")
	}

	withdraw := a.mutation(fcsync.EntityWithdrawal, task.ID, arrived.Version, fcsync.WithdrawalPayload{Slots: []string{"bad", "never-declared"}})
	done := a.push(withdraw)[0]
	wantStatus(t, "withdrawal", done, fcsync.Applied, "")
	again := a.push(withdraw)[0]
	wantStatus(t, "withdrawal replayed", again, fcsync.Duplicate, "")
	if again.Version != done.Version {
		t.Fatalf("replay answered version %d, first time %d", again.Version, done.Version)
	}
	b.sync(200)
	if _, ok := b.tasks[task.ID].Task.FindEvidence("bad"); ok {
		t.Fatal("the teammate's phone still holds the withdrawn slot")
	}
	if st, _, body := e.tusCall("POST", "/mobile/v1/uploads", a.token, map[string]string{"Upload-Length": strconv.Itoa(len(bad)), "Upload-Metadata": meta(task.ID, "bad")}, nil); st < 400 || st >= 500 {
		t.Fatalf("an upload of the withdrawn slot: %d %s", st, body)
	}
	entries, err := e.m.Stores.Audit.FindAuditEntries(ctx, "task", task.ID, 200)
	if err != nil {
		t.Fatal(err)
	}
	recorded := 0
	for _, en := range entries {
		if en.Action == "sync.push" && strings.Contains(en.Detail, "withdrawal: 1 of 2 slots withdrawn: bad (photo sha256 "+sha(bad)) {
			recorded++
		}
	}
	if recorded != 1 {
		t.Fatalf("%d audit entries record the withdrawal, want 1", recorded)
	}

	cur, err = e.m.Stores.Tasks.FindTaskByID(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	approved, err := e.m.Planning.Transition(rev, task.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: cur.Version})
	if err != nil {
		t.Fatalf("approval after the withdrawal: %v", err)
	}
	if approved.Status != backend.TaskApproved {
		t.Fatalf("status %s, want approved", approved.Status)
	}
	// Approved: the manifest is closed.
	wantStatus(t, "withdrawal after approval", a.push(a.mutation(fcsync.EntityWithdrawal, task.ID, approved.Version, fcsync.WithdrawalPayload{Slots: []string{"x"}}))[0], fcsync.Rejected, backend.EINVALID)
}
