package backend

import (
	"context"
	"math"
	"time"
)

// CheckInReason is why an inspector checked in at an enterprise without a
// task for it. Outside the item list there is no inspection (清单之外无检查):
// such a check-in must say why, and it is flagged for oversight.
type CheckInReason string

const (
	ReasonComplaint CheckInReason = "complaint" // a complaint or report, with its number
	ReasonReferral  CheckInReason = "referral"  // referred by another authority
	ReasonEmergency CheckInReason = "emergency" // no time to create a task; back-fill within 10 days
)

// BackfillWindow is how long an emergency check-in may wait for its task.
const BackfillWindow = 10 * 24 * time.Hour

// DefaultCheckInRadius is how far from the registered location a check-in
// may be before it is flagged.
const DefaultCheckInRadius = 500.0 // metres

// Check-in flags, for oversight.
const (
	FlagNoTask        = "no-task"        // checked in without a task (reason recorded)
	FlagFarAway       = "far-away"       // farther than the radius from the registered location
	FlagNoLocation    = "no-location"    // the target has no registered location to compare with
	FlagClockSkew     = "clock-skew"     // device time differs from server time by more than allowed
	FlagLateSync      = "late-sync"      // recorded offline, arrived much later
	FlagBackfillDue   = "backfill-due"   // emergency check-in whose task is still missing
	FlagFrequentVisit = "frequent-visit" // several visits to the same enterprise in a month
	FlagNoPosition    = "no-position"    // the phone had no position fix (geolocation failed or was refused)
	FlagManualUSCC    = "manual-uscc"    // no code could be read: the USCC was typed in by hand
)

// CheckIn is one officer's arrival at a target, recorded from the scanned
// enterprise code and the phone's position.
type CheckIn struct {
	ID          string    `json:"id" bson:"_id"`
	TaskID      string    `json:"taskId,omitempty" bson:"taskId,omitempty"`
	TargetID    string    `json:"targetId" bson:"targetId"`
	InspectorID string    `json:"inspectorId" bson:"inspectorId"`
	CertNo      string    `json:"certNo" bson:"certNo"`
	UserID      string    `json:"userId" bson:"userId"`
	DeviceID    string    `json:"deviceId,omitempty" bson:"deviceId,omitempty"`
	DeviceTime  time.Time `json:"deviceTime" bson:"deviceTime"`
	ServerTime  time.Time `json:"serverTime" bson:"serverTime"`
	Position    GeoPoint  `json:"position" bson:"position"` // (0, 0) with NoPosition
	AccuracyM   float64   `json:"accuracyM" bson:"accuracyM"`
	// NoPosition marks a check-in queued without a position fix: it has no
	// distance, and the flag no-position tells reviewers so.
	NoPosition bool `json:"noPosition,omitempty" bson:"noPosition,omitempty"`
	// ManualUSCC marks a check-in whose USCC was typed in by hand (no code
	// could be read): nothing signed proves the officer stood at the
	// enterprise's door, so it is flagged manual-uscc for oversight.
	ManualUSCC bool          `json:"manualUscc,omitempty" bson:"manualUscc,omitempty"`
	DistanceM  *float64      `json:"distanceM,omitempty" bson:"distanceM,omitempty"` // from the registered location
	Reason     CheckInReason `json:"reason,omitempty" bson:"reason,omitempty"`
	Reference  string        `json:"reference,omitempty" bson:"reference,omitempty"`
	Note       string        `json:"note,omitempty" bson:"note,omitempty"`
	BackfillBy *time.Time    `json:"backfillBy,omitempty" bson:"backfillBy,omitempty"`
	Flags      []string      `json:"flags" bson:"flags"`
	CodeKeyID  string        `json:"codeKeyId" bson:"codeKeyId"` // key that signed the scanned code
	CreatedAt  time.Time     `json:"createdAt" bson:"createdAt"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// earthRadius is the mean radius of the earth in metres (IUGG).
const earthRadius = 6371008.8

// Distance returns the great-circle distance between two points in metres
// (haversine). Good to well under a metre at the scale of a check-in radius.
func Distance(a, b GeoPoint) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// CheckInPolicy holds the thresholds check-ins are judged by.
type CheckInPolicy struct {
	RadiusM       float64       // DefaultCheckInRadius when zero
	MaxClockSkew  time.Duration // device time vs server time for a live check-in; 10 minutes when zero
	MaxOfflineAge time.Duration // how old an offline check-in may be when it arrives; 72 hours when zero
}

func (p CheckInPolicy) withDefaults() CheckInPolicy {
	if p.RadiusM == 0 {
		p.RadiusM = DefaultCheckInRadius
	}
	if p.MaxClockSkew == 0 {
		p.MaxClockSkew = 10 * time.Minute
	}
	if p.MaxOfflineAge == 0 {
		p.MaxOfflineAge = 72 * time.Hour
	}
	return p
}

// OfflineAge is how old an offline check-in may be when it arrives.
func (p CheckInPolicy) OfflineAge() time.Duration { return p.withDefaults().MaxOfflineAge }

// ValidateCheckInInput checks what a phone sends, before anything is looked
// up. A nil position is a check-in without a fix (geolocation failed): it
// is accepted with no accuracy, and Judge flags it.
func ValidateCheckInInput(pos *GeoPoint, accuracyM float64, deviceTime, now time.Time, p CheckInPolicy) error {
	p = p.withDefaults()
	if pos == nil {
		if accuracyM != 0 {
			return Errorf(EINVALID, "an accuracy without a position: send both, or neither when the phone has no fix")
		}
	} else {
		if err := pos.Validate(); err != nil {
			return err
		}
		if pos.Lat == 0 && pos.Lng == 0 {
			return Errorf(EINVALID, "the position (0, 0) is not a real fix: leave the position out when the phone has none")
		}
		if math.IsNaN(accuracyM) || accuracyM < 0 || accuracyM > 10000 {
			return Errorf(EINVALID, "accuracy must be between 0 and 10000 metres")
		}
	}
	if deviceTime.IsZero() {
		return Errorf(EINVALID, "device time is required")
	}
	if deviceTime.After(now.Add(p.MaxClockSkew)) {
		return Errorf(EINVALID, "device time %s is in the future: set the phone's clock", deviceTime.UTC().Format(time.RFC3339))
	}
	if deviceTime.Before(now.Add(-p.MaxOfflineAge)) {
		return Errorf(EINVALID, "a check-in recorded more than %s ago cannot be accepted any more", p.MaxOfflineAge)
	}
	return nil
}

// Judge fills the check-in's distance and flags from the target's
// registered location and the times.
func (c *CheckIn) Judge(target *Target, p CheckInPolicy) {
	p = p.withDefaults()
	c.Flags = []string{}
	c.DistanceM = nil
	switch {
	case c.NoPosition:
		c.Flags = append(c.Flags, FlagNoPosition)
	case target.Location == nil:
		c.Flags = append(c.Flags, FlagNoLocation)
	default:
		d := math.Round(Distance(c.Position, *target.Location))
		c.DistanceM = &d
		// The phone's own uncertainty is given the benefit of the doubt, up
		// to the radius again.
		if d-math.Min(c.AccuracyM, p.RadiusM) > p.RadiusM {
			c.Flags = append(c.Flags, FlagFarAway)
		}
	}
	if c.ManualUSCC {
		c.Flags = append(c.Flags, FlagManualUSCC)
	}
	if c.TaskID == "" {
		c.Flags = append(c.Flags, FlagNoTask)
	}
	skew := c.ServerTime.Sub(c.DeviceTime)
	switch {
	case skew < -p.MaxClockSkew:
		c.Flags = append(c.Flags, FlagClockSkew)
	case skew > time.Hour:
		c.Flags = append(c.Flags, FlagLateSync)
	}
	if c.Reason == ReasonEmergency && c.TaskID == "" {
		by := c.DeviceTime.Add(BackfillWindow)
		c.BackfillBy = &by
		c.Flags = append(c.Flags, FlagBackfillDue)
	}
}

// ValidateReason checks the recorded reason of a check-in without a task.
func ValidateReason(r CheckInReason, reference, note string) error {
	switch r {
	case ReasonComplaint, ReasonReferral:
		if err := checkText("reference", reference, 1, 100); err != nil {
			return Errorf(EINVALID, "a %s check-in needs the complaint or referral number", r)
		}
	case ReasonEmergency:
		if err := checkText("note", note, 2, 500); err != nil {
			return Errorf(EINVALID, "an emergency check-in needs a note saying what happened")
		}
	case "":
		return Errorf(EINVALID, "there is no task for this enterprise: a check-in needs a reason (complaint, referral or emergency) — 清单之外无检查")
	default:
		return Errorf(EINVALID, "reason %q must be complaint, referral or emergency", r)
	}
	if err := checkText("reference", reference, 0, 100); err != nil {
		return err
	}
	return checkText("note", note, 0, 500)
}

// OfficersCheckedIn counts the distinct certified officers among the
// check-ins of a task: the two-officer rule needs two before the task may
// move past checked_in. Experts never check in as officers; one officer
// checking in twice counts once.
func OfficersCheckedIn(cs []*CheckIn) int {
	seen := map[string]bool{}
	for _, c := range cs {
		if c.CertNo != "" {
			seen[c.CertNo] = true
		}
	}
	return len(seen)
}

// MinOfficers is how many enforcement officers an on-site check needs.
const MinOfficers = 2

// CheckInStore persists check-ins.
type CheckInStore interface {
	CreateCheckIn(ctx context.Context, c *CheckIn) error // a second check-in with the same id is ECONFLICT
	FindCheckIn(ctx context.Context, id string) (*CheckIn, error)
	FindCheckInsOfTask(ctx context.Context, taskID string) ([]*CheckIn, error)
	// FindCheckInsOfTarget returns the check-ins at a target since a time.
	FindCheckInsOfTarget(ctx context.Context, targetID string, since time.Time) ([]*CheckIn, error)
	// UpdateCheckIn replaces a check-in (a back-filled task, cleared flags).
	UpdateCheckIn(ctx context.Context, c *CheckIn) error
	// FindUnplannedCheckIns returns the check-ins made without a task (with
	// a reason: complaint, referral, emergency; back-filled ones too) that
	// reached the server from since until before until, newest first, at most limit.
	FindUnplannedCheckIns(ctx context.Context, since, until time.Time, limit int) ([]*CheckIn, error)
}

// MaxUnplannedList bounds the oversight list of check-ins outside the list:
// they are the exception (清单之外无检查), and the list says when it was cut.
const MaxUnplannedList = 500

// FrequentVisits is how many visits (distinct days with a check-in) in
// FrequentWindow make an enterprise's inspections "frequent" for oversight.
const (
	FrequentVisits = 3
	FrequentWindow = 30 * 24 * time.Hour
)

// VisitDays counts the distinct calendar days with a check-in.
func VisitDays(cs []*CheckIn) int {
	days := map[Date]bool{}
	for _, c := range cs {
		days[DateOf(c.DeviceTime)] = true
	}
	return len(days)
}
