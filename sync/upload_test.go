package fcsync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.m.HTTP.App().Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
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
	req.Header.Set("Authorization", "Bearer "+token)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := e.m.HTTP.App().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
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
