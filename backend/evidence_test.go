package backend_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestParseEvidenceLimits(t *testing.T) {
	def := backend.DefaultEvidenceLimits()
	tests := []struct {
		name  string
		in    string
		photo int64 // resulting cap of a photo, after defaults
		video int64
		quota int64
		err   bool
	}{
		{"OK/Empty", "", def.MaxSize[backend.EvidencePhoto], def.MaxSize[backend.EvidenceVideo], def.TaskQuota, false},
		{"OK/Some", "photo=10MiB, task=1GiB", 10 << 20, def.MaxSize[backend.EvidenceVideo], 1 << 30, false},
		{"OK/DecimalUnits", "video=300MB,photo=2000000", 2_000_000, 300_000_000, def.TaskQuota, false},
		{"ErrKind", "selfie=1MiB", 0, 0, 0, true},
		{"ErrNoValue", "photo", 0, 0, 0, true},
		{"ErrZero", "photo=0", 0, 0, 0, true},
		{"ErrNegative", "photo=-5MiB", 0, 0, 0, true},
		{"ErrUnit", "photo=5TB", 0, 0, 0, true},
		{"ErrHuge", "task=9999999999GiB", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := backend.ParseEvidenceLimits(tt.in)
			if tt.err {
				if !backend.IsCode(err, backend.EINVALID) {
					t.Fatalf("ParseEvidenceLimits(%q) = %+v, %v; want invalid", tt.in, l, err)
				}
				return
			}
			got := l.OrDefault()
			if err != nil || got.MaxSize[backend.EvidencePhoto] != tt.photo || got.MaxSize[backend.EvidenceVideo] != tt.video || got.TaskQuota != tt.quota {
				t.Fatalf("ParseEvidenceLimits(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 25 << 20: "25 MiB", 3 << 29: "1.5 GiB", 1536: "1.5 KiB"} {
		if got := backend.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestEvidenceLimitsCheck(t *testing.T) {
	l := backend.EvidenceLimits{MaxSize: map[backend.EvidenceType]int64{backend.EvidencePhoto: 100}, TaskQuota: 250}
	if err := l.CheckSize("p", backend.EvidencePhoto, 100); err != nil {
		t.Fatalf("a photo at the cap: %v", err)
	}
	if err := l.CheckSize("p", backend.EvidencePhoto, 101); !backend.IsCode(err, backend.ETOOLARGE) {
		t.Fatalf("a photo over the cap: %v, want payload_too_large", err)
	}
	if err := l.CheckSize("v", backend.EvidenceVideo, 400<<20); err != nil {
		t.Fatalf("a video under the default cap: %v", err)
	}
	task := &backend.Task{ID: "t", Evidence: []backend.EvidenceSlot{{ID: "a", Size: 100}, {ID: "b", Size: 100}}}
	if err := l.CheckQuota(task, 50); err != nil {
		t.Fatalf("up to the quota: %v", err)
	}
	if err := l.CheckQuota(task, 51); !backend.IsCode(err, backend.ETOOLARGE) {
		t.Fatalf("over the quota: %v, want payload_too_large", err)
	}
}
