package api_test

// Probes of issue 13, part 4 ("several instances, really"): two app.Main
// on one store, behind a balancer that sends each request to the next
// instance, as a deployment on MongoDB runs them. Tasks, sync, uploads,
// throttles, draws and key rings must give the same answers whichever
// instance a request reaches. Before the fix, a login's upload caps and the
// takeover of a dead upload were one instance's memory, and a key retired
// on one instance went on verifying on the other for a minute.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// balancer sends each request to the next of its backends, round robin,
// and counts what each served.
type balancer struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Int64
	mu      sync.Mutex
	served  []map[string]int // per backend: method → requests
}

func newBalancer(t *testing.T, backends ...string) (*balancer, string) {
	t.Helper()
	b := &balancer{}
	for _, raw := range backends {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		p := httputil.NewSingleHostReverseProxy(u)
		p.FlushInterval = -1
		b.proxies = append(b.proxies, p)
		b.served = append(b.served, map[string]int{})
	}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(b.next.Add(1)) % len(b.proxies)
	b.mu.Lock()
	b.served[i][r.Method]++
	b.mu.Unlock()
	b.proxies[i].ServeHTTP(w, r)
}

func (b *balancer) count(i int, method string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served[i][method]
}

// noisyJPEG is a photo that compresses badly: tens of kilobytes.
func noisyJPEG(t *testing.T, seed uint64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// kidOf reads the kid of a token's header without verifying it.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	var h struct{ Kid string }
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token header %q", head)
	}
	return h.Kid
}

// instancePhone is a phone (the Go sync client) talking to base.
func instancePhone(t *testing.T, base, user string) *fcsync.Client {
	t.Helper()
	q, err := fcsync.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return &fcsync.Client{
		BaseURL: base, Username: user, Password: demo.DemoPassword(user),
		Device: backend.DeviceInfo{ID: "phone-" + fmt.Sprint(len(user)) + "-instances", Name: "test phone", Platform: backend.PlatformAndroid},
		Queue:  q, Retry: fcsync.Retry{Attempts: 20, Base: time.Millisecond, Max: 10 * time.Millisecond, Budget: time.Minute},
		PendingWait: 10 * time.Millisecond,
	}
}

// declare adds evidence slots of photos to the task's manifest.
func declare(t *testing.T, c *fcsync.Client, taskID string, photos map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	var files []backend.EvidenceInput
	for slot, b := range photos {
		files = append(files, backend.EvidenceInput{ID: slot, Type: backend.EvidencePhoto, SHA256: hexSHA(b), Size: int64(len(b)), ContentType: "image/jpeg", CapturedAt: time.Now()})
	}
	m, err := fcsync.NewMutation(fcsync.EntityEvidence, taskID, c.Task(taskID).Task.Version, fcsync.EvidencePayload{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(m); err != nil {
		t.Fatal(err)
	}
	res, err := c.Push(ctx)
	if err != nil || len(res) != 1 || res[0].Status != fcsync.Applied {
		t.Fatalf("declare evidence: %v %+v", err, res)
	}
}

// tus sends one tus request to base with the phone's token.
func tus(t *testing.T, c *fcsync.Client, method, url string, hdr map[string]string, body io.Reader, length int64) (*http.Response, string) {
	t.Helper()
	token, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, url, body)
	req.ContentLength = length
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func createUpload(t *testing.T, c *fcsync.Client, base, taskID, slot string, size int) string {
	t.Helper()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	resp, body := tus(t, c, "POST", base+fcsync.UploadsPath, map[string]string{
		"Upload-Length": strconv.Itoa(size), "Upload-Metadata": "taskId " + b64(taskID) + ",slotId " + b64(slot)}, nil, 0)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create upload of %s: %d %s", slot, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// heldPatch starts a PATCH of the whole photo at base that sends the first
// sent bytes and then stops, as a phone whose connection died mid-upload:
// the server waits for more. The channel gets its status once it ends;
// finish sends the rest.
func heldPatch(t *testing.T, c *fcsync.Client, base, loc string, photo []byte, sent int) (done chan int, finish func()) {
	t.Helper()
	pr, pw := io.Pipe()
	done = make(chan int, 1)
	token, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PATCH", base+loc, pr)
	req.ContentLength = int64(len(photo))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	go func() { _, _ = pw.Write(photo[:sent]) }()
	var once sync.Once
	finish = func() {
		once.Do(func() {
			go func() { _, _ = pw.Write(photo[sent:]); pw.Close() }()
		})
	}
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	return done, finish
}

// waitFor spins (no sleep) until cond holds; a minute without is a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		runtime.Gosched()
	}
}

func TestSecurityTwoInstances(t *testing.T) {
	ctx := context.Background()
	ms := apptest.OpenInstances(t, 2, "")
	a, b := &env{t: t, m: ms[0]}, &env{t: t, m: ms[1]}
	apptest.SeedDemo(t, a.m, 200, time.Now())
	clk := clocktest.New(time.Now().Add(time.Second)) // the key rings' clock
	for _, e := range []*env{a, b} {
		e.trustForwardedFor()
		e.m.Evidence.TakeoverPoll = 10 * time.Millisecond
		e.m.Evidence.TakeoverWait = time.Second // not the 5 s default: a subtest waits it out
		e.m.TokenKeys.Now = clk.Now
	}
	urlA, urlB := a.serve(t), b.serve(t)
	lb, urlLB := newBalancer(t, urlA, urlB)

	// A draw on one instance is the other's: its record, its tasks.
	res, err := demo.DrawFirstPlan(ctx, a.m.Planning, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := b.do("GET", "/public/draws/"+res.Draw.ID, "", "", nil); r.Status != 200 {
		t.Fatalf("the draw made on A, read on B: %d %s", r.Status, r.Body)
	}
	var task *backend.Task
	for _, tk := range res.Tasks {
		if len(tk.TeamUsers) >= 2 && backend.ValidateUSCC(tk.TargetID) == nil {
			task = tk
			break
		}
	}
	if task == nil {
		t.Fatal("no drawn task has a team of two logins")
	}
	manager := b.loginFrom(t, "192.0.2.10", "scjg.manager", demo.DemoPassword("scjg.manager"))
	var tok tokens
	manager.JSON(t, &tok)
	if r := a.do("GET", "/api/v1/tasks/"+task.ID, tok.AccessToken, "", nil); r.Status != 200 {
		t.Fatalf("a task drawn on A, with a token of B, read on A: %d %s", r.Status, r.Body)
	}

	lead, mate := instancePhone(t, urlLB, task.TeamUsers[0]), instancePhone(t, urlLB, task.TeamUsers[1])
	t.Run("OKSyncThroughBoth", func(t *testing.T) {
		if _, err := lead.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		m, err := fcsync.NewMutation(fcsync.EntityTask, task.ID, lead.Task(task.ID).Task.Version, fcsync.TaskPayload{To: backend.TaskAccepted})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lead.Enqueue(m); err != nil {
			t.Fatal(err)
		}
		if out, err := lead.Push(ctx); err != nil || out[0].Status != fcsync.Applied {
			t.Fatalf("push: %v %+v", err, out)
		}
		if _, err := mate.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		if got := mate.Task(task.ID); got == nil || got.Task.Status != backend.TaskAccepted {
			t.Fatalf("the teammate's pull: %+v, want the task accepted", got)
		}
		if lb.count(0, "GET") == 0 || lb.count(1, "GET") == 0 || lb.count(0, "POST")+lb.count(1, "POST") < 3 {
			t.Fatalf("the balancer did not spread the requests: %v", lb.served)
		}
	})

	photo := noisyJPEG(t, 1)
	t.Run("OKUploadStartedOnOneFinishedOnTheOther", func(t *testing.T) {
		declare(t, lead, task.ID, map[string][]byte{"photo-lb": photo})
		loc := ""
		if err := lead.UploadFile(ctx, task.ID, "photo-lb", bytes.NewReader(photo), int64(len(photo)), &loc, int64(len(photo)/4+1)); err != nil {
			t.Fatal(err)
		}
		if lb.count(0, "PATCH") == 0 || lb.count(1, "PATCH") == 0 {
			t.Fatalf("the upload's PATCHes did not reach both instances: %v", lb.served)
		}
		stored, err := b.m.Stores.Tasks.FindTaskByID(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if slot, _ := stored.FindEvidence("photo-lb"); !slot.Uploaded {
			t.Fatalf("the evidence is not filed: %+v", slot)
		}
	})

	t.Run("ErrWritesPerLoginCountedOnEveryInstance", func(t *testing.T) {
		photos := map[string][]byte{}
		for i := range evidence.MaxWritesPerUser + 1 {
			photos[fmt.Sprint("cap-", i)] = noisyJPEG(t, uint64(10+i))
		}
		declare(t, lead, task.ID, photos)
		var finishes []func()
		var dones []chan int
		for i := range evidence.MaxWritesPerUser {
			slot := fmt.Sprint("cap-", i)
			loc := createUpload(t, lead, urlA, task.ID, slot, len(photos[slot]))
			done, finish := heldPatch(t, lead, urlA, loc, photos[slot], 16<<10)
			finishes, dones = append(finishes, finish), append(dones, done)
		}
		waitFor(t, "the held writes to take their slots", func() bool {
			w, err := a.m.Stores.Uploads.FindUploadWriters(ctx, task.TeamUsers[0])
			return err == nil && len(w.Writers) == evidence.MaxWritesPerUser
		})
		last := fmt.Sprint("cap-", evidence.MaxWritesPerUser)
		loc := createUpload(t, lead, urlB, task.ID, last, len(photos[last]))
		resp, body := tus(t, lead, "PATCH", urlB+loc, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
			bytes.NewReader(photos[last]), int64(len(photos[last])))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "5" {
			t.Fatalf("write %d of one login, on the other instance: %d %s (Retry-After %q), want 429 with Retry-After 5",
				evidence.MaxWritesPerUser+1, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
		for i, finish := range finishes {
			finish()
			if st := <-dones[i]; st != http.StatusNoContent {
				t.Fatalf("held write %d: %d, want 204", i, st)
			}
		}
	})

	t.Run("OKTakeoverOfAWriteOnTheOtherInstance", func(t *testing.T) {
		photo := noisyJPEG(t, 99)
		declare(t, lead, task.ID, map[string][]byte{"taken-over": photo})
		loc := createUpload(t, lead, urlA, task.ID, "taken-over", len(photo))
		const sent = 20 << 10
		done, _ := heldPatch(t, lead, urlA, loc, photo, sent)
		id := loc[len(fcsync.UploadsPath)+1:]
		waitFor(t, "the held write to take the upload's lock", func() bool {
			u, err := a.m.Stores.Uploads.FindUpload(ctx, id)
			return err == nil && u.Holder != "" && !u.LockedUntil.IsZero()
		})
		// The phone gave up on that connection and sends again, to B. B asks
		// A's write to let go; A records what it had and ends; B goes on.
		patch := func(off int) (*http.Response, string) {
			return tus(t, lead, "PATCH", urlB+loc, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(off)},
				bytes.NewReader(photo[off:]), int64(len(photo)-off))
		}
		resp, body := patch(0)
		off := 0
		if resp.StatusCode == http.StatusConflict {
			// A kept the bytes it had received: resume from there.
			off, _ = strconv.Atoi(resp.Header.Get("Upload-Offset"))
			if off <= 0 || off > sent {
				t.Fatalf("PATCH on B while A held the upload: 409 %s at offset %q; want A to let go and B to resume from what A kept", body, resp.Header.Get("Upload-Offset"))
			}
			t.Logf("B resumed from byte %d, where A let go", off)
			resp, body = patch(off)
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH on B at %d: %d %s, want 204 (the write on A let go)", off, resp.StatusCode, body)
		}
		select {
		case st := <-done:
			if st == http.StatusNoContent {
				t.Fatalf("the write on A succeeded too")
			}
		case <-time.After(time.Minute):
			t.Fatal("the write on A never ended")
		}
	})

	// A writer whose instance died cannot be asked: the other waits
	// TakeoverWait for it, then says how long its lock still runs.
	t.Run("ErrWriterOfADeadInstance", func(t *testing.T) {
		photo := noisyJPEG(t, 7)
		declare(t, lead, task.ID, map[string][]byte{"dead-writer": photo})
		loc := createUpload(t, lead, urlA, task.ID, "dead-writer", len(photo))
		id := loc[len(fcsync.UploadsPath)+1:]
		now := time.Now()
		if _, err := a.m.Stores.Uploads.LockUpload(ctx, id, "0badc0ffee00/gone", now, now.Add(evidence.LockLease)); err != nil {
			t.Fatal(err)
		}
		resp, body := tus(t, lead, "PATCH", urlB+loc, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
			bytes.NewReader(photo), int64(len(photo)))
		after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusConflict || after < 40 || after > int(evidence.LockLease/time.Second) {
			t.Fatalf("PATCH of an upload a dead instance holds: %d %s (Retry-After %q), want 409 with the rest of its %s lease", resp.StatusCode, body, resp.Header.Get("Retry-After"), evidence.LockLease)
		}
	})

	t.Run("OKThrottleCountedOnBoth", func(t *testing.T) {
		const addr = "192.0.2.99"
		for i, e := range []*env{a, b, a, b, a} {
			if r := e.loginFrom(t, addr, "scjg.manager", "wrong-password-x"); r.Status != 401 {
				t.Fatalf("failure %d: %d %s, want 401", i+1, r.Status, r.Body)
			}
		}
		if r := b.loginFrom(t, addr, "scjg.manager", demo.DemoPassword("scjg.manager")); r.Status != 429 || r.Header.Get("Retry-After") != "2" {
			t.Fatalf("after 5 failures on A and B, on B: %d %s (Retry-After %q), want 429, 2", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	})

	t.Run("OKKeyRetiredOnOneRefusedOnTheOtherWithinSeconds", func(t *testing.T) {
		login := func(e *env) string {
			t.Helper()
			r := e.loginFrom(t, "192.0.2.11", "scjg.manager", demo.DemoPassword("scjg.manager"))
			var tok tokens
			r.JSON(t, &tok)
			if r.Status != 200 {
				t.Fatalf("login: %d %s", r.Status, r.Body)
			}
			return tok.AccessToken
		}
		get := func(e *env, token string) int { return e.do("GET", "/api/v1/tasks/"+task.ID, token, "", nil).Status }
		old := login(a)
		oldKID := kidOf(t, old)
		newKID, err := b.m.TokenKeys.Rotate(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Millisecond)
		fresh := login(b)
		if kidOf(t, fresh) != newKID || get(a, fresh) != 200 {
			t.Fatalf("a token of the key rotated in on B, on A: kid %s, %d; want %s, 200", kidOf(t, fresh), get(a, fresh), newKID)
		}
		if err := b.m.TokenKeys.Retire(ctx, oldKID); err != nil {
			t.Fatal(err)
		}
		if st := get(b, old); st != 401 {
			t.Fatalf("a token of the retired key on B: %d, want 401", st)
		}
		// The documented bound (README, docs/qr.md): every instance within
		// 5 seconds.
		const within = 5 * time.Second
		if keyring.DefaultMaxAge > within {
			t.Fatalf("rings are cached for %s, more than %s", keyring.DefaultMaxAge, within)
		}
		clk.Advance(within)
		if st := get(a, old); st != 401 {
			t.Fatalf("a token of a key retired on B, on A %s later: %d, want 401", within, st)
		}
		if st := get(a, fresh); st != 200 {
			t.Fatalf("the active key's token on A: %d", st)
		}
	})
}
