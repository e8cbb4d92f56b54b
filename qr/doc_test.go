package qr_test

import (
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/qr"
)

// TestDocVectors checks the test vectors of doc.go with nothing but the
// documented public key, as another implementation would.
func TestDocVectors(t *testing.T) {
	const (
		keySet     = `{"keys":[{"kid":"rGhN4ntF","alg":"Ed25519","key":"szONrvioOUcGEIxTescb0evKJKyFcmtXixmzDDinFRA","status":"current","activatedAt":"2026-03-02T09:30:00Z"}]}`
		enterprise = "https://fc.example.gov.cn/e/91350100M000100Y43?k=rGhN4ntF&s=l9CZdtlrBeY7mW1wzvzYaBh0MaIFm4uJ2bDyxStlNiqDDOjuQpRTSXa6AIO1YibdWRACq26AnIWCk88Isz7qCA"
		inspection = "https://fc.example.gov.cn/v/AaxoTeJ7RQiAb59yBfz9aaVYmAAKIDIwMjYtc2NqZy0wYTFiMmMzZDRlLXYxLWQxLTAwMDEy8FHGUcfkGboX_2_NPNFPJp9EGpawjTxEXnQFI9ciQ3EwftjRTHsQFdW_RYj9TAs9hpJUm-PrtDe9l36-21wPAg"
	)
	now := time.Date(2026, 3, 2, 9, 35, 0, 0, time.UTC)
	e, err := qr.VerifyOffline([]byte(keySet), enterprise, now)
	if err != nil {
		t.Fatalf("enterprise vector: %v", err)
	}
	if e.Enterprise == nil || e.Enterprise.USCC != "91350100M000100Y43" || e.Enterprise.KeyID != "rGhN4ntF" {
		t.Fatalf("enterprise vector read as %+v", e.Enterprise)
	}
	v, err := qr.VerifyOffline([]byte(keySet), inspection, now)
	if err != nil {
		t.Fatalf("inspection vector: %v", err)
	}
	tok := v.Inspection
	want := qr.InspectionToken{
		KeyID: "rGhN4ntF", Serial: "08806f9f7205fcfd", TaskID: "2026-scjg-0a1b2c3d4e-v1-d1-00012",
		IssuedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 3, 2, 9, 40, 0, 0, time.UTC),
	}
	if tok == nil || tok.KeyID != want.KeyID || tok.Serial != want.Serial || tok.TaskID != want.TaskID ||
		!tok.IssuedAt.Equal(want.IssuedAt) || !tok.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("inspection vector read as %+v, want %+v", tok, want)
	}
	// The vectors are what the deterministic test ring makes today.
	r := newEnv(t)
	if got := MustSignEnterprise(t, r.Ring, "91350100M000100Y43").String(); got != enterprise {
		t.Fatalf("test ring signs %q, want the documented %q", got, enterprise)
	}
	if got := MustSignInspection(t, r.Ring, want.TaskID, 10*time.Minute).URL(); got != inspection {
		t.Fatalf("test ring signs %q, want the documented %q", got, inspection)
	}
}
