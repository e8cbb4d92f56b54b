package visit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

var now = time.Date(2026, 5, 6, 9, 30, 0, 0, time.UTC)

// codes stands in for the qr package at the service boundary: it knows
// which scanned strings are genuine codes of which enterprise.
type codes map[string]string

func (c codes) VerifyEnterpriseCode(_ context.Context, raw string) (string, string, error) {
	if uscc, ok := c[raw]; ok {
		return uscc, "k1", nil
	}
	return "", "", backend.Errorf(backend.EINVALID, "the code is forged or altered")
}

func mkUSCC(n string) string {
	first := "91350404MA" + n
	c, _ := backend.USCCCheckChar(first)
	return first + string(c)
}

type fixture struct {
	svc   *visit.Service
	tasks *mongo.TaskStore
	a, b  string // targets: a has a task, b has none
}

func newFixture(t *testing.T) *fixture {
	db := mongotest.Open(t)
	ctx := context.Background()
	targets, inspectors, tasks := &mongo.TargetStore{DB: db}, &mongo.InspectorStore{DB: db}, &mongo.TaskStore{DB: db}
	a, b, gone := mkUSCC("0000001"), mkUSCC("0000002"), mkUSCC("0000003")
	for _, tg := range []*backend.Target{
		{ID: a, Kind: backend.KindEnterprise, Name: "甲公司", RegionCode: "350404", CreditClass: "A", Status: backend.StatusActive, Location: &backend.GeoPoint{Lat: 26.26, Lng: 117.63}},
		{ID: b, Kind: backend.KindEnterprise, Name: "乙公司", RegionCode: "350404", CreditClass: "B", Status: backend.StatusActive, Location: &backend.GeoPoint{Lat: 26.27, Lng: 117.64}},
		{ID: gone, Kind: backend.KindEnterprise, Name: "丙公司", RegionCode: "350404", CreditClass: "B", Status: backend.StatusDeregistered},
	} {
		if err := targets.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []*backend.Inspector{
		{ID: "ins-1", Name: "甲", DepartmentID: "scjg", CertNo: "SC0001", CertExpiry: "2030-01-01", UserID: "li", Active: true},
		{ID: "ins-2", Name: "乙", DepartmentID: "scjg", CertNo: "SC0002", CertExpiry: "2030-01-01", UserID: "wang", Active: true},
		{ID: "ins-3", Name: "丙", DepartmentID: "scjg", CertNo: "SC0003", CertExpiry: "2020-01-01", UserID: "old", Active: true},
	} {
		if err := inspectors.CreateInspector(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	task := &backend.Task{ID: "task-1", Random: true, TargetID: a, TargetName: "甲公司", Items: []string{"X"}, Method: backend.MethodOnSite,
		LeadDepartment: "scjg", Departments: []string{"scjg"}, Team: []string{"ins-1", "ins-2"}, TeamUsers: []string{"li", "wang"}, Status: backend.TaskAccepted}
	if err := tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	return &fixture{a: a, b: b, tasks: tasks, svc: &visit.Service{
		CheckIns: &mongo.CheckInStore{DB: db}, Tasks: tasks, Targets: targets, Inspectors: inspectors, Traces: &mongo.TeamTraceStore{DB: db},
		Counts: &mongo.VisitCountStore{DB: db},
		Codes:  codes{"code-a": a, "code-b": b, "code-gone": gone, "code-unknown": mkUSCC("0000099")},
		Audit:  &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: func() time.Time { return now }},
		Now:    func() time.Time { return now },
	}}
}

// officer is the session of an inspector's phone: every phone session is
// bound to a device.
func officer(user string) context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: user, Role: backend.RoleInspector, Departments: []string{"scjg"}, DeviceID: "phone-" + user, Fresh: true})
}

func req(id, code string) visit.CheckInRequest {
	return visit.CheckInRequest{ID: id, Code: code, Position: &backend.GeoPoint{Lat: 26.2605, Lng: 117.6301}, AccuracyM: 12, DeviceTime: now.Add(-2 * time.Minute)}
}

func TestCheckIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.svc.CheckIn(officer("li"), req("ci-li-0001", "code-a"))
	if err != nil {
		t.Fatal(err)
	}
	if c.TaskID != "task-1" || c.CertNo != "SC0001" || c.DeviceID != "phone-li" || len(c.Flags) != 0 || c.DistanceM == nil || *c.DistanceM > 100 {
		t.Fatalf("check-in %+v", c)
	}
	task, _ := f.tasks.FindTaskByID(ctx, "task-1")
	if task.Status != backend.TaskCheckedIn {
		t.Fatalf("task status %s, want checked_in", task.Status)
	}
	// The same check-in replayed from the offline queue is recorded once.
	again, err := f.svc.CheckIn(officer("li"), req("ci-li-0001", "code-a"))
	if err != nil || again.ServerTime != c.ServerTime {
		t.Fatalf("replay: %+v, %v", again, err)
	}
	cs, _ := f.svc.CheckIns.FindCheckInsOfTask(ctx, "task-1")
	if len(cs) != 1 {
		t.Fatalf("%d check-ins after a replay, want 1", len(cs))
	}
	if _, err := f.svc.CheckIn(officer("wang"), req("ci-li-0001", "code-a")); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("another officer reusing an id: %v, want conflict", err)
	}

	far := req("ci-wang-0001", "code-a")
	far.Position = &backend.GeoPoint{Lat: 26.30, Lng: 117.63}
	c2, err := f.svc.CheckIn(officer("wang"), far)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c2.Flags, backend.FlagFarAway) {
		t.Fatalf("4 km away not flagged: %v", c2.Flags)
	}
	cs, _ = f.svc.CheckIns.FindCheckInsOfTask(ctx, "task-1")
	if backend.OfficersCheckedIn(cs) != 2 {
		t.Fatalf("officers checked in = %d, want 2", backend.OfficersCheckedIn(cs))
	}
}

func TestCheckInRefused(t *testing.T) {
	f := newFixture(t)
	noTask := req("ci-li-0002", "code-b")
	tests := []struct {
		name string
		ctx  context.Context
		r    visit.CheckInRequest
		want string
		msg  string
	}{
		{"ErrForgedCode", officer("li"), req("ci-li-1001", "made-up"), backend.EINVALID, "forged"},
		{"ErrOversizedCode", officer("li"), req("ci-li-1002", strings.Repeat("x", 600)), backend.EINVALID, "bytes"},
		{"ErrDeregistered", officer("li"), req("ci-li-1003", "code-gone"), backend.EINVALID, "deregistered"},
		{"ErrNotInDirectory", officer("li"), req("ci-li-1004", "code-unknown"), backend.EINVALID, "not in the target directory"},
		{"ErrNoTaskNoReason", officer("li"), noTask, backend.EINVALID, "清单之外无检查"},
		{"ErrExpiredCertificate", officer("old"), req("ci-old-0001", "code-a"), backend.EFORBIDDEN, "not valid"},
		{"ErrNotAnOfficer", officer("nobody"), req("ci-nb-0001", "code-a"), backend.EFORBIDDEN, "not linked"},
		{"ErrManager", backend.WithActor(context.Background(), &backend.Actor{UserID: "m", Role: backend.RoleManager, Fresh: true}), req("ci-m-00001", "code-a"), backend.EFORBIDDEN, ""},
		{"ErrBadID", officer("li"), req("x", "code-a"), backend.EINVALID, "id"},
		{"ErrNoDevice", backend.WithActor(context.Background(), &backend.Actor{UserID: "li", Role: backend.RoleInspector, Departments: []string{"scjg"}, Fresh: true}), req("ci-li-1006", "code-a"), backend.EFORBIDDEN, "device"},
		{"ErrFutureDeviceTime", officer("li"), func() visit.CheckInRequest {
			r := req("ci-li-1005", "code-a")
			r.DeviceTime = now.Add(time.Hour)
			return r
		}(), backend.EINVALID, "future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CheckIn(tt.ctx, tt.r)
			if got := backend.ErrorCode(err); got != tt.want || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("err %v (code %q), want %q containing %q", err, got, tt.want, tt.msg)
			}
		})
	}
	// With a reason, the check-in without a task is recorded and flagged.
	noTask.Reason, noTask.Reference = backend.ReasonComplaint, "12315-2026-0042"
	c, err := f.svc.CheckIn(officer("li"), noTask)
	if err != nil {
		t.Fatal(err)
	}
	if c.TaskID != "" || !slices.Contains(c.Flags, backend.FlagNoTask) {
		t.Fatalf("no-task check-in %+v", c)
	}
	// Nothing refused was stored.
	if _, err := f.svc.CheckIns.FindCheckIn(context.Background(), "ci-li-1003"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("refused check-in stored: %v", err)
	}
}

// TestCheckInFallbacks records the check-ins a phone makes when it has no
// position fix or could not read the code (the USCC typed in by hand), each
// flagged for the reviewers, and refuses what does not fit.
func TestCheckInFallbacks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	noFix := func(id, code string) visit.CheckInRequest {
		r := req(id, code)
		r.Position, r.AccuracyM = nil, 0
		return r
	}
	typed := func(id, uscc string) visit.CheckInRequest {
		r := req(id, "")
		r.USCC = uscc
		return r
	}
	both := typed("ci-li-2003", f.a)
	both.Code = "code-a"
	accuracyOnly := noFix("ci-li-2004", "code-a")
	accuracyOnly.AccuracyM = 20
	badDigit := f.a[:17] + "0"
	if badDigit == f.a {
		badDigit = f.a[:17] + "1"
	}
	refused := []struct {
		name string
		r    visit.CheckInRequest
		msg  string
	}{
		{"ErrCodeAndUSCC", both, "not both"},
		{"ErrNeither", req("ci-li-2005", ""), "bytes"},
		{"ErrCheckCharacter", typed("ci-li-2006", badDigit), "check character"},
		{"ErrShortUSCC", typed("ci-li-2007", "91350404MA"), "18 characters"},
		{"ErrAccuracyWithoutPosition", accuracyOnly, "accuracy without a position"},
		{"ErrUnknownUSCC", typed("ci-li-2008", mkUSCC("0000099")), "not in the target directory"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CheckIn(officer("li"), tt.r)
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("err %v, want invalid containing %q", err, tt.msg)
			}
			if _, err := f.svc.CheckIns.FindCheckIn(ctx, tt.r.ID); !backend.IsCode(err, backend.ENOTFOUND) {
				t.Fatalf("refused check-in stored: %v", err)
			}
		})
	}

	tests := []struct {
		name      string
		ctx       context.Context
		r         visit.CheckInRequest
		wantFlags []string
		distance  bool
	}{
		{"NoPosition", officer("li"), noFix("ci-li-2001", "code-a"), []string{backend.FlagNoPosition}, false},
		{"TypedUSCC", officer("wang"), typed("ci-wang-2002", f.a), []string{backend.FlagManualUSCC}, true},
		{"TypedUSCCNoPositionNoTask", officer("li"), func() visit.CheckInRequest {
			r := typed("ci-li-2009", f.b)
			r.Position, r.AccuracyM = nil, 0
			r.Reason, r.Reference = backend.ReasonComplaint, "12315-2026-0101"
			return r
		}(), []string{backend.FlagNoPosition, backend.FlagManualUSCC, backend.FlagNoTask}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := f.svc.CheckIn(tt.ctx, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := f.svc.CheckIns.FindCheckIn(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(stored.Flags, tt.wantFlags) || (stored.DistanceM != nil) != tt.distance ||
				stored.NoPosition != (tt.r.Position == nil) || stored.ManualUSCC != (tt.r.USCC != "") {
				t.Fatalf("stored %+v, want flags %v, distance %v", stored, tt.wantFlags, tt.distance)
			}
			if tt.r.USCC != "" && stored.CodeKeyID != "" {
				t.Fatalf("a typed USCC recorded key %q", stored.CodeKeyID)
			}
		})
	}
	// The task keeps the flags: reviewers read them there, and the two
	// officers count.
	task, _ := f.tasks.FindTaskByID(ctx, "task-1")
	if task.Status != backend.TaskCheckedIn || len(task.CheckIns) != 2 || !slices.Contains(task.CheckIns[0].Flags, backend.FlagNoPosition) ||
		task.CheckIns[0].DistanceM != nil || !slices.Contains(task.CheckIns[1].Flags, backend.FlagManualUSCC) {
		t.Fatalf("task %s check-ins %+v", task.Status, task.CheckIns)
	}
}

// TestFrequentVisits flags the third day of check-ins at one enterprise
// within a month.
func TestFrequentVisits(t *testing.T) {
	f := newFixture(t)
	for i, daysAgo := range []int{20, 9, 0} {
		r := req(fmt.Sprintf("ci-li-freq%d", i), "code-b")
		r.Reason, r.Reference = backend.ReasonComplaint, "12315-2026-77"
		f.svc.Now = func() time.Time { return now.AddDate(0, 0, -daysAgo) }
		r.DeviceTime = now.AddDate(0, 0, -daysAgo).Add(-time.Minute)
		c, err := f.svc.CheckIn(officer("li"), r)
		if err != nil {
			t.Fatal(err)
		}
		frequent := slices.Contains(c.Flags, backend.FlagFrequentVisit)
		if frequent != (i == 2) {
			t.Fatalf("visit %d: frequent=%v, want %v", i+1, frequent, i == 2)
		}
	}
}

func TestEmergencyBackfill(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := req("ci-li-emer1", "code-b")
	r.Reason, r.Note = backend.ReasonEmergency, "群众举报燃气泄漏，立即到场"
	c, err := f.svc.CheckIn(officer("li"), r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Flags, backend.FlagBackfillDue) {
		t.Fatalf("emergency check-in flags %v", c.Flags)
	}
	task := &backend.Task{ID: "adhoc-1", TargetID: f.b, Items: []string{"X"}, Method: backend.MethodOnSite, LeadDepartment: "scjg",
		Departments: []string{"scjg"}, Team: []string{"ins-1", "ins-2"}, TeamUsers: []string{"li", "wang"}, Status: backend.TaskCheckedIn,
		Trigger: &backend.Trigger{Kind: backend.TriggerComplaint, Reference: "12315", Reason: "燃气泄漏"}}
	if err := f.tasks.CreateTasks(ctx, []*backend.Task{task}); err != nil {
		t.Fatal(err)
	}
	manager := backend.WithActor(ctx, &backend.Actor{UserID: "m", Role: backend.RoleManager, Departments: []string{"scjg"}, Fresh: true})
	tests := []struct {
		name string
		ctx  context.Context
		ci   string
		task string
		at   time.Time
		want string
	}{
		{"ErrInspector", officer("li"), c.ID, "adhoc-1", now, backend.EFORBIDDEN},
		{"ErrWrongTarget", manager, c.ID, "task-1", now, backend.EINVALID},
		{"ErrTooLate", manager, c.ID, "adhoc-1", now.Add(11 * 24 * time.Hour), backend.EINVALID},
		{"OK", manager, c.ID, "adhoc-1", now.Add(9 * 24 * time.Hour), ""},
		{"ErrTwice", manager, c.ID, "adhoc-1", now, backend.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.svc.Now = func() time.Time { return tt.at }
			_, err := f.svc.Backfill(tt.ctx, tt.ci, tt.task)
			if got := backend.ErrorCode(err); got != tt.want {
				t.Fatalf("Backfill: %v (code %q), want %q", err, got, tt.want)
			}
		})
	}
	got, _ := f.svc.CheckIns.FindCheckIn(ctx, c.ID)
	if got.TaskID != "adhoc-1" || slices.Contains(got.Flags, backend.FlagBackfillDue) || !slices.Contains(got.Flags, backend.FlagNoTask) {
		t.Fatalf("back-filled check-in %+v", got)
	}
}
