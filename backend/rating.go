package backend

import (
	"context"
	"strconv"
	"time"
)

// DefaultRatingWindow is how long a visit may be rated: from the team's
// first check-in at the enterprise until this much later.
const DefaultRatingWindow = 7 * 24 * time.Hour

// MaxRatingsPerVisit bounds the ratings one visit keeps: the first one and
// the enterprise's replacements of it.
const MaxRatingsPerVisit = 5

// RatingChannel is the page a rating was made on, which says what the
// rater held.
type RatingChannel string

const (
	// RatingByInspectionCode: the page the inspection code opened. The
	// team's phone shows that code, so holding it proves no more than
	// having been near the team: one such rating per visit, never a
	// replacement.
	RatingByInspectionCode RatingChannel = "inspection-code"
	// RatingByLicenceCode: the enterprise's own page, opened by the signed
	// code printed on its licence. It may replace the rating of the visit
	// within the window; the replaced one is kept.
	RatingByLicenceCode RatingChannel = "licence-code"
)

// FlagSuspectedSelfRating marks a rating made from a client address or a
// device that a member of the team used while working on the task: it is
// accepted, and the oversight office looks at it.
const FlagSuspectedSelfRating = "suspected-self-rating"

// Rating is the enterprise's word on one visit: whether it happened, and
// 1-5 on the officers' conduct, their professionalism and the burden the
// visit put on the business. A visit has one current rating; one the
// enterprise replaced stays stored, marked replaced. Ratings go to the
// oversight office and are never shown to the team that inspected.
type Rating struct {
	ID              string        `json:"id" bson:"_id"` // RatingID(TaskID, Seq)
	TaskID          string        `json:"taskId" bson:"taskId"`
	Seq             int           `json:"seq" bson:"seq"` // 1 for the visit's first rating, then each replacement
	TargetID        string        `json:"targetId" bson:"targetId"`
	Happened        bool          `json:"happened" bson:"happened"` // false: the enterprise disputes the visit
	Conduct         int           `json:"conduct" bson:"conduct"`
	Professionalism int           `json:"professionalism" bson:"professionalism"`
	Burden          int           `json:"burden" bson:"burden"` // 5 = no burden at all
	Comment         string        `json:"comment,omitempty" bson:"comment,omitempty"`
	Channel         RatingChannel `json:"channel" bson:"channel" enum:"inspection-code,licence-code"`
	CodeSerial      string        `json:"codeSerial,omitempty" bson:"codeSerial,omitempty"` // the inspection code that was scanned
	CodeKeyID       string        `json:"codeKeyId,omitempty" bson:"codeKeyId,omitempty"`   // the key of the licence code
	ClientAddr      string        `json:"clientAddr" bson:"clientAddr"`
	// DeviceID is the phone named by the browser's device cookie, when it
	// had one (a browser an inspector's app ran in).
	DeviceID string   `json:"deviceId,omitempty" bson:"deviceId,omitempty"`
	Flags    []string `json:"flags" bson:"flags"`
	// Suspicion says, for a flagged rating, whose address or device it was.
	Suspicion  string     `json:"suspicion,omitempty" bson:"suspicion,omitempty"`
	ReplacedBy string     `json:"replacedBy,omitempty" bson:"replacedBy,omitempty"` // the rating that replaced this one
	ReplacedAt *time.Time `json:"replacedAt,omitempty" bson:"replacedAt,omitempty"`
	CreatedAt  time.Time  `json:"createdAt" bson:"createdAt"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// RatingID is the id of a visit's seq-th rating. The first one is named by
// the task alone, which makes it unique per visit.
func RatingID(taskID string, seq int) string {
	if seq <= 1 {
		return taskID
	}
	return taskID + "/" + strconv.Itoa(seq)
}

// Validate checks the scores and the comment.
func (r *Rating) Validate() error {
	for _, s := range []struct {
		name string
		v    int
	}{{"conduct", r.Conduct}, {"professionalism", r.Professionalism}, {"burden", r.Burden}} {
		if s.v < 1 || s.v > 5 {
			return Errorf(EINVALID, "%s must be rated from 1 to 5", s.name)
		}
	}
	return checkText("comment", r.Comment, 0, 1000)
}

// RatingStore persists ratings.
type RatingStore interface {
	// CreateRating stores r; a rating with its id exists already: ECONFLICT.
	CreateRating(ctx context.Context, r *Rating) error
	FindRating(ctx context.Context, id string) (*Rating, error)
	// MarkRatingReplaced records that rating id was replaced by another.
	MarkRatingReplaced(ctx context.Context, id, by string, at time.Time) error
	// FindRatings pages through the ratings f selects, by id.
	FindRatings(ctx context.Context, f RatingFilter, p PageRequest) (*Page[*Rating], error)
}

// RatingFilter narrows the oversight office's list of ratings; the zero
// value lists all.
type RatingFilter struct {
	TargetID string // one enterprise (its USCC)
	Flagged  bool   // only those flagged suspected-self-rating
	Disputed bool   // only those where the enterprise says the visit did not happen
}

// Validate checks the filter's values.
func (f RatingFilter) Validate() error {
	if f.TargetID != "" {
		return ValidateUSCC(f.TargetID)
	}
	return nil
}

// FindVisitRatings returns the ratings of a visit, oldest first: the last
// is the current one. Each is read by id.
func FindVisitRatings(ctx context.Context, store RatingStore, taskID string) ([]*Rating, error) {
	var out []*Rating
	for seq := 1; seq <= MaxRatingsPerVisit; seq++ {
		r, err := store.FindRating(ctx, RatingID(taskID, seq))
		if IsCode(err, ENOTFOUND) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
