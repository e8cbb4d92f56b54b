package planning

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Dashboard returns what needs the caller now, for their departments (an
// administrator: every department). Inspectors have the phone app and are
// refused. The task figures are counted by the store's index
// (Service.Counts), never by reading tasks; plans and inspectors are
// counted by their stores; devices are read up to
// backend.DashboardScanLimit (Capped says when there were more).
func (s *Service) Dashboard(ctx context.Context) (*backend.Dashboard, error) {
	const op = "Dashboard"
	a := actorOf(ctx)
	switch {
	case a == nil:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case a.Role == backend.RoleInspector:
		return nil, backend.Errorf(backend.EFORBIDDEN, "inspectors see their tasks in the phone app")
	case s.Counts == nil:
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no task counter configured"}
	}
	var deps []string
	// The oversight office reads every department's figures, as
	// administrators do.
	if a.Role != backend.RoleAdmin && a.Role != backend.RoleOversight {
		deps = a.Departments
		if deps == nil {
			deps = []string{}
		}
	}
	d := &backend.Dashboard{CertificateWarningDays: backend.CertificateWarningDays, TasksByDepartment: []backend.DepartmentTaskCounts{}}

	counts, err := s.Counts.CountTasks(ctx, deps)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	names := map[string]string{}
	all, err := s.Departments.FindDepartments(ctx)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	for _, dep := range all {
		names[dep.ID] = dep.Name
	}
	row := map[string]int{}
	for _, c := range counts {
		i, ok := row[c.LeadDepartment]
		if !ok {
			i = len(d.TasksByDepartment)
			row[c.LeadDepartment] = i
			d.TasksByDepartment = append(d.TasksByDepartment, backend.DepartmentTaskCounts{
				Department: c.LeadDepartment, DepartmentName: names[c.LeadDepartment], Counts: map[backend.TaskStatus]int{}})
		}
		d.TasksByDepartment[i].Counts[c.Status] += c.Count
		if c.Status == backend.TaskSubmitted {
			d.ReviewQueue += c.Count
		}
	}

	// Counted by the store (an indexed count on MongoDB, a few fields
	// read from SQLite on the embedded store), not read in pages: each
	// page was a scan of the collection from its start there.
	n, err := s.Plans.CountPlans(ctx, backend.PlanFilterQuery{States: []backend.PlanState{backend.PlanPublished}, Departments: deps})
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	d.PlansAwaitingDraw = n

	active := true
	horizon := backend.DateOf(s.Now().AddDate(0, 0, backend.CertificateWarningDays))
	n, err = s.Inspectors.CountInspectors(ctx, backend.InspectorFilter{DepartmentIDs: deps, Active: &active, CertExpiryTo: horizon})
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	d.ExpiringCertificates = n

	if d.OverdueTasks, err = s.Counts.CountOverdueTasks(ctx, deps, backend.DateOf(s.Now())); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	d.DeviceStaleDays = backend.DeviceStaleDays
	if s.Devices != nil && a.Role == backend.RoleAdmin {
		for _, f := range []struct {
			n    *int
			view backend.DeviceView
		}{{&d.DevicesPending, backend.DeviceViewPending}, {&d.DevicesStale, backend.DeviceViewStale}} {
			k, capped, err := s.Devices.CountDevices(ctx, f.view)
			if err != nil {
				return nil, &backend.Error{Op: op, Err: err}
			}
			*f.n, d.Capped = k, d.Capped || capped
		}
	}
	return d, nil
}
