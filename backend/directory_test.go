package backend_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

type fixture struct {
	db    *mongo.DB
	dir   *backend.Directory
	users *backend.Users
	audit *backend.AuditLog
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := mongotest.Open(t)
	audit := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: time.Now}
	f := &fixture{
		db:    db,
		audit: audit,
		dir: &backend.Directory{
			Departments: &mongo.DepartmentStore{DB: db},
			Targets:     &mongo.TargetStore{DB: db},
			Inspectors:  &mongo.InspectorStore{DB: db},
			Items:       &mongo.ItemStore{DB: db},
			Users:       &mongo.UserStore{DB: db},
			Audit:       audit,
		},
		users: &backend.Users{Store: &mongo.UserStore{DB: db}, Departments: &mongo.DepartmentStore{DB: db}, Audit: audit},
	}
	admin := as("admin", backend.RoleAdmin)
	for _, d := range []*backend.Department{{ID: "scjg", Name: "市场监督管理局"}, {ID: "yjgl", Name: "应急管理局"}} {
		if err := f.dir.CreateDepartment(admin, d); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// as returns a context for a fresh (re-validated) actor.
func as(id string, role backend.Role, depts ...string) context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: id, Role: role, Departments: depts, ClientAddr: "127.0.0.1", Fresh: true})
}

// asStale is like as, but for an actor known only from a token's claims.
func asStale(id string, role backend.Role, depts ...string) context.Context {
	return backend.WithActor(context.Background(), &backend.Actor{UserID: id, Role: role, Departments: depts})
}

func inspector(id, dept, cert string) *backend.Inspector {
	return &backend.Inspector{ID: id, Name: "张三", DepartmentID: dept, CertNo: cert, CertExpiry: "2030-12-31", Active: true}
}

func TestDirectoryAuthorization(t *testing.T) {
	f := newFixture(t)
	if err := f.dir.CreateInspector(as("a", backend.RoleAdmin), inspector("ins-1", "scjg", "SC0001")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"OK/ManagerOwnDepartment", func() error {
			return f.dir.CreateInspector(as("m", backend.RoleManager, "scjg"), inspector("ins-2", "scjg", "SC0002"))
		}, ""},
		{"ErrManagerOtherDepartment", func() error {
			return f.dir.CreateInspector(as("m", backend.RoleManager, "yjgl"), inspector("ins-3", "scjg", "SC0003"))
		}, backend.EFORBIDDEN},
		{"ErrManagerMovesInspectorIn", func() error {
			// A yjgl manager may not take over a scjg inspector by rewriting its department.
			in := inspector("ins-1", "yjgl", "SC0001")
			in.Version = 1
			return f.dir.UpdateInspector(as("m", backend.RoleManager, "yjgl"), in)
		}, backend.EFORBIDDEN},
		{"ErrReviewerWrites", func() error {
			return f.dir.CreateInspector(as("r", backend.RoleReviewer, "scjg"), inspector("ins-4", "scjg", "SC0004"))
		}, backend.EFORBIDDEN},
		{"ErrInspectorReadsDirectory", func() error {
			_, err := f.dir.ListTargets(as("i", backend.RoleInspector, "scjg"), backend.TargetFilter{}, backend.PageRequest{})
			return err
		}, backend.EFORBIDDEN},
		{"ErrAnonymous", func() error {
			_, err := f.dir.ListInspectors(context.Background(), backend.InspectorFilter{}, backend.PageRequest{})
			return err
		}, backend.EUNAUTHENTICATED},
		{"ErrStaleActorWrites", func() error {
			return f.dir.CreateInspector(asStale("a", backend.RoleAdmin), inspector("ins-5", "scjg", "SC0005"))
		}, backend.EUNAUTHENTICATED},
		{"ErrUnknownDepartment", func() error {
			return f.dir.CreateInspector(as("a", backend.RoleAdmin), inspector("ins-6", "nope", "SC0006"))
		}, backend.EINVALID},
		{"ErrDuplicateCert", func() error {
			return f.dir.CreateInspector(as("a", backend.RoleAdmin), inspector("ins-7", "scjg", "SC0001"))
		}, backend.ECONFLICT},
		{"ErrStaleVersion", func() error {
			in := inspector("ins-1", "scjg", "SC0001")
			in.Version = 7
			return f.dir.UpdateInspector(as("a", backend.RoleAdmin), in)
		}, backend.ECONFLICT},
		{"ErrPageTooLarge", func() error {
			_, err := f.dir.ListInspectors(as("a", backend.RoleAdmin), backend.InspectorFilter{}, backend.PageRequest{Limit: 201})
			return err
		}, backend.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if got := backend.ErrorCode(err); got != tt.want {
				t.Fatalf("code=%q (%v), want %q", got, err, tt.want)
			}
		})
	}
	// The refused change did not happen and the stored record is unchanged.
	in, err := f.dir.Inspectors.FindInspectorByID(context.Background(), "ins-1")
	if err != nil {
		t.Fatal(err)
	}
	if in.DepartmentID != "scjg" || in.Version != 1 {
		t.Fatalf("ins-1 = dept %s version %d, want scjg version 1", in.DepartmentID, in.Version)
	}
	// Refusals are audited as denied.
	entries, err := f.audit.Store.FindAuditEntries(context.Background(), "inspector", "ins-3", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Outcome != backend.OutcomeDenied || entries[0].Actor != "m" {
		t.Fatalf("audit of refused change = %+v, want one denied entry by m", entries)
	}
}

func TestTargetCreateUpdateList(t *testing.T) {
	f := newFixture(t)
	ctx := as("m", backend.RoleManager, "scjg")
	tg := validTarget()
	if err := f.dir.CreateTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if tg.Version != 1 {
		t.Fatalf("version=%d, want 1", tg.Version)
	}
	if err := f.dir.CreateTarget(ctx, validTarget()); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("second create: %v, want conflict", err)
	}
	tg.CreditClass = backend.CreditC
	if err := f.dir.UpdateTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	stale := validTarget() // version 0: stale
	stale.Version = 1
	if err := f.dir.UpdateTarget(ctx, stale); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("stale update: %v, want conflict", err)
	}
	got, err := f.dir.GetTarget(ctx, tg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreditClass != backend.CreditC || got.Version != 2 {
		t.Fatalf("stored credit %s version %d, want C 2", got.CreditClass, got.Version)
	}
	page, err := f.dir.ListTargets(ctx, backend.TargetFilter{CreditClasses: []backend.CreditClass{backend.CreditC}}, backend.PageRequest{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list C = %v, %v; want 1 target", page, err)
	}
	page, err = f.dir.ListTargets(ctx, backend.TargetFilter{CreditClasses: []backend.CreditClass{backend.CreditA}}, backend.PageRequest{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("list A = %v, %v; want none", page, err)
	}
}

func TestTargetPagination(t *testing.T) {
	f := newFixture(t)
	ctx := as("a", backend.RoleAdmin)
	var want []string
	for i := 0; i < 7; i++ {
		tg := validTarget()
		tg.ID, tg.Kind, tg.CreditClass = "product-p"+string(rune('a'+i)), backend.KindProduct, ""
		if err := f.dir.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		want = append(want, tg.ID)
	}
	var got []string
	p := backend.PageRequest{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		page, err := f.dir.ListTargets(ctx, backend.TargetFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.Items {
			got = append(got, tg.ID)
		}
		if page.NextCursor == "" {
			break
		}
		p.After = page.NextCursor
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestTemplatesVersioned(t *testing.T) {
	f := newFixture(t)
	ctx := as("m", backend.RoleManager, "scjg")
	it := &backend.Item{Code: "SCJG-001", Name: "营业执照公示情况检查", LegalBasis: "《企业信息公示暂行条例》第十条", DepartmentID: "scjg",
		TargetKind: backend.KindEnterprise, Content: "检查营业执照悬挂", Method: backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 500}
	if err := f.dir.CreateItem(ctx, it); err != nil {
		t.Fatal(err)
	}
	q1 := []backend.Question{{ID: "displayed", Text: "营业执照是否悬挂于醒目位置", Type: backend.QYesNo, Required: true}}
	q2 := append(q1, backend.Question{ID: "photo", Text: "拍摄营业执照", Type: backend.QPhoto, PhotoRequired: true})
	for _, qs := range [][]backend.Question{q1, q2} {
		if _, err := f.dir.CreateTemplate(ctx, it.Code, qs); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := f.dir.GetTemplate(ctx, it.Code, 0)
	if err != nil || cur.Version != 2 || len(cur.Questions) != 2 {
		t.Fatalf("current template = %+v, %v; want version 2 with 2 questions", cur, err)
	}
	old, err := f.dir.GetTemplate(ctx, it.Code, 1)
	if err != nil || len(old.Questions) != 1 {
		t.Fatalf("version 1 = %+v, %v; want 1 question", old, err)
	}
	if _, err := f.dir.CreateTemplate(as("m2", backend.RoleManager, "yjgl"), it.Code, q1); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("other department's manager: %v, want forbidden", err)
	}
	bad := []backend.Question{{ID: "x", Text: "选择", Type: backend.QSingle, Options: []string{"only one"}}}
	if _, err := f.dir.CreateTemplate(ctx, it.Code, bad); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("choice with one option: %v, want invalid", err)
	}
	cl, err := f.dir.MergedChecklist(ctx, []string{it.Code})
	if err != nil || len(cl.Sections) != 1 || cl.Sections[0].TemplateVersion != 2 {
		t.Fatalf("merged = %+v, %v", cl, err)
	}
}

func TestUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created, pw, err := f.users.Bootstrap(ctx, "")
	if err != nil || !created || len(pw) < backend.MinPasswordLength {
		t.Fatalf("Bootstrap()=(%v, %q, %v), want a generated password", created, pw, err)
	}
	if created, _, _ := f.users.Bootstrap(ctx, ""); created {
		t.Fatal("second Bootstrap created another administrator")
	}
	admin := as("admin", backend.RoleAdmin)
	u := &backend.User{ID: "li.si", DisplayName: "李四", Role: backend.RoleInspector, Departments: []string{"scjg"}}
	if err := f.users.CreateUser(admin, u, "short"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("short password: %v, want invalid", err)
	}
	if err := f.users.CreateUser(admin, &backend.User{ID: "x.y", DisplayName: "x", Role: backend.RoleInspector, Departments: []string{"nope"}}, "long-enough-pw"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("unknown department: %v, want invalid", err)
	}
	if err := f.users.CreateUser(admin, u, "long-enough-pw"); err != nil {
		t.Fatal(err)
	}
	if err := f.users.CreateUser(as("m", backend.RoleManager, "scjg"), &backend.User{ID: "z.z", DisplayName: "z", Role: backend.RoleAdmin}, "long-enough-pw"); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("manager creates admin: %v, want forbidden", err)
	}
	stored, err := f.users.GetUser(admin, "li.si")
	if err != nil || !backend.CheckPassword(stored.PasswordHash, "long-enough-pw") {
		t.Fatalf("stored password does not check: %v", err)
	}
	if _, err := f.users.SetDisabled(admin, "li.si", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.SetDisabled(admin, "admin", true); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("admin disables self: %v, want invalid", err)
	}
	newPw, err := f.users.ResetPassword(admin, "li.si", "")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ = f.users.GetUser(admin, "li.si")
	if !stored.Disabled || !backend.CheckPassword(stored.PasswordHash, newPw) || backend.CheckPassword(stored.PasswordHash, "long-enough-pw") {
		t.Fatalf("after disable+reset: disabled=%v", stored.Disabled)
	}
}
