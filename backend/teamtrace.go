package backend

import (
	"context"
	"net/netip"
	"slices"
	"time"
)

// A team trace is what the server saw of a team working a task: the client
// addresses and devices its members' phones used. It serves the oversight
// of ratings (a rating from the team's own address or device is suspect)
// and nothing else; who was issued which inspection code is the
// CodeIssueStore's.

// Limits of a trace. Past them the oldest entry makes room: a trace is a
// hint for oversight, and what is recent matters most to it.
const (
	MaxSightingsPerTask = 100
	// SightingRefresh is how much later a known sighting must be seen
	// again to be written again: a phone syncing every minute costs a
	// read, not a write.
	SightingRefresh = 15 * time.Minute
	// SelfRatingLead is how long before the rating window opens a sighting
	// still counts against a rating: the code is shown, and the team
	// seen, at the door before the check-in.
	SelfRatingLead = 24 * time.Hour
)

// Sighting is one (login, device, network) a team member worked from, and
// when first and last.
type Sighting struct {
	UserID   string    `bson:"userId"`
	DeviceID string    `bson:"deviceId,omitempty"`
	Network  string    `bson:"network"` // AddressNetwork of the client address
	First    time.Time `bson:"first"`
	Last     time.Time `bson:"last"`
}

// TeamTrace is a task's trace.
type TeamTrace struct {
	TaskID    string     `bson:"_id"`
	Sightings []Sighting `bson:"sightings"`
	Version   int64      `bson:"version"` // 0: not stored yet
}

// See records that s.UserID worked from s.DeviceID on s.Network at s.Last.
// It reports whether the trace changed enough to be written.
func (t *TeamTrace) See(s Sighting) bool {
	s.Last = s.Last.UTC().Truncate(time.Millisecond)
	for i := range t.Sightings {
		x := &t.Sightings[i]
		if x.UserID == s.UserID && x.DeviceID == s.DeviceID && x.Network == s.Network {
			if s.Last.Sub(x.Last) < SightingRefresh {
				return false
			}
			x.Last = s.Last
			return true
		}
	}
	s.First = s.Last
	if len(t.Sightings) >= MaxSightingsPerTask {
		oldest := 0
		for i, x := range t.Sightings {
			if x.Last.Before(t.Sightings[oldest].Last) {
				oldest = i
			}
		}
		t.Sightings = slices.Delete(t.Sightings, oldest, oldest+1)
	}
	t.Sightings = append(t.Sightings, s)
	return true
}

// SeenAt returns a sighting from the network or the device (either when
// not empty) whose time overlaps from..to.
func (t *TeamTrace) SeenAt(network, device string, from, to time.Time) (Sighting, bool) {
	for _, s := range t.Sightings {
		if (network != "" && s.Network == network || device != "" && s.DeviceID == device) && !s.Last.Before(from) && !s.First.After(to) {
			return s, true
		}
	}
	return Sighting{}, false
}

// TeamTraceStore persists traces, one document per task read by its id.
type TeamTraceStore interface {
	// FindTeamTrace returns the task's trace, an empty one (version 0)
	// when there is none.
	FindTeamTrace(ctx context.Context, taskID string) (*TeamTrace, error)
	// SaveTeamTrace stores t if the stored version is still t.Version (0:
	// none stored) and increments it; otherwise ECONFLICT.
	SaveTeamTrace(ctx context.Context, t *TeamTrace) error
}

// UpdateTeamTrace reads the task's trace, lets change modify it and writes
// it when change says so, starting again when another writer came first.
func UpdateTeamTrace(ctx context.Context, store TeamTraceStore, taskID string, change func(t *TeamTrace) bool) error {
	for range maxTaskRetries {
		t, err := store.FindTeamTrace(ctx, taskID)
		if err != nil {
			return err
		}
		if !change(t) {
			return nil
		}
		err = store.SaveTeamTrace(ctx, t)
		if !IsCode(err, ECONFLICT) {
			return err
		}
	}
	return Errorf(EUNAVAILABLE, "the trace of task %s is changing too often; try again", taskID)
}

// AddressNetwork is what identifies a client address for throttles and
// comparisons: the IP without port, and for IPv6 the /64, since one
// subscriber usually holds a whole /64.
func AddressNetwork(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			if len(addr) > 64 {
				addr = addr[:64]
			}
			return addr
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
