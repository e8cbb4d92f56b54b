package backend

import (
	"context"
	"strconv"
	"time"
)

// VisitCount is one year's figures of one enterprise or one officer, for
// the oversight office: how often the enterprise was entered (visits:
// distinct days with a check-in; check-ins: every officer's) and how many
// check-ins an officer made, and how many of them without a task
// (清单之外). It is kept up to date at each check-in, so that the lists of
// the most entered enterprises and of the officers are one indexed read
// rather than a walk through the year's check-ins.
type VisitCount struct {
	ID        string    `json:"-" bson:"_id"` // VisitCountID
	Year      int       `json:"year" bson:"year"`
	Kind      string    `json:"kind" bson:"kind" enum:"target,inspector"`
	Ref       string    `json:"ref" bson:"ref"` // the USCC or the inspector id
	Name      string    `json:"name" bson:"name"`
	Visits    int       `json:"visits" bson:"visits"`
	CheckIns  int       `json:"checkIns" bson:"checkIns"`
	Unplanned int       `json:"unplanned" bson:"unplanned"`
	UpdatedAt time.Time `json:"updatedAt" bson:"updatedAt"`
}

// Kinds of VisitCount.
const (
	CountTarget    = "target"
	CountInspector = "inspector"
)

// VisitCountID names the count of ref of kind in year.
func VisitCountID(year int, kind, ref string) string {
	return strconv.Itoa(year) + "/" + kind + "/" + ref
}

// VisitCountIncrement is what one check-in adds to a count.
type VisitCountIncrement struct {
	Year                        int
	Kind, Ref, Name             string
	Visits, CheckIns, Unplanned int
}

// MaxVisitCountList bounds a list of counts.
const MaxVisitCountList = 100

// VisitCountStore keeps the counts.
type VisitCountStore interface {
	// AddVisitCounts adds each increment to its count, creating it.
	AddVisitCounts(ctx context.Context, incs []VisitCountIncrement) error
	// TopVisitCounts returns the year's counts of kind with the most
	// visits (targets) or check-ins (inspectors), at most limit.
	TopVisitCounts(ctx context.Context, year int, kind string, limit int) ([]*VisitCount, error)
}
