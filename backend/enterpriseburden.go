package backend

import "time"

// VisitSource is why an enterprise received a visit, for its burden
// figures (综合查一次: how often inspectors came through its door).
type VisitSource string

const (
	SourceRandom    VisitSource = "random"    // a plan's random draw (fc-draw-1) or a round's visit of one plan
	SourceJoint     VisitSource = "joint"     // one visit for several departments or plans (a joint plan, a round's joint visit)
	SourceAdHoc     VisitSource = "ad-hoc"    // an ad-hoc task: complaint, referral, campaign
	SourceUnplanned VisitSource = "unplanned" // a check-in without a task (清单之外, flagged for oversight)
	SourceRecheck   VisitSource = "recheck"   // a re-check (复查) after 责令改正
)

// SourceOf is the source of a visit made for task t.
func SourceOf(t *Task) VisitSource {
	switch {
	case t.Trigger != nil && t.Trigger.Kind == TriggerRecheck:
		return SourceRecheck
	case !t.Random:
		return SourceAdHoc
	case len(t.Parts) > 1 || len(t.Departments) > 1:
		return SourceJoint
	}
	return SourceRandom
}

// EnterpriseBurden counts the visits an enterprise received in a calendar
// year (China time), by source. A visit is a task whose team checked in
// at the enterprise, counted once however many officers checked in; check-ins
// without a task count one visit per day.
type EnterpriseBurden struct {
	Year      int `json:"year"`
	Total     int `json:"total"`
	Random    int `json:"random"`
	Joint     int `json:"joint"`
	AdHoc     int `json:"adHoc"`
	Unplanned int `json:"unplanned"`
	Recheck   int `json:"recheck"`
}

// Add counts one visit of source s.
func (b *EnterpriseBurden) Add(s VisitSource) {
	b.Total++
	switch s {
	case SourceRandom:
		b.Random++
	case SourceJoint:
		b.Joint++
	case SourceAdHoc:
		b.AdHoc++
	case SourceUnplanned:
		b.Unplanned++
	case SourceRecheck:
		b.Recheck++
	}
}

// YearStart is the first instant of the calendar year of t in China.
func YearStart(t time.Time) time.Time {
	return time.Date(t.In(China).Year(), 1, 1, 0, 0, 0, 0, China)
}
