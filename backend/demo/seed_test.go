package demo_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

var seedTime = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// MustStores returns the stores of a fresh test database.
func MustStores(tb testing.TB) demo.Stores {
	tb.Helper()
	db := mongotest.Open(tb)
	db.Now = func() time.Time { return seedTime }
	return demo.Stores{
		Departments: &mongo.DepartmentStore{DB: db},
		Users:       &mongo.UserStore{DB: db},
		Targets:     &mongo.TargetStore{DB: db},
		Inspectors:  &mongo.InspectorStore{DB: db},
		Items:       &mongo.ItemStore{DB: db},
		Audit:       &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: func() time.Time { return seedTime }},
	}
}

func MustIsEmpty(tb testing.TB, s demo.Stores, want bool) {
	tb.Helper()
	got, err := demo.IsEmpty(context.Background(), s)
	if err != nil {
		tb.Fatalf("IsEmpty: %v", err)
	}
	if got != want {
		tb.Fatalf("IsEmpty=%v, want %v", got, want)
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	s := MustStores(t)
	MustIsEmpty(t, s, true)

	start := time.Now()
	sum, err := demo.Seed(ctx, s, county)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	t.Logf("seeded %d targets on %s in %v", sum.Targets, mongotest.String(), time.Since(start).Round(time.Millisecond))
	want := demo.Summary{
		Departments: 6, Items: len(county.Items), Templates: len(county.Items), Targets: len(county.Targets),
		Inspectors: len(county.Inspectors), Experts: len(county.Experts), Users: len(county.Users), AuditEntries: 7,
	}
	if *sum != want {
		t.Fatalf("summary=%+v, want %+v", *sum, want)
	}
	if county.Targets[0].Version != 0 || !county.Targets[0].CreatedAt.IsZero() {
		t.Error("Seed modified the county")
	}

	t.Run("Targets", func(t *testing.T) {
		byID := map[string]*backend.Target{}
		for _, x := range county.Targets {
			byID[x.ID] = x
		}
		n, entities := 0, 0
		err := s.Targets.ScanTargets(ctx, backend.TargetFilter{}, func(got *backend.Target) error {
			n++
			if got.Kind.HasUSCC() {
				entities++
			}
			want := byID[got.ID]
			if want == nil {
				t.Errorf("stored target %s was not generated", got.ID)
			} else if !got.SameContent(want) {
				t.Errorf("target %s reads back as %+v, want %+v", got.ID, got, want)
			}
			if got.Version != 1 {
				t.Errorf("target %s: version %d, want 1", got.ID, got.Version)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ScanTargets: %v", err)
		}
		if n != len(county.Targets) || entities != demo.DefaultTargets {
			t.Errorf("targets=%d (market entities %d), want %d (%d)", n, entities, len(county.Targets), demo.DefaultTargets)
		}
	})
	t.Run("Departments", func(t *testing.T) {
		ds, err := s.Departments.FindDepartments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 6 {
			t.Errorf("departments=%d, want 6", len(ds))
		}
	})
	t.Run("Inspectors", func(t *testing.T) {
		page, err := s.Inspectors.FindInspectors(ctx, backend.InspectorFilter{}, backend.PageRequest{Limit: backend.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != len(county.Inspectors) {
			t.Errorf("inspectors=%d, want %d", len(page.Items), len(county.Inspectors))
		}
		byID := map[string]*backend.Inspector{}
		for _, in := range county.Inspectors {
			byID[in.ID] = in
		}
		for _, got := range page.Items {
			if want := byID[got.ID]; want == nil || !got.SameContent(want) {
				t.Errorf("inspector %s reads back as %+v, want %+v", got.ID, got, want)
			}
		}
		in, err := s.Inspectors.FindInspectorByCertNo(ctx, county.Inspectors[0].CertNo)
		if err != nil || in.ID != county.Inspectors[0].ID {
			t.Errorf("FindInspectorByCertNo=%v, %v; want %s", in, err, county.Inspectors[0].ID)
		}
		experts, err := s.Inspectors.FindExperts(ctx, backend.ExpertFilter{}, backend.PageRequest{Limit: backend.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(experts.Items) != len(county.Experts) {
			t.Errorf("experts=%d, want %d", len(experts.Items), len(county.Experts))
		}
	})
	t.Run("ItemsAndTemplates", func(t *testing.T) {
		page, err := s.Items.FindItems(ctx, backend.ItemFilter{}, backend.PageRequest{Limit: backend.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != len(county.Items) {
			t.Errorf("items=%d, want %d", len(page.Items), len(county.Items))
		}
		for i, it := range county.Items {
			got, err := s.Items.FindItemByCode(ctx, it.Code)
			if err != nil {
				t.Fatalf("FindItemByCode(%s): %v", it.Code, err)
			}
			if !got.SameContent(it) {
				t.Errorf("item %s reads back as %+v", it.Code, got)
			}
			tpl, err := s.Items.FindTemplate(ctx, it.Code, it.TemplateVersion)
			if err != nil {
				t.Fatalf("FindTemplate(%s, %d): %v", it.Code, it.TemplateVersion, err)
			}
			if !reflect.DeepEqual(tpl.Questions, county.Templates[i].Questions) || tpl.CreatedBy != demo.SeedActor {
				t.Errorf("template %s reads back as %+v", tpl.ID, tpl)
			}
		}
	})
	t.Run("UsersCanLogIn", func(t *testing.T) {
		n, err := s.Users.CountUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != len(county.Users) {
			t.Errorf("users=%d, want %d", n, len(county.Users))
		}
		for _, l := range county.Logins()[:3] {
			u, err := s.Users.FindUserByID(ctx, l.Username)
			if err != nil {
				t.Fatalf("FindUserByID(%s): %v", l.Username, err)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(l.Password)); err != nil {
				t.Errorf("%s: the demo password does not match the stored hash: %v", l.Username, err)
			}
			if u.Role != l.Role || u.Disabled {
				t.Errorf("%s: role %s disabled %v, want %s enabled", l.Username, u.Role, u.Disabled, l.Role)
			}
		}
	})
	t.Run("Audit", func(t *testing.T) {
		n, problem, err := s.Audit.Verify(ctx)
		if err != nil || problem != nil || n != 7 {
			t.Fatalf("Verify=%d, %v, %v; want 7 intact entries", n, problem, err)
		}
		es, err := s.Audit.Store.FindAuditEntries(ctx, "collection", "targets", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Action != demo.SeedAction || es[0].Actor != demo.SeedActor || es[0].Digest == "" {
			t.Errorf("audit entries for targets=%+v, want one %s by %s with a digest", es, demo.SeedAction, demo.SeedActor)
		}
	})

	t.Run("SecondSeedRefused", func(t *testing.T) {
		MustIsEmpty(t, s, false)
		other := demo.Generate(demo.DefaultSeed+1, 10)
		_, err := demo.Seed(ctx, s, other)
		if !backend.IsCode(err, backend.ECONFLICT) {
			t.Fatalf("second Seed: %v, want %s", err, backend.ECONFLICT)
		}
		if n, _ := s.Users.CountUsers(ctx); int(n) != len(county.Users) {
			t.Errorf("users=%d after a refused seed, want %d", n, len(county.Users))
		}
		if _, err := s.Targets.FindTargetByID(ctx, other.Targets[0].ID); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Errorf("a target of the refused county was stored (err %v)", err)
		}
	})
}

func TestSeedRefusesInvalidCounty(t *testing.T) {
	s := MustStores(t)
	c := demo.Generate(demo.DefaultSeed, 20)
	bad := *c.Targets[3]
	bad.ID = bad.ID[:17] + map[bool]string{true: "1", false: "0"}[bad.ID[17] == '0']
	c.Targets[3] = &bad
	_, err := demo.Seed(context.Background(), s, c)
	if !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("Seed with a wrong check character: %v, want %s", err, backend.EINVALID)
	}
	MustIsEmpty(t, s, true)
}

func TestSeedWithoutAudit(t *testing.T) {
	s := MustStores(t)
	audit := s.Audit
	s.Audit = nil
	sum, err := demo.Seed(context.Background(), s, demo.Generate(demo.DefaultSeed, 50))
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if sum.Targets != 58 || sum.AuditEntries != 0 {
		t.Errorf("summary=%+v, want 58 targets and no audit entries", *sum)
	}
	if n, _, _ := audit.Verify(context.Background()); n != 0 {
		t.Errorf("%d audit entries, want none without an audit log", n)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		demo.Generate(demo.DefaultSeed, demo.DefaultTargets)
	}
}

// BenchmarkGenerateAndSeed measures the demo command's start: generating
// the county and writing it into a fresh database (index creation and
// database setup excluded).
func BenchmarkGenerateAndSeed(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := MustStores(b)
		b.StartTimer()
		c := demo.Generate(demo.DefaultSeed, demo.DefaultTargets)
		if _, err := demo.Seed(ctx, s, c); err != nil {
			b.Fatal(err)
		}
	}
}
