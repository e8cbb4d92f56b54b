package backend_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestAuditHashRequestID: an entry without a request id hashes as it did
// before the field existed (the golden hash was computed by the code of
// then), and one with it hashes differently, so the id cannot be edited.
func TestAuditHashRequestID(t *testing.T) {
	e := backend.AuditEntry{Seq: 7, Time: time.Date(2026, 3, 14, 1, 2, 3, 456e6, time.UTC), Actor: "admin", Role: "admin",
		Action: "target.create", ObjectType: "target", ObjectID: "91350100M000100Y43", ClientAddr: "203.0.113.7", Outcome: "ok", Digest: "d", PrevHash: "p"}
	const before = "fa624b46775488ba6962eb361283b90528563d7913b8bfda4a4c2e48e994ccb3"
	if got := e.ComputeHash(); got != before {
		t.Fatalf("hash without request id=%s, want %s (as before the field)", got, before)
	}
	e.RequestID = "r1"
	with := e.ComputeHash()
	if with == before {
		t.Fatal("the request id is not covered by the hash")
	}
	e.RequestID = "r2"
	if e.ComputeHash() == with {
		t.Fatal("two request ids hash alike")
	}
}

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"4f2a9c0e1b7d4e3f8a6b5c4d3e2f1a0b", true},
		{"123e4567-e89b-12d3-a456-426614174000", true},
		{"proxy-4f2a.17:a_b", true},
		{strings.Repeat("a", backend.MaxRequestIDLen), true},
		{strings.Repeat("a", backend.MaxRequestIDLen+1), false},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{"<script>", false},
		{"中文", false},
	}
	for _, tt := range tests {
		if got := backend.ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q)=%v, want %v", tt.id, got, tt.want)
		}
	}
}
