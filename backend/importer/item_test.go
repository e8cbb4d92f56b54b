package importer_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// fixtureItems is what items.csv holds.
var fixtureItems = []*backend.Item{
	{Code: "SC-001", Name: "食品生产企业监督检查", LegalBasis: "《中华人民共和国食品安全法》第一百一十条", DepartmentID: "scjg",
		CooperatingDepartments: []string{"wjw"}, TargetKind: backend.KindEnterprise, Content: "生产环境条件、进货查验结果、生产过程控制",
		Standard: "《食品生产经营监督检查管理办法》", Method: backend.MethodOnSite, Category: backend.ItemKey, Frequency: "每年一次"},
	{Code: "SC-002", Name: "企业公示信息抽查", LegalBasis: "《企业信息公示暂行条例》第十四条", DepartmentID: "scjg",
		TargetKind: backend.KindEnterprise, Content: "年度报告公示信息的真实性", Method: backend.MethodDocument,
		Category: backend.ItemGeneral, RatioCapBp: 500, Frequency: "每年一次"},
	{Code: "SC-003", Name: "个体工商户登记事项检查", LegalBasis: "《促进个体工商户发展条例》", DepartmentID: "scjg",
		TargetKind: backend.KindIndividual, Content: "登记事项与实际情况是否一致", Method: backend.MethodOnSite,
		Category: backend.ItemGeneral, RatioCapBp: 300},
	{Code: "WJ-001", Name: "公共场所卫生监督检查", LegalBasis: "《公共场所卫生管理条例》", DepartmentID: "wjw",
		CooperatingDepartments: []string{"scjg"}, TargetKind: backend.KindEnterprise, Content: "卫生许可证、从业人员健康证明",
		Method: backend.MethodOnSite, Category: backend.ItemGeneral, RatioCapBp: 250, Frequency: "每年两次"},
}

func (e *env) item(tb testing.TB, code string) *backend.Item {
	tb.Helper()
	it, err := e.items.FindItemByCode(e.ctx, code)
	if err != nil {
		tb.Fatalf("find item %s: %v", code, err)
	}
	return it
}

func TestImportItems(t *testing.T) {
	e := newEnv(t)
	s := e.MustImportFile(t, importer.Items, fixture("items.csv"))
	checkCounts(t, s, 4, 0, 0, 0)
	for _, w := range fixtureItems {
		sameJSON(t, "item "+w.Code, e.item(t, w.Code), w)
	}

	t.Run("ReimportChangesNothing", func(t *testing.T) {
		s := e.MustImportFile(t, importer.Items, fixture("items.csv"))
		checkCounts(t, s, 0, 0, 4, 0)
		for _, w := range fixtureItems {
			if v := e.item(t, w.Code).Version; v != 1 {
				t.Errorf("%s: version=%d, want 1", w.Code, v)
			}
		}
	})

	t.Run("UpdateKeepsTemplateVersion", func(t *testing.T) {
		it := e.item(t, "SC-002")
		it.TemplateVersion = 3
		if err := e.items.UpdateItem(e.ctx, it); err != nil {
			t.Fatal(err)
		}
		data, err := readFixture("items.csv")
		if err != nil {
			t.Fatal(err)
		}
		s := e.MustImportString(t, importer.Items, strings.Replace(data, "一般,5%,每年一次", "一般,8%,每年一次", 1))
		checkCounts(t, s, 0, 1, 3, 0)
		got := e.item(t, "SC-002")
		if got.RatioCapBp != 800 || got.TemplateVersion != 3 || got.Version != 3 {
			t.Errorf("ratio %d bp, template version %d, version %d; want 800, 3, 3", got.RatioCapBp, got.TemplateVersion, got.Version)
		}
		if v := e.item(t, "SC-001").Version; v != 1 {
			t.Errorf("SC-001: version=%d, want 1", v)
		}
	})
}

func TestImportItemsBadRows(t *testing.T) {
	e := newEnv(t)
	s := e.MustImportFile(t, importer.Items, fixture("items_bad.csv"))
	checkCounts(t, s, 1, 0, 0, 8)
	checkErrors(t, s.Errors, []string{
		"3/ratioCap", "4/ratioCap", "5/method", "6/ratioCap", "7/cooperatingDepartments",
		"8/cooperatingDepartments", "9/legalBasis", "10/code",
	})
	if r := findError(s.Errors, 7, "cooperatingDepartments"); !strings.Contains(r, `unknown department "tax"`) {
		t.Errorf("reason %q", r)
	}
	if r := findError(s.Errors, 6, "ratioCap"); !strings.Contains(r, "ambiguous") {
		t.Errorf("reason %q", r)
	}
}

func TestImportItemsRatioSpellings(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		cell string
		want int // basis points; 0 = rejected
	}{
		{"5%", 500}, {"5 %", 500}, {"5％", 500}, {"0.5%", 50}, {"12.34%", 1234}, {"100%", 10000},
		{"5", 500}, {"1", 100}, {"100", 10000}, {"2.5", 250},
		{"500bp", 500}, {"1BP", 1},
		{"0.05", 0}, {"0", 0}, {"101", 0}, {"0.001%", 0}, {"-5%", 0}, {"1.5bp", 0}, {"五成", 0},
	}
	var b strings.Builder
	b.WriteString("code,name,legalBasis,department,targetKind,content,method,category,ratioCap\n")
	for i, c := range cases {
		b.WriteString("R-" + itoa(i) + ",n,basis,scjg,enterprise,c,onsite,general," + c.cell + "\n")
	}
	s := e.MustImportString(t, importer.Items, b.String())
	for i, c := range cases {
		it, err := e.items.FindItemByCode(e.ctx, "R-"+itoa(i))
		switch {
		case c.want == 0 && err == nil:
			t.Errorf("%q: stored as %d bp, want rejected", c.cell, it.RatioCapBp)
		case c.want == 0 && findError(s.Errors, i+2, "ratioCap") == "":
			t.Errorf("%q: no error for row %d: %v", c.cell, i+2, s.Errors)
		case c.want != 0 && err != nil:
			t.Errorf("%q: %v; errors: %v", c.cell, err, s.Errors)
		case c.want != 0 && it.RatioCapBp != c.want:
			t.Errorf("%q: %d bp, want %d", c.cell, it.RatioCapBp, c.want)
		}
	}
}
