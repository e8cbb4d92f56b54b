package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// Issue 12, hole 1 ("redraw chooses the sample"): a redraw reused the
// secret the first draw had published, and took free-text entropy. With
// the secret public, a manager tried entropy strings offline until one put
// a chosen enterprise in (or out) of the sample, then redrew with it and a
// plausible reason. These probes replay the attack over HTTP.

// createPlan creates a plan of planJSON and returns its id.
func (e *env) createPlan(t *testing.T, token string) string {
	t.Helper()
	r := e.do("POST", "/api/v1/plans", token, "application/json", strings.NewReader(planJSON))
	if r.Status != 201 {
		t.Fatalf("create plan: %d %s", r.Status, r.Body)
	}
	var p backend.Plan
	r.JSON(t, &p)
	return p.ID
}

// mustSend sends a JSON body and wants the status.
func (e *env) mustSend(t *testing.T, method, url, token, body string, status int) *response {
	t.Helper()
	r := e.do(method, url, token, "application/json", strings.NewReader(body))
	if r.Status != status {
		t.Fatalf("%s %s: status=%d, want %d; body %s", method, url, r.Status, status, r.Body)
	}
	return r
}

// inputOf is the draw input a record was computed from, as anyone can
// rebuild it from the public record.
func inputOf(rec *draw.Record) draw.Input {
	in := draw.Input{Algorithm: rec.Algorithm, PlanID: rec.PlanID, PlanVersion: rec.PlanVersion, Commitment: rec.Commitment,
		Secret: rec.Secret, PublicEntropy: rec.PublicEntropy, DrawDate: rec.DrawDate, TeamSize: rec.TeamSize,
		Departments: rec.Departments, Strata: map[string]draw.Rule{}, Population: rec.Population, Inspectors: rec.Inspectors}
	for _, s := range rec.Strata {
		in.Strata[s.Key] = s.Rule
	}
	return in
}

func selects(rec *draw.Record, id string) bool {
	return slices.ContainsFunc(rec.Selected, func(s draw.Selection) bool { return s.ID == id })
}

func TestSecurityRedrawCannotChooseTheSample(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	manager := e.login("manager")
	id := e.createPlan(t, manager)
	e.planningAt(beforeResult)
	e.mustSend(t, "POST", "/api/v1/plans/"+id+"/publish", manager, publishJSON, 200)
	e.planningAt(afterResult)
	e.mustSend(t, "POST", "/api/v1/plans/"+id+"/draws", manager, `{"value":"1 2 3"}`, 201)
	var rec draw.Record
	e.do("GET", "/public/draws/"+id+"-v1-d1", "", "", nil).JSON(t, &rec)

	// The attacker grinds offline with the revealed secret: free text, and
	// values in the declared form, until the chosen target flips.
	chosen := rec.Population[0].ID
	want := !selects(&rec, chosen)
	in := inputOf(&rec)
	grind := func(candidate func(k int) string) string {
		for k := 0; k < 1000; k++ {
			in.PublicEntropy = candidate(k)
			got, err := draw.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			if selects(got, chosen) == want {
				return in.PublicEntropy
			}
		}
		t.Fatal("grinding found nothing")
		return ""
	}
	freeText := grind(func(k int) string { return fmt.Sprintf("福彩3D 2026330 1 2 3（更正 %d）", k) })
	prefix := rec.EntropySource.String() + " "
	value := strings.TrimPrefix(grind(func(k int) string { return fmt.Sprintf("%s%d %d %d", prefix, k/100, k/10%10, k%10) }), prefix)

	url := "/api/v1/plans/" + id + "/draws"
	e.run(t, []scenario{
		{Name: "ErrRedrawWithChosenFreeText", Method: "POST", URL: url, User: "manager",
			Body:       fmt.Sprintf(`{"publicEntropy":%q,"redraw":true,"reason":"开奖号码录入错误"}`, freeText),
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"publicEntropy"}},
		{Name: "ErrRedrawWithChosenValue", Method: "POST", URL: url, User: "manager", Body: fmt.Sprintf(`{"value":%q,"redraw":true}`, value),
			WantStatus: 409, WantCode: "conflict", WantContent: []string{"drawn once", "publish a new version"}},
		{Name: "ErrDrawAgainWithChosenValue", Method: "POST", URL: url, User: "manager", Body: fmt.Sprintf(`{"value":%q}`, value),
			WantStatus: 409, WantCode: "conflict", WantContent: []string{"publish a new version"}},
		{Name: "ErrNoSecondRecord", Method: "GET", URL: "/public/draws/" + id + "-v1-d2", WantStatus: 404, WantCode: "not_found"},
	})
	var after draw.Record
	e.do("GET", "/public/draws/"+id+"-v1-d1", "", "", nil).JSON(t, &after)
	if selects(&after, chosen) == want {
		t.Fatalf("the sample moved the way the attacker wanted")
	}
}

func TestSecurityDrawTakesOnlyTheDeclaredSourcesValue(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	manager := e.login("manager")
	id := e.createPlan(t, manager)
	url := "/api/v1/plans/" + id + "/draws"
	e.planningAt(beforeResult)
	e.run(t, []scenario{
		{Name: "ErrPublishWithoutSource", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: `{"version":1}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"declares the entropy source"}},
		{Name: "ErrPublishFreeTextSource", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager",
			Body: `{"version":1,"entropySource":{"source":"福彩3D 2026330 1 2 3"}}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"not supported"}},
		{Name: "ErrPublishPastSource", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager",
			Body: `{"version":1,"entropySource":{"source":"fc-3d","issue":"2026059","date":"2026-02-28"}}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"public since 2026-02-28 21:15:00"}},
		{Name: "OK/Publish", Method: "POST", URL: "/api/v1/plans/" + id + "/publish", User: "manager", Body: publishJSON, WantStatus: 200,
			WantContent: []string{`"entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}`}},
		{Name: "ErrBeforeResultTime", Method: "POST", URL: url, User: "manager", Body: `{"value":"1 2 3"}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"published at 2026-03-01 21:15:00 (Asia/Shanghai)"}},
	})
	e.planningAt(afterResult)
	e.run(t, []scenario{
		{Name: "ErrFreeTextEntropy", Method: "POST", URL: url, User: "manager", Body: `{"publicEntropy":"福彩3D 2026330 1 2 3（更正 42）"}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"publicEntropy"}},
		{Name: "ErrFreeTextValue", Method: "POST", URL: url, User: "manager", Body: `{"value":"福彩3D 2026330 1 2 3（更正 42）"}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"not a result of 福彩3D"}},
		{Name: "ErrWrongForm", Method: "POST", URL: url, User: "manager", Body: `{"value":"1,2,3"}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"three digits 0-9 separated by single spaces"}},
		{Name: "ErrTrailingText", Method: "POST", URL: url, User: "manager", Body: `{"value":"1 2 3 "}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrNoValue", Method: "POST", URL: url, User: "manager", Body: `{}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrRedrawOfFirstVersion", Method: "POST", URL: url, User: "manager", Body: `{"value":"1 2 3","redraw":true}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"nothing to redraw"}},
		{Name: "ErrNoDrawYet", Method: "GET", URL: "/public/draws/" + id + "-v1-d1", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/Draw", Method: "POST", URL: url, User: "manager", Body: `{"value":"1 2 3"}`, WantStatus: 201},
		{Name: "OK/RecordShowsSource", Method: "GET", URL: "/public/draws/" + id + "-v1-d1", WantStatus: 200,
			WantContent: []string{`"publicEntropy":"福彩3D 第2026060期 2026-03-01 1 2 3","entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}`}},
	})
}

func TestSecurityRedrawIsANewVersion(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	manager := e.login("manager")
	id := e.createPlan(t, manager)
	e.planningAt(beforeResult)
	e.mustSend(t, "POST", "/api/v1/plans/"+id+"/publish", manager, publishJSON, 200)
	e.planningAt(afterResult)
	var first struct {
		Draw  backend.Draw
		Tasks []backend.Task
	}
	e.mustSend(t, "POST", "/api/v1/plans/"+id+"/draws", manager, `{"value":"1 2 3"}`, 201).JSON(t, &first)
	var v1 backend.Plan
	e.do("GET", "/api/v1/plans/"+id, manager, "", nil).JSON(t, &v1)

	put := func(reason, source string) string {
		plan := strings.Replace(planJSON, `"year"`, fmt.Sprintf(`"id":%q,"version":%d,"year"`, id, v1.Version), 1)
		return fmt.Sprintf(`{"plan":%s,"reason":%q%s}`, plan, reason, source)
	}
	next := `,"entropySource":{"source":"fc-3d","issue":"2026061","date":"2026-03-02"}`
	url := "/api/v1/plans/" + id
	e.run(t, []scenario{
		{Name: "ErrNewVersionWithoutSource", Method: "PUT", URL: url, User: "manager", Body: put("开奖号码录入错误", ""),
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"declares the entropy source"}},
		{Name: "ErrNewVersionWithRevealedSource", Method: "PUT", URL: url, User: "manager", Body: put("开奖号码录入错误", `,"entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}`),
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"public since"}},
		{Name: "OK/NewVersion", Method: "PUT", URL: url, User: "manager", Body: put("开奖号码录入错误", next),
			WantStatus: 200, WantContent: []string{`"publicVersion":2`, `"issue":"2026061"`}},
		{Name: "ErrDrawBeforeNewResult", Method: "POST", URL: url + "/draws", User: "manager", Body: `{"value":"4 5 6"}`,
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"published at 2026-03-02 21:15:00"}},
	})
	var v2 backend.Plan
	e.do("GET", url, manager, "", nil).JSON(t, &v2)
	if v2.Commitment == v1.Commitment || v2.EntropySource.Issue != "2026061" {
		t.Fatalf("version 2 keeps commitment %v or source %+v", v2.Commitment == v1.Commitment, v2.EntropySource)
	}

	e.planningAt(time.Date(2026, 3, 3, 9, 0, 0, 0, backend.China))
	var second struct {
		Draw  backend.Draw
		Tasks []backend.Task
	}
	e.mustSend(t, "POST", url+"/draws", manager, `{"value":"4 5 6","redraw":true}`, 201).JSON(t, &second)
	if d := second.Draw; d.ID != id+"-v2-d1" || !d.Redraw || d.Reason != "开奖号码录入错误" || !slices.Equal(d.Supersedes, []string{first.Draw.ID}) {
		t.Fatalf("draw of version 2: %+v", d)
	}
	for _, tk := range first.Tasks {
		var cur backend.Task
		e.do("GET", "/api/v1/tasks/"+tk.ID, manager, "", nil).JSON(t, &cur)
		if cur.Status != backend.TaskCancelled {
			t.Fatalf("task %s of the superseded draw is %s", tk.ID, cur.Status)
		}
	}
	// Version 1's selections no longer count toward the annual cap.
	var rec draw.Record
	e.do("GET", "/public/draws/"+second.Draw.ID, "", "", nil).JSON(t, &rec)
	for _, c := range rec.Population {
		if c.Excluded == draw.ExcludedAnnualCap {
			t.Fatalf("target %s is excluded by the annual cap of the superseded draw", c.ID)
		}
	}
	if diffs := draw.Verify(&rec); len(diffs) != 0 {
		t.Fatalf("record of version 2 does not verify: %v", diffs)
	}
	e.run(t, []scenario{
		{Name: "OK/PublicHistory", Method: "GET", URL: "/public/plans/" + id, WantStatus: 200,
			WantContent: []string{`"issue":"2026060"`, `"issue":"2026061"`, `"reason":"开奖号码录入错误"`, `"supersededBy":"` + second.Draw.ID + `"`, `"supersedes":["` + first.Draw.ID + `"]`}},
		{Name: "ErrRedrawOfVersion2", Method: "POST", URL: url + "/draws", User: "manager", Body: `{"value":"7 8 9","redraw":true}`,
			WantStatus: 409, WantCode: "conflict", WantContent: []string{"publish a new version"}},
	})
}
