package visit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func oversightOffice() context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: "jd", Role: backend.RoleOversight, Fresh: true})
}

// TestUnplannedCheckIns: the check-ins made without a task are listed for
// the oversight office, newest first, with their reasons and the
// emergency's back-fill deadline; the planned one is not; the teams and
// managers are refused.
func TestUnplannedCheckIns(t *testing.T) {
	f := newFixture(t)
	planned := req("ci-li-plan1", "code-a")
	if _, err := f.svc.CheckIn(officer("li"), planned); err != nil {
		t.Fatal(err)
	}
	emergency := req("ci-li-emer1", "code-b")
	emergency.Reason, emergency.Note = backend.ReasonEmergency, "群众举报燃气泄漏，立即到场"
	complaint := req("ci-wang-cmp1", "code-b")
	complaint.Reason, complaint.Reference = backend.ReasonComplaint, "12315-2026-0001"
	clock := now
	f.svc.Now = func() time.Time { return clock }
	clock = now.Add(time.Minute)
	if _, err := f.svc.CheckIn(officer("li"), emergency); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(2 * time.Minute)
	if _, err := f.svc.CheckIn(officer("wang"), complaint); err != nil {
		t.Fatal(err)
	}

	list, err := f.svc.UnplannedCheckIns(oversightOffice(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if list.Year != 2026 || len(list.Items) != 2 || list.Truncated {
		t.Fatalf("list year %d, %d items, truncated %v; want 2026, the two check-ins without a task", list.Year, len(list.Items), list.Truncated)
	}
	got := list.Items
	if got[0].ID != "ci-wang-cmp1" || got[1].ID != "ci-li-emer1" {
		t.Fatalf("order %s, %s; want the newest first", got[0].ID, got[1].ID)
	}
	if got[0].Reference != "12315-2026-0001" || got[0].TargetName != "乙公司" || got[0].BackfillBy != nil {
		t.Fatalf("complaint check-in %+v", got[0])
	}
	if got[1].Note == "" || got[1].BackfillBy == nil || got[1].Overdue {
		t.Fatalf("emergency check-in %+v, want its note and deadline, not overdue", got[1])
	}

	// Eleven days on, the emergency's deadline has passed.
	clock = now.Add(11 * 24 * time.Hour)
	list, err = f.svc.UnplannedCheckIns(oversightOffice(), 2026)
	if err != nil {
		t.Fatal(err)
	}
	if !list.Items[1].Overdue || list.Items[0].Overdue {
		t.Fatalf("after 11 days overdue %v/%v, want the emergency alone", list.Items[0].Overdue, list.Items[1].Overdue)
	}
	if list, err := f.svc.UnplannedCheckIns(oversightOffice(), 2025); err != nil || len(list.Items) != 0 {
		t.Fatalf("2025: %v, %v; want none", list, err)
	}

	for _, tc := range []struct {
		name string
		ctx  context.Context
		year int
		want string
	}{
		{"ErrInspector", officer("li"), 0, backend.EFORBIDDEN},
		{"ErrManager", backend.WithActor(context.Background(), &backend.Actor{UserID: "m", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true}), 0, backend.EFORBIDDEN},
		{"ErrNoLogin", context.Background(), 0, backend.EUNAUTHENTICATED},
		{"ErrYear", oversightOffice(), 1999, backend.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.UnplannedCheckIns(tc.ctx, tc.year); !backend.IsCode(err, tc.want) {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
		})
	}
}

// TestFigures: the counts kept at check-in: two officers at one
// enterprise on one day make one visit and two check-ins; a second day
// makes a second visit; officers are counted by check-ins, unplanned ones
// apart; the most entered enterprise comes first.
func TestFigures(t *testing.T) {
	f := newFixture(t)
	clock := now
	f.svc.Now = func() time.Time { return clock }
	checkIn := func(user, id, code string, day int, reason backend.CheckInReason) {
		t.Helper()
		clock = now.AddDate(0, 0, day)
		r := req(id, code)
		r.DeviceTime = clock.Add(-time.Minute)
		if reason != "" {
			r.Reason, r.Reference = reason, "12315-"+id
		}
		if _, err := f.svc.CheckIn(officer(user), r); err != nil {
			t.Fatal(err)
		}
	}
	checkIn("li", "ci-li-a1", "code-a", 0, "")
	checkIn("wang", "ci-wang-a1", "code-a", 0, "")
	checkIn("li", "ci-li-b1", "code-b", 1, backend.ReasonComplaint)
	checkIn("li", "ci-li-b2", "code-b", 2, backend.ReasonComplaint)
	checkIn("li", "ci-li-b3", "code-b", 3, backend.ReasonComplaint)

	fig, err := f.svc.Figures(oversightOffice(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ref                         string
		visits, checkIns, unplanned int
	}
	got := func(list []*backend.VisitCount) []row {
		var out []row
		for _, c := range list {
			out = append(out, row{c.Ref, c.Visits, c.CheckIns, c.Unplanned})
		}
		return out
	}
	if want := []row{{f.b, 3, 3, 3}, {f.a, 1, 2, 0}}; !slices.Equal(got(fig.Enterprises), want) {
		t.Fatalf("enterprises %+v, want %+v", got(fig.Enterprises), want)
	}
	if fig.Enterprises[0].Name != "乙公司" {
		t.Fatalf("name %q, want 乙公司", fig.Enterprises[0].Name)
	}
	if want := []row{{"ins-1", 4, 4, 3}, {"ins-2", 0, 1, 0}}; !slices.Equal(got(fig.Inspectors), want) {
		t.Fatalf("inspectors %+v, want %+v", got(fig.Inspectors), want)
	}
	if fig, err := f.svc.Figures(oversightOffice(), 0, 1); err != nil || len(fig.Enterprises) != 1 || len(fig.Inspectors) != 1 {
		t.Fatalf("limit 1: %v %v", fig, err)
	}
	for _, tc := range []struct {
		name        string
		ctx         context.Context
		year, limit int
		want        string
	}{
		{"ErrInspector", officer("li"), 0, 0, backend.EFORBIDDEN},
		{"ErrLimit", oversightOffice(), 0, 101, backend.EINVALID},
		{"ErrNegativeLimit", oversightOffice(), 0, -1, backend.EINVALID},
		{"ErrYear", oversightOffice(), 3000, 0, backend.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.Figures(tc.ctx, tc.year, tc.limit); !backend.IsCode(err, tc.want) {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
		})
	}
}
