package visit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Ratings (评价). A visit may be rated from the team's first check-in at the
// enterprise until the rating window (backend.DefaultRatingWindow) has
// passed, on one of two pages: the one the team's inspection code opens,
// once, or the enterprise's own page, opened by the signed code printed on
// its licence, which may also replace the rating made in its name. A
// rating from an address or a device a team member worked from is
// accepted and flagged for the oversight office.

// RatingRefusal says why a visit cannot be rated (now); the pages say it in
// Chinese.
type RatingRefusal string

const (
	RatingNotCheckedIn   RatingRefusal = "not-checked-in"   // nobody of the team has checked in yet
	RatingClosed         RatingRefusal = "closed"           // the window has passed
	RatingCancelled      RatingRefusal = "cancelled"        // the task was cancelled
	RatingTargetReplaced RatingRefusal = "replaced"         // the task's target was replaced
	RatingReassigned     RatingRefusal = "reassigned"       // the code's holder (or whoever checked in) left the team
	RatingTaken          RatingRefusal = "rated"            // the inspection code rates once
	RatingTooManyChanges RatingRefusal = "too-many-changes" // backend.MaxRatingsPerVisit reached
	RatingBadCode        RatingRefusal = "bad-code"         // the scanned code is not valid (the message says why)
	RatingIncomplete     RatingRefusal = "incomplete"       // a score is missing or the comment too long
)

// RatingRefused is the cause of a refused rating: errors.As finds it, and
// with it the reason a page shows.
type RatingRefused struct{ Reason RatingRefusal }

func (e *RatingRefused) Error() string { return "rating refused: " + string(e.Reason) }

func refuse(code string, why RatingRefusal, format string, args ...any) error {
	return &backend.Error{Code: code, Message: fmt.Sprintf(format, args...), Err: &RatingRefused{Reason: why}}
}

// badCode marks a code's refusal (its message says what is wrong) as the
// reason a rating was refused; a failure of the store stays what it is.
func badCode(err error) error {
	if !backend.IsCode(err, backend.EINVALID) {
		return err
	}
	return refuse(backend.EINVALID, RatingBadCode, "%s", backend.ErrorMessage(err))
}

// RatingStatus is whether a visit may be rated now, for a page to show the
// form or say why not.
type RatingStatus struct {
	Open    bool                  `json:"open"`
	Refusal RatingRefusal         `json:"refusal,omitempty"`
	Closes  *time.Time            `json:"closes,omitempty"`
	Rated   bool                  `json:"rated"`             // the visit has a rating
	Channel backend.RatingChannel `json:"channel,omitempty"` // of its current rating
}

// ratingWindow is when the visit may be rated: from the first check-in of
// a member of the team as it is now, for the service's window.
type ratingWindow struct{ opens, closes time.Time }

func (s *Service) window() time.Duration {
	if s.RatingWindow > 0 {
		return s.RatingWindow
	}
	return backend.DefaultRatingWindow
}

// openWindow returns the task's rating window, or why it has none now.
func (s *Service) openWindow(ctx context.Context, t *backend.Task, now time.Time) (ratingWindow, error) {
	switch t.Status {
	case backend.TaskCancelled:
		return ratingWindow{}, refuse(backend.EINVALID, RatingCancelled, "task %s was cancelled: there is no visit to rate", t.ID)
	case backend.TaskReplaced:
		return ratingWindow{}, refuse(backend.EINVALID, RatingTargetReplaced, "task %s was replaced by a visit to another target", t.ID)
	}
	cs, err := s.CheckIns.FindCheckInsOfTask(ctx, t.ID)
	if err != nil {
		return ratingWindow{}, err
	}
	var w ratingWindow
	others := false
	for _, c := range cs {
		if !slices.Contains(t.TeamUsers, c.UserID) {
			others = true
			continue
		}
		if w.opens.IsZero() || c.ServerTime.Before(w.opens) {
			w.opens = c.ServerTime
		}
	}
	switch {
	case w.opens.IsZero() && others:
		return w, refuse(backend.EINVALID, RatingReassigned, "task %s was reassigned after the check-in, and its team now has not checked in", t.ID)
	case w.opens.IsZero():
		return w, refuse(backend.EINVALID, RatingNotCheckedIn, "the team has not checked in at the enterprise yet: a visit is rated after the check-in")
	}
	w.closes = w.opens.Add(s.window())
	if now.After(w.closes) {
		return w, refuse(backend.EINVALID, RatingClosed, "the visit could be rated until %s", w.closes.UTC().Format(time.RFC3339))
	}
	return w, nil
}

// byCode checks that the inspection code was issued to a member of the
// team as it is now: a code its holder kept after leaving the team (or one
// whose issue is not on record) rates nothing.
func (s *Service) byCode(ctx context.Context, t *backend.Task, serial string) error {
	c, err := s.Issued.FindCodeIssue(ctx, serial)
	if err != nil && !backend.IsCode(err, backend.ENOTFOUND) {
		return err
	}
	if err != nil || c.TaskID != t.ID || !slices.Contains(t.TeamUsers, c.UserID) {
		return refuse(backend.EINVALID, RatingReassigned, "this inspection code was not issued to a member of task %s's team as it is now", t.ID)
	}
	return nil
}

// status says whether the visit may be rated now on the page of the
// channel; serial is the inspection code's (that channel only).
func (s *Service) status(ctx context.Context, t *backend.Task, channel backend.RatingChannel, serial string) (*RatingStatus, error) {
	st := &RatingStatus{}
	rs, err := backend.FindVisitRatings(ctx, s.RatingStore, t.ID)
	if err != nil {
		return nil, err
	}
	if len(rs) > 0 {
		st.Rated, st.Channel = true, rs[len(rs)-1].Channel
	}
	w, err := s.openWindow(ctx, t, s.Now())
	if err == nil && channel == backend.RatingByInspectionCode {
		err = s.byCode(ctx, t, serial)
		if err == nil && st.Rated {
			err = refuse(backend.ECONFLICT, RatingTaken, "rated already")
		}
	}
	if err == nil && len(rs) >= backend.MaxRatingsPerVisit {
		err = refuse(backend.EINVALID, RatingTooManyChanges, "changed too often")
	}
	var why *RatingRefused
	switch {
	case err == nil:
		st.Open, st.Closes = true, &w.closes
	case errors.As(err, &why):
		st.Refusal = why.Reason
	default:
		return nil, err
	}
	return st, nil
}

// Scores are a rating's answers, as a form sends them.
type Scores struct {
	Happened        bool   `json:"happened"`
	Conduct         int    `json:"conduct"`
	Professionalism int    `json:"professionalism"`
	Burden          int    `json:"burden"`
	Comment         string `json:"comment"`
}

// RatingRequest is a rating sent from the page the inspection code opened.
type RatingRequest struct {
	Code string `json:"code"` // the inspection code, as scanned
	Scores
	ClientAddr string `json:"-"`
	DeviceID   string `json:"-"` // the browser's device cookie, when valid
}

// Rate records a rating of the visit the inspection code names, the first
// one of that visit: the code's holder proves no more than being near the
// team, so this page never replaces a rating (the licence's page does).
func (s *Service) Rate(ctx context.Context, req RatingRequest) (*backend.Rating, error) {
	if len(req.Code) == 0 || len(req.Code) > MaxCodeLength {
		return nil, backend.Errorf(backend.EINVALID, "a rating needs the inspection code of the visit")
	}
	code, err := s.Inspection.VerifyInspectionCode(ctx, req.Code)
	if err != nil {
		return nil, badCode(err)
	}
	t, err := s.Tasks.FindTaskByID(ctx, code.TaskID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	w, err := s.openWindow(ctx, t, now)
	if err != nil {
		return nil, err
	}
	if err := s.byCode(ctx, t, code.Serial); err != nil {
		return nil, err
	}
	tr, err := s.Traces.FindTeamTrace(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	r := s.newRating(t, 1, backend.RatingByInspectionCode, req.Scores, req.ClientAddr, req.DeviceID)
	r.CodeSerial = code.Serial
	if err := s.store(ctx, r, tr, w, now, nil); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, refuse(backend.ECONFLICT, RatingTaken, "this visit has been rated already; the enterprise can change the rating on the page of the code printed on its licence")
		}
		return nil, err
	}
	return r, nil
}

// LicenceRatingRequest is a rating sent from the enterprise's page, which
// the code on its licence opened.
type LicenceRatingRequest struct {
	Code   string // the licence code the page was opened with (path and query)
	TaskID string // the visit rated
	Scores
	ClientAddr string
	DeviceID   string
}

// RateFromLicence records the enterprise's rating of one of its visits
// within the window: the first one, or one that replaces the visit's
// current rating (whoever made it), which is kept, marked replaced. The
// licence code is the enterprise's own credential: signed, and printed on
// the licence it keeps.
func (s *Service) RateFromLicence(ctx context.Context, req LicenceRatingRequest) (*backend.Rating, error) {
	uscc, kid, err := s.Codes.VerifyEnterpriseCode(ctx, req.Code)
	if err != nil {
		return nil, badCode(err)
	}
	t, err := s.Tasks.FindTaskByID(ctx, req.TaskID)
	if err == nil && t.TargetID != uscc {
		err = backend.Errorf(backend.ENOTFOUND, "no visit %q at %s", req.TaskID, uscc)
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	w, err := s.openWindow(ctx, t, now)
	if err != nil {
		return nil, err
	}
	rs, err := backend.FindVisitRatings(ctx, s.RatingStore, t.ID)
	if err != nil {
		return nil, err
	}
	if len(rs) >= backend.MaxRatingsPerVisit {
		return nil, refuse(backend.EINVALID, RatingTooManyChanges, "the rating of this visit was changed %d times, the most it may be", backend.MaxRatingsPerVisit-1)
	}
	tr, err := s.Traces.FindTeamTrace(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	r := s.newRating(t, len(rs)+1, backend.RatingByLicenceCode, req.Scores, req.ClientAddr, req.DeviceID)
	r.CodeKeyID = kid
	var prev *backend.Rating
	if len(rs) > 0 {
		prev = rs[len(rs)-1]
	}
	if err := s.store(ctx, r, tr, w, now, prev); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "the rating of this visit changed meanwhile; reload the page")
		}
		return nil, err
	}
	return r, nil
}

func (s *Service) newRating(t *backend.Task, seq int, ch backend.RatingChannel, sc Scores, addr, device string) *backend.Rating {
	return &backend.Rating{ID: backend.RatingID(t.ID, seq), TaskID: t.ID, Seq: seq, TargetID: t.TargetID, Channel: ch,
		Happened: sc.Happened, Conduct: sc.Conduct, Professionalism: sc.Professionalism, Burden: sc.Burden, Comment: sc.Comment,
		ClientAddr: addr, DeviceID: device, Flags: []string{}}
}

// store validates r, flags it when the team was seen at its address or
// device, stores it, marks prev (when not nil) replaced by it, and audits.
func (s *Service) store(ctx context.Context, r *backend.Rating, tr *backend.TeamTrace, w ratingWindow, now time.Time, prev *backend.Rating) error {
	if err := r.Validate(); err != nil {
		return refuse(backend.EINVALID, RatingIncomplete, "%s", backend.ErrorMessage(err))
	}
	network := backend.AddressNetwork(r.ClientAddr)
	if seen, ok := tr.SeenAt(network, r.DeviceID, w.opens.Add(-backend.SelfRatingLead), now); ok {
		what := "client address " + network
		if r.DeviceID != "" && seen.DeviceID == r.DeviceID {
			what = "device " + r.DeviceID
		}
		r.Flags = append(r.Flags, backend.FlagSuspectedSelfRating)
		r.Suspicion = fmt.Sprintf("%s was used by team member %s between %s and %s", what, seen.UserID,
			seen.First.UTC().Format(time.RFC3339), seen.Last.UTC().Format(time.RFC3339))
	}
	detail := fmt.Sprintf("%s: happened=%v conduct=%d professionalism=%d burden=%d flags=%v", r.Channel, r.Happened, r.Conduct, r.Professionalism, r.Burden, r.Flags)
	if prev != nil {
		detail += fmt.Sprintf("; replaces %s (%s)", prev.ID, prev.Channel)
	}
	// The record travels with the rating's write (backend/outbox.go).
	r.Record(backend.AuditRecord{Action: "visit.rate", ObjectType: "task", ObjectID: r.TaskID, Change: r, Detail: detail})
	if err := s.RatingStore.CreateRating(ctx, r); err != nil {
		return err
	}
	if prev != nil {
		// The replaced rating's mark follows; the new rating's record
		// says what it replaces.
		return s.RatingStore.MarkRatingReplaced(ctx, prev.ID, r.ID, now)
	}
	return nil
}

// EnterpriseVisit is a visit to the enterprise, as its own page lists it
// for rating.
type EnterpriseVisit struct {
	TaskID    string        `json:"taskId"`
	CheckedIn time.Time     `json:"checkedIn"` // the team's first check-in
	Items     []string      `json:"items"`     // item names
	Officers  []Officer     `json:"officers"`
	Rating    *RatingStatus `json:"rating"`
}

// EnterpriseVisits lists the visits to the enterprise whose genuine
// licence code opened the page that may still be rated, or were until
// recently, with whether each may be rated now; newest first.
func (s *Service) EnterpriseVisits(ctx context.Context, code string) ([]EnterpriseVisit, error) {
	uscc, _, err := s.Codes.VerifyEnterpriseCode(ctx, code)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	// Check-ins are found by the phone's time, which may lag the server's
	// by as much as an offline check-in may be old.
	since := now.Add(-s.window() - s.Policy.OfflineAge())
	cs, err := s.CheckIns.FindCheckInsOfTarget(ctx, uscc, since)
	if err != nil {
		return nil, err
	}
	out := []EnterpriseVisit{}
	seen := map[string]bool{}
	for _, c := range cs {
		if c.TaskID == "" || seen[c.TaskID] {
			continue
		}
		seen[c.TaskID] = true
		t, err := s.Tasks.FindTaskByID(ctx, c.TaskID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		v := EnterpriseVisit{TaskID: t.ID, CheckedIn: c.ServerTime}
		for _, x := range cs {
			if x.TaskID == t.ID && x.ServerTime.Before(v.CheckedIn) {
				v.CheckedIn = x.ServerTime
			}
		}
		if v.Items, v.Officers, err = s.describe(ctx, t); err != nil {
			return nil, err
		}
		if v.Rating, err = s.status(ctx, t, backend.RatingByLicenceCode, ""); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b EnterpriseVisit) int { return b.CheckedIn.Compare(a.CheckedIn) })
	return out, nil
}

// Ratings lists the ratings for the oversight office and the administrators: the
// teams that were rated never see them. Replaced ratings are listed too,
// with the rating that replaced them.
func (s *Service) Ratings(ctx context.Context, f backend.RatingFilter, p backend.PageRequest) (*backend.Page[*backend.Rating], error) {
	if err := requireOversight(ctx, "ratings"); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.RatingStore.FindRatings(ctx, f, p)
}
