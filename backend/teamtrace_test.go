package backend_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestTeamTraceSightings(t *testing.T) {
	t0 := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	seen := func(user, net string, at time.Time) backend.Sighting {
		return backend.Sighting{UserID: user, DeviceID: "phone-" + user, Network: net, Last: at}
	}
	var tr backend.TeamTrace
	tests := []struct {
		name  string
		s     backend.Sighting
		write bool
		n     int
	}{
		{"OK/New", seen("li", "10.0.0.1", t0), true, 1},
		{"OK/AgainSoonIsNoWrite", seen("li", "10.0.0.1", t0.Add(backend.SightingRefresh-time.Second)), false, 1},
		{"OK/AgainLaterMovesLast", seen("li", "10.0.0.1", t0.Add(backend.SightingRefresh)), true, 1},
		{"OK/OtherNetwork", seen("li", "10.0.0.2", t0.Add(time.Hour)), true, 2},
		{"OK/OtherUser", seen("wang", "10.0.0.1", t0.Add(time.Hour)), true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tr.See(tt.s); got != tt.write || len(tr.Sightings) != tt.n {
				t.Fatalf("See = %v with %d sightings, want %v with %d", got, len(tr.Sightings), tt.write, tt.n)
			}
		})
	}
	if s := tr.Sightings[0]; !s.First.Equal(t0) || !s.Last.Equal(t0.Add(backend.SightingRefresh)) {
		t.Fatalf("first sighting %v..%v, want %v..%v", s.First, s.Last, t0, t0.Add(backend.SightingRefresh))
	}

	// Past the limit the sighting seen longest ago makes room.
	for i := len(tr.Sightings); i < backend.MaxSightingsPerTask; i++ {
		tr.See(seen("li", fmt.Sprintf("10.1.%d.%d", i/250, i%250), t0.Add(2*time.Hour)))
	}
	tr.See(seen("zhao", "10.9.9.9", t0.Add(3*time.Hour)))
	if len(tr.Sightings) != backend.MaxSightingsPerTask {
		t.Fatalf("%d sightings, want the limit %d", len(tr.Sightings), backend.MaxSightingsPerTask)
	}
	if _, ok := tr.SeenAt("10.0.0.1", "", t0, t0.Add(10*time.Hour)); !ok {
		t.Fatal("wang's sighting on 10.0.0.1 (an hour in) was evicted")
	}
	for _, s := range tr.Sightings {
		if s.Network == "10.0.0.1" && s.UserID == "li" {
			t.Fatal("the oldest sighting was kept past the limit")
		}
	}

	lookups := []struct {
		name            string
		network, device string
		from, to        time.Time
		want            bool
	}{
		{"OK/Network", "10.0.0.2", "", t0, t0.Add(2 * time.Hour), true},
		{"OK/Device", "192.0.2.1", "phone-wang", t0, t0.Add(2 * time.Hour), true},
		{"ErrBefore", "10.9.9.9", "", t0, t0.Add(time.Hour), false},
		{"ErrAfter", "10.0.0.2", "", t0.Add(90 * time.Minute), t0.Add(2 * time.Hour), false},
		{"ErrEmptyNetwork", "", "", t0, t0.Add(10 * time.Hour), false},
		{"ErrUnknown", "192.0.2.1", "phone-nobody", t0, t0.Add(10 * time.Hour), false},
	}
	for _, tt := range lookups {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tr.SeenAt(tt.network, tt.device, tt.from, tt.to); got != tt.want {
				t.Fatalf("SeenAt(%q, %q) = %v, want %v", tt.network, tt.device, got, tt.want)
			}
		})
	}
}

func TestAddressNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                   "192.0.2.7",
		"192.0.2.7:5555":              "192.0.2.7",
		"::ffff:192.0.2.7":            "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"[2001:db8:1:2:aaaa::1]:8080": "2001:db8:1:2::/64",
		"not an address":              "not an address",
	} {
		if got := backend.AddressNetwork(in); got != want {
			t.Errorf("AddressNetwork(%q) = %q, want %q", in, got, want)
		}
	}
}
