package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// TestTargetExport: the directory as CSV on the server, with the list's
// filters, the importer's headers and words (the file imports back
// without an error), a name that would be a formula made text, an
// explicit row limit and its note; bad filters and limits are 400.
func TestTargetExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ts []*backend.Target
	for i, credit := range []backend.CreditClass{"A", "B", "A"} {
		ts = append(ts, &backend.Target{ID: importUSCC(40 + i), Kind: backend.KindEnterprise, Name: "导出测试企业" + string(rune('甲'+i)), RegionCode: "350404",
			Industry: "F5211", Tags: []string{"食品经营", "重点"}, CreditClass: credit, Status: backend.StatusActive, Location: &backend.GeoPoint{Lat: 26.25, Lng: 117.61}})
	}
	ts[2].Name = "@SUM(1+1)导出测试"
	ts[2].KeySupervision = true
	if err := e.m.Stores.Targets.CreateTargets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	tok := e.login("reviewer")

	r := e.do("GET", "/api/v1/targets.csv", tok, "", nil)
	rows := readSheet(t, r)
	if len(rows) != 4 || strings.Join(rows[0], ",") != "统一社会信用代码,名称,类型,行政区划,地址,经度,纬度,行业,标签,信用风险分类,白名单,登记状态,重点监管,法定代表人" {
		t.Fatalf("%d rows, header %v; want the header and 3 targets", len(rows), rows[0])
	}
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[0]] = row
	}
	if got := byID[ts[2].ID]; got == nil || got[1] != "'"+ts[2].Name || got[2] != "企业" || got[5] != "117.61" || got[8] != "食品经营；重点" || got[11] != "存续" || got[12] != "是" {
		t.Errorf("row %q", got)
	}

	// The export imports back: the importer's dry run finds no error.
	check := e.do("POST", "/api/v1/imports/targets/check?name=targets.csv", e.login("admin"), "text/csv", strings.NewReader(string(r.Body)))
	if check.Status != 200 {
		t.Fatalf("dry run of the export: status=%d %s", check.Status, check.Body)
	}
	var sum importer.Summary
	check.JSON(t, &sum)
	if sum.Rejected != 0 || sum.Imported != 3 {
		t.Errorf("dry run of the export: %+v, want 3 rows and no error", sum)
	}

	if rows := readSheet(t, e.do("GET", "/api/v1/targets.csv?credit=A", tok, "", nil)); len(rows) != 3 {
		t.Errorf("credit=A: %d rows, want the header and 2", len(rows))
	}
	if rows := readSheet(t, e.do("GET", "/api/v1/targets.csv?limit=2&sort=name", tok, "", nil)); len(rows) != 4 || !strings.Contains(rows[3][0], "仅导出了前 2 条") {
		t.Errorf("limit=2: %q, want two rows and the note", rows)
	}
	e.run(t, []scenario{
		{Name: "ErrLimitOver", Method: "GET", URL: "/api/v1/targets.csv?limit=100001", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLimitZero", Method: "GET", URL: "/api/v1/targets.csv?limit=0", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDollarInFilterValue", Method: "GET", URL: "/api/v1/targets.csv?credit=%24ne", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrInspector", Method: "GET", URL: "/api/v1/targets.csv", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrAnonymous", Method: "GET", URL: "/api/v1/targets.csv", WantStatus: 401, WantCode: "unauthenticated"},
	})
}
