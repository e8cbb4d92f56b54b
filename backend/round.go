package backend

import (
	"context"
	"time"
)

// RoundState is where a coordination round (综合查一次, fc-draw-2) stands.
type RoundState string

const (
	RoundOpen RoundState = "open" // public with its commitment; plans register
	// RoundDrawing: the draw has begun (the public entropy is fixed) and
	// its steps are being completed; a draw request resumes them.
	RoundDrawing RoundState = "drawing"
	RoundDrawn   RoundState = "drawn" // drawn once; the record is public
)

// Round is a coordination round: the plans of several departments for a
// period, drawn together with one seed (fc-draw-2, docs/draw2.md), so that
// an enterprise that several plans select gets one joint visit. Its
// commitment is public from the moment it opens; the secret behind it is
// kept apart (RoundSecret) until the draw reveals it in the record.
type Round struct {
	ID     string     `json:"id" bson:"_id"`
	Year   int        `json:"year" bson:"year"`
	Name   string     `json:"name" bson:"name"`
	Period string     `json:"period" bson:"period"` // e.g. 2026年第二季度
	State  RoundState `json:"state" bson:"state" enum:"open,drawing,drawn"`
	// Commitment is hex(SHA-256(secret)), published when the round opens.
	Commitment string `json:"commitment" bson:"commitment"`
	// EntropySource is the public random event declared when the round
	// opened; the draw takes its result, not before EntropyResultAt.
	// Plans register and withdraw only before that time.
	EntropySource   *EntropySource `json:"entropySource" bson:"entropySource"`
	EntropyResultAt time.Time      `json:"entropyResultAt" bson:"entropyResultAt"`
	// Plans are the registered plans, in the order the round draws them.
	Plans    []RoundEntry `json:"plans" bson:"plans"`
	OpenedBy string       `json:"openedBy,omitempty" bson:"openedBy"`
	OpenedAt time.Time    `json:"openedAt" bson:"openedAt"`

	// Set when the draw begins.
	PublicEntropy string     `json:"publicEntropy,omitempty" bson:"publicEntropy,omitempty"`
	DrawnBy       string     `json:"drawnBy,omitempty" bson:"drawnBy,omitempty"`
	DrawnAt       *time.Time `json:"drawnAt,omitempty" bson:"drawnAt,omitempty"`
	// Set when it is drawn.
	Visits      int          `json:"visits,omitempty" bson:"visits,omitempty"`
	JointVisits int          `json:"jointVisits,omitempty" bson:"jointVisits,omitempty"`
	Unassigned  int          `json:"unassigned,omitempty" bson:"unassigned,omitempty"`
	Burden      *RoundBurden `json:"burden,omitempty" bson:"burden,omitempty"`
	RecordSHA   string       `json:"recordSha256,omitempty" bson:"recordSha256,omitempty"`
	RecordBytes int          `json:"recordBytes,omitempty" bson:"recordBytes,omitempty"`

	Version   int64     `json:"version" bson:"version"`
	CreatedAt time.Time `json:"createdAt" bson:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt" bson:"updatedAt"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// RoundEntry is a plan registered in a round.
type RoundEntry struct {
	PlanID         string    `json:"planId" bson:"planId"`
	Name           string    `json:"name" bson:"name"`
	LeadDepartment string    `json:"leadDepartment" bson:"leadDepartment"`
	Departments    []string  `json:"departments" bson:"departments"`
	RegisteredBy   string    `json:"registeredBy,omitempty" bson:"registeredBy"`
	RegisteredAt   time.Time `json:"registeredAt" bson:"registeredAt"`
}

// RoundBurden is what a round costs the enterprises, in visits: those it
// produced, the floor Σ_i max_d π_di below which no honest coordination
// goes, and the expectation Σ_i [1 − Π_d(1 − π_di)] of drawing the same
// plans independently (π_di = n/N of target i's stratum in plan d, 0 when
// i is not eligible in d). docs/draw2.md explains them.
type RoundBurden struct {
	Visits      int     `json:"visits" bson:"visits"`
	Floor       float64 `json:"floor" bson:"floor"`
	Independent float64 `json:"independent" bson:"independent"`
}

// Round name and period bounds.
const (
	MaxRoundName   = 200
	MaxRoundPeriod = 50
)

// Validate checks a round's own fields as given when it opens.
func (r *Round) Validate() error {
	if r.Year < 2000 || r.Year > 2100 {
		return Errorf(EINVALID, "year %d is out of range", r.Year)
	}
	if err := checkText("name", r.Name, 1, MaxRoundName); err != nil {
		return err
	}
	return checkText("period", r.Period, 1, MaxRoundPeriod)
}

// Listed reports whether plan id is registered in the round.
func (r *Round) Listed(planID string) bool {
	for _, e := range r.Plans {
		if e.PlanID == planID {
			return true
		}
	}
	return false
}

// VisitCaps bounds the on-site random visits an enterprise receives in a
// calendar year across all departments, by credit class (e.g. one for
// class A, the lowest risk). A class not listed has no such cap. A round
// excludes an enterprise that reached its cap (exclusion reason
// visit-cap); the same-item-once-a-year rule applies besides.
type VisitCaps map[CreditClass]int

// DefaultVisitCaps is one on-site random visit a year for class A.
func DefaultVisitCaps() VisitCaps { return VisitCaps{CreditA: 1} }

// MaxVisitCap bounds a configured cap.
const MaxVisitCap = 100

// Validate checks the classes and that each cap is 1..MaxVisitCap.
func (c VisitCaps) Validate() error {
	for class, n := range c {
		if !class.Valid() {
			return Errorf(EINVALID, "visit cap: %q is not a credit class", class)
		}
		if n < 1 || n > MaxVisitCap {
			return Errorf(EINVALID, "visit cap of class %s: %d is not between 1 and %d", class, n, MaxVisitCap)
		}
	}
	return nil
}

// Reached reports whether an enterprise of class with visits this year
// may have no more.
func (c VisitCaps) Reached(class CreditClass, visits int) bool {
	n, ok := c[class]
	return ok && visits >= n
}

// RoundSecret is the secret behind a round's commitment, unseen until the
// draw publishes it in the record.
type RoundSecret struct {
	ID        string    `bson:"_id"` // the round's id
	Secret    string    `bson:"secret"`
	CreatedAt time.Time `bson:"createdAt"`
}

// RoundStore persists rounds and their secrets. A round's record is kept
// by the DrawStore (SaveDrawRecord) under RoundRecordKey.
type RoundStore interface {
	CreateRound(ctx context.Context, r *Round) error
	FindRoundByID(ctx context.Context, id string) (*Round, error)
	FindRounds(ctx context.Context, year int, p PageRequest) (*Page[*Round], error)
	UpdateRound(ctx context.Context, r *Round) error // r.Version is the expected current version
	CreateRoundSecret(ctx context.Context, s *RoundSecret) error
	FindRoundSecret(ctx context.Context, roundID string) (*RoundSecret, error)
}

// RoundRecordKey is the key of a round's record in the DrawStore: apart
// from the draws' ids, which end in -v<version>-d<number>.
func RoundRecordKey(roundID string) string { return "round:" + roundID }
