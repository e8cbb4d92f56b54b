package qr_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

const base = "https://fc.example.gov.cn"

// start is the fixed time every test clock starts at.
var start = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// memStore is an in-memory qr.KeyStore. FindSigningKeys returns copies, as a
// database would, and counts its calls.
type memStore struct {
	mu    sync.Mutex
	keys  []qr.Key
	finds int
	fail  error // returned by every call when set
}

func (s *memStore) FindSigningKeys(ctx context.Context) ([]*qr.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds++
	if s.fail != nil {
		return nil, s.fail
	}
	out := make([]*qr.Key, len(s.keys))
	for i, k := range s.keys {
		k.Seed = slices.Clone(k.Seed)
		out[i] = &k
	}
	return out, nil
}

func (s *memStore) CreateSigningKey(ctx context.Context, k *qr.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, x := range s.keys {
		if x.ID == k.ID {
			return backend.Errorf(backend.ECONFLICT, "key %s exists", k.ID)
		}
	}
	s.keys = append(s.keys, *k)
	return nil
}

func (s *memStore) RetireSigningKey(ctx context.Context, kid string, at time.Time, _ ...backend.AuditRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for i := range s.keys {
		if s.keys[i].ID == kid {
			if s.keys[i].RetiredAt == nil {
				s.keys[i].RetiredAt = &at
			}
			return nil
		}
	}
	return backend.Errorf(backend.ENOTFOUND, "no key %s", kid)
}

func (s *memStore) findCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finds
}

// revocations is a qr.RevocationList of serials.
type revocations map[string]bool

func (r revocations) IsRevoked(ctx context.Context, serial string) (bool, error) {
	return r[serial], nil
}

// env is a keyring on a memory store with a test clock and seeded entropy.
type env struct {
	Store *memStore
	Clock *clocktest.Clock
	Ring  *qr.Keyring
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return newEnvSeed(tb, "ring")
}

// newEnvSeed is newEnv with other keys: another bureau, or a forger.
func newEnvSeed(tb testing.TB, seed string) *env {
	tb.Helper()
	e := &env{Store: &memStore{}, Clock: clocktest.New(start)}
	e.Ring = e.NewRing(tb, seed)
	return e
}

// NewRing returns another instance's keyring on the same store and clock;
// seed makes its entropy differ from the others'.
func (e *env) NewRing(tb testing.TB, seed string) *qr.Keyring {
	tb.Helper()
	var s [32]byte
	copy(s[:], seed)
	r := qr.NewKeyring(e.Store, base)
	r.Now = e.Clock.Now
	r.Rand = rand.NewChaCha8(s)
	if err := r.Load(context.Background()); err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return r
}

// uscc returns a valid USCC whose 9-digit organisation part is n.
func uscc(tb testing.TB, n int) string {
	tb.Helper()
	first := fmt.Sprintf("91350100%09d", n)
	c, ok := backend.USCCCheckChar(first)
	if !ok {
		tb.Fatalf("USCCCheckChar(%q) failed", first)
	}
	return first + string(c)
}

// MustSignEnterprise signs the enterprise code of u.
func MustSignEnterprise(tb testing.TB, r *qr.Keyring, u string) *qr.EnterpriseCode {
	tb.Helper()
	c, err := r.SignEnterpriseCode(context.Background(), u)
	if err != nil {
		tb.Fatalf("SignEnterpriseCode(%s): %v", u, err)
	}
	return c
}

// MustSignInspection signs an inspection code for task.
func MustSignInspection(tb testing.TB, r *qr.Keyring, task string, validity time.Duration) *qr.InspectionToken {
	tb.Helper()
	t, err := r.SignInspectionToken(context.Background(), task, validity)
	if err != nil {
		tb.Fatalf("SignInspectionToken(%s): %v", task, err)
	}
	return t
}

// wantReason checks that err refuses a code with the given reason: a
// *backend.Error, code EINVALID, a message for the user.
func wantReason(tb testing.TB, what string, err error, want qr.Reason) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s: accepted, want refused (%s)", what, want)
	}
	var be *backend.Error
	if !errors.As(err, &be) {
		tb.Fatalf("%s: err=%T %v, want *backend.Error", what, err, err)
	}
	if got := backend.ErrorCode(err); got != backend.EINVALID {
		tb.Fatalf("%s: code=%q (err=%v), want %q", what, got, err, backend.EINVALID)
	}
	if got := qr.ReasonOf(err); got != want {
		tb.Fatalf("%s: reason=%q (err=%v), want %q", what, got, err, want)
	}
	if !errors.Is(err, want) {
		tb.Fatalf("%s: errors.Is(err, %q) = false", what, want)
	}
	if msg := backend.ErrorMessage(err); msg == "" || msg == "internal error" {
		tb.Fatalf("%s: message=%q, want one for the user", what, msg)
	}
}

// zbarimg returns the path of zbarimg. A missing zbarimg fails the test:
// the codes must be proven to decode. FIELDCHECK_SKIP_ZBAR=1 skips instead,
// for machines that cannot install zbar-tools.
func zbarimg(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_ZBAR") == "1" {
			tb.Skip("zbarimg not installed and FIELDCHECK_SKIP_ZBAR=1")
		}
		tb.Fatalf("zbarimg not found (apt-get install zbar-tools, or set FIELDCHECK_SKIP_ZBAR=1 to skip): %v", err)
	}
	return path
}

// MustDecode decodes the QR code in a PNG file with zbarimg and returns
// exactly what it read.
func MustDecode(tb testing.TB, zbar, file string) string {
	tb.Helper()
	cmd := exec.Command(zbar, "--raw", "-q", file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("zbarimg %s: %v (stderr: %s)", filepath.Base(file), err, stderr.String())
	}
	got, ok := strings.CutSuffix(string(out), "\n")
	if !ok || strings.Contains(got, "\n") {
		tb.Fatalf("zbarimg %s printed %q, want one symbol on one line", filepath.Base(file), out)
	}
	return got
}
