package qr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// keySetEnv has one key of each status: retired, current (signing), next.
func keySetEnv(t *testing.T) (e *env, retired *qr.EnterpriseCode, current *qr.EnterpriseCode, keySet []byte) {
	t.Helper()
	e = newEnv(t)
	ctx := context.Background()
	retired = MustSignEnterprise(t, e.Ring, uscc(t, 1))
	e.Clock.Advance(time.Hour)
	if _, err := e.Ring.Rotate(ctx, time.Time{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := e.Ring.Retire(ctx, retired.KeyID); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if _, err := e.Ring.Rotate(ctx, e.Clock.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatalf("Rotate ahead: %v", err)
	}
	current = MustSignEnterprise(t, e.Ring, uscc(t, 2))
	set, err := e.Ring.PublicKeySet(ctx)
	if err != nil {
		t.Fatalf("PublicKeySet: %v", err)
	}
	keySet, err = json.MarshalIndent(set, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return e, retired, current, append(keySet, '\n')
}

// The published document, byte for byte: docs/qr.md can quote it.
func TestPublicKeySetGolden(t *testing.T) {
	_, _, _, got := keySetEnv(t)
	golden := filepath.Join("testdata", "keys.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./qr -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("key set:\n%s\nwant (%s):\n%s", got, golden, want)
	}
}

func TestVerifyOffline(t *testing.T) {
	e, retired, current, keySet := keySetEnv(t)
	now := e.Clock.Now()
	token := MustSignInspection(t, e.Ring, task, 10*time.Minute)

	// The app downloaded the set before the current key existed.
	stale := newEnvSeed(t, "ring") // same seed: its first key is our first key
	staleSet, err := stale.Ring.PublicKeySet(context.Background())
	if err != nil {
		t.Fatalf("PublicKeySet: %v", err)
	}
	staleJSON, _ := json.Marshal(staleSet)

	// A set in which a key is still "valid" but past its notAfter.
	var set qr.PublicKeySet
	if err := json.Unmarshal(keySet, &set); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	for i := range set.Keys {
		if set.Keys[i].Status == qr.KeyCurrent {
			past := now.Add(-time.Minute)
			set.Keys[i].Status, set.Keys[i].NotAfter = qr.KeyValid, &past
		}
	}
	expiredJSON, _ := json.Marshal(set)

	tests := []struct {
		name    string
		keySet  []byte
		raw     string
		at      time.Time
		want    qr.Reason
		wantErr string // a backend code, for a bad key set
	}{
		{name: "OK/Enterprise", keySet: keySet, raw: current.String(), at: now},
		{name: "OK/Inspection", keySet: keySet, raw: token.URL(), at: now},
		{name: "OK/BareToken", keySet: keySet, raw: token.String(), at: now},
		{name: "RetiredKey", keySet: keySet, raw: retired.String(), at: now, want: qr.ReasonRetiredKey},
		{name: "UnknownKey/StaleSet", keySet: staleJSON, raw: current.String(), at: now, want: qr.ReasonUnknownKey},
		{name: "RetiredKey/NotAfterPassed", keySet: expiredJSON, raw: current.String(), at: now, want: qr.ReasonRetiredKey},
		{name: "Expired", keySet: keySet, raw: token.URL(), at: now.Add(time.Hour), want: qr.ReasonExpired},
		{name: "Forged", keySet: keySet, raw: strings.Replace(current.String(), current.USCC, uscc(t, 3), 1), at: now, want: qr.ReasonForged},
		{name: "Malformed", keySet: keySet, raw: "https://example.com/", at: now, want: qr.ReasonMalformed},
		{name: "ErrKeySetJSON", keySet: []byte(`{"keys":[`), raw: current.String(), at: now, wantErr: backend.EINVALID},
		{name: "ErrKeySetKey", keySet: []byte(`{"keys":[{"kid":"AAAAAAAA","alg":"Ed25519","key":"short","status":"current"}]}`), raw: current.String(), at: now, wantErr: backend.EINVALID},
		{name: "ErrKeySetStatus", keySet: bytes.Replace(keySet, []byte(`"current"`), []byte(`"on"`), 1), raw: current.String(), at: now, wantErr: backend.EINVALID},
		{name: "ErrKeySetTwice", keySet: []byte(`{"keys":[` + keyJSON(t, keySet, 0) + `,` + keyJSON(t, keySet, 0) + `]}`), raw: current.String(), at: now, wantErr: backend.EINVALID},
		// Unknown fields and algorithms are a later server's additions.
		{name: "OK/UnknownFieldAndAlg", keySet: []byte(`{"version":2,"keys":[{"kid":"x","alg":"ML-DSA-44","key":"…"},` + keyJSON(t, keySet, 1) + `]}`), raw: current.String(), at: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := qr.VerifyOffline(tt.keySet, tt.raw, tt.at)
			switch {
			case tt.wantErr != "":
				if code := backend.ErrorCode(err); code != tt.wantErr || qr.ReasonOf(err) != "" {
					t.Fatalf("code=%q reason=%q (err=%v), want %q and no reason", code, qr.ReasonOf(err), err, tt.wantErr)
				}
			case tt.want != "":
				wantReason(t, "VerifyOffline", err, tt.want)
			case err != nil:
				t.Fatalf("VerifyOffline: %v", err)
			case (got.Enterprise == nil) == (got.Inspection == nil):
				t.Fatalf("Scanned=%+v, want exactly one code", got)
			}
		})
	}
}

// keyJSON returns the i-th key of a key set as JSON.
func keyJSON(tb testing.TB, keySet []byte, i int) string {
	tb.Helper()
	var s struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(keySet, &s); err != nil || i >= len(s.Keys) {
		tb.Fatalf("key %d of the set: %v", i, err)
	}
	return string(s.Keys[i])
}
