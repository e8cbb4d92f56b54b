package qr_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// checkRefusal fails unless err is a refusal: *backend.Error, EINVALID,
// with a Reason.
func checkRefusal(t *testing.T, input string, err error) {
	t.Helper()
	var be *backend.Error
	if !errors.As(err, &be) || backend.ErrorCode(err) != backend.EINVALID || qr.ReasonOf(err) == "" {
		t.Fatalf("%q: err=%v (code %q, reason %q), want EINVALID with a reason", input, err, backend.ErrorCode(err), qr.ReasonOf(err))
	}
}

// FuzzParseEnterpriseCode: no input panics; every accepted input re-encodes
// to itself; only the genuine code's USCC, kid and signature verify (under
// any base URL, which is not signed). Seeds: testdata/fuzz/FuzzParseEnterpriseCode
// and the genuine code of the deterministic test ring.
func FuzzParseEnterpriseCode(f *testing.F) {
	e := newEnv(f)
	good := MustSignEnterprise(f, e.Ring, "91350100M000100Y43")
	f.Add(good.String())
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := qr.ParseEnterpriseCode(raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		if got := c.String(); got != raw {
			t.Fatalf("ParseEnterpriseCode(%q).String() = %q, want the input", raw, got)
		}
		if err := backend.ValidateUSCC(c.USCC); err != nil {
			t.Fatalf("accepted USCC %q: %v", c.USCC, err)
		}
		v, err := e.Ring.VerifyEnterpriseCode(ctx, raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		if v.USCC != good.USCC || v.KeyID != good.KeyID || !bytes.Equal(v.Signature, good.Signature) {
			t.Fatalf("%q verified, but it is not the genuine code %q", raw, good.String())
		}
	})
}

// FuzzParseInspectionToken: no input panics; every accepted input
// re-encodes to itself (the bare token, or the URL it came in); only the
// genuine token verifies. Seeds: testdata/fuzz/FuzzParseInspectionToken.
func FuzzParseInspectionToken(f *testing.F) {
	e := newEnv(f)
	good := MustSignInspection(f, e.Ring, task, 10*time.Minute)
	f.Add(good.URL())
	f.Add(good.String())
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := qr.ParseInspectionToken(raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		got := tok.String()
		if strings.Contains(raw, "/") {
			got = tok.URL()
		}
		if got != raw {
			t.Fatalf("ParseInspectionToken(%q) re-encodes to %q, want the input", raw, got)
		}
		if !tok.ExpiresAt.After(tok.IssuedAt) || tok.ExpiresAt.Sub(tok.IssuedAt) > qr.MaxValidity {
			t.Fatalf("%q: issued %v, expires %v", raw, tok.IssuedAt, tok.ExpiresAt)
		}
		v, err := e.Ring.VerifyInspectionToken(ctx, raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		if v.String() != good.String() {
			t.Fatalf("%q verified, but it is not the genuine token %q", raw, good.String())
		}
	})
}
