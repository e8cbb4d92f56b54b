package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestPlanPreview: the preview of a published plan gives the population,
// the exclusions and each stratum's N and n that its draw then takes,
// without the secret; only the lead department's managers (and
// administrators) may ask, and it changes nothing.
func TestPlanPreview(t *testing.T) {
	e, _ := newReviewEnv(t)
	ctx := context.Background()
	now := time.Now()
	p, err := demo.PublishSecondPlan(ctx, e.m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	url := "/api/v1/plans/" + p.ID + "/preview"

	r := e.do("POST", url, e.login("test.manager"), "", nil)
	if r.Status != 200 {
		t.Fatalf("preview: status=%d, want 200; %s", r.Status, r.Body)
	}
	var pv planning.PlanPreview
	r.JSON(t, &pv)
	secret, err := e.m.Stores.Plans.FindPlanSecret(ctx, p.ID, p.PublicVersion)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(r.Body), secret.Secret) {
		t.Fatal("the preview shows the plan's secret")
	}
	excluded := 0
	for _, x := range pv.Exclusions {
		excluded += x.Count
	}
	if pv.Population == 0 || pv.Eligible+excluded != pv.Population || len(pv.Problems) != 0 {
		t.Fatalf("preview: population %d, eligible %d, excluded %d, problems %v; want eligible + excluded = population > 0 and no problem", pv.Population, pv.Eligible, excluded, pv.Problems)
	}
	// The first plan's draw took targets of the same item this year: they
	// are excluded by the annual cap.
	if !hasReason(pv.Exclusions, "annual-cap") {
		t.Fatalf("exclusions %+v, want the annual cap among them", pv.Exclusions)
	}

	res, err := e.m.Planning.Draw(backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, ClientAddr: "test", Fresh: true}),
		p.ID, planning.DrawRequest{Value: demo.DemoValue(p.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Draw.Selected != pv.Selected {
		t.Fatalf("the draw selected %d, the preview said %d", res.Draw.Selected, pv.Selected)
	}
	data, err := e.m.Stores.Draws.LoadDrawRecord(ctx, res.Draw.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rec draw.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Strata) != len(pv.Strata) {
		t.Fatalf("the draw has %d strata, the preview %d", len(rec.Strata), len(pv.Strata))
	}
	for i, st := range rec.Strata {
		got := pv.Strata[i]
		if got.Key != st.Key || got.Population != st.Population || got.Eligible != st.Eligible || got.N != st.N {
			t.Fatalf("stratum %s: preview %+v, draw %+v", st.Key, got, st)
		}
	}

	e.run(t, []scenario{
		{Name: "ErrReviewer", Method: "POST", URL: url, User: "lead.reviewer", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrInspector", Method: "POST", URL: "/api/v1/plans/" + p.ID + "/preview", User: "test.inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoPlan", Method: "POST", URL: "/api/v1/plans/2026-scjg-0000000000/preview", User: "test.manager", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrNoLogin", Method: "POST", URL: url, WantStatus: 401, WantCode: "unauthenticated"},
	})
}

func hasReason(xs []planning.PreviewExclusion, reason string) bool {
	for _, x := range xs {
		if x.Reason == reason && x.Count > 0 {
			return true
		}
	}
	return false
}

// TestDrawResultExport: a draw's outcome as a table, as CSV (with the byte
// order mark Excel needs) and as XLSX, with the same rows; hidden from
// the reviewers of a department that is not in the plan.
func TestDrawResultExport(t *testing.T) {
	e, tasks := newReviewEnv(t)
	drawID := tasks[0].DrawID
	tok := e.login("lead.reviewer")

	r := e.do("GET", "/api/v1/draws/"+drawID+"/result", tok, "", nil)
	if r.Status != 200 {
		t.Fatalf("result: status=%d, want 200; %s", r.Status, r.Body)
	}
	var v planning.DrawResultView
	r.JSON(t, &v)
	if len(v.Rows) != v.Draw.Selected || len(v.Rows) != len(tasks) {
		t.Fatalf("%d rows, want the draw's %d selected and %d tasks", len(v.Rows), v.Draw.Selected, len(tasks))
	}
	for _, row := range v.Rows {
		if row.TargetName == "" || row.TargetName == row.TargetID || len(row.PRN) != 16 || row.TaskID == "" || (!row.Unassigned && len(row.Team) < 2) {
			t.Fatalf("row %+v: want the target's name, its PRN, its task and a team of two or more", row)
		}
	}

	r = e.do("GET", "/api/v1/draws/"+drawID+"/result.csv", tok, "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: status=%d type %q", r.Status, r.Header.Get("Content-Type"))
	}
	body, ok := bytes.CutPrefix(r.Body, []byte("\ufeff"))
	if !ok {
		t.Fatal("the CSV has no byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(v.Rows)+1 || rows[0][0] != "顺序" || rows[1][2] != v.Rows[0].TargetName || rows[1][4] != v.Rows[0].PRN {
		t.Fatalf("csv: %d rows, first %v %v; want a header and %d rows, the first %+v", len(rows), rows[0], rows[1], len(v.Rows), v.Rows[0])
	}

	r = e.do("GET", "/api/v1/draws/"+drawID+"/result.xlsx", tok, "", nil)
	if r.Status != 200 {
		t.Fatalf("xlsx: status=%d", r.Status)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet) != len(rows) || strings.Join(sheet[1], ",") != strings.Join(rows[1], ",") {
		t.Fatalf("xlsx: %d rows, second %v; want the CSV's %d, %v", len(sheet), sheet[1], len(rows), rows[1])
	}

	e.run(t, []scenario{
		{Name: "ErrOtherDepartment", Method: "GET", URL: "/api/v1/draws/" + drawID + "/result", User: "other.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrOtherDepartmentCSV", Method: "GET", URL: "/api/v1/draws/" + drawID + "/result.csv", User: "other.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrNoDraw", Method: "GET", URL: "/api/v1/draws/nothing-v1-d1/result", User: "lead.reviewer", WantStatus: 404, WantCode: "not_found"},
	})
}
