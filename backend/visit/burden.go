package visit

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
)

// EnterpriseBurden counts the visits enterprise uscc received this
// calendar year by source (backend.EnterpriseBurden), for its licence-code
// page (本年度已接受检查 N 次). It reads the enterprise's check-ins of the
// year through the store's index on (target, time) and each visited task
// by its id: the cost grows with the enterprise's own visits, never with
// the directory or the other enterprises' tasks.
func (s *Service) EnterpriseBurden(ctx context.Context, uscc string) (*backend.EnterpriseBurden, error) {
	if err := backend.ValidateUSCC(uscc); err != nil {
		return nil, err
	}
	start := backend.YearStart(s.Now())
	cs, err := s.CheckIns.FindCheckInsOfTarget(ctx, uscc, start)
	if err != nil {
		return nil, err
	}
	b := &backend.EnterpriseBurden{Year: start.Year()}
	tasks := map[string]bool{}
	days := map[backend.Date]bool{}
	for _, c := range cs {
		switch {
		case c.TaskID == "":
			if d := backend.DateOf(c.DeviceTime); !days[d] {
				days[d] = true
				b.Add(backend.SourceUnplanned)
			}
		case !tasks[c.TaskID]:
			tasks[c.TaskID] = true
			t, err := s.Tasks.FindTaskByID(ctx, c.TaskID)
			if backend.IsCode(err, backend.ENOTFOUND) {
				continue
			}
			if err != nil {
				return nil, err
			}
			b.Add(backend.SourceOf(t))
		}
	}
	return b, nil
}
