package visit_test

import (
	"context"
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
