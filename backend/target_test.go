package backend_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func validTarget() *backend.Target {
	return &backend.Target{
		ID: "91440300708461136T", Kind: backend.KindEnterprise, Name: "华为技术有限公司",
		RegionCode: "440307", Address: "深圳市龙岗区坂田华为基地", Location: &backend.GeoPoint{Lat: 22.65, Lng: 114.06},
		Industry: "C3922", Tags: []string{"特种设备使用"}, CreditClass: backend.CreditA, Status: backend.StatusActive,
	}
}

func TestTargetValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*backend.Target)
		wantErr string // substring of the message; "" = valid
	}{
		{"OK", func(*backend.Target) {}, ""},
		{"OK/Product", func(tg *backend.Target) {
			tg.ID, tg.Kind, tg.CreditClass = "product-milk-2026", backend.KindProduct, ""
		}, ""},
		{"ErrCheckDigit", func(tg *backend.Target) { tg.ID = "91440300708461136U" }, "check character"},
		{"ErrKindMismatch", func(tg *backend.Target) { tg.Kind = backend.KindIndividual }, "registered as kind enterprise, not individual"},
		{"ErrUnknownKind", func(tg *backend.Target) { tg.Kind = "company" }, "kind"},
		{"ErrNoName", func(tg *backend.Target) { tg.Name = "" }, "name is required"},
		{"ErrLongName", func(tg *backend.Target) { tg.Name = strings.Repeat("名", 201) }, "at most 200"},
		{"ErrRegion", func(tg *backend.Target) { tg.RegionCode = "44030" }, "region code"},
		{"ErrCredit", func(tg *backend.Target) { tg.CreditClass = "E" }, "credit class"},
		{"ErrStatus", func(tg *backend.Target) { tg.Status = "dead" }, "status"},
		{"ErrLat", func(tg *backend.Target) { tg.Location.Lat = 91 }, "out of range"},
		{"ErrIndustry", func(tg *backend.Target) { tg.Industry = "restaurant" }, "industry"},
		{"ErrDollarTag", func(tg *backend.Target) { tg.Tags = []string{"$where"} }, "must not start with '$'"},
		{"ErrDuplicateTag", func(tg *backend.Target) { tg.Tags = []string{"a", "a"} }, "twice"},
		{"ErrControlChar", func(tg *backend.Target) { tg.Name = "a\x00b" }, "control character"},
		{"ErrProductID", func(tg *backend.Target) { tg.ID, tg.Kind = "project-x", backend.KindProduct }, "must look like product-CODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := validTarget()
			tt.mutate(tg)
			err := tg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate()=%v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate()=nil, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate()=%q, want it to contain %q", err, tt.wantErr)
			case err != nil && backend.ErrorCode(err) != backend.EINVALID:
				t.Fatalf("code=%q, want invalid", backend.ErrorCode(err))
			}
		})
	}
}

func TestItemValidateRatioCap(t *testing.T) {
	base := func() *backend.Item {
		return &backend.Item{Code: "SCJG-001", Name: "营业执照公示情况检查", LegalBasis: "《企业信息公示暂行条例》", DepartmentID: "scjg",
			TargetKind: backend.KindEnterprise, Content: "是否在住所醒目位置悬挂营业执照", Method: backend.MethodOnSite,
			Category: backend.ItemGeneral, RatioCapBp: 500}
	}
	tests := []struct {
		name   string
		mutate func(*backend.Item)
		ok     bool
	}{
		{"OK/General", func(*backend.Item) {}, true},
		{"OK/Key", func(it *backend.Item) { it.Category, it.RatioCapBp = backend.ItemKey, 0 }, true},
		{"ErrKeyWithCap", func(it *backend.Item) { it.Category = backend.ItemKey }, false},
		{"ErrGeneralNoCap", func(it *backend.Item) { it.RatioCapBp = 0 }, false},
		{"ErrCapOver100Percent", func(it *backend.Item) { it.RatioCapBp = 10001 }, false},
		{"ErrLeadAlsoCooperating", func(it *backend.Item) { it.CooperatingDepartments = []string{"scjg"} }, false},
		{"ErrMethod", func(it *backend.Item) { it.Method = "phone" }, false},
		{"ErrCode", func(it *backend.Item) { it.Code = "$bad" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := base()
			tt.mutate(it)
			if err := it.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate()=%v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestMergeChecklists(t *testing.T) {
	items := []*backend.Item{{Code: "A", Name: "甲", DepartmentID: "scjg"}, {Code: "B", Name: "乙", DepartmentID: "yjgl"}}
	tpls := []*backend.ChecklistTemplate{
		{ItemCode: "A", Version: 2, Questions: []backend.Question{{ID: "q1", Text: "x", Type: backend.QYesNo}}},
		{ItemCode: "B", Version: 1, Questions: []backend.Question{{ID: "q1", Text: "y", Type: backend.QText}, {ID: "q2", Text: "z", Type: backend.QPhoto}}},
	}
	cl, err := backend.MergeChecklists(items, tpls)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Sections) != 2 || cl.Sections[0].ItemCode != "A" || cl.Sections[1].DepartmentID != "yjgl" || cl.Sections[0].TemplateVersion != 2 {
		t.Fatalf("sections=%+v", cl.Sections)
	}
	// Both sections have a question "q1"; their answer keys differ.
	if backend.AnswerKey("A", "q1") == backend.AnswerKey("B", "q1") {
		t.Fatal("answer keys collide across items")
	}
	if _, err := backend.MergeChecklists(append(items, items[0]), append(tpls, tpls[0])); err == nil {
		t.Fatal("duplicate item merged, want error")
	}
	if _, err := backend.MergeChecklists(items, []*backend.ChecklistTemplate{tpls[1], tpls[0]}); err == nil {
		t.Fatal("mismatched templates merged, want error")
	}
}
