package auth_test

import (
	"context"
	"crypto/ed25519"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// start is a Monday morning in Beijing, in the middle of a throttle window.
var start = time.Date(2026, 3, 2, 9, 7, 30, 0, backend.China)

// testKID and testSeed are a key the tests put in the ring themselves, so
// that they can sign tokens of any shape with it.
const testKID = "test-key-1"

var testSeed = []byte("fieldcheck-auth-test-seed-32byte")

func testPrivateKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(testSeed) }

// env is one test's world: a fresh database and a service on it.
type env struct {
	DB       *mongo.DB
	Clock    *clocktest.Clock
	Svc      *auth.Service
	Users    *mongo.UserStore
	Tokens   *mongo.TokenStore
	Audit    *mongo.AuditStore
	AuditLog *backend.AuditLog
	KeyStore *mongo.SigningKeyStore
}

// newEnv opens a fresh database, stores the test key as the only key of the
// ring and returns a service on it.
func newEnv(tb testing.TB, cfg auth.Config) *env {
	tb.Helper()
	db := mongotest.Open(tb)
	e := &env{
		DB:       db,
		Clock:    clocktest.New(start),
		Users:    &mongo.UserStore{DB: db},
		Tokens:   &mongo.TokenStore{DB: db},
		Audit:    &mongo.AuditStore{DB: db},
		KeyStore: &mongo.SigningKeyStore{DB: db},
	}
	e.AuditLog = &backend.AuditLog{Store: e.Audit, Now: e.Clock.Now}
	err := e.KeyStore.CreateSigningKey(context.Background(), &auth.SigningKey{
		ID: testKID, Algorithm: auth.AlgEdDSA, Seed: testSeed,
		CreatedAt: start.Add(-time.Hour).UTC(), ActivatedAt: start.Add(-time.Hour).UTC(),
	})
	if err != nil {
		tb.Fatalf("store test key: %v", err)
	}
	e.Svc = e.NewService(tb, cfg, 1)
	return e
}

// NewService returns another service instance on the same database, with a
// key ring of its own, as a second server process would have.
func (e *env) NewService(tb testing.TB, cfg auth.Config, seed uint64) *auth.Service {
	tb.Helper()
	keys := auth.NewKeyring(e.KeyStore)
	keys.Now = e.Clock.Now
	keys.Rand = rand.NewChaCha8(seedBytes(seed, 'k'))
	svc, err := auth.NewService(cfg, keys, e.Users, e.Tokens, &mongo.ThrottleStore{DB: e.DB}, e.AuditLog)
	if err != nil {
		tb.Fatalf("NewService: %v", err)
	}
	svc.Now = e.Clock.Now
	svc.Rand = rand.NewChaCha8(seedBytes(seed, 's'))
	if err := keys.Load(context.Background()); err != nil {
		tb.Fatalf("load key ring: %v", err)
	}
	return svc
}

func seedBytes(n uint64, tag byte) [32]byte {
	var b [32]byte
	b[0] = tag
	for i := 0; i < 8; i++ {
		b[1+i] = byte(n >> (8 * i))
	}
	return b
}

const testPassword = "correct horse battery"

// MustCreateUser stores an enabled user with testPassword.
func (e *env) MustCreateUser(tb testing.TB, id string, role backend.Role, departments ...string) *backend.User {
	tb.Helper()
	hash, err := backend.HashPassword(testPassword)
	if err != nil {
		tb.Fatalf("HashPassword: %v", err)
	}
	u := &backend.User{ID: id, DisplayName: id, Role: role, Departments: departments, PasswordHash: hash}
	if err := e.Users.CreateUser(context.Background(), u); err != nil {
		tb.Fatalf("CreateUser(%s): %v", id, err)
	}
	return u
}

// MustDisable disables a stored user.
func (e *env) MustDisable(tb testing.TB, id string) {
	tb.Helper()
	ctx := context.Background()
	u, err := e.Users.FindUserByID(ctx, id)
	if err != nil {
		tb.Fatalf("FindUserByID(%s): %v", id, err)
	}
	u.Disabled = true
	if err := e.Users.UpdateUser(ctx, u); err != nil {
		tb.Fatalf("UpdateUser(%s): %v", id, err)
	}
}

// MustCreateSession stores an open back-office session id of user, for
// tokens the tests sign themselves (validClaims: "session-1").
func (e *env) MustCreateSession(tb testing.TB, id, user string) {
	tb.Helper()
	f := &backend.TokenFamily{ID: id, UserID: user, Audience: auth.DefaultAudience, CreatedAt: start.UTC(), ExpiresAt: start.Add(24 * time.Hour).UTC()}
	if err := e.Tokens.CreateTokenFamily(context.Background(), f); err != nil {
		tb.Fatalf("CreateTokenFamily(%s): %v", id, err)
	}
}

// MustLogin logs in with testPassword from addr.
func MustLogin(tb testing.TB, svc *auth.Service, username, addr string) *auth.Tokens {
	tb.Helper()
	tokens, err := svc.Login(auth.WithClientAddr(context.Background(), addr), username, testPassword)
	if err != nil {
		tb.Fatalf("Login(%s): %v", username, err)
	}
	return tokens
}

// MustSign signs claims with the test key, with the given header fields
// added (kid defaults to testKID).
func MustSign(tb testing.TB, claims jwt.MapClaims, header map[string]any) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = testKID
	for k, v := range header {
		t.Header[k] = v
	}
	s, err := t.SignedString(testPrivateKey())
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return s
}

// validClaims are the claims of a good access token for alice at now.
func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":         "fieldcheck",
		"aud":         "fieldcheck-api",
		"sub":         "alice",
		"iat":         now.Unix(),
		"nbf":         now.Unix(),
		"exp":         now.Add(15 * time.Minute).Unix(),
		"jti":         "0123456789abcdef",
		"sid":         "session-1",
		"role":        "manager",
		"departments": []string{"scjg"},
	}
}

// ctxFrom is a request context from a client address.
func ctxFrom(addr string) context.Context {
	return auth.WithClientAddr(context.Background(), addr)
}

// wantCode fails unless err carries code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := backend.ErrorCode(err); got != code {
		tb.Fatalf("%s: code=%q (err=%v), want %q", what, got, err, code)
	}
}
