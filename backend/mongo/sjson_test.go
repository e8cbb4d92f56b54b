package mongo_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestDirectTaskRead: on the embedded store a task read straight from
// SQLite (DB.FindJSON) is the task FerretDB answers through the wire, to
// the last field: pointers and nils, empty and missing lists, maps, dates,
// numbers of every width, nested documents.
func TestDirectTaskRead(t *testing.T) {
	db := mongotest.Open(t)
	if db.FindJSON == nil {
		t.Skip("no direct read on this store:", mongotest.String())
	}
	ctx := context.Background()
	s := &mongo.TaskStore{DB: db}
	at := time.Date(2026, 5, 12, 9, 30, 0, 123_000_000, time.UTC)
	dist := 12.5
	full := submittedTask(1)
	full.Trigger = &backend.Trigger{Kind: "complaint", Reason: "投诉：无证经营"}
	full.Consents = []backend.Consent{{DepartmentID: "yjgl", State: backend.ConsentAccepted, RequestedBy: "manager", RequestedAt: at, DecidedBy: "other", DecidedAt: &at}}
	full.Evidence[0].Position = &backend.GeoPoint{Lat: 26.0745, Lng: 119.2965}
	full.Evidence[0].Received = &backend.EvidenceReceipt{By: "officer01", DeviceID: "phone-officer01", At: at, ContentType: "image/jpeg", Width: 4032, Height: 3024, UploadID: "u-1"}
	full.CheckIns[0].DistanceM = &dist
	full.Reviews = []backend.ReviewNote{{Status: backend.TaskReturned, Comment: "照片模糊\n请补拍", Reviewer: "reviewer", At: at}}
	full.Start, full.End, full.Due = "2026-05-01", "2026-05-31", "2026-06-30"
	full.OpsFloor, full.OpCount = 3, 19
	bare := &backend.Task{ID: "task-bare", TargetID: makeUSCC(2), Items: []string{}, Status: backend.TaskAssigned}
	huge := submittedTask(3)
	huge.Order, huge.PRN = math.MaxInt32+7, "ffffffffffffffff" // an int over 32 bits is stored as a long
	tests := []struct {
		name string
		task *backend.Task
	}{{"OK/Submitted", full}, {"OK/Bare", bare}, {"OK/LongNumbers", huge}}
	var ts []*backend.Task
	for _, tt := range tests {
		ts = append(ts, tt.task)
	}
	if err := s.CreateTasks(ctx, ts); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mongo.ForgetCachedTask(db, tt.task.ID)
			got, err := s.FindTaskByID(ctx, tt.task.ID)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mongo.ReadTaskThroughFerretDB(ctx, db, tt.task.ID)
			if err != nil {
				t.Fatal(err)
			}
			got.Form = want.Form // filled by the store, not read
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.FindTaskByID(ctx, "no-such-task"); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("err=%v, want ENOTFOUND", err)
		}
	})
}

// TestDirectTargetAndAuditRead: a target, a user, a session and an audit entry read
// straight from SQLite are what FerretDB gives through the wire protocol:
// a target with every optional field and one with none, an entry with a
// change (nested values) and one without.
func TestDirectTargetAndAuditRead(t *testing.T) {
	db := mongotest.Open(t)
	if db.FindJSON == nil {
		t.Skip("no direct read on this store:", mongotest.String())
	}
	ctx := context.Background()
	ts := &mongo.TargetStore{DB: db}
	full := makeTarget(1)
	full.Whitelisted, full.KeySupervision, full.LegalRep, full.Tags = true, true, "张三", []string{"食品经营", "重点"}
	bare := &backend.Target{ID: makeUSCC(2), Kind: backend.KindEnterprise, Name: "某某", RegionCode: "350404", Tags: []string{}, Status: backend.StatusActive}
	if err := ts.CreateTargets(ctx, []*backend.Target{full, bare}); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []*backend.Target{full, bare} {
		got, err := ts.FindTargetByID(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadTargetThroughFerretDB(ctx, db, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
		}
	}
	if _, err := ts.FindTargetByID(ctx, makeUSCC(3)); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("missing target: err=%v, want ENOTFOUND", err)
	}

	// What every request's session check reads: the user and the session.
	us := &mongo.UserStore{DB: db}
	if err := us.CreateUser(ctx, &backend.User{ID: "reviewer1", DisplayName: "审核员", Role: backend.RoleReviewer, Departments: []string{"scjg", "yjgl"}, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA"}); err != nil {
		t.Fatal(err)
	}
	gotUser, err := us.FindUserByID(ctx, "reviewer1")
	if err != nil {
		t.Fatal(err)
	}
	if wantUser, err := mongo.ReadThroughFerretDB[backend.User](ctx, db, "users", "reviewer1"); err != nil || !reflect.DeepEqual(gotUser, wantUser) {
		t.Fatalf("user: direct read\n%+v\nwant (through FerretDB, %v)\n%+v", gotUser, err, wantUser)
	}
	tks := &mongo.TokenStore{DB: db}
	at := time.Date(2026, 5, 12, 9, 30, 0, 123_000_000, time.UTC)
	for i, revoke := range []bool{false, true} {
		f := &backend.TokenFamily{ID: fmt.Sprint("fam-", i), UserID: "reviewer1", Audience: "api", DeviceID: "phone-1", UserEpoch: 2, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := tks.CreateTokenFamily(ctx, f); err != nil {
			t.Fatal(err)
		}
		if revoke {
			if err := tks.RevokeTokenFamily(ctx, f.ID, at.Add(time.Minute), "logout"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tks.FindTokenFamily(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadThroughFerretDB[backend.TokenFamily](ctx, db, "token_families", f.ID)
		if err != nil || !reflect.DeepEqual(got, want) || (got.RevokedAt != nil) != revoke {
			t.Fatalf("session (revoked %v): direct read\n%+v\nwant (through FerretDB, %v)\n%+v", revoke, got, err, want)
		}
	}

	as := &mongo.AuditStore{DB: db}
	log := &backend.AuditLog{Store: as}
	for _, r := range []backend.AuditRecord{
		{Action: "task.reassign", ObjectType: "task", ObjectID: "t1", Change: map[string]any{"team": []string{"a", "b"}, "n": 3, "at": time.Date(2026, 5, 1, 2, 3, 4, 0, time.UTC)}, Detail: "重新派组"},
		{Action: "target.create", ObjectType: "target", ObjectID: full.ID},
	} {
		e, err := log.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := as.FindAuditEntry(ctx, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadAuditEntryThroughFerretDB(ctx, db, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
		}
	}
}

// TestSJSONToBSON: what the conversion does not know (a regex), or a
// value that is not its schema's type, is an error, so that the store
// reads through FerretDB instead.
func TestSJSONToBSON(t *testing.T) {
	tests := []struct{ name, in string }{
		{"ErrRegex", `{"$s":{"p":{"r":{"t":"regex","o":""}},"$k":["r"]},"r":"^a"}`},
		{"ErrWrongType", `{"$s":{"p":{"n":{"t":"int"}},"$k":["n"]},"n":"seven"}`},
		{"ErrIntOverflow", `{"$s":{"p":{"n":{"t":"int"}},"$k":["n"]},"n":4294967296}`},
		{"ErrNoSchema", `{"a":1}`},
		{"ErrArrayShorterSchema", `{"$s":{"p":{"a":{"t":"array","i":[]}},"$k":["a"]},"a":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := mongo.SJSONToBSON([]byte(tt.in)); err == nil {
				t.Fatalf("converted %s to %x, want an error", tt.in, b)
			}
		})
	}
}

// TestDirectPortalReads: what every portal page names things with — a
// department, an item, a plan, its public version, a draw — read straight
// from SQLite is what FerretDB gives, every kind of field set.
func TestDirectPortalReads(t *testing.T) {
	db := mongotest.Open(t)
	if db.FindJSON == nil {
		t.Skip("no direct read on this store:", mongotest.String())
	}
	ctx := backend.WithActor(context.Background(), backend.SystemActor("test"))
	at := time.Date(2026, 3, 2, 9, 30, 0, 123_000_000, time.UTC)
	dept := &backend.Department{ID: "scjg", Name: "三元区市场监督管理局"}
	if err := (&mongo.DepartmentStore{DB: db}).CreateDepartment(ctx, dept); err != nil {
		t.Fatal(err)
	}
	item := &backend.Item{Code: "SCJG-03", Name: "食品经营许可及经营行为检查", LegalBasis: "《食品安全法》", DepartmentID: "scjg", CooperatingDepartments: []string{"wsjk"},
		TargetKind: backend.KindEnterprise, Content: "检查内容", Standard: "标准", Method: backend.MethodOnSite, Category: backend.ItemKey, RatioCapBp: 500, Frequency: "每年", TemplateVersion: 2}
	if err := (&mongo.ItemStore{DB: db}).CreateItem(ctx, item); err != nil {
		t.Fatal(err)
	}
	n, bp, yes := 3, 1250, true
	plan := &backend.Plan{ID: "2026-scjg-1", Year: 2026, Name: "2026 年食品经营抽查", Items: []string{"SCJG-03"}, LeadDepartment: "scjg", Departments: []string{"scjg", "wsjk"},
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise}, RegionPrefixes: []string{"3504"}, Industries: []string{}, Tags: []string{"食品"}, KeySupervision: &yes},
		StratumKey: "creditClass", Strata: []backend.StratumRule{{Key: "A", Count: &n}, {Key: "D", RatioBp: &bp}}, Default: &backend.StratumRule{RatioBp: &bp},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: "2026-03-02", End: "2026-06-30", DueDays: 30}}, Method: backend.MethodOnSite,
		Exclusions: []backend.OperatorExclusion{{TargetID: "91350402MA2XXXXXX1", Reason: "正在立案调查"}}, State: backend.PlanDrawn, PublicVersion: 1, Commitment: strings.Repeat("ab", 32),
		PublishedAt: &at, EntropySource: &backend.EntropySource{Source: "fc-3d", Issue: "2026060", Date: "2026-03-02"}, EntropyResultAt: &at, Draws: []string{"2026-scjg-1-v1-d1"}, CreatedBy: "scjg.manager"}
	ps := &mongo.PlanStore{DB: db}
	if err := ps.CreatePlan(ctx, plan); err != nil {
		t.Fatal(err)
	}
	pv := &backend.PlanVersion{PlanID: plan.ID, Version: 1, Plan: *plan, Commitment: plan.Commitment, EntropySource: plan.EntropySource, EntropyResultAt: &at, Reason: "首次公布", PublishedBy: "scjg.manager", PublishedAt: at}
	if err := ps.CreatePlanVersion(ctx, pv); err != nil {
		t.Fatal(err)
	}
	ds := &mongo.DrawStore{DB: db}
	d := &backend.Draw{ID: "2026-scjg-1-v1-d1", PlanID: plan.ID, PlanVersion: 1, Number: 1, Redraw: true, Reason: "更正", Supersedes: []string{"x"}, DrawnBy: "scjg.manager", DrawnAt: at,
		Selected: 12, Unassigned: 1, RecordSHA: strings.Repeat("cd", 32), RecordBytes: 4096}
	if err := ds.CreateDraw(ctx, d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		direct     func() (any, error)
		collection string
		id         string
		wire       func(string) (any, error)
	}{
		{"Department", func() (any, error) { return (&mongo.DepartmentStore{DB: db}).FindDepartmentByID(ctx, "scjg") }, "departments", "scjg",
			func(id string) (any, error) {
				return mongo.ReadThroughFerretDB[backend.Department](ctx, db, "departments", id)
			}},
		{"Item", func() (any, error) { return (&mongo.ItemStore{DB: db}).FindItemByCode(ctx, "SCJG-03") }, "items", "SCJG-03",
			func(id string) (any, error) { return mongo.ReadThroughFerretDB[backend.Item](ctx, db, "items", id) }},
		{"Plan", func() (any, error) { return ps.FindPlanByID(ctx, plan.ID) }, "plans", plan.ID,
			func(id string) (any, error) { return mongo.ReadThroughFerretDB[backend.Plan](ctx, db, "plans", id) }},
		{"PlanVersion", func() (any, error) { return ps.FindPlanVersion(ctx, plan.ID, 1) }, "plan_versions", plan.ID + "@1",
			func(id string) (any, error) {
				return mongo.ReadThroughFerretDB[backend.PlanVersion](ctx, db, "plan_versions", id)
			}},
		{"Draw", func() (any, error) { return ds.FindDrawByID(ctx, d.ID) }, "draws", d.ID,
			func(id string) (any, error) { return mongo.ReadThroughFerretDB[backend.Draw](ctx, db, "draws", id) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw, err := db.FindJSON(ctx, c.collection, c.id)
			if err != nil || raw == nil {
				t.Fatalf("FindJSON: %q, %v", raw, err)
			}
			if _, err := mongo.SJSONToBSON(raw); err != nil {
				t.Fatalf("the direct read would fall back to FerretDB: %v", err)
			}
			got, err := c.direct()
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.wire(c.id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
			}
		})
	}
	if _, err := ps.FindPlanVersion(ctx, plan.ID, 2); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("missing version: %v, want not found", err)
	}
}

// TestFindPlansDirect: on the embedded store's one writer FindPlans reads
// the plans' filter fields straight from SQLite; its pages (items and
// cursors) are the FerretDB query's, for every filter.
func TestFindPlansDirect(t *testing.T) {
	db := mongotest.Open(t)
	if db.ScanJSON == nil || !db.SingleProcess {
		t.Skip("no direct scan on this store:", mongotest.String())
	}
	ctx := backend.WithActor(context.Background(), backend.SystemActor("test"))
	ps := &mongo.PlanStore{DB: db}
	states := []backend.PlanState{backend.PlanDraft, backend.PlanPublished, backend.PlanDrawn, backend.PlanClosed}
	for i := range 9 {
		p := &backend.Plan{ID: fmt.Sprintf("%d-plan-%d", 2025+i%2, i), Year: 2025 + i%2, Name: fmt.Sprint("计划 ", i), Items: []string{"SCJG-03"},
			LeadDepartment: []string{"scjg", "yjgl"}[i%2], Departments: [][]string{{"scjg"}, {"yjgl", "scjg"}, {"wsjk"}}[i%3], State: states[i%4]}
		if err := ps.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		f    backend.PlanFilterQuery
	}{
		{"All", backend.PlanFilterQuery{}},
		{"Year", backend.PlanFilterQuery{Year: 2026}},
		{"PublicOfAYear", backend.PlanFilterQuery{Year: 2025, PublicOnly: true}},
		{"States", backend.PlanFilterQuery{States: []backend.PlanState{backend.PlanDraft, backend.PlanClosed}}},
		{"Departments", backend.PlanFilterQuery{Departments: []string{"yjgl", "wsjk"}}},
		{"Nothing", backend.PlanFilterQuery{Year: 2030}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pages := func(direct bool) [][]string {
				db.SingleProcess = direct // false: the FerretDB query
				defer func() { db.SingleProcess = true }()
				var out [][]string
				for p := (backend.PageRequest{Limit: 2}); ; {
					page, err := ps.FindPlans(ctx, tt.f, p)
					if err != nil {
						t.Fatal(err)
					}
					ids := []string{page.NextCursor}
					for _, pl := range page.Items {
						ids = append(ids, pl.ID)
					}
					out = append(out, ids)
					if page.NextCursor == "" {
						return out
					}
					p.After = page.NextCursor
				}
			}
			if got, want := pages(true), pages(false); !reflect.DeepEqual(got, want) {
				t.Fatalf("direct pages (cursor, ids…) %v\nwant (FerretDB) %v", got, want)
			}
		})
	}
	if _, err := ps.FindPlans(ctx, backend.PlanFilterQuery{}, backend.PageRequest{After: "x"}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("a malformed cursor: %v, want invalid", err)
	}
}

// TestFindDepartmentsDirect: the departments read by _id after a direct
// scan of their ids are FerretDB's answer, in id order.
func TestFindDepartmentsDirect(t *testing.T) {
	db := mongotest.Open(t)
	if db.ScanJSON == nil || !db.SingleProcess {
		t.Skip("no direct scan on this store:", mongotest.String())
	}
	ctx := backend.WithActor(context.Background(), backend.SystemActor("test"))
	ds := &mongo.DepartmentStore{DB: db}
	for _, d := range []*backend.Department{{ID: "zjj", Name: "住建局"}, {ID: "scjg", Name: "市场监管局"}, {ID: "yjgl", Name: "应急管理局"}} {
		if err := ds.CreateDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ds.FindDepartments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.SingleProcess = false // the FerretDB query
	want, err := ds.FindDepartments(ctx)
	db.SingleProcess = true
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || len(got) != 3 || got[0].ID != "scjg" {
		t.Fatalf("direct %+v\nwant (FerretDB) %+v", got, want)
	}
}
