package api_test

// Probes of issue 13, part 3 (admission control): 100 phones logging in at
// once ran 100 password hashes on two cores, and every login waited ten
// seconds and more while sync starved; pushes queued behind each other
// for up to half a minute. Now the surplus is answered at once, 429 (queue
// full) or 503 (waited too long), with a Retry-After that says when the
// work queued before it will be done.

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// fillGate holds every slot of g and parks callers in its queue until it
// is full; the returned function lets everything go.
func fillGate(t testing.TB, g *backend.Gate) func() {
	t.Helper()
	c := g.Config()
	var held []func()
	for range c.Slots {
		release, err := g.Enter(context.Background())
		if err != nil {
			t.Fatalf("hold a slot of the %s gate: %v", c.Name, err)
		}
		held = append(held, release)
	}
	var wg sync.WaitGroup
	for range c.Queue {
		wg.Go(func() {
			if release, err := g.Enter(context.Background()); err == nil {
				release()
			}
		})
	}
	for g.Waiting() < c.Queue {
		runtime.Gosched() // no sleep: the parked callers only have to reach the queue
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for _, release := range held {
				release()
			}
			wg.Wait()
		})
	}
}

// wantRefused checks a refusal by a full gate: the status, the code, and a
// Retry-After of the gate's own estimate.
func wantRefused(t *testing.T, what string, r *response, g *backend.Gate, status int, code string) {
	t.Helper()
	var body struct{ Code, Message string }
	r.JSON(t, &body)
	want := strconv.Itoa(int(g.RetryIn() / time.Second))
	if r.Status != status || body.Code != code || r.Header.Get("Retry-After") != want {
		t.Fatalf("%s: %d %s, Retry-After %q; want %d %s, Retry-After %s", what, r.Status, r.Body, r.Header.Get("Retry-After"), status, code, want)
	}
}

func TestSecurityLoginAdmission(t *testing.T) {
	e := newEnv(t)
	e.trustForwardedFor()
	g := e.m.Hashes
	if c := g.Config(); c.Slots != backend.PasswordSlots() || c.Queue != c.Slots*backend.PasswordQueuePerSlot || c.MaxWait != backend.PasswordMaxWait ||
		e.m.Auth.Hashes != g || e.m.Mobile.Hashes != g || e.m.Users.Hashes != g {
		t.Fatalf("the app's password gate is %+v, or not shared by both APIs and the users", c)
	}
	release := fillGate(t, g)
	defer release()

	const addr = "192.0.2.77"
	wantRefused(t, "back-office login", e.loginFrom(t, addr, "manager", testPassword), g, 429, backend.ETOOMANY)
	mobile := `{"username":"inspector","password":"` + testPassword + `","device":{"id":"phone-admission","platform":"android"}}`
	wantRefused(t, "phone login", e.doFrom(t, addr, "POST", "/mobile/v1/auth/login", "", mobile), g, 429, backend.ETOOMANY)
	// A refused login is no attempt: wrong passwords turned away here are
	// not charged to the account, the address or their pair.
	for range 2 * 5 {
		if r := e.loginFrom(t, addr, "manager", "wrong-password-x"); r.Status != 429 {
			t.Fatalf("wrong password with the gate full: %d %s, want 429", r.Status, r.Body)
		}
	}
	release()
	for range 5 - 1 {
		if r := e.loginFrom(t, addr, "manager", "wrong-password-x"); r.Status != 401 {
			t.Fatalf("wrong password once admitted: %d %s, want 401", r.Status, r.Body)
		}
	}
	if r := e.loginFrom(t, addr, "manager", testPassword); r.Status != 200 {
		t.Fatalf("login after the refusals: %d %s, want 200 (the refusals were counted as failures)", r.Status, r.Body)
	}

	// Waiting is bounded too: past MaxWait (here none) the answer is 503.
	short := backend.NewGate(backend.GateConfig{Name: "password checks", Slots: 1, Queue: 1, MaxWait: 0, Typical: 200 * time.Millisecond})
	e.m.Auth.Hashes = short
	held, err := short.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held()
	wantRefused(t, "login past the wait", e.loginFrom(t, addr, "manager", testPassword), short, 503, backend.EUNAVAILABLE)
}

func TestSecurityPushAdmission(t *testing.T) {
	e := newEnv(t)
	g := e.m.Pushes
	if c := g.Config(); c.Slots != fcsync.MaxPushesAtOnce || c.Queue != fcsync.MaxPushesWaiting || c.MaxWait != fcsync.MaxPushWait || e.m.Sync.Pushes != g {
		t.Fatalf("the app's push gate is %+v, or not the sync service's", c)
	}
	phone := e.mustMobileLogin(t, "inspector", "phone-admission")
	push := `{"mutations":[{"opId":"admission-1","entity":"task","taskId":"no-such-task","baseVersion":1,"payload":{"to":"accepted"}}]}`
	release := fillGate(t, g)
	defer release()
	r := e.doT(t, "POST", "/mobile/v1/sync?v=2", phone.AccessToken, "application/json", strings.NewReader(push))
	wantRefused(t, "push with the gate full", r, g, 429, backend.ETOOMANY)
	// The gate comes before the body is read as JSON: a full gate refuses
	// a push it has not decoded, so a broken one too is told to come back
	// (not that it is broken: that costs the decoding).
	for _, bad := range []string{`{"mutations":[{"opId":`, `{"mutations":[{"opId":"x"}]}`} {
		r := e.doT(t, "POST", "/mobile/v1/sync?v=2", phone.AccessToken, "application/json", strings.NewReader(bad))
		wantRefused(t, "undecoded push with the gate full", r, g, 429, backend.ETOOMANY)
	}
	release()
	if r := e.doT(t, "POST", "/mobile/v1/sync?v=2", phone.AccessToken, "application/json", strings.NewReader(push)); r.Status != 200 {
		t.Fatalf("push once admitted: %d %s, want 200", r.Status, r.Body)
	}
}
