package qr_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/qr"
)

const task = "2026-scjg-0a1b2c3d4e-v1-d1-00012"

func TestInspectionTokenRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.Clock.Advance(1500 * time.Millisecond) // issue times are whole seconds
	tok := MustSignInspection(t, e.Ring, task, 10*time.Minute)

	wantIssued := start.Add(time.Second)
	if !tok.IssuedAt.Equal(wantIssued) || !tok.ExpiresAt.Equal(wantIssued.Add(10*time.Minute)) {
		t.Fatalf("issued %v, expires %v; want %v and 10 minutes later", tok.IssuedAt, tok.ExpiresAt, wantIssued)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok.String())
	if err != nil {
		t.Fatalf("token is not base64url: %v", err)
	}
	if got, want := len(raw), 22+len(task)+64; got != want {
		t.Fatalf("token bytes=%d, want %d", got, want)
	}
	if got, want := tok.URL(), base+"/v/"+tok.String(); got != want {
		t.Fatalf("URL()=%q, want %q", got, want)
	}

	tests := []struct {
		name     string
		raw      string
		wantBase string
	}{
		{"OK/URL", tok.URL(), base},
		{"OK/Bare", tok.String(), ""},
		{"OK/PathOnly", "/v/" + tok.String(), ""},
		{"OK/OtherHost", "https://scjg.example.org/fc/v/" + tok.String(), "https://scjg.example.org/fc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := qr.ParseInspectionToken(tt.raw)
			if err != nil {
				t.Fatalf("ParseInspectionToken: %v", err)
			}
			if got.Base != tt.wantBase || got.TaskID != task || got.KeyID != tok.KeyID || got.Serial != tok.Serial ||
				!got.IssuedAt.Equal(tok.IssuedAt) || !got.ExpiresAt.Equal(tok.ExpiresAt) || !bytes.Equal(got.Signature, tok.Signature) {
				t.Fatalf("parsed %+v, want %+v with base %q", got, tok, tt.wantBase)
			}
			if got.String() != tok.String() {
				t.Fatalf("String()=%q, want %q", got.String(), tok.String())
			}
			if _, err := e.Ring.VerifyInspectionToken(ctx, tt.raw); err != nil {
				t.Fatalf("VerifyInspectionToken: %v", err)
			}
		})
	}
}

func TestInspectionTokenTimes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := MustSignInspection(t, e.Ring, task, 5*time.Minute)
	leeway := e.Ring.Leeway
	tests := []struct {
		name string
		at   time.Duration // after issue
		want qr.Reason     // "" for accepted
	}{
		{"OK/AtIssue", 0, ""},
		{"OK/LastSecond", 5*time.Minute + leeway - time.Second, ""},
		{"Expired", 5*time.Minute + leeway, qr.ReasonExpired},
		{"ExpiredLongAgo", 30 * 24 * time.Hour, qr.ReasonExpired},
		{"OK/SlowClock", -leeway, ""},
		{"NotYetValid", -leeway - time.Second, qr.ReasonNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Clock.Set(tok.IssuedAt.Add(tt.at))
			_, err := e.Ring.VerifyInspectionToken(ctx, tok.URL())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantReason(t, "VerifyInspectionToken", err, tt.want)
		})
	}
}

func TestInspectionTokenRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := MustSignInspection(t, e.Ring, task, 10*time.Minute)
	e.Clock.Advance(time.Second)
	kid, err := e.Ring.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := e.Ring.Retire(ctx, first.KeyID); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	third, err := e.Ring.Rotate(ctx, start.Add(time.Hour)) // published, not yet signing
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	tok := MustSignInspection(t, e.Ring, task, 10*time.Minute)
	if tok.KeyID != kid {
		t.Fatalf("kid=%s, want %s", tok.KeyID, kid)
	}
	raw := mustBytes(t, tok.String())
	payload := raw[:len(raw)-64]

	_, forger, _ := ed25519.GenerateKey(nil)
	signed := func(p []byte) string { // p signed by the forger
		return enc(append(bytes.Clone(p), ed25519.Sign(forger, append([]byte("fc-insp-1\n"), p...))...))
	}
	withKid := func(p []byte, kid string) []byte {
		p = bytes.Clone(p)
		copy(p[1:7], mustBytes(t, kid))
		return p
	}
	edit := func(i int, v byte) string {
		b := bytes.Clone(raw)
		b[i] = v
		return enc(b)
	}
	flipAt := func(i int) string { return edit(i, raw[i]^0x01) }
	validity := func(min uint16) string {
		p := bytes.Clone(payload)
		binary.BigEndian.PutUint16(p[19:], min)
		return enc(append(p, raw[len(payload):]...))
	}
	s := tok.String()

	tests := []struct {
		name string
		raw  string
		want qr.Reason
	}{
		{"Forged/ForeignKeyUnderOurKid", signed(payload), qr.ReasonForged},
		{"Forged/TaskChanged", enc(append(append(bytes.Clone(payload[:len(payload)-1]), 'X'), raw[len(payload):]...)), qr.ReasonForged},
		{"Forged/SerialFlipped", flipAt(7), qr.ReasonForged},
		{"Forged/IssuedAtFlipped", flipAt(18), qr.ReasonForged},
		{"Forged/ValidityLengthened", validity(600), qr.ReasonForged},
		{"Forged/SignatureFlipped", flipAt(len(raw) - 1), qr.ReasonForged},
		{"Altered/KidSwappedToOurs", enc(append(withKid(payload, third), raw[len(payload):]...)), qr.ReasonAltered},
		{"UnknownKey", signed(withKid(payload, "ZZZZZZZZ")), qr.ReasonUnknownKey},
		{"RetiredKey", first.URL(), qr.ReasonRetiredKey},
		{"Unsigned", enc(payload), qr.ReasonUnsigned},
		{"Version/2", edit(0, 2), qr.ReasonUnsupportedVersion},
		{"Version/15", edit(0, 15), qr.ReasonUnsupportedVersion},
		{"Oversized", strings.Repeat("A", qr.MaxCodeLen+1), qr.ReasonOversized},
		{"Malformed/Version0", edit(0, 0), qr.ReasonMalformed},
		{"Malformed/Version16", edit(0, 16), qr.ReasonMalformed},
		{"Malformed/Empty", "", qr.ReasonMalformed},
		{"Malformed/TruncatedHeader", enc(raw[:20]), qr.ReasonMalformed},
		{"Malformed/TruncatedSignature", enc(raw[:len(raw)-1]), qr.ReasonMalformed},
		{"Malformed/TruncatedText", s[:len(s)-2], qr.ReasonMalformed},
		{"Malformed/TrailingData", enc(append(bytes.Clone(raw), 0)), qr.ReasonMalformed},
		{"Malformed/TaskLengthZero", edit(21, 0), qr.ReasonMalformed},
		{"Malformed/TaskLengthHuge", edit(21, 200), qr.ReasonMalformed},
		{"Malformed/TaskChars", edit(22, '/'), qr.ReasonMalformed},
		{"Malformed/ValidityZero", validity(0), qr.ReasonMalformed},
		{"Malformed/ValidityTooLong", validity(24*60 + 1), qr.ReasonMalformed},
		{"Malformed/StdBase64", base64.StdEncoding.EncodeToString(raw), qr.ReasonMalformed},
		{"Malformed/NonCanonicalBase64", nonCanonical(s), qr.ReasonMalformed},
		{"Malformed/Newline", s[:10] + "\n" + s[10:], qr.ReasonMalformed},
		{"Malformed/Query", tok.URL() + "?x=1", qr.ReasonMalformed},
		{"Malformed/NotInspection", base + "/e/" + s, qr.ReasonMalformed},
		{"Malformed/BadBase", "ftp://fc.example.gov.cn/v/" + s, qr.ReasonMalformed},
		{"Malformed/EmptyToken", base + "/v/", qr.ReasonMalformed},
		{"Malformed/Garbage", "hello", qr.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Ring.VerifyInspectionToken(ctx, tt.raw)
			wantReason(t, "VerifyInspectionToken", err, tt.want)
		})
	}
	if _, err := e.Ring.VerifyInspectionToken(ctx, s); err != nil {
		t.Fatalf("the unaltered token: %v", err)
	}
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustBytes(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatalf("decode %q: %v", s, err)
	}
	return b
}

// nonCanonical returns s with unused low bits set in its last character,
// when its length leaves any (a lenient decoder would accept it).
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last|1])
}
