package demo_test

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// county is generated once: every test only reads it.
var county = demo.Generate(demo.DefaultSeed, demo.DefaultTargets)

func marketEntities(c *demo.County) []*backend.Target {
	var out []*backend.Target
	for _, t := range c.Targets {
		if t.Kind.HasUSCC() {
			out = append(out, t)
		}
	}
	return out
}

func TestGenerate(t *testing.T) {
	t.Run("Counts", func(t *testing.T) {
		if got := len(marketEntities(county)); got != demo.DefaultTargets {
			t.Errorf("market entities=%d, want %d", got, demo.DefaultTargets)
		}
		others := len(county.Targets) - demo.DefaultTargets
		if others < 3 || others > 20 {
			t.Errorf("non-USCC targets=%d, want a handful", others)
		}
		if got := len(county.Departments); got != 6 {
			t.Errorf("departments=%d, want 6", got)
		}
		if got := len(county.Inspectors); got < 55 || got > 65 {
			t.Errorf("inspectors=%d, want about 60", got)
		}
		if got := len(county.Experts); got < 3 {
			t.Errorf("experts=%d, want a handful", got)
		}
		if got := len(county.Items); got < 18 {
			t.Errorf("items=%d, want several per department", got)
		}
	})

	t.Run("EveryObjectValidates", func(t *testing.T) {
		for _, d := range county.Departments {
			if err := d.Validate(); err != nil {
				t.Errorf("department %s: %v", d.ID, err)
			}
		}
		for _, x := range county.Targets {
			if err := x.Validate(); err != nil {
				t.Errorf("target %s: %v", x.ID, err)
			}
		}
		for _, in := range county.Inspectors {
			if err := in.Validate(); err != nil {
				t.Errorf("inspector %s: %v", in.ID, err)
			}
		}
		for _, e := range county.Experts {
			if err := e.Validate(); err != nil {
				t.Errorf("expert %s: %v", e.ID, err)
			}
		}
		for _, it := range county.Items {
			if err := it.Validate(); err != nil {
				t.Errorf("item %s: %v", it.Code, err)
			}
		}
		for _, tpl := range county.Templates {
			if err := backend.ValidateQuestions(tpl.Questions); err != nil {
				t.Errorf("template %s: %v", tpl.ID, err)
			}
		}
		for _, u := range county.Users {
			if err := u.User.Validate(); err != nil {
				t.Errorf("user %s: %v", u.User.ID, err)
			}
			if err := backend.ValidatePassword(u.Password); err != nil {
				t.Errorf("user %s password: %v", u.User.ID, err)
			}
		}
		if err := county.Validate(); err != nil {
			t.Errorf("County.Validate: %v", err)
		}
	})

	t.Run("TinyCounties", func(t *testing.T) {
		for _, n := range []int{-1, 0, 1, 2} {
			if err := demo.Generate(1, n).Validate(); err != nil {
				t.Errorf("Generate(1, %d): %v", n, err)
			}
		}
	})

	t.Run("UniqueIDsAndNames", func(t *testing.T) {
		ids, names := map[string]bool{}, map[string]bool{}
		for _, x := range county.Targets {
			if ids[x.ID] {
				t.Errorf("target id %s twice", x.ID)
			}
			if names[x.Name] {
				t.Errorf("target name %s twice", x.Name)
			}
			ids[x.ID], names[x.Name] = true, true
		}
		certs := map[string]bool{}
		for _, in := range county.Inspectors {
			if certs[in.CertNo] {
				t.Errorf("certificate %s twice", in.CertNo)
			}
			certs[in.CertNo] = true
			if !strings.HasPrefix(in.ID, "ins-") || !backend.ValidID(in.ID) {
				t.Errorf("inspector id %q, want ins-…", in.ID)
			}
			if !backend.ValidCertNo(in.CertNo) {
				t.Errorf("certificate %q is malformed", in.CertNo)
			}
		}
	})
}

func TestGenerateDistribution(t *testing.T) {
	es := marketEntities(county)
	n := float64(len(es))
	count := func(f func(*backend.Target) bool) float64 {
		k := 0
		for _, x := range es {
			if f(x) {
				k++
			}
		}
		return float64(k)
	}
	share := func(f func(*backend.Target) bool) float64 { return 100 * count(f) / n }
	within := func(name string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s=%.1f%%, want %.0f-%.0f%%", name, got, lo, hi)
		}
	}

	t.Run("CreditClasses", func(t *testing.T) {
		for _, c := range []struct {
			class  backend.CreditClass
			lo, hi float64
		}{{backend.CreditA, 60, 70}, {backend.CreditB, 20, 30}, {backend.CreditC, 5, 11}, {backend.CreditD, 1, 4}} {
			within("class "+string(c.class), share(func(x *backend.Target) bool { return x.CreditClass == c.class }), c.lo, c.hi)
		}
	})
	t.Run("WhitelistMostlyClassA", func(t *testing.T) {
		wl := count(func(x *backend.Target) bool { return x.Whitelisted })
		within("whitelisted", 100*wl/n, 1, 3)
		a := count(func(x *backend.Target) bool { return x.Whitelisted && x.CreditClass == backend.CreditA })
		if a < 0.8*wl {
			t.Errorf("whitelisted class A=%v of %v, want most", a, wl)
		}
		if k := count(func(x *backend.Target) bool {
			return x.Whitelisted && (x.Status != backend.StatusActive || x.KeySupervision)
		}); k > 0 {
			t.Errorf("%v whitelisted targets are inactive or under key supervision", k)
		}
	})
	t.Run("Statuses", func(t *testing.T) {
		within("not active", share(func(x *backend.Target) bool { return x.Status != backend.StatusActive }), 2, 4.5)
		for _, s := range []backend.TargetStatus{backend.StatusClosed, backend.StatusDeregistered, backend.StatusRevoked} {
			if count(func(x *backend.Target) bool { return x.Status == s }) == 0 {
				t.Errorf("no %s targets", s)
			}
		}
	})
	t.Run("KeySupervision", func(t *testing.T) {
		within("key supervision", share(func(x *backend.Target) bool { return x.KeySupervision }), 5, 20)
		for _, x := range es {
			if slices.Contains(x.Tags, demo.TagHazChem) && !x.KeySupervision {
				t.Errorf("%s handles hazardous chemicals but is not under key supervision", x.ID)
			}
		}
	})
	t.Run("Kinds", func(t *testing.T) {
		ent := share(func(x *backend.Target) bool { return x.Kind == backend.KindEnterprise })
		ind := share(func(x *backend.Target) bool { return x.Kind == backend.KindIndividual })
		coop := share(func(x *backend.Target) bool { return x.Kind == backend.KindCooperative })
		if !(ind > ent && ent > coop && coop > 0.5) {
			t.Errorf("individual=%.1f%% enterprise=%.1f%% cooperative=%.1f%%, want individual > enterprise > cooperative > 0.5%%", ind, ent, coop)
		}
	})
	t.Run("RetailAndCateringDominate", func(t *testing.T) {
		within("retail and catering", share(func(x *backend.Target) bool {
			return strings.HasPrefix(x.Industry, "F52") || strings.HasPrefix(x.Industry, "H62")
		}), 40, 70)
	})
	t.Run("TagsFollowIndustry", func(t *testing.T) {
		for _, x := range es {
			switch {
			case strings.HasPrefix(x.Industry, "H62") && !slices.Contains(x.Tags, demo.TagFood):
				t.Errorf("restaurant %s (%s) lacks %s", x.ID, x.Name, demo.TagFood)
			case strings.HasPrefix(x.Industry, "E47") && !slices.Contains(x.Tags, demo.TagConstruction):
				t.Errorf("builder %s lacks %s", x.ID, demo.TagConstruction)
			case x.Industry == "C2614" && !slices.Contains(x.Tags, demo.TagHazChem):
				t.Errorf("chemical plant %s lacks %s", x.ID, demo.TagHazChem)
			case slices.Contains(x.Tags, demo.TagCatering) && !strings.HasPrefix(x.Industry, "H"):
				t.Errorf("%s (%s) is tagged %s", x.ID, x.Industry, demo.TagCatering)
			}
		}
	})
	t.Run("InTheCounty", func(t *testing.T) {
		for _, x := range county.Targets {
			if x.RegionCode != demo.CountyRegionCode {
				t.Errorf("%s: region %s, want %s", x.ID, x.RegionCode, demo.CountyRegionCode)
			}
			if x.Kind.HasUSCC() && (!strings.HasPrefix(x.Address, demo.CountyName) || x.Location == nil) {
				t.Errorf("%s: address %q, location %v", x.ID, x.Address, x.Location)
			}
			// Roughly the district's extent.
			if l := x.Location; l != nil && (l.Lat < 25.9 || l.Lat > 26.45 || l.Lng < 117.3 || l.Lng > 117.85) {
				t.Errorf("%s: location %v is outside the district", x.ID, *l)
			}
		}
	})
}

func TestGenerateReferences(t *testing.T) {
	depts := map[string]bool{}
	for _, d := range county.Departments {
		depts[d.ID] = true
	}
	for _, id := range []string{"scjg", "wsjk", "yjgl", "sthj", "zjj", "nync"} {
		if !depts[id] {
			t.Errorf("department %s missing", id)
		}
	}
	targets := map[string]*backend.Target{}
	for _, x := range county.Targets {
		targets[x.ID] = x
	}

	t.Run("ItemDepartmentsExist", func(t *testing.T) {
		perDept := map[string]int{}
		for _, it := range county.Items {
			for _, d := range it.Departments() {
				if !depts[d] {
					t.Errorf("item %s: department %s does not exist", it.Code, d)
				}
			}
			perDept[it.DepartmentID]++
		}
		for d := range depts {
			if perDept[d] < 3 {
				t.Errorf("department %s leads %d items, want several", d, perDept[d])
			}
		}
	})
	t.Run("ItemsHaveTemplates", func(t *testing.T) {
		types := map[backend.QuestionType]bool{}
		photoRequired := false
		for i, it := range county.Items {
			tpl := county.Templates[i]
			if it.TemplateVersion != 1 || tpl.Version != 1 || tpl.ItemCode != it.Code {
				t.Errorf("item %s: template version %d, template %s v%d", it.Code, it.TemplateVersion, tpl.ItemCode, tpl.Version)
			}
			if n := len(tpl.Questions); n < 3 || n > 8 {
				t.Errorf("template %s has %d questions, want 3-8", tpl.ID, n)
			}
			for _, q := range tpl.Questions {
				types[q.Type] = true
				photoRequired = photoRequired || q.PhotoRequired
			}
			if it.Category == backend.ItemGeneral && it.RatioCapBp == 0 {
				t.Errorf("general item %s has no ratio cap", it.Code)
			}
		}
		for _, qt := range []backend.QuestionType{backend.QYesNo, backend.QSingle, backend.QMultiple, backend.QNumber, backend.QText, backend.QPhoto} {
			if !types[qt] {
				t.Errorf("no question of type %s", qt)
			}
		}
		if !photoRequired {
			t.Error("no question requires a photo")
		}
	})
	t.Run("InspectorDepartmentsExist", func(t *testing.T) {
		perDept := map[string]int{}
		for _, in := range county.Inspectors {
			if !depts[in.DepartmentID] {
				t.Errorf("inspector %s: department %s does not exist", in.ID, in.DepartmentID)
			}
			perDept[in.DepartmentID]++
		}
		for d := range depts {
			if d != "scjg" && perDept["scjg"] <= perDept[d] {
				t.Errorf("market supervision has %d inspectors, %s %d: want most in market supervision", perDept["scjg"], d, perDept[d])
			}
		}
	})
	t.Run("ConflictsPointToTargets", func(t *testing.T) {
		n := 0
		for _, in := range county.Inspectors {
			for _, c := range in.Conflicts {
				n++
				if x := targets[c.TargetID]; x == nil || !x.Kind.HasUSCC() {
					t.Errorf("inspector %s: conflict with %s, not a market entity of the county", in.ID, c.TargetID)
				}
			}
		}
		for _, e := range county.Experts {
			for _, c := range e.Conflicts {
				if targets[c.TargetID] == nil {
					t.Errorf("expert %s: conflict with unknown target %s", e.ID, c.TargetID)
				}
			}
		}
		if n < 3 {
			t.Errorf("%d declared conflicts, want a few", n)
		}
	})
	t.Run("CertificatesAndLeave", func(t *testing.T) {
		asOf := county.AsOf
		soon := backend.DateOf(demo.ReferenceDay.AddDate(0, 0, 31))
		var expired, expiring, onLeave int
		for _, in := range county.Inspectors {
			switch {
			case !in.CertValidOn(asOf):
				expired++
			case in.CertExpiry <= soon:
				expiring++
			}
			if in.OnLeave(asOf) {
				onLeave++
			}
		}
		if expired < 1 || expired > 6 || expiring < 1 || expiring > 8 || onLeave < 1 {
			t.Errorf("expired=%d expiring within a month=%d on leave=%d, want a few of each", expired, expiring, onLeave)
		}
	})
	t.Run("InspectorLogins", func(t *testing.T) {
		users := map[string]*backend.User{}
		for _, u := range county.Users {
			users[u.User.ID] = u.User
		}
		linked := 0
		for _, in := range county.Inspectors {
			if in.UserID == "" {
				continue
			}
			linked++
			u := users[in.UserID]
			if u == nil || u.Role != backend.RoleInspector || !slices.Contains(u.Departments, in.DepartmentID) {
				t.Errorf("inspector %s: user %s is not an inspector of %s", in.ID, in.UserID, in.DepartmentID)
			}
			// The first of each department can always form a team.
			n, _ := strconv.Atoi(in.ID[len(in.ID)-3:])
			if n <= 2 && (!in.Active || !in.CertValidOn(county.AsOf) || in.OnLeave(county.AsOf) || len(in.Conflicts) > 0) {
				t.Errorf("inspector %s is among the first of its department but cannot be drawn", in.ID)
			}
		}
		if linked != len(county.Inspectors) {
			t.Errorf("%d of %d inspectors have logins, want all: every drawn team works on phones", linked, len(county.Inspectors))
		}
	})
	t.Run("Logins", func(t *testing.T) {
		roles := map[backend.Role]int{}
		for _, l := range county.Logins() {
			roles[l.Role]++
			if l.Password != demo.DemoPassword(l.Username) {
				t.Errorf("%s: password %q, want the documented %q", l.Username, l.Password, demo.DemoPassword(l.Username))
			}
			// Administrators and the oversight office (监督) belong to no
			// department; everyone else to one that exists.
			if l.Role != backend.RoleAdmin && l.Role != backend.RoleOversight && !depts[l.Department] {
				t.Errorf("%s: department %q", l.Username, l.Department)
			}
		}
		if roles[backend.RoleAdmin] != 1 || roles[backend.RoleOversight] != 1 || roles[backend.RoleManager] != 6 || roles[backend.RoleReviewer] < 1 || roles[backend.RoleInspector] < 6 {
			t.Errorf("roles=%v, want one admin, one oversight login, a manager per department, reviewers and inspectors", roles)
		}
	})
}

func TestGenerateDeterministic(t *testing.T) {
	t.Run("SameSeedSameCounty", func(t *testing.T) {
		a, b := demo.Generate(7, 500), demo.Generate(7, 500)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two counties of the same seed differ")
		}
	})
	t.Run("OtherSeedOtherCounty", func(t *testing.T) {
		a, b := demo.Generate(7, 500), demo.Generate(8, 500)
		same := 0
		for i := range 500 {
			if a.Targets[i].ID == b.Targets[i].ID {
				same++
			}
		}
		if same > 0 {
			t.Errorf("%d of 500 target ids are the same for seeds 7 and 8", same)
		}
		if a.Inspectors[0].Name == b.Inspectors[0].Name && a.Inspectors[1].Name == b.Inspectors[1].Name {
			t.Error("inspectors do not depend on the seed")
		}
	})
	t.Run("SmallCountyIsAPrefix", func(t *testing.T) {
		small := demo.Generate(demo.DefaultSeed, 100)
		for i := range 100 {
			if !reflect.DeepEqual(small.Targets[i], county.Targets[i]) {
				t.Fatalf("target %d differs between a county of 100 and one of %d", i, demo.DefaultTargets)
			}
		}
	})
	t.Run("AsOfMovesOnlyDates", func(t *testing.T) {
		const days = 400
		later := demo.GenerateAt(demo.DefaultSeed, demo.DefaultTargets, demo.ReferenceDay.AddDate(0, 0, days))
		if !reflect.DeepEqual(later.Targets, county.Targets) || !reflect.DeepEqual(later.Items, county.Items) || !reflect.DeepEqual(later.Users, county.Users) {
			t.Fatal("targets, items or users depend on the as-of day")
		}
		shift := func(d backend.Date) backend.Date {
			tm, _ := time.Parse(time.DateOnly, string(d))
			return backend.Date(tm.AddDate(0, 0, days).Format(time.DateOnly))
		}
		for i, in := range county.Inspectors {
			l := later.Inspectors[i]
			if l.ID != in.ID || l.Name != in.Name || !reflect.DeepEqual(l.Conflicts, in.Conflicts) {
				t.Fatalf("inspector %d: %s %s, want %s %s", i, l.ID, l.Name, in.ID, in.Name)
			}
			if l.CertExpiry != shift(in.CertExpiry) {
				t.Errorf("inspector %s: expiry %s, want %s", in.ID, l.CertExpiry, shift(in.CertExpiry))
			}
			for j, p := range in.Leave {
				if l.Leave[j].From != shift(p.From) || l.Leave[j].To != shift(p.To) {
					t.Errorf("inspector %s: leave %v, want %v shifted by %d days", in.ID, l.Leave[j], p, days)
				}
			}
		}
	})
	// Documentation names these; changing the generator must be deliberate.
	t.Run("Golden", func(t *testing.T) {
		first := county.Targets[0]
		if first.ID != "92350404MA8UD51Y88" || first.Name != "三元区城关阿亮烟酒商行" {
			t.Errorf("first target=%s %s, want 92350404MA8UD51Y88 三元区城关阿亮烟酒商行", first.ID, first.Name)
		}
		if in := county.Inspectors[0]; in.ID != "ins-scjg-001" || in.CertNo != "35040420240014" || in.UserID != "scjg.inspector1" {
			t.Errorf("first inspector=%s %s %s, want ins-scjg-001 35040420240014 scjg.inspector1", in.ID, in.CertNo, in.UserID)
		}
	})
}
