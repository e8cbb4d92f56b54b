package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// seedDirectory adds an item with a checklist, 40 enterprises and four
// officers to the env's store.
func seedDirectory(t *testing.T, e *env) {
	t.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	d := e.m.Directory
	it := &backend.Item{Code: "SCJG-03", Name: "食品经营许可及经营行为检查", LegalBasis: "《中华人民共和国食品安全法》", DepartmentID: "scjg",
		TargetKind: backend.KindEnterprise, Content: "检查食品经营许可", Method: backend.MethodOnSite, Category: backend.ItemKey}
	if err := d.CreateItem(sys, it); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateTemplate(sys, it.Code, []backend.Question{{ID: "licence", Text: "是否持证", Type: backend.QYesNo}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		first := fmt.Sprintf("91350404MA%07d", i)
		c, _ := backend.USCCCheckChar(first)
		tg := &backend.Target{ID: first + string(c), Kind: backend.KindEnterprise, Name: fmt.Sprintf("测试商贸%d有限公司", i),
			RegionCode: "350404", CreditClass: backend.CreditClass("ABCD"[i%4 : i%4+1]), Status: backend.StatusActive}
		if err := d.CreateTarget(sys, tg); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		in := &backend.Inspector{ID: fmt.Sprintf("ins-%d", i), Name: "执法员", DepartmentID: "scjg", CertNo: fmt.Sprintf("SC%04d", i), CertExpiry: "2099-12-31", Active: true}
		if i == 0 {
			in.UserID = "inspector"
		}
		if err := d.CreateInspector(sys, in); err != nil {
			t.Fatal(err)
		}
	}
}

const planJSON = `{"year":2026,"name":"食品经营抽查","items":["SCJG-03"],"leadDepartment":"scjg",
 "strata":[{"key":"A","ratioBp":2500},{"key":"B","ratioBp":2500},{"key":"C","count":3},{"key":"D","count":5}],
 "teamSize":2,"batches":[{"name":"第一批","start":"2026-01-01","end":"2099-12-31","dueDays":30}]}`

// The plans of these tests declare an issue of 福彩3D drawn on the evening
// of 2026-03-01: they are published that morning (beforeResult) and drawn
// the next day (afterResult), on the planning service's clock.
const publishJSON = `{"version":1,"entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}}` // of a plan just created

var (
	beforeResult = time.Date(2026, 3, 1, 9, 0, 0, 0, backend.China)
	afterResult  = time.Date(2026, 3, 2, 10, 0, 0, 0, backend.China)
)

// planningAt stops the planning service's clock at t.
func (e *env) planningAt(t time.Time) { e.m.Planning.Now = func() time.Time { return t } }

func TestPlanAndDrawAPI(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	manager := e.login("manager")
	e.planningAt(beforeResult)
	r := e.do("POST", "/api/v1/plans", manager, "application/json", strings.NewReader(planJSON))
	if r.Status != 201 {
		t.Fatalf("create plan: %d %s", r.Status, r.Body)
	}
	var plan backend.Plan
	r.JSON(t, &plan)
	id := plan.ID
	e.run(t, []scenario{
		{Name: "ErrDraftNotPublic", Method: "GET", URL: "/public/plans/" + id, WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDrawDraft", Method: "POST", URL: "/api/v1/plans/" + id + "/draws", User: "manager", Body: `{"value":"5 8 2"}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"not published"}},
		{Name: "ErrTeamSizeOne", Method: "POST", URL: "/api/v1/plans", User: "manager", Body: strings.Replace(planJSON, `"teamSize":2`, `"teamSize":1`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRatioOutOfRange", Method: "POST", URL: "/api/v1/plans", User: "manager", Body: strings.Replace(planJSON, `"ratioBp":2500}`, `"ratioBp":20000}`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/plans", User: "manager", Body: strings.Replace(planJSON, `"year"`, `"secret":"x","year"`, 1), WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrPublishWithoutSource", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: `{"version":1}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"declares the entropy source"}},
		// The stale-version check cannot be skipped: no version, version 0
		// and an old version are refused, and the plan stays a draft.
		{Name: "ErrPublishWithoutVersion", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: strings.Replace(publishJSON, `"version":1,`, ``, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{`field \"version\" is required`}},
		{Name: "ErrPublishNullVersion", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: strings.Replace(publishJSON, `"version":1`, `"version":null`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{`field \"version\" must not be null`}},
		{Name: "ErrPublishVersionZero", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: strings.Replace(publishJSON, `"version":1`, `"version":0`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"version"}},
		{Name: "ErrPublishStaleVersion", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: strings.Replace(publishJSON, `"version":1`, `"version":2`, 1), WantStatus: 409, WantCode: "conflict"},
		{Name: "OK/StillDraft", Method: "GET", URL: "/api/v1/plans/" + id, User: "manager", WantStatus: 200, WantContent: []string{`"state":"draft"`, `"version":1`}},
		{Name: "OK/Publish", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: publishJSON, WantStatus: 200, WantContent: []string{`"state":"published"`, `"commitment":"`, `"entropySource":{"source":"fc-3d"`}},
		{Name: "OK/ListPublished", Method: "GET", URL: "/api/v1/plans?state=published", User: "manager", WantStatus: 200, WantContent: []string{id}},
		{Name: "OK/ListDraftsOnly", Method: "GET", URL: "/api/v1/plans?state=draft,closed", User: "manager", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrListUnknownState", Method: "GET", URL: "/api/v1/plans?state=secret", User: "manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/PublicList", Method: "GET", URL: "/public/plans?year=2026", WantStatus: 200, WantContent: []string{id}},
		{Name: "OK/PublicPlan", Method: "GET", URL: "/public/plans/" + id, WantStatus: 200, WantContent: []string{`"commitment":"`, `"entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}`, `"entropyResultAt":"2026-03-01T13:15:00Z"`}},
		{Name: "ErrDrawNoToken", Method: "POST", URL: "/api/v1/plans/" + id + "/draws", Body: `{"value":"5 8 2"}`, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrDrawByReviewer", Method: "POST", URL: "/api/v1/plans/" + id + "/draws", User: "reviewer", Body: `{"value":"5 8 2"}`, WantStatus: 403, WantCode: "forbidden"},
	})
	e.planningAt(afterResult)
	e.run(t, []scenario{
		{Name: "OK/Draw", Method: "POST", URL: "/api/v1/plans/" + id + "/draws", User: "manager", Body: `{"value":"5 8 2"}`, WantStatus: 201, WantContent: []string{`"draw":{`, `"tasks":[{`}},
		{Name: "ErrDrawAgain", Method: "POST", URL: "/api/v1/plans/" + id + "/draws", User: "manager", Body: `{"value":"5 8 2"}`, WantStatus: 409, WantCode: "conflict"},
		{Name: "ErrUnknownDraw", Method: "GET", URL: "/public/draws/nope", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/InspectorSeesOwnTasksOnly", Method: "GET", URL: "/api/v1/tasks", User: "inspector", WantStatus: 200},
		{Name: "ErrInspectorListsPlans", Method: "GET", URL: "/api/v1/plans", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
	})
	r = e.do("GET", "/public/draws/"+id+"-v1-d1", "", "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("public record: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var rec draw.Record
	r.JSON(t, &rec)
	if diffs := draw.Verify(&rec); len(diffs) != 0 {
		t.Fatalf("served record does not verify: %v", diffs)
	}
	// Strata: 10 per class; 25 % of 10 → 3 (A, B), counts 3 (C) and 5 (D).
	want := map[string]int{"A": 3, "B": 3, "C": 3, "D": 5}
	for _, st := range rec.Strata {
		if st.N != want[st.Key] {
			t.Fatalf("stratum %s drew %d, want %d", st.Key, st.N, want[st.Key])
		}
	}
	// The inspector sees exactly the tasks whose team includes them.
	r = e.do("GET", "/api/v1/tasks?limit=200", e.login("inspector"), "", nil)
	var page struct{ Items []backend.Task }
	r.JSON(t, &page)
	for _, tk := range page.Items {
		if !strings.Contains(strings.Join(tk.TeamUsers, ","), "inspector") {
			t.Fatalf("inspector sees task %s of team %v", tk.ID, tk.TeamUsers)
		}
	}
	b, _ := json.Marshal(page)
	if len(page.Items) == 0 {
		t.Fatalf("inspector ins-0 is on no team of 14 drawn targets with 4 officers: %s", b)
	}
}
