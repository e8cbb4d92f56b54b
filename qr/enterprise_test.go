package qr_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/qr"
)

func TestEnterpriseCodeRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := "91350100M000100Y43"
	c := MustSignEnterprise(t, e.Ring, u)

	s := c.String()
	wantPrefix := base + "/e/" + u + "?k=" + c.KeyID + "&s="
	if !strings.HasPrefix(s, wantPrefix) || len(s) != len(wantPrefix)+86 {
		t.Fatalf("code=%q, want %q followed by 86 signature characters", s, wantPrefix)
	}
	if again := MustSignEnterprise(t, e.Ring, u); again.String() != s {
		t.Fatalf("signing twice gave %q and %q, want the same code", s, again.String())
	}

	tests := []struct {
		name     string
		raw      string
		wantBase string
	}{
		{"OK/URL", s, base},
		{"OK/PathOnly", strings.TrimPrefix(s, base), ""},
		// The base URL is not signed: a code keeps verifying when the
		// bureau's host name changes.
		{"OK/OtherHost", "https://scjg.example.org:8443/fieldcheck" + strings.TrimPrefix(s, base), "https://scjg.example.org:8443/fieldcheck"},
		{"OK/HTTP", "http://192.0.2.7" + strings.TrimPrefix(s, base), "http://192.0.2.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := qr.ParseEnterpriseCode(tt.raw)
			if err != nil {
				t.Fatalf("ParseEnterpriseCode: %v", err)
			}
			if got.Base != tt.wantBase || got.USCC != u || got.KeyID != c.KeyID || !bytes.Equal(got.Signature, c.Signature) {
				t.Fatalf("parsed %+v, want base %q, USCC %s, kid %s and the signature", got, tt.wantBase, u, c.KeyID)
			}
			if got.String() != tt.raw {
				t.Fatalf("String()=%q, want the input %q", got.String(), tt.raw)
			}
			if _, err := e.Ring.VerifyEnterpriseCode(ctx, tt.raw); err != nil {
				t.Fatalf("VerifyEnterpriseCode: %v", err)
			}
		})
	}
}

func TestEnterpriseCodeRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := "91440300708461136T"
	good := MustSignEnterprise(t, e.Ring, u)
	s := good.String()
	sig := base64.RawURLEncoding.EncodeToString(good.Signature)
	prefix := strings.TrimSuffix(s, sig) // …?k=<kid>&s=

	// A second key of ours, so that a kid can be swapped for a known one.
	oldKid := good.KeyID
	e.Clock.Advance(time.Second)
	newKid, err := e.Ring.Rotate(ctx, time.Time{})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	retiredCode := good
	good = MustSignEnterprise(t, e.Ring, u)
	if err := e.Ring.Retire(ctx, oldKid); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	s = good.String()
	sig = base64.RawURLEncoding.EncodeToString(good.Signature)
	prefix = strings.TrimSuffix(s, sig)
	third, err := e.Ring.Rotate(ctx, start.Add(time.Hour)) // published, not yet signing
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}

	// A forger with his own key, signing the real message format under a
	// kid of ours.
	_, forgerKey, _ := ed25519.GenerateKey(nil)
	forge := func(u, kid string) string {
		msg := "fc-ent-1\n" + u + "\n" + kid
		return base + "/e/" + u + "?k=" + kid + "&s=" + base64.RawURLEncoding.EncodeToString(ed25519.Sign(forgerKey, []byte(msg)))
	}
	other := uscc(t, 8)
	nonCanonical := sig[:85] + string(sig[85]+1) // low bits of the last character set

	tests := []struct {
		name string
		raw  string
		want qr.Reason
	}{
		{"Forged/ForeignKeyUnderOurKid", forge(u, newKid), qr.ReasonForged},
		// A genuine signature moved to another USCC cannot be told from a
		// forgery: no verifier knows what was signed. See ReasonForged.
		{"Forged/USCCChanged", strings.Replace(s, u, other, 1), qr.ReasonForged},
		{"Forged/SignatureFlipped", prefix + flip(sig, 10), qr.ReasonForged},
		{"Altered/KidSwappedToOurs", strings.Replace(s, "k="+newKid, "k="+third, 1), qr.ReasonAltered},
		{"Altered/KidSwappedToUnknown", strings.Replace(s, "k="+newKid, "k=ZZZZZZZZ", 1), qr.ReasonAltered},
		{"UnknownKey", forge(u, "ZZZZZZZZ"), qr.ReasonUnknownKey},
		{"RetiredKey", retiredCode.String(), qr.ReasonRetiredKey},
		{"Forged/RetiredKidForeignSignature", forge(u, oldKid), qr.ReasonForged},
		{"Unsigned/NoQuery", base + "/e/" + u, qr.ReasonUnsigned},
		{"Unsigned/EmptyQuery", base + "/e/" + u + "?", qr.ReasonUnsigned},
		{"Unsigned/KidOnly", base + "/e/" + u + "?k=" + newKid, qr.ReasonUnsigned},
		{"Unsigned/EmptySignature", base + "/e/" + u + "?k=" + newKid + "&s=", qr.ReasonUnsigned},
		{"Version", s + "&v=2", qr.ReasonUnsupportedVersion},
		{"VersionFirst", base + "/e/" + u + "?v=2&k=" + newKid, qr.ReasonUnsupportedVersion},
		{"Oversized", s + strings.Repeat("A", qr.MaxCodeLen), qr.ReasonOversized},
		{"Malformed/Empty", "", qr.ReasonMalformed},
		{"Malformed/Truncated", s[:len(s)-1], qr.ReasonMalformed},
		{"Malformed/TruncatedHalf", s[:len(s)/2], qr.ReasonMalformed},
		{"Malformed/SignatureLong", s + "A", qr.ReasonMalformed},
		{"Malformed/SignatureNotBase64URL", prefix + "+" + sig[1:], qr.ReasonMalformed},
		{"Malformed/SignaturePadded", prefix + sig[:84] + "==", qr.ReasonMalformed},
		{"Malformed/SignatureNonCanonical", prefix + nonCanonical, qr.ReasonMalformed},
		{"Malformed/SignatureNewline", prefix + sig[:40] + "\n" + sig[40:], qr.ReasonMalformed},
		{"Malformed/KidShort", strings.Replace(s, "k="+newKid, "k="+newKid[:7], 1), qr.ReasonMalformed},
		{"Malformed/KidMissing", base + "/e/" + u + "?s=" + sig, qr.ReasonMalformed},
		{"Malformed/ParamsReordered", base + "/e/" + u + "?s=" + sig + "&k=" + newKid, qr.ReasonMalformed},
		{"Malformed/ExtraParam", s + "&utm_source=x", qr.ReasonMalformed},
		{"Malformed/ParamBetween", strings.Replace(s, "&s=", "&x=1&s=", 1), qr.ReasonMalformed},
		{"Malformed/Fragment", s + "#top", qr.ReasonMalformed},
		{"Malformed/USCCLowerCase", strings.Replace(s, u, strings.ToLower(u), 1), qr.ReasonMalformed},
		{"Malformed/USCCCheckChar", strings.Replace(s, u, u[:17]+"X", 1), qr.ReasonMalformed},
		{"Malformed/USCCShort", strings.Replace(s, u, u[:17], 1), qr.ReasonMalformed},
		{"Malformed/NotEnterprise", base + "/x/" + u + "?k=" + newKid + "&s=" + sig, qr.ReasonMalformed},
		{"Malformed/Space", " " + s, qr.ReasonMalformed},
		{"Malformed/TrailingNewline", s + "\n", qr.ReasonMalformed},
		{"Malformed/NonASCII", strings.Replace(s, "fc.example", "fc.ex\u00e4mple", 1), qr.ReasonMalformed},
		{"Malformed/Scheme", "ftp://fc.example.gov.cn" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/UpperCaseScheme", "HTTPS://fc.example.gov.cn" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/UserInfo", "https://user@fc.example.gov.cn" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/NoHost", "https://" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/TrailingSlash", base + "/" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/PercentEncoded", base + "/%65" + strings.TrimPrefix(s, base), qr.ReasonMalformed},
		{"Malformed/Garbage", "WIFI:S:guest;T:WPA;P:secret;;", qr.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Ring.VerifyEnterpriseCode(ctx, tt.raw)
			wantReason(t, "VerifyEnterpriseCode", err, tt.want)
		})
	}
	if _, err := e.Ring.VerifyEnterpriseCode(ctx, s); err != nil {
		t.Fatalf("the unaltered code: %v", err)
	}
}

// flip changes the character at i of a base64url string to another one of
// the alphabet.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
