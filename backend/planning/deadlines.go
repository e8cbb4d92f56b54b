package planning

import (
	"context"
	"fmt"

	"github.com/fieldcheck/fieldcheck/backend"
)

// RecomputeDeadlines gives a publication deadline to every register entry
// stored without one because the working-day calendar did not cover the
// days it runs through (its DeadlineError), now that the calendar does:
// after a binary with the year's holiday notice starts (app.Open runs it).
// Each entry computed is one audited write (result.deadline). An entry
// that has a deadline is never touched, so a stored deadline never
// changes silently; an entry the calendar still cannot compute keeps its
// error. It returns how many entries got their deadline.
func (s *Service) RecomputeDeadlines(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		page, err := s.Register.FindResultEntries(ctx, backend.ResultFilter{NoDeadline: true}, backend.PageRequest{Limit: backend.MaxPageLimit, After: after})
		if err != nil {
			return n, err
		}
		for _, e := range page.Items {
			done, err := s.recomputeDeadline(ctx, e.ID)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
		if page.NextCursor == "" {
			return n, nil
		}
		after = page.NextCursor
	}
}

// recomputeDeadline computes entry id's deadline when it has none and the
// calendar now can; it reports whether it wrote one.
func (s *Service) recomputeDeadline(ctx context.Context, id string) (bool, error) {
	for range maxRetries {
		e, err := s.Register.FindResultEntry(ctx, id)
		if err != nil {
			return false, err
		}
		if e.Deadline != "" {
			return false, nil // computed meanwhile (another instance starting)
		}
		was := e.DeadlineError
		if e.SetDeadline(); e.Deadline == "" {
			return false, nil // the calendar still does not cover it
		}
		e.Audit = []backend.AuditRecord{{Action: "result.deadline", ObjectType: "result", ObjectID: e.ID, Change: e,
			Detail: fmt.Sprintf("result date %s, publication due %s: the calendar covers it now (before: %s)", e.ResultDate, e.Deadline, was)}}
		err = s.Register.UpdateResultEntry(ctx, e)
		if backend.IsCode(err, backend.ECONFLICT) {
			continue
		}
		return err == nil, err
	}
	return false, backend.Errorf(backend.ECONFLICT, "result %s keeps changing; try again", id)
}
