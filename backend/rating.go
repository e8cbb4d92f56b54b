package backend

import (
	"context"
	"time"
)

// Rating is the enterprise's word on one visit: whether it happened, and
// 1-5 on the officers' conduct, their professionalism and the burden the
// visit put on the business. One per visit; it goes to the oversight office
// and is never shown to the team that inspected.
type Rating struct {
	TaskID          string    `json:"taskId" bson:"_id"` // one rating per visit
	TargetID        string    `json:"targetId" bson:"targetId"`
	Happened        bool      `json:"happened" bson:"happened"` // false: the enterprise disputes the visit
	Conduct         int       `json:"conduct" bson:"conduct"`
	Professionalism int       `json:"professionalism" bson:"professionalism"`
	Burden          int       `json:"burden" bson:"burden"` // 5 = no burden at all
	Comment         string    `json:"comment,omitempty" bson:"comment,omitempty"`
	CodeSerial      string    `json:"codeSerial" bson:"codeSerial"` // the inspection code that was scanned
	ClientAddr      string    `json:"clientAddr" bson:"clientAddr"`
	CreatedAt       time.Time `json:"createdAt" bson:"createdAt"`
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
	// CreateRating stores r; a second rating of the same visit is ECONFLICT.
	CreateRating(ctx context.Context, r *Rating) error
	FindRatings(ctx context.Context, p PageRequest) (*Page[*Rating], error)
}
