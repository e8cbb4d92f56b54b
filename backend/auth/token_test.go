package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
)

func TestAuthenticateRejects(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	e.MustCreateSession(t, "session-1", "alice")
	good := MustLogin(t, e.Svc, "alice", "192.0.2.1").AccessToken
	now := e.Clock.Now()
	pub := testPrivateKey().Public().(ed25519.PublicKey)

	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		change(c)
		return c
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)
	signWith := func(method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = testKID
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
		return s
	}
	parts := strings.Split(good, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["role"] = "admin"
	tampered, _ := json.Marshal(claims)
	sig := []byte(parts[2])
	sig[10] ^= 0x01 // still valid base64url, different bytes

	tests := []struct {
		name  string
		token string
	}{
		{"ErrEmpty", ""},
		{"ErrGarbage", "not a token"},
		{"ErrTwoParts", parts[0] + "." + parts[1]},
		{"ErrWrongAudience", MustSign(t, with(func(c jwt.MapClaims) { c["aud"] = "fieldcheck-mobile" }), nil)},
		{"ErrNoAudience", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "aud") }), nil)},
		{"ErrWrongIssuer", MustSign(t, with(func(c jwt.MapClaims) { c["iss"] = "evil" }), nil)},
		{"ErrNoIssuer", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "iss") }), nil)},
		{"ErrNoExpiry", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "exp") }), nil)},
		{"ErrExpired", MustSign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }), nil)},
		{"ErrNotYetValid", MustSign(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), nil)},
		{"ErrIssuedInFuture", MustSign(t, with(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() }), nil)},
		{"ErrNoIssuedAt", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "iat") }), nil)},
		{"ErrNoSubject", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "sub") }), nil)},
		{"ErrNoSession", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "sid") }), nil)},
		{"ErrNoTokenID", MustSign(t, with(func(c jwt.MapClaims) { delete(c, "jti") }), nil)},
		{"ErrUnknownRole", MustSign(t, with(func(c jwt.MapClaims) { c["role"] = "root" }), nil)},
		{"ErrExpiryNotANumber", MustSign(t, with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" }), nil)},
		{"ErrAlgNone", signWith(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(now), nil)},
		{"ErrAlgNoneHandMade", b64(`{"alg":"none","kid":"`+testKID+`"}`) + "." + parts[1] + "."},
		{"ErrHS256WithPublicKey", signWith(jwt.SigningMethodHS256, []byte(pub), validClaims(now), nil)},
		{"ErrHS256WithPublicKeyBase64", signWith(jwt.SigningMethodHS256, []byte(base64.StdEncoding.EncodeToString(pub)), validClaims(now), nil)},
		{"ErrUnknownKID", MustSign(t, validClaims(now), map[string]any{"kid": "no-such-key"})},
		{"ErrNoKID", signWith(jwt.SigningMethodEdDSA, testPrivateKey(), validClaims(now), map[string]any{"kid": nil})},
		{"ErrKIDNotAString", MustSign(t, validClaims(now), map[string]any{"kid": 7})},
		{"ErrOtherKeySameKID", signWith(jwt.SigningMethodEdDSA, otherKey, validClaims(now), nil)},
		{"ErrTamperedPayload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tampered) + "." + parts[2]},
		{"ErrTamperedSignature", parts[0] + "." + parts[1] + "." + string(sig)},
		{"ErrNoSignature", parts[0] + "." + parts[1] + "."},
		{"ErrSignaturePadded", good + "="},
		{"ErrTooLong", good + strings.Repeat("A", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actor, err := e.Svc.Authenticate(ctxFrom("192.0.2.1"), tt.token)
			if got := backend.ErrorCode(err); got != backend.EUNAUTHENTICATED {
				t.Fatalf("code=%q (err=%v, actor=%+v), want %q", got, err, actor, backend.EUNAUTHENTICATED)
			}
		})
	}

	// The control: the genuine token passes, and so does a hand-signed one
	// with the same claims as the failures above, minus the defect.
	for _, tok := range []string{good, MustSign(t, validClaims(now), nil)} {
		if _, err := e.Svc.Authenticate(ctxFrom("192.0.2.1"), tok); err != nil {
			t.Fatalf("control token refused: %v", err)
		}
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestAuthenticateExpiry(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleManager, "scjg")
	tokens := MustLogin(t, e.Svc, "alice", "192.0.2.1")

	tests := []struct {
		name    string
		after   time.Duration
		wantErr string
	}{
		{"OKJustIssued", 0, ""},
		{"OKAtExpiryWithinLeeway", 15*time.Minute + 20*time.Second, ""},
		{"ErrExpired", 15*time.Minute + 31*time.Second, "access token expired"},
		{"ErrLongExpired", 24 * time.Hour, "access token expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Clock.Set(start.Add(tt.after))
			_, err := e.Svc.Authenticate(ctxFrom("192.0.2.1"), tokens.AccessToken)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				return
			}
			wantCode(t, "Authenticate", err, backend.EUNAUTHENTICATED)
			if got := backend.ErrorMessage(err); got != tt.wantErr {
				t.Fatalf("message=%q, want %q", got, tt.wantErr)
			}
		})
	}
}

// A service configured for the mobile audience refuses back-office tokens
// and the other way round; one accepting both takes both.
func TestAudiences(t *testing.T) {
	e := newEnv(t, auth.Config{})
	e.MustCreateUser(t, "alice", backend.RoleInspector, "scjg")
	mobile := e.NewService(t, auth.Config{Audience: "fieldcheck-mobile"}, 2)
	both := e.NewService(t, auth.Config{AcceptedAudiences: []string{"fieldcheck-api", "fieldcheck-mobile"}}, 3)
	apiToken := MustLogin(t, e.Svc, "alice", "192.0.2.1").AccessToken
	mobileToken := MustLogin(t, mobile, "alice", "192.0.2.1").AccessToken

	tests := []struct {
		name  string
		svc   *auth.Service
		token string
		ok    bool
	}{
		{"OKAPIOnAPI", e.Svc, apiToken, true},
		{"ErrMobileOnAPI", e.Svc, mobileToken, false},
		{"ErrAPIOnMobile", mobile, apiToken, false},
		{"OKMobileOnMobile", mobile, mobileToken, true},
		{"OKAPIOnBoth", both, apiToken, true},
		{"OKMobileOnBoth", both, mobileToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.svc.Authenticate(ctxFrom("192.0.2.1"), tt.token)
			if tt.ok && err != nil {
				t.Fatalf("err=%v, want accepted", err)
			}
			if !tt.ok {
				wantCode(t, "Authenticate", err, backend.EUNAUTHENTICATED)
			}
		})
	}
}

func TestNewServiceRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.Config
	}{
		{"ErrNegativeTTL", auth.Config{AccessTTL: -time.Minute}},
		{"ErrNegativeLeeway", auth.Config{Leeway: -time.Second}},
		{"ErrNegativeLimit", auth.Config{Throttle: auth.ThrottleConfig{AccountLockFailures: -1}}},
		{"ErrNegativeFreeFailures", auth.Config{Throttle: auth.ThrottleConfig{PairFreeFailures: -1}}},
		{"ErrNegativeDelay", auth.Config{Throttle: auth.ThrottleConfig{PairBaseDelay: -time.Second}}},
		{"ErrMaxDelayBelowFirst", auth.Config{Throttle: auth.ThrottleConfig{PairBaseDelay: time.Minute, PairMaxDelay: time.Second}}},
		{"ErrShortLock", auth.Config{Throttle: auth.ThrottleConfig{AccountLockDuration: time.Millisecond}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewService(tt.cfg, nil, nil, nil, nil, nil); err == nil {
				t.Fatalf("NewService(%+v): err=nil, want an error", tt.cfg)
			}
		})
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b, auth.Config{})
	e.MustCreateUser(b, "alice", backend.RoleManager, "scjg")
	token := MustLogin(b, e.Svc, "alice", "192.0.2.1").AccessToken
	ctx := ctxFrom("192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Svc.Authenticate(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
