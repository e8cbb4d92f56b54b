package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFaultsOnlyInMeasurementBuilds: the slow-store proxy is compiled
// into fieldcheck only with the fieldcheck_faults tag (faults.go), so no
// flag, variable or file of a production build can reach it.
func TestFaultsOnlyInMeasurementBuilds(t *testing.T) {
	const pkg = "github.com/fieldcheck/fieldcheck/backend/mongo/storefault"
	for _, tt := range []struct {
		tags string
		want bool
	}{
		{"", false},
		{"fieldcheck_faults", true},
	} {
		out, err := exec.Command("go", "list", "-deps", "-tags", tt.tags, ".").Output()
		if err != nil {
			t.Fatalf("go list -tags %q: %v", tt.tags, err)
		}
		deps := strings.Fields(string(out))
		got := false
		for _, d := range deps {
			got = got || d == pkg
		}
		if got != tt.want {
			t.Errorf("tags %q: storefault compiled in = %v, want %v", tt.tags, got, tt.want)
		}
	}
}
