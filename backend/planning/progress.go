package planning

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// PlanProgress returns how the plan's batches advanced day by day: for
// each day, how many of a batch's tasks had a check-in, had been
// submitted and had been approved by its end (backend.PlanProgress).
// Whoever may see the plan may see it. The plan's tasks are read from the
// store by its task index, at most backend.MaxProgressTasks.
func (s *Service) PlanProgress(ctx context.Context, planID string) (*backend.PlanProgress, error) {
	p, err := s.GetPlan(ctx, planID)
	if err != nil {
		return nil, err
	}
	out := &backend.PlanProgress{PlanID: p.ID, PlanName: p.Name, Batches: []backend.BatchProgress{}}
	type events struct {
		tasks                          int
		checkedIn, submitted, approved map[backend.Date]int
		first, last                    backend.Date
	}
	byBatch := map[string]*events{}
	order := []string{}
	for _, b := range p.Batches {
		order = append(order, b.Name)
	}
	add := func(e *events, into map[backend.Date]int, at time.Time) {
		d := backend.DateOf(at)
		into[d]++
		if e.first == "" || d < e.first {
			e.first = d
		}
		if d > e.last {
			e.last = d
		}
	}
	read := 0
	err = s.Tasks.ScanTasks(ctx, backend.TaskFilter{PlanID: p.ID}, func(t *backend.Task) error {
		if read == backend.MaxProgressTasks {
			out.Capped = true
			return errEnough
		}
		read++
		if t.Status == backend.TaskCancelled || t.Status == backend.TaskReplaced {
			return nil
		}
		e := byBatch[t.Batch]
		if e == nil {
			e = &events{checkedIn: map[backend.Date]int{}, submitted: map[backend.Date]int{}, approved: map[backend.Date]int{}}
			byBatch[t.Batch] = e
			if !slices.Contains(order, t.Batch) {
				order = append(order, t.Batch)
			}
		}
		e.tasks++
		if at, ok := firstCheckIn(t); ok {
			add(e, e.checkedIn, at)
		}
		if t.Result != nil && !t.Result.EnteredAt.IsZero() {
			add(e, e.submitted, t.Result.EnteredAt)
		}
		if t.Status == backend.TaskApproved || t.Status == backend.TaskPublished {
			add(e, e.approved, approvedAt(t))
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	today := backend.DateOf(s.Now())
	for _, name := range order {
		e := byBatch[name]
		if e == nil {
			continue
		}
		bp := backend.BatchProgress{Batch: name, Tasks: e.tasks, Days: []backend.DayProgress{}}
		if i := slices.IndexFunc(p.Batches, func(b backend.Batch) bool { return b.Name == name }); i >= 0 {
			bp.Start, bp.End = p.Batches[i].Start, p.Batches[i].End
		}
		from, to := bp.Start, min(today, bp.End)
		if bp.Start == "" {
			from, to = e.first, e.last
		}
		if e.first != "" {
			from, to = min(from, e.first), max(to, e.last)
		}
		days := dayRange(from, to)
		if len(days) > backend.MaxProgressDays {
			days = days[len(days)-backend.MaxProgressDays:]
		}
		var c, sub, ap int // what happened before the first day listed
		if len(days) > 0 {
			c, sub, ap = before(e.checkedIn, days[0]), before(e.submitted, days[0]), before(e.approved, days[0])
		}
		for _, d := range days {
			c, sub, ap = c+e.checkedIn[d], sub+e.submitted[d], ap+e.approved[d]
			bp.Days = append(bp.Days, backend.DayProgress{Day: d, CheckedIn: c, Submitted: sub, Approved: ap})
		}
		out.Batches = append(out.Batches, bp)
	}
	return out, nil
}

// firstCheckIn is when the task's team first checked in (the phone's time).
func firstCheckIn(t *backend.Task) (time.Time, bool) {
	var first time.Time
	for _, c := range t.CheckIns {
		if first.IsZero() || c.DeviceTime.Before(first) {
			first = c.DeviceTime
		}
	}
	return first, !first.IsZero()
}

// before sums the counts of the days before day.
func before(counts map[backend.Date]int, day backend.Date) int {
	n := 0
	for d, c := range counts {
		if d < day {
			n += c
		}
	}
	return n
}

// dayRange lists the days from one to the other, both included (none
// when to is before from or either is empty).
func dayRange(from, to backend.Date) []backend.Date {
	a, err1 := time.ParseInLocation(time.DateOnly, string(from), backend.China)
	b, err2 := time.ParseInLocation(time.DateOnly, string(to), backend.China)
	var out []backend.Date
	if err1 != nil || err2 != nil {
		return out
	}
	for d := a; !d.After(b) && len(out) <= 2*backend.MaxProgressDays; d = d.AddDate(0, 0, 1) {
		out = append(out, backend.DateOf(d))
	}
	return out
}
