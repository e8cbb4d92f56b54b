package visit

import (
	"context"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Backfill attaches a task to an emergency check-in that was made without
// one, within the back-fill window (10 days). A manager of the task's lead
// department does it; the check-in keeps its no-task flag for oversight,
// loses the back-fill-due flag, and the task counts the check-in.
func (s *Service) Backfill(ctx context.Context, checkInID, taskID string) (*backend.CheckIn, error) {
	a := backend.ActorFrom(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	c, err := s.CheckIns.FindCheckIn(ctx, checkInID)
	if err != nil {
		return nil, err
	}
	t, err := s.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if a.Role != backend.RoleManager || !a.InDepartment(t.LeadDepartment) {
		err := backend.Errorf(backend.EFORBIDDEN, "only managers of the task's lead department back-fill")
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "checkin.backfill", ObjectType: "checkin", ObjectID: checkInID, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	switch {
	case c.Reason != backend.ReasonEmergency || c.TaskID != "":
		return nil, backend.Errorf(backend.EINVALID, "only an emergency check-in without a task can be back-filled")
	case c.BackfillBy == nil || s.Now().After(*c.BackfillBy):
		return nil, backend.Errorf(backend.EINVALID, "the 10 days to back-fill check-in %s are over", checkInID)
	case t.TargetID != c.TargetID:
		return nil, backend.Errorf(backend.EINVALID, "task %s is for %s, the check-in was at %s", taskID, t.TargetID, c.TargetID)
	case !slices.Contains(t.Team, c.InspectorID):
		return nil, backend.Errorf(backend.EINVALID, "the officer who checked in is not on task %s's team", taskID)
	}
	c.TaskID = taskID
	c.Flags = slices.DeleteFunc(c.Flags, func(f string) bool { return f == backend.FlagBackfillDue })
	c.Record(backend.AuditRecord{Action: "checkin.backfill", ObjectType: "checkin", ObjectID: c.ID, Change: c, Detail: "task " + taskID})
	if err := s.CheckIns.UpdateCheckIn(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}
