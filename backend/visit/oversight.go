package visit

import (
	"context"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// UnplannedCheckIn is a check-in made without a task, as the oversight
// office reads it: the check-in with its reason, reference, note and
// back-fill deadline, and the enterprise's name.
type UnplannedCheckIn struct {
	*backend.CheckIn
	TargetName string `json:"targetName"`
	// Overdue: an emergency check-in whose back-fill deadline has passed
	// without a task.
	Overdue bool `json:"overdue"`
}

// UnplannedList is the list of check-ins outside the list of a year.
type UnplannedList struct {
	Year  int                `json:"year"`
	Items []UnplannedCheckIn `json:"items"`
	// Truncated: there were more than backend.MaxUnplannedList; the newest
	// are listed.
	Truncated bool `json:"truncated"`
}

// UnplannedCheckIns lists the check-ins made without a task (清单之外) in
// year (Asia/Shanghai), newest first: complaints, referrals and
// emergencies with their reasons, and for emergencies the back-fill
// deadline and whether the task came. For the oversight office and the
// administrators. The store reads an index of such check-ins, so the work
// is bounded by their number, not by all check-ins.
func (s *Service) UnplannedCheckIns(ctx context.Context, year int) (*UnplannedList, error) {
	if err := requireOversight(ctx, "check-ins outside the list"); err != nil {
		return nil, err
	}
	now := s.Now()
	if year == 0 {
		year = now.In(backend.China).Year()
	}
	if year < 2000 || year > now.In(backend.China).Year()+1 {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	since := time.Date(year, 1, 1, 0, 0, 0, 0, backend.China)
	until := time.Date(year+1, 1, 1, 0, 0, 0, 0, backend.China)
	list, err := s.CheckIns.FindUnplannedCheckIns(ctx, since, until, backend.MaxUnplannedList+1)
	if err != nil {
		return nil, err
	}
	out := &UnplannedList{Year: year, Items: []UnplannedCheckIn{}}
	names := map[string]string{}
	for _, c := range list {
		if len(out.Items) == backend.MaxUnplannedList {
			out.Truncated = true
			break
		}
		name, ok := names[c.TargetID]
		if !ok {
			if t, err := s.Targets.FindTargetByID(ctx, c.TargetID); err == nil {
				name = t.Name
			} else if !backend.IsCode(err, backend.ENOTFOUND) {
				return nil, err
			}
			names[c.TargetID] = name
		}
		out.Items = append(out.Items, UnplannedCheckIn{CheckIn: c, TargetName: name,
			Overdue: c.TaskID == "" && c.BackfillBy != nil && now.After(*c.BackfillBy)})
	}
	return out, nil
}

// Figures is the oversight office's figures of a year: the enterprises
// entered most often and the officers by check-ins.
type Figures struct {
	Year        int                   `json:"year"`
	Enterprises []*backend.VisitCount `json:"enterprises"`
	Inspectors  []*backend.VisitCount `json:"inspectors"`
}

// Figures returns the year's most entered enterprises (by visits: days
// with a check-in) and the officers with the most check-ins, at most
// limit each (backend.MaxVisitCountList), from the counts kept at each
// check-in. For the oversight office and the administrators.
func (s *Service) Figures(ctx context.Context, year, limit int) (*Figures, error) {
	if err := requireOversight(ctx, "figures"); err != nil {
		return nil, err
	}
	now := s.Now()
	if year == 0 {
		year = now.In(backend.China).Year()
	}
	if year < 2000 || year > now.In(backend.China).Year()+1 {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > backend.MaxVisitCountList {
		return nil, backend.Errorf(backend.EINVALID, "limit must be 1 to %d", backend.MaxVisitCountList)
	}
	f := &Figures{Year: year, Enterprises: []*backend.VisitCount{}, Inspectors: []*backend.VisitCount{}}
	if s.Counts == nil {
		return f, nil
	}
	var err error
	if f.Enterprises, err = s.Counts.TopVisitCounts(ctx, year, backend.CountTarget, limit); err != nil {
		return nil, err
	}
	if f.Inspectors, err = s.Counts.TopVisitCounts(ctx, year, backend.CountInspector, limit); err != nil {
		return nil, err
	}
	return f, nil
}
