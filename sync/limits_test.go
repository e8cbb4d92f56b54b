package fcsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// limitsProxy forwards to the server but serves its limits with a smaller
// push (as a server configured so would) and records the size of every
// PATCH and push.
type limitsProxy struct {
	mu      sync.Mutex
	patches []int64
	pushes  int
}

func startLimitsProxy(t *testing.T, target string, maxMutations int) (*limitsProxy, string) {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &limitsProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		switch {
		case r.Method == http.MethodPatch:
			p.patches = append(p.patches, r.ContentLength)
		case r.Method == http.MethodPost && r.URL.Path == fcsync.SyncPath:
			p.pushes++
		}
		p.mu.Unlock()
		if r.URL.Path != fcsync.LimitsPath {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		var l fcsync.Limits
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		l.Push.MaxMutations = maxMutations
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(l)
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// TestClientHonoursServedLimits: the Go client reads GET /mobile/v1/limits
// (keeping them in its state) and refuses before queueing what the server
// would refuse — an evidence file over its kind's cap or the task's quota
// as configured there — cuts pushes to the served batch size, and sends
// uploads in the PATCH size the server advises.
func TestClientHonoursServedLimits(t *testing.T) {
	e := newEnv(t, 200)
	lim, err := backend.ParseEvidenceLimits("photo=1MiB,task=1536KiB")
	if err != nil {
		t.Fatal(err)
	}
	e.m.Sync.Evidence, e.m.Evidence.Limits = lim, lim
	task := e.visitTask()
	proxy, base := startLimitsProxy(t, serve(t, e), 2)
	ctx := context.Background()
	dir := t.TempDir()
	c := newClient(t, base, task.TeamUsers[0], "phone-limits-1", dir)
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Limits().Evidence.MaxSize[backend.EvidencePhoto]; got != backend.DefaultEvidenceLimits().MaxSize[backend.EvidencePhoto] {
		t.Fatalf("before asking, the photo cap is %d, want the default", got)
	}
	got, err := c.FetchLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Evidence.MaxSize[backend.EvidencePhoto] != 1<<20 || got.Evidence.TaskQuota != 1536<<10 || got.Push.MaxMutations != 2 {
		t.Fatalf("fetched %+v, want the server's caps and the served batch of 2", got)
	}
	if want := e.m.Evidence.UploadChunk(); got.Uploads.ChunkBytes != want {
		t.Fatalf("advised PATCH of %d bytes, want the server's %d", got.Uploads.ChunkBytes, want)
	}
	// Kept: a client started again on the same directory knows them offline.
	if again := newClient(t, "http://127.0.0.1:1", task.TeamUsers[0], "phone-limits-1", dir); again.Limits().Evidence.MaxSize[backend.EvidencePhoto] != 1<<20 {
		t.Fatal("the limits were not kept in the local state")
	}
	c.Queue.Close()
	c = newClient(t, base, task.TeamUsers[0], "phone-limits-1", dir)

	photo := func(id string, size int64) fcsync.Mutation {
		m, err := fcsync.NewMutation(fcsync.EntityEvidence, task.ID, c.Task(task.ID).Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
			ID: id, Type: backend.EvidencePhoto, SHA256: strings.Repeat("ab", 32), Size: size, ContentType: "image/jpeg", CapturedAt: time.Now(),
		}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tt := range []struct {
		name string
		m    fcsync.Mutation
		code string
	}{
		{"ErrOverTheCap", photo("big", 1<<20+1), backend.ETOOLARGE},
		{"OK/AtTheCap", photo("p1", 1<<20), ""},
	} {
		before := c.Queue.Len()
		_, err := c.Enqueue(tt.m)
		if backend.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
			t.Fatalf("%s: %v, want %q", tt.name, err, tt.code)
		}
		if queued := c.Queue.Len() - before; queued != map[bool]int{true: 1, false: 0}[tt.code == ""] {
			t.Fatalf("%s: %d queued", tt.name, queued)
		}
	}
	// Five answers after it: pushes of at most two mutations.
	cur, err := e.m.Stores.Tasks.FindTaskByID(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		m, err := fcsync.NewMutation(fcsync.EntityAnswers, task.ID, cur.Version, answersFor(cur, "v"+strconv.Itoa(i), time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(out); st[fcsync.Applied] != 6 {
		t.Fatalf("push answered %v", out)
	}
	if proxy.pushes != 3 {
		t.Fatalf("%d pushes for 6 mutations, want 3 of at most 2", proxy.pushes)
	}
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	// The quota counts what the task holds: 1 MiB declared, 1 MiB more is over.
	if _, err := c.Enqueue(photo("p2", 1<<20)); !backend.IsCode(err, backend.ETOOLARGE) {
		t.Fatalf("a photo over the task's quota: %v, want too large", err)
	}
	if _, err := c.Enqueue(photo("p1", 1<<20)); err != nil {
		t.Fatalf("the declared slot again (the server takes it again): %v", err)
	}

	// The upload goes in the PATCH size the server advises.
	data := append([]byte("\x1A\x45\xDF\xA3"), bytes.Repeat([]byte{7}, 3*int(got.Uploads.ChunkBytes)/2)...)
	e.m.Evidence.Limits, e.m.Sync.Evidence = backend.EvidenceLimits{}, backend.EvidenceLimits{}
	c2 := newClient(t, base, task.TeamUsers[0], "phone-limits-2", t.TempDir())
	if _, err := c2.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := fcsync.NewMutation(fcsync.EntityEvidence, task.ID, c2.Task(task.ID).Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
		ID: "chunks", Type: backend.EvidenceVideo, SHA256: sha(data), Size: int64(len(data)), ContentType: "video/webm", CapturedAt: time.Now(),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Enqueue(m); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Push(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.mu.Lock()
	proxy.patches = nil
	proxy.mu.Unlock()
	u := ""
	if err := c2.UploadFile(ctx, task.ID, "chunks", bytes.NewReader(data), int64(len(data)), &u, 0); err != nil {
		t.Fatal(err)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.patches) != 2 || proxy.patches[0] != got.Uploads.ChunkBytes || slices.Max(proxy.patches) > got.Uploads.ChunkBytes {
		t.Fatalf("PATCH sizes %v, want %d each (the last one less)", proxy.patches, got.Uploads.ChunkBytes)
	}
}
