package importer_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// zhTargets is what enterprises_zh.csv holds.
var zhTargets = []*backend.Target{
	{ID: "91350102MA2Y0A1B3X", Kind: backend.KindEnterprise, Name: "福州闽江食品有限公司", RegionCode: "350102",
		Address: "福州市鼓楼区五四路100号,1层", Location: &backend.GeoPoint{Lat: 26.074508, Lng: 119.296494}, Industry: "C1469",
		Tags: []string{"食品生产", "重点食品"}, CreditClass: backend.CreditB, Status: backend.StatusActive, KeySupervision: true, LegalRep: "林建国"},
	{ID: "91350103MA31C4D5E9", Kind: backend.KindEnterprise, Name: "福州台江商贸有限公司", RegionCode: "350103",
		Address: "福州市台江区八一七中路200号", Industry: "F5211", Tags: []string{}, CreditClass: backend.CreditA, Whitelisted: true,
		Status: backend.StatusActive, LegalRep: "陈丽"},
	{ID: "92350104MA2Y7F8G9H", Kind: backend.KindIndividual, Name: "仓山区王记小吃店", RegionCode: "350104",
		Address: "福州市仓山区上渡路8号", Location: &backend.GeoPoint{Lat: 26.0391, Lng: 119.2801}, Industry: "H6210",
		Tags: []string{"餐饮服务", "小餐饮"}, CreditClass: backend.CreditC, Status: backend.StatusActive, LegalRep: "王强"},
	{ID: "93350105MA3H1J2K4A", Kind: backend.KindCooperative, Name: "马尾区亭江镇果蔬专业合作社", RegionCode: "350105",
		Address: "福州市马尾区亭江镇", Industry: "A0141", Tags: []string{"农产品"}, CreditClass: backend.CreditD,
		Status: backend.StatusClosed, LegalRep: "张华"},
	{ID: "91350102MA2Y0A1C7B", Kind: backend.KindEnterprise, Name: "福州鼓楼药房连锁有限公司", RegionCode: "350102",
		Address: "福州市鼓楼区东街50号", Location: &backend.GeoPoint{Lat: 26.0851, Lng: 119.3001}, Industry: "F5251",
		Tags: []string{"药品零售", "医疗器械"}, CreditClass: backend.CreditB, Status: backend.StatusRevoked, KeySupervision: true, LegalRep: "李明"},
	{ID: "product-FJ-2026-001", Kind: backend.KindProduct, Name: "瓶装饮用水（抽检批次）", RegionCode: "350100",
		Tags: []string{}, Status: backend.StatusActive},
}

func checkStored(t *testing.T, e *env, want []*backend.Target) {
	t.Helper()
	stored := e.storedTargets(t)
	for _, w := range want {
		got := stored[w.ID]
		if got == nil {
			t.Errorf("target %s was not stored", w.ID)
			continue
		}
		sameJSON(t, "target "+w.ID, got, w)
		if got.Version != 1 {
			t.Errorf("target %s: version=%d, want 1", w.ID, got.Version)
		}
	}
	if len(stored) != len(want) {
		t.Errorf("%d targets stored, want %d", len(stored), len(want))
	}
}

func TestImportTargets(t *testing.T) {
	t.Run("ChineseHeaders", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportFile(t, importer.Targets, fixture("enterprises_zh.csv"))
		checkCounts(t, s, 6, 0, 0, 0)
		if got, want := s.String(), "imported 6, updated 0, rejected 0, unchanged 0"; got != want {
			t.Errorf("String()=%q, want %q", got, want)
		}
		checkStored(t, e, zhTargets)
	})

	t.Run("EnglishHeaders", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportFile(t, importer.Targets, fixture("enterprises_en.csv"))
		checkCounts(t, s, 4, 0, 0, 0)
		checkStored(t, e, []*backend.Target{
			{ID: "91350103MA31C4D6FD", Kind: backend.KindEnterprise, Name: "Fuzhou Minjiang Software Co.", RegionCode: "350103",
				Address: "Taijiang, Fuzhou", Location: &backend.GeoPoint{Lat: 26.08, Lng: 119.31}, Industry: "I6513",
				Tags: []string{"software", "it"}, CreditClass: backend.CreditA, Status: backend.StatusActive, LegalRep: "Lin Wei"},
			{ID: "92350104MA2Y7F8H0N", Kind: backend.KindIndividual, Name: "Wang's Noodle Stall", RegionCode: "350104",
				Industry: "H6210", Tags: []string{}, CreditClass: backend.CreditB, Status: backend.StatusClosed, LegalRep: "Wang Fang"},
			{ID: "93350105MA3H1J2K4A", Kind: backend.KindCooperative, Name: "Green Valley Cooperative", RegionCode: "350105",
				Industry: "A0141", Tags: []string{}, CreditClass: backend.CreditC, Status: backend.StatusDeregistered, KeySupervision: true},
			{ID: "91350102MA2Y0A1D8F", Kind: backend.KindEnterprise, Name: "Drugstore Chain", RegionCode: "350102",
				Location: &backend.GeoPoint{Lat: 26.0851, Lng: 119.3001}, Industry: "F5251", Tags: []string{"pharmacy"},
				CreditClass: backend.CreditD, Whitelisted: true, Status: backend.StatusRevoked, KeySupervision: true, LegalRep: "Li Ming"},
		})
	})

	t.Run("GB18030", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportFile(t, importer.Targets, fixture("enterprises_gb18030.csv"))
		checkCounts(t, s, 2, 0, 0, 0)
		checkStored(t, e, zhTargets[1:3])
	})

	t.Run("BadRows", func(t *testing.T) {
		e := newEnv(t)
		s := e.MustImportFile(t, importer.Targets, fixture("enterprises_bad.csv"))
		checkCounts(t, s, 3, 0, 0, 14)
		checkErrors(t, s.Errors, []string{
			"3/统一社会信用代码", // wrong check character
			"4/类型",       // a 92 code is not an enterprise
			"5/行政区划",
			"6/信用风险分类",
			"7/统一社会信用代码", // duplicate of row 2
			"8/名称",
			"9/纬度",
			"10/纬度", // longitude without latitude
			"11/登记状态",
			"12/",   // ragged row
			"13/行业", // found by Target.Validate
			"16/",   // bare quote
			"18/类型", // kind not derivable from a 12… code
			"19/白名单",
		})
		for _, c := range []struct {
			row    int
			column string
			reason string
		}{
			{3, "统一社会信用代码", "wrong check character (want H)"},
			{4, "类型", "is the code of an individual"},
			{7, "统一社会信用代码", "also appears in row 2"},
			{10, "纬度", "required when the 经度 is given"},
			{12, "", "the row has 15 cells but the header only 14"},
			{13, "行业", `industry "Z99"`},
		} {
			if r := findError(s.Errors, c.row, c.column); !strings.Contains(r, c.reason) {
				t.Errorf("row %d, %s: reason %q, want it to contain %q", c.row, c.column, r, c.reason)
			}
		}
		stored := e.storedTargets(t)
		for _, id := range []string{"91350102MA2Y0A1D8F", "91350103MA31C4D5E9", "91350102MA2Y0A1C7B"} {
			if stored[id] == nil {
				t.Errorf("valid row %s was not imported", id)
			}
		}
		if len(stored) != 3 {
			t.Errorf("%d targets stored, want the 3 valid rows", len(stored))
		}
		if got := stored["91350102MA2Y0A1D8F"].Name; got != "福州好运来超市有限公司" {
			t.Errorf("name=%q: the duplicate row must not win", got)
		}
	})
}

func TestImportTargetsReimport(t *testing.T) {
	e := newEnv(t)
	e.MustImportFile(t, importer.Targets, fixture("enterprises_zh.csv"))
	before := e.versions(t)
	entries := e.auditCount(t)

	t.Run("SameFileChangesNothing", func(t *testing.T) {
		s := e.MustImportFile(t, importer.Targets, fixture("enterprises_zh.csv"))
		checkCounts(t, s, 0, 0, 6, 0)
		if !strings.HasPrefix(s.String(), "imported 0, updated 0, rejected 0") {
			t.Errorf("String()=%q", s)
		}
		sameJSON(t, "versions", e.versions(t), before)
		if n := e.auditCount(t); n != entries {
			t.Errorf("audit log has %d entries, want %d: an unchanged import must not be audited", n, entries)
		}
	})

	t.Run("SameDataOtherSpelling", func(t *testing.T) {
		// The English file spells the same data differently for one target.
		csv := "USCC,Name,Kind,Region,Address,Lng,Lat,Industry,Tags,Credit,Whitelisted,Status,KeySupervision,LegalRep\n" +
			"91350102ma2y0a1b3x, 福州闽江食品有限公司 ,enterprise,350102,\"福州市鼓楼区五四路100号,1层\",119.296494,26.074508,c1469,食品生产；重点食品；食品生产,b类,false,active,yes,林建国\n"
		s := e.MustImportString(t, importer.Targets, csv)
		checkCounts(t, s, 0, 0, 1, 0)
		sameJSON(t, "versions", e.versions(t), before)
	})

	t.Run("ChangedRowUpdatesOnlyIt", func(t *testing.T) {
		data, err := readFixture("enterprises_zh.csv")
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(data, "仓山区王记小吃店,个体工商户,350104,福州市仓山区上渡路8号", "仓山区王记小吃店（新址）,个体工商户,350104,福州市仓山区上渡路18号", 1)
		s := e.MustImportString(t, importer.Targets, changed)
		checkCounts(t, s, 0, 1, 5, 0)
		after := e.versions(t)
		for id, v := range before {
			want := v
			if id == "92350104MA2Y7F8G9H" {
				want = v + 1
			}
			if after[id] != want {
				t.Errorf("%s: version=%d, want %d", id, after[id], want)
			}
		}
		got := e.storedTargets(t)["92350104MA2Y7F8G9H"]
		want := *zhTargets[2]
		want.Name, want.Address = "仓山区王记小吃店（新址）", "福州市仓山区上渡路18号"
		sameJSON(t, "updated target", got, &want)
		// The update is in the target's own history.
		list, err := e.auditStore.FindAuditEntries(e.ctx, "target", "92350104MA2Y7F8G9H", 10)
		if err != nil || len(list) != 1 || list[0].Action != "import.targets" || list[0].Actor != "system:import" {
			t.Errorf("audit entries of the target = %+v, %v; want one import.targets entry by system:import", list, err)
		}
	})

	t.Run("InvalidRowLeavesStoredUntouched", func(t *testing.T) {
		prev := e.storedTargets(t)["91350103MA31C4D5E9"]
		csv := "统一社会信用代码,名称,行政区划,信用风险分类\n91350103MA31C4D5E9,改名失败,350103,E\n"
		s := e.MustImportString(t, importer.Targets, csv)
		checkCounts(t, s, 0, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"2/信用风险分类"})
		got := e.storedTargets(t)["91350103MA31C4D5E9"]
		if got.Version != prev.Version || got.Name != prev.Name {
			t.Errorf("stored target changed to version %d %q, want version %d %q", got.Version, got.Name, prev.Version, prev.Name)
		}
	})

	t.Run("MissingColumnsKeepStoredValues", func(t *testing.T) {
		prev := e.storedTargets(t)["91350102MA2Y0A1B3X"]
		csv := "uscc,name,region,credit\n91350102MA2Y0A1B3X,福州闽江食品有限公司,350102,D\n"
		s := e.MustImportString(t, importer.Targets, csv)
		checkCounts(t, s, 0, 1, 0, 0)
		got := e.storedTargets(t)["91350102MA2Y0A1B3X"]
		want := *prev
		want.CreditClass = backend.CreditD
		sameJSON(t, "target", got, &want)
		if got.Version != prev.Version+1 {
			t.Errorf("version=%d, want %d", got.Version, prev.Version+1)
		}
	})

	t.Run("KindCannotChange", func(t *testing.T) {
		// A code of another registration authority (12: an institution)
		// implies no kind, so the file must give one, and it sticks.
		csv := "uscc,name,kind,region,credit\n12350100MB01234562,福州市某事业单位,企业,350100,B\n"
		checkCounts(t, e.MustImportString(t, importer.Targets, csv), 1, 0, 0, 0)
		s := e.MustImportString(t, importer.Targets, strings.Replace(csv, "企业", "个体工商户", 1))
		checkCounts(t, s, 0, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"2/kind"})
		if r := s.Errors[0].Reason; !strings.Contains(r, "cannot change") {
			t.Errorf("reason %q", r)
		}
		// A product id cannot name a project: Validate says so.
		s = e.MustImportString(t, importer.Targets, "uscc,name,kind,region,credit\nproduct-FJ-2026-001,瓶装饮用水,project,350100,\n")
		checkCounts(t, s, 0, 0, 0, 1)
		checkErrors(t, s.Errors, []string{"2/uscc"})
	})
}

func TestImportTargetsBatches(t *testing.T) {
	e := newEnv(t)
	e.im.BatchSize = 4
	s := e.MustImportFile(t, importer.Targets, fixture("enterprises_zh.csv"))
	checkCounts(t, s, 6, 0, 0, 0)
	entries := map[string]*backend.AuditEntry{}
	err := e.auditStore.ScanAudit(e.ctx, func(a *backend.AuditEntry) error {
		entries[a.Detail] = a
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d audit entries, want 2 (batches of 4): %v", len(entries), entries)
	}
	first := entries["enterprises_zh.csv batch 1: 4 new, 0 updated"]
	if first == nil || entries["enterprises_zh.csv batch 2: 2 new, 0 updated"] == nil {
		t.Fatalf("audit details %v", keys(entries))
	}
	if first.Action != "import.targets" || first.ObjectType != "import" || !strings.HasPrefix(first.ObjectID, "sha256:") || len(first.ObjectID) != 71 {
		t.Errorf("audit entry %+v", first)
	}
	// The batch digest covers the (id, digest) pairs of what it wrote.
	type change struct {
		ID     string `json:"id"`
		Digest string `json:"digest"`
	}
	stored := e.storedTargets(t)
	var changes []change
	for _, w := range zhTargets[:4] {
		c := *stored[w.ID]
		c.Version, c.CreatedAt, c.UpdatedAt = 0, time.Time{}, time.Time{}
		changes = append(changes, change{ID: w.ID, Digest: backend.Digest(&c)})
	}
	if got, want := first.Digest, backend.Digest(changes); got != want {
		t.Errorf("batch digest %s, want %s (digest of the written ids and contents)", got, want)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func readFixture(name string) (string, error) {
	b, err := os.ReadFile(fixture(name))
	return string(b), err
}
