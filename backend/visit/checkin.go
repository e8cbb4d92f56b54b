// Package visit is the service of 扫码入企 on-site work: inspectors check in
// at an enterprise by scanning its licence code and show it their
// inspection code; the enterprise confirms, rates or complains about the
// visit. A rating opens at the team's check-in and closes after a window;
// the page the team's code opens rates once, the page the enterprise's
// licence code opens may replace a rating made in its name, and a rating
// from where the team worked (the task's trace) is flagged for oversight
// (rating.go). Rules come from backend; signed codes are checked through
// EnterpriseCodes and InspectionCodes, which the qr package implements.
package visit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// EnterpriseCodes verifies a scanned enterprise code.
type EnterpriseCodes interface {
	// VerifyEnterpriseCode returns the USCC the code names and the id of
	// the key that signed it, or an EINVALID error saying what is wrong
	// (forged, altered, unsigned, retired key …).
	VerifyEnterpriseCode(ctx context.Context, raw string) (uscc, keyID string, err error)
}

// Service records check-ins.
type Service struct {
	CheckIns    backend.CheckInStore
	Tasks       backend.TaskStore
	Targets     backend.TargetStore
	Inspectors  backend.InspectorStore
	Codes       EnterpriseCodes
	Inspection  InspectionCodes
	Items       backend.ItemStore
	Departments backend.DepartmentStore // names departments on public pages; optional
	RatingStore backend.RatingStore
	Complaints  backend.ComplaintStore
	Results     backend.PublishedResultStore
	Throttle    backend.ThrottleStore
	Audit       *backend.AuditLog
	Policy      backend.CheckInPolicy
	Now         func() time.Time

	// Traces keep where each task's team worked from (ratings' oversight).
	Traces backend.TeamTraceStore
	// Counts keep the year's figures of each enterprise and officer for
	// the oversight office; nil when not kept.
	Counts backend.VisitCountStore
	// RatingWindow is how long after the team's first check-in a visit may
	// be rated (backend.DefaultRatingWindow when zero).
	RatingWindow time.Duration

	// Issued records which login and device each inspection code went to,
	// so that ending their sessions withdraws it; Sessions checks, once the
	// code is recorded, that the session asking for it is still open.
	// IssueCode needs both.
	Issued   backend.CodeIssueStore
	Sessions SessionChecker
}

// SessionChecker tells whether an actor's session is still open;
// *auth.Service is one.
type SessionChecker interface {
	CheckSession(ctx context.Context, a *backend.Actor) error
}

// CheckInRequest is what the phone sends, live or hours later from its
// offline queue: everything the server needs is in it.
type CheckInRequest struct {
	// ID is chosen by the phone when the check-in happens, so that a retry
	// or a replayed offline batch records it once.
	ID string `json:"id"`
	// Code is the scanned enterprise code, as scanned. Without one (the
	// code could not be read) USCC is the code typed in by hand: checked
	// for its check character and flagged manual-uscc. Exactly one of the
	// two.
	Code string `json:"code,omitempty"`
	USCC string `json:"uscc,omitempty"`
	// Position is left out when the phone had no fix (geolocation failed
	// or was refused): the check-in is recorded without it, flagged
	// no-position, and AccuracyM is then 0.
	Position   *backend.GeoPoint `json:"position,omitempty"`
	AccuracyM  float64           `json:"accuracyM"`
	DeviceTime time.Time         `json:"deviceTime"`
	// There is no device field: the check-in is recorded for the device
	// of the session (Actor.DeviceID), and a body naming one is refused as
	// an unknown field.
	// TaskID is the task the phone checks in for; the server checks that
	// it is an open task of the inspector's team at this enterprise, and
	// otherwise finds the task itself.
	TaskID    string                `json:"taskId,omitempty"`
	Reason    backend.CheckInReason `json:"reason,omitempty"` // only without a task
	Reference string                `json:"reference,omitempty"`
	Note      string                `json:"note,omitempty"`
}

var checkInIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// MaxCodeLength bounds a scanned code: far above any code fieldcheck
// prints, far below anything that could hurt.
const MaxCodeLength = 512

// CheckIn records an inspector's arrival at the enterprise whose code was
// scanned. With an open task of the inspector's team for that enterprise
// the check-in belongs to it and the task moves to checked_in; without one
// the check-in needs a reason and is flagged for oversight.
func (s *Service) CheckIn(ctx context.Context, req CheckInRequest) (*backend.CheckIn, error) {
	a := backend.ActorFrom(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if a.Role != backend.RoleInspector {
		return nil, backend.Errorf(backend.EFORBIDDEN, "only enforcement officers check in")
	}
	if a.DeviceID == "" {
		return nil, backend.Errorf(backend.EFORBIDDEN, "this session is not bound to a device: log in on the phone again")
	}
	if !checkInIDPattern.MatchString(req.ID) {
		return nil, backend.Errorf(backend.EINVALID, "id must be 8-64 letters, digits, '-' or '_' chosen by the phone")
	}
	switch {
	case req.Code != "" && req.USCC != "":
		return nil, backend.Errorf(backend.EINVALID, "send the scanned code or the USCC typed in by hand, not both")
	case req.USCC != "":
		if err := backend.ValidateUSCC(req.USCC); err != nil {
			return nil, err
		}
	case len(req.Code) == 0 || len(req.Code) > MaxCodeLength:
		return nil, backend.Errorf(backend.EINVALID, "the scanned code must be 1-%d bytes (or give the USCC typed in by hand)", MaxCodeLength)
	}
	// A replay of a recorded check-in answers what was recorded.
	if prev, err := s.CheckIns.FindCheckIn(ctx, req.ID); err == nil {
		if prev.UserID != a.UserID {
			return nil, backend.Errorf(backend.ECONFLICT, "check-in id %s is taken", req.ID)
		}
		if prev.TaskID != "" {
			if err := s.noteOnTask(ctx, prev.TaskID, prev, checkInDetail(prev)); err != nil {
				return nil, err
			}
		}
		return prev, nil
	} else if !backend.IsCode(err, backend.ENOTFOUND) {
		return nil, err
	}
	now := s.Now()
	if err := backend.ValidateCheckInInput(req.Position, req.AccuracyM, req.DeviceTime, now, s.Policy); err != nil {
		return nil, err
	}
	uscc, kid := req.USCC, ""
	if req.Code != "" {
		var err error
		if uscc, kid, err = s.Codes.VerifyEnterpriseCode(ctx, req.Code); err != nil {
			s.deny(ctx, req.Code, err)
			return nil, err
		}
	}
	target, err := s.Targets.FindTargetByID(ctx, uscc)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, backend.Errorf(backend.EINVALID, "the code is genuine but %s is not in the target directory", uscc)
	}
	if err != nil {
		return nil, err
	}
	if target.Status == backend.StatusDeregistered || target.Status == backend.StatusRevoked {
		return nil, backend.Errorf(backend.EINVALID, "%s (%s) is %s: its code is no longer valid for a check-in", target.Name, uscc, target.Status)
	}
	officer, err := s.Inspectors.FindInspectorByUserID(ctx, a.UserID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return nil, backend.Errorf(backend.EFORBIDDEN, "your account is not linked to an enforcement officer of the directory")
	}
	if err != nil {
		return nil, err
	}
	if !officer.Active || !officer.CertValidOn(backend.DateOf(now)) {
		return nil, backend.Errorf(backend.EFORBIDDEN, "your enforcement certificate %s is not valid today", officer.CertNo)
	}
	task, err := s.openTask(ctx, a.UserID, target.ID, req.TaskID)
	if err != nil {
		return nil, err
	}
	c := &backend.CheckIn{
		ID: req.ID, TargetID: target.ID, InspectorID: officer.ID, CertNo: officer.CertNo, UserID: a.UserID,
		DeviceID: a.DeviceID, DeviceTime: req.DeviceTime.UTC().Truncate(time.Millisecond), ServerTime: now.UTC().Truncate(time.Millisecond),
		AccuracyM: req.AccuracyM, CodeKeyID: kid, ManualUSCC: req.Code == "",
	}
	if req.Position != nil {
		c.Position = *req.Position
	} else {
		c.NoPosition = true
	}
	if task != nil {
		c.TaskID = task.ID
		if req.Reason != "" {
			return nil, backend.Errorf(backend.EINVALID, "there is a task (%s) for this enterprise: a reason is only for check-ins without one", task.ID)
		}
	} else {
		if err := backend.ValidateReason(req.Reason, req.Reference, req.Note); err != nil {
			return nil, err
		}
		c.Reason, c.Reference, c.Note = req.Reason, req.Reference, req.Note
	}
	if task != nil {
		if err := s.NoteTeam(ctx, a, task.ID); err != nil {
			return nil, err
		}
	}
	c.Judge(target, s.Policy)
	// Several visits to one enterprise within a month are flagged: 多头
	// 检查 and 重复检查 are what 双随机 is meant to end.
	recent, err := s.CheckIns.FindCheckInsOfTarget(ctx, target.ID, c.DeviceTime.Add(-backend.FrequentWindow))
	if err != nil {
		return nil, err
	}
	if backend.VisitDays(append(recent, c)) >= backend.FrequentVisits {
		c.Flags = append(c.Flags, backend.FlagFrequentVisit)
	}
	if task == nil {
		// Without a task the record travels with the check-in's own write
		// (backend/outbox.go); with one, with its task's.
		c.Record(backend.AuditRecord{Action: "checkin.create", ObjectType: "target", ObjectID: target.ID, Change: c, Detail: checkInDetail(c)})
	}
	if err := s.CheckIns.CreateCheckIn(ctx, c); err != nil {
		if !backend.IsCode(err, backend.ECONFLICT) {
			return nil, err
		}
		// The same id is stored: a replay, or a race. Its first attempt
		// may have stopped before its task's note (and record): complete it.
		prev, err := s.CheckIns.FindCheckIn(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		if prev.TaskID != "" {
			if err := s.noteOnTask(ctx, prev.TaskID, prev, checkInDetail(prev)); err != nil {
				return nil, err
			}
		}
		return prev, nil
	}
	s.count(ctx, c, target, officer, recent)
	if task != nil {
		if err := s.noteOnTask(ctx, task.ID, c, checkInDetail(c)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func checkInDetail(c *backend.CheckIn) string {
	return fmt.Sprintf("%s at %s, %v m, flags %v", c.CertNo, c.TargetID, distance(c), c.Flags)
}

// noteOnTask records the check-in on its task, which moves to checked_in
// if it was not on site yet; the write carries the check-in's record
// (detail) and the task's move. Repeating it changes nothing, so a
// replayed check-in whose first attempt stopped half-way completes here.
func (s *Service) noteOnTask(ctx context.Context, taskID string, c *backend.CheckIn, detail string) error {
	_, err := backend.UpdateTaskWith(ctx, s.Tasks, taskID, func(t *backend.Task) (bool, error) {
		from := t.Status
		added := t.AddCheckIn(c)
		if t.Status == backend.TaskAssigned || t.Status == backend.TaskAccepted {
			t.Status = backend.TaskCheckedIn
		}
		t.Audit = nil
		if added {
			t.Audit = append(t.Audit, backend.AuditRecord{Action: "checkin.create", ObjectType: "target", ObjectID: c.TargetID, Change: c, Detail: detail})
		}
		if from != t.Status {
			t.Audit = append(t.Audit, backend.AuditRecord{Action: "task.checked_in", ObjectType: "task", ObjectID: t.ID, Change: t, Detail: fmt.Sprintf("%s -> checked_in by check-in %s", from, c.ID)})
		}
		return added || t.Status != from, nil
	})
	return err
}

func distance(c *backend.CheckIn) any {
	if c.DistanceM == nil {
		return "unknown"
	}
	return *c.DistanceM
}

// openTask finds the task of the inspector's team for the target that can
// take a check-in: the one the phone named if it qualifies, else the first.
func (s *Service) openTask(ctx context.Context, userID, targetID, preferred string) (*backend.Task, error) {
	var found *backend.Task
	err := s.Tasks.ScanTasks(ctx, backend.TaskFilter{TeamUser: userID, TargetID: targetID}, func(t *backend.Task) error {
		if !slices.Contains([]backend.TaskStatus{backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskReturned}, t.Status) {
			return nil
		}
		if found == nil || t.ID == preferred && found.ID != preferred {
			found = t
		}
		return nil
	})
	return found, err
}

func (s *Service) deny(ctx context.Context, code string, err error) {
	if len(code) > 80 {
		code = code[:80]
	}
	_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "checkin.refused", ObjectType: "code", ObjectID: code, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
}

// count adds a new check-in to the year's figures: a check-in for its
// officer (without a task: unplanned too) and for its enterprise, and a
// visit when it is the first check-in there that day. The figures are
// derived from the check-ins, which are stored already: a failure here is
// not the check-in's, and leaves the figures short by one (a retried
// check-in finds itself stored and is not counted again).
func (s *Service) count(ctx context.Context, c *backend.CheckIn, target *backend.Target, officer *backend.Inspector, recent []*backend.CheckIn) {
	if s.Counts == nil {
		return
	}
	year := c.ServerTime.In(backend.China).Year()
	visit, unplanned := 1, 0
	day := backend.DateOf(c.DeviceTime)
	for _, r := range recent {
		if r.ID != c.ID && backend.DateOf(r.DeviceTime) == day {
			visit = 0
			break
		}
	}
	if c.TaskID == "" {
		unplanned = 1
	}
	_ = s.Counts.AddVisitCounts(ctx, []backend.VisitCountIncrement{
		{Year: year, Kind: backend.CountTarget, Ref: target.ID, Name: target.Name, Visits: visit, CheckIns: 1, Unplanned: unplanned},
		{Year: year, Kind: backend.CountInspector, Ref: officer.ID, Name: officer.Name, Visits: visit, CheckIns: 1, Unplanned: unplanned},
	})
}
