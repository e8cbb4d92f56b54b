package backend_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		name   string
		a, b   backend.GeoPoint
		want   float64 // metres
		within float64
	}{
		{"Same", backend.GeoPoint{Lat: 26.26, Lng: 117.63}, backend.GeoPoint{Lat: 26.26, Lng: 117.63}, 0, 0.001},
		// One thousandth of a degree of latitude is 111.2 m everywhere.
		{"NorthSouth", backend.GeoPoint{Lat: 26.260, Lng: 117.63}, backend.GeoPoint{Lat: 26.261, Lng: 117.63}, 111.2, 0.2},
		// At 26.26° N a thousandth of a degree of longitude is 111.2 × cos(26.26°) = 99.7 m.
		{"EastWest", backend.GeoPoint{Lat: 26.26, Lng: 117.630}, backend.GeoPoint{Lat: 26.26, Lng: 117.631}, 99.7, 0.2},
		// Sanming to Fuzhou railway stations, about 168 km as the crow flies.
		{"Cities", backend.GeoPoint{Lat: 26.2706, Lng: 117.6386}, backend.GeoPoint{Lat: 26.1129, Lng: 119.3166}, 168300, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backend.Distance(tt.a, tt.b); math.Abs(got-tt.want) > tt.within {
				t.Fatalf("Distance=%.1f m, want %.1f ± %.1f", got, tt.want, tt.within)
			}
		})
	}
}

func TestCheckInJudge(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	site := &backend.Target{Location: &backend.GeoPoint{Lat: 26.26, Lng: 117.63}}
	at := func(dLat float64) backend.GeoPoint { return backend.GeoPoint{Lat: 26.26 + dLat, Lng: 117.63} }
	tests := []struct {
		name      string
		c         backend.CheckIn
		target    *backend.Target
		wantFlags []string
	}{
		{"OK/OnSite", backend.CheckIn{TaskID: "t", Position: at(0.001), AccuracyM: 15, DeviceTime: now, ServerTime: now}, site, []string{}},
		{"FarAway", backend.CheckIn{TaskID: "t", Position: at(0.01), AccuracyM: 15, DeviceTime: now, ServerTime: now}, site, []string{backend.FlagFarAway}},
		{"OK/PoorFixNearTheEdge", backend.CheckIn{TaskID: "t", Position: at(0.0055), AccuracyM: 200, DeviceTime: now, ServerTime: now}, site, []string{}},
		{"NoTask", backend.CheckIn{Position: at(0), Reason: backend.ReasonComplaint, DeviceTime: now, ServerTime: now}, site, []string{backend.FlagNoTask}},
		{"Emergency", backend.CheckIn{Position: at(0), Reason: backend.ReasonEmergency, DeviceTime: now, ServerTime: now}, site, []string{backend.FlagNoTask, backend.FlagBackfillDue}},
		{"NoLocation", backend.CheckIn{TaskID: "t", Position: at(0), DeviceTime: now, ServerTime: now}, &backend.Target{}, []string{backend.FlagNoLocation}},
		{"NoPosition", backend.CheckIn{TaskID: "t", NoPosition: true, DeviceTime: now, ServerTime: now}, site, []string{backend.FlagNoPosition}},
		{"ManualUSCC", backend.CheckIn{TaskID: "t", Position: at(0.001), ManualUSCC: true, DeviceTime: now, ServerTime: now}, site, []string{backend.FlagManualUSCC}},
		{"LateSync", backend.CheckIn{TaskID: "t", Position: at(0), DeviceTime: now.Add(-5 * time.Hour), ServerTime: now}, site, []string{backend.FlagLateSync}},
		{"ClockAhead", backend.CheckIn{TaskID: "t", Position: at(0), DeviceTime: now.Add(20 * time.Minute), ServerTime: now}, site, []string{backend.FlagClockSkew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.Judge(tt.target, backend.CheckInPolicy{})
			if !slices.Equal(c.Flags, tt.wantFlags) {
				t.Fatalf("flags=%v, want %v (distance %v)", c.Flags, tt.wantFlags, c.DistanceM)
			}
			if c.Reason == backend.ReasonEmergency && (c.BackfillBy == nil || !c.BackfillBy.Equal(c.DeviceTime.Add(10*24*time.Hour))) {
				t.Fatalf("emergency back-fill deadline %v, want 10 days after the check-in", c.BackfillBy)
			}
		})
	}
}

func TestValidateCheckInInput(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	pos := &backend.GeoPoint{Lat: 26.26, Lng: 117.63}
	tests := []struct {
		name string
		pos  *backend.GeoPoint
		acc  float64
		dev  time.Time
		want string
	}{
		{"OK", pos, 10, now, ""},
		{"OK/NoFix", nil, 0, now, ""},
		{"ErrAccuracyWithoutFix", nil, 10, now, "accuracy without a position"},
		{"OK/OfflineHoursAgo", pos, 10, now.Add(-30 * time.Hour), ""},
		{"ErrNullIsland", &backend.GeoPoint{}, 10, now, "not a real fix"},
		{"ErrLatitude", &backend.GeoPoint{Lat: 91, Lng: 1}, 10, now, "out of range"},
		{"ErrAccuracy", pos, -1, now, "accuracy"},
		{"ErrAccuracyNaN", pos, math.NaN(), now, "accuracy"},
		{"ErrFuture", pos, 10, now.Add(time.Hour), "future"},
		{"ErrTooOld", pos, 10, now.Add(-100 * time.Hour), "cannot be accepted"},
		{"ErrNoTime", pos, 10, time.Time{}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := backend.ValidateCheckInInput(tt.pos, tt.acc, tt.dev, now, backend.CheckInPolicy{})
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err=%v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheckInReasonsAndOfficers(t *testing.T) {
	if err := backend.ValidateReason("", "", ""); err == nil || !strings.Contains(err.Error(), "清单之外无检查") {
		t.Fatalf("no reason: %v", err)
	}
	if err := backend.ValidateReason(backend.ReasonComplaint, "", ""); err == nil {
		t.Fatal("complaint without number accepted")
	}
	if err := backend.ValidateReason(backend.ReasonComplaint, "12315-2026-1", ""); err != nil {
		t.Fatal(err)
	}
	if err := backend.ValidateReason(backend.ReasonEmergency, "", "燃气泄漏"); err != nil {
		t.Fatal(err)
	}
	cs := []*backend.CheckIn{{CertNo: "A1"}, {CertNo: "A1"}, {CertNo: ""}}
	if n := backend.OfficersCheckedIn(cs); n != 1 {
		t.Fatalf("one officer twice and an expert count as %d, want 1", n)
	}
	cs = append(cs, &backend.CheckIn{CertNo: "B2"})
	if n := backend.OfficersCheckedIn(cs); n != backend.MinOfficers {
		t.Fatalf("two officers count as %d", n)
	}
}
