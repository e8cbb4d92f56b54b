package api_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// newRoundEnv is a fieldcheck with the demo county as of beforeResult
// (its users log in with their demo passwords), and the demo round's
// plans created and published by their managers, not yet registered.
func newRoundEnv(t *testing.T) (*env, []*backend.Plan) {
	t.Helper()
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 300, beforeResult)
	e := &env{t: t, m: m}
	e.planningAt(beforeResult)
	plans := demo.RoundPlans(afterResult)
	src := &backend.EntropySource{Source: "fc-3d", Issue: "2026060", Date: "2026-03-01"}
	for _, p := range plans {
		ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: p.LeadDepartment + ".manager", Role: backend.RoleManager,
			Departments: []string{p.LeadDepartment}, ClientAddr: "127.0.0.1", Fresh: true})
		if err := m.Planning.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Planning.PublishPlan(ctx, p.ID, p.Version, src); err != nil {
			t.Fatal(err)
		}
	}
	return e, plans
}

func (e *env) demoLogin(_ testing.TB, user string) string {
	return e.loginWith(user, demo.DemoPassword(user))
}

// sourceJSON declares the entropy source of the plans' tests, for a round.
const sourceJSON = `{"entropySource":{"source":"fc-3d","issue":"2026060","date":"2026-03-01"}}`

func TestRoundAPI(t *testing.T) {
	e, plans := newRoundEnv(t)
	r := e.do("POST", "/api/v1/rounds", e.demoLogin(t, "admin"), "application/json",
		strings.NewReader(`{"year":2026,"name":"综合查一次","period":"2026年第一季度",`+sourceJSON[1:]))
	if r.Status != 201 {
		t.Fatalf("open a round: %d %s", r.Status, r.Body)
	}
	var round backend.Round
	r.JSON(t, &round)
	id := round.ID
	register := func(name, user string, p *backend.Plan, status int, code string) scenario {
		return scenario{Name: name, Method: "POST", URL: "/api/v1/rounds/" + id + "/plans", User: user,
			Body: fmt.Sprintf(`{"planId":%q}`, p.ID), WantStatus: status, WantCode: code}
	}
	scenarios := []scenario{
		{Name: "ErrOpenAsManager", Method: "POST", URL: "/api/v1/rounds", User: "scjg.manager",
			Body: `{"year":2026,"name":"x","period":"y",` + sourceJSON[1:], WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrOpenWithoutSource", Method: "POST", URL: "/api/v1/rounds", User: "admin",
			Body: `{"year":2026,"name":"x","period":"y"}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"entropy source"}},
		{Name: "ErrOpenUnknownField", Method: "POST", URL: "/api/v1/rounds", User: "admin",
			Body: `{"year":2026,"name":"x","period":"y","secret":"00"}`, WantStatus: 400, WantCode: "invalid"},
		register("ErrRegisterOtherDepartmentsPlan", "wsjk.manager", plans[0], 403, "forbidden"),
		{Name: "ErrRegisterUnknownPlan", Method: "POST", URL: "/api/v1/rounds/" + id + "/plans", User: "scjg.manager",
			Body: `{"planId":"2026-scjg-nope"}`, WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrRegisterUnknownRound", Method: "POST", URL: "/api/v1/rounds/2026-round-nope/plans", User: "scjg.manager",
			Body: fmt.Sprintf(`{"planId":%q}`, plans[0].ID), WantStatus: 404, WantCode: "not_found"},
	}
	for _, p := range plans {
		scenarios = append(scenarios, register("OK/Register/"+p.LeadDepartment, p.LeadDepartment+".manager", p, 200, ""))
	}
	scenarios = append(scenarios,
		scenario{Name: "OK/Withdraw", Method: "DELETE", URL: "/api/v1/rounds/" + id + "/plans/" + plans[4].ID, User: "sthj.manager",
			WantStatus: 200, After: func(t *testing.T, r *response) {
				var got backend.Round
				r.JSON(t, &got)
				if len(got.Plans) != len(plans)-1 {
					t.Fatalf("%d plans after the withdrawal, want %d", len(got.Plans), len(plans)-1)
				}
			}},
		scenario{Name: "ErrWithdrawAgain", Method: "DELETE", URL: "/api/v1/rounds/" + id + "/plans/" + plans[4].ID, User: "sthj.manager",
			WantStatus: 404, WantCode: "not_found"},
		register("OK/RegisterAgain", "sthj.manager", plans[4], 200, ""),
		scenario{Name: "OK/Preview", Method: "GET", URL: "/api/v1/rounds/" + id + "/preview", User: "wsjk.manager", WantStatus: 200,
			After: func(t *testing.T, r *response) {
				var pv planning.RoundPreview
				r.JSON(t, &pv)
				o := pv.Overlap
				if len(o.Plans) != len(plans) || len(o.Pairs) != len(plans)*(len(plans)-1)/2 || o.Several == 0 || o.Floor <= 0 || o.Floor > o.Independent {
					t.Fatalf("preview: %d plans, %d pairs, %d in several, floor %.2f, independent %.2f", len(o.Plans), len(o.Pairs), o.Several, o.Floor, o.Independent)
				}
				for i, po := range o.Plans {
					if po.PlanID != plans[i].ID || len(po.Tags) == 0 || po.Eligible == 0 {
						t.Fatalf("plan %d of the preview: %+v; want %s targeting its tags", i, po, plans[i].ID)
					}
				}
				shared := 0
				for _, pr := range o.Pairs {
					shared += pr.Both
				}
				if shared < o.Several {
					t.Fatalf("pairs share %d targets, %d are in several plans", shared, o.Several)
				}
			}},
		scenario{Name: "ErrPreviewAsInspector", Method: "GET", URL: "/api/v1/rounds/" + id + "/preview", User: "scjg.inspector1", WantStatus: 403, WantCode: "forbidden"},
		scenario{Name: "ErrPreviewUnknown", Method: "GET", URL: "/api/v1/rounds/2026-round-nope/preview", User: "admin", WantStatus: 404, WantCode: "not_found"},
		scenario{Name: "ErrDrawBeforeResult", Method: "POST", URL: "/api/v1/rounds/" + id + "/draws", User: "admin",
			Body: `{"value":"5 8 2"}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"draw after that time"}},
		scenario{Name: "ErrRecordBeforeDraw", Method: "GET", URL: "/public/rounds/" + id, WantStatus: 404, WantCode: "not_found"},
		scenario{Name: "ErrDrawBadValue", Method: "POST", URL: "/api/v1/rounds/" + id + "/draws", User: "admin",
			Before: func(*testing.T) { e.planningAt(afterResult) }, Body: `{"value":"58"}`, WantStatus: 400, WantCode: "invalid"},
		register("ErrRegisterAfterResult", "scjg.manager", plans[0], 400, "invalid"),
		scenario{Name: "ErrDrawAsManager", Method: "POST", URL: "/api/v1/rounds/" + id + "/draws", User: "scjg.manager",
			Body: `{"value":"5 8 2"}`, WantStatus: 403, WantCode: "forbidden"},
		scenario{Name: "ErrPlanDrawnAlone", Method: "POST", URL: "/api/v1/plans/" + plans[0].ID + "/draws", User: "scjg.manager",
			Body: `{"value":"5 8 2"}`, WantStatus: 400, WantCode: "invalid", WantContent: []string{"drawn with it, not alone"}},
		scenario{Name: "OK/Draw", Method: "POST", URL: "/api/v1/rounds/" + id + "/draws", User: "admin",
			Body: `{"value":"5 8 2"}`, WantStatus: 201, WantContent: []string{`"state":"drawn"`, `"parts":[`},
			After: func(t *testing.T, r *response) {
				var res planning.RoundDrawResult
				r.JSON(t, &res)
				if len(res.Tasks) != res.Round.Visits || res.Round.JointVisits == 0 {
					t.Fatalf("%d tasks for %d visits (%d joint)", len(res.Tasks), res.Round.Visits, res.Round.JointVisits)
				}
			}},
		scenario{Name: "ErrPreviewDrawn", Method: "GET", URL: "/api/v1/rounds/" + id + "/preview", User: "admin", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrDrawAgain", Method: "POST", URL: "/api/v1/rounds/" + id + "/draws", User: "admin",
			Body: `{"value":"5 8 2"}`, WantStatus: 409, WantCode: "conflict"},
		scenario{Name: "OK/GetWithBurden", Method: "GET", URL: "/api/v1/rounds/" + id, User: "wsjk.manager", WantStatus: 200,
			WantContent: []string{`"burden":{"visits":`, `"floor":`, `"independent":`}},
		scenario{Name: "ErrGetAsInspector", Method: "GET", URL: "/api/v1/rounds/" + id, User: "scjg.inspector1", WantStatus: 403, WantCode: "forbidden"},
		scenario{Name: "OK/List", Method: "GET", URL: "/api/v1/rounds?year=2026", User: "scjg.reviewer", WantStatus: 200, WantContent: []string{id}},
		scenario{Name: "OK/PublicList", Method: "GET", URL: "/public/rounds", WantStatus: 200, WantContent: []string{id, round.Commitment},
			After: func(t *testing.T, r *response) {
				if strings.Contains(string(r.Body), "registeredBy") || strings.Contains(string(r.Body), `"drawnBy"`) {
					t.Fatalf("the public list names the back office's users: %s", r.Body)
				}
			}},
		scenario{Name: "ErrPublicListYear", Method: "GET", URL: "/public/rounds?year=1999", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "OK/PublicRecord", Method: "GET", URL: "/public/rounds/" + id, WantStatus: 200, WantContent: []string{`"algorithm":"fc-draw-2"`},
			After: func(t *testing.T, r *response) {
				var rec draw.RoundRecord
				r.JSON(t, &rec)
				if diffs := draw.VerifyRound(&rec); len(diffs) > 0 {
					t.Fatalf("the public record does not verify: %v", diffs)
				}
				if len(rec.Plans) != len(plans) {
					t.Fatalf("record of %d plans, want %d", len(rec.Plans), len(plans))
				}
				for i, pd := range rec.Plans { // the demo's plans target tags: the record says which each target has
					if len(pd.Tags) != len(plans[i].Filter.Tags) {
						t.Fatalf("plan %s: tags %v in the record, the plan's %v", pd.PlanID, pd.Tags, plans[i].Filter.Tags)
					}
					for _, c := range pd.Population {
						if len(c.Tags) == 0 {
							t.Fatalf("plan %s: target %s has none of the plan's tags in the record", pd.PlanID, c.ID)
						}
					}
				}
			}},
		scenario{Name: "ErrPublicRecordUnknown", Method: "GET", URL: "/public/rounds/2026-round-nope", WantStatus: 404, WantCode: "not_found"},
	)
	apptest.Run(t, e.m, e.demoLogin, scenarios)
}

// drawJointRound gives every officer of the plans' departments a login
// (with the demo password), registers the plans in a round, draws it and
// returns a joint visit with a team of several departments.
func (e *env) drawJointRound(plans []*backend.Plan) *backend.Task {
	t, m := e.t, e.m
	t.Helper()
	ctx := context.Background()
	var depts []string
	for _, p := range plans {
		depts = append(depts, p.Departments...)
	}
	apptest.OfficerLogins(t, m, depts)
	admin := backend.WithActor(ctx, &backend.Actor{UserID: "admin", Role: backend.RoleAdmin, ClientAddr: "127.0.0.1", Fresh: true})
	r, err := m.Planning.OpenRound(admin, planning.OpenRoundRequest{Year: 2026, Name: "综合查一次", Period: "2026年第一季度",
		EntropySource: &backend.EntropySource{Source: "fc-3d", Issue: "2026060", Date: "2026-03-01"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		mgr := backend.WithActor(ctx, &backend.Actor{UserID: p.LeadDepartment + ".manager", Role: backend.RoleManager,
			Departments: []string{p.LeadDepartment}, ClientAddr: "127.0.0.1", Fresh: true})
		if _, err := m.Planning.RegisterPlan(mgr, r.ID, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.planningAt(afterResult)
	drawn, err := m.Planning.DrawRound(admin, r.ID, planning.RoundDrawRequest{Value: "5 8 2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range drawn.Tasks {
		if len(tk.Parts) > 1 && len(tk.Departments) > 1 && !tk.Unassigned && len(tk.TeamUsers) >= 2 {
			if len(tk.TeamUsers) != len(tk.Team) {
				t.Fatalf("task %s: team %v, logins %v: every officer has one", tk.ID, tk.Team, tk.TeamUsers)
			}
			return tk
		}
	}
	t.Fatalf("no joint visit with a team among %d tasks", len(drawn.Tasks))
	return nil
}

// TestRoundJointVisitSyncs draws the demo round with a login for every
// officer of its departments: a joint visit's one task reaches the phone
// of every member of its team, of every department involved, through the
// Go sync client, with the items and parts of all its plans.
func TestRoundJointVisitSyncs(t *testing.T) {
	e, plans := newRoundEnv(t)
	m := e.m
	ctx := context.Background()
	joint := e.drawJointRound(plans)
	base := apptest.Serve(t, m)
	seen := map[string]bool{}
	for i, user := range joint.TeamUsers {
		q, err := fcsync.OpenQueue(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = q.Close() })
		c := &fcsync.Client{BaseURL: base, Username: user, Password: demo.DemoPassword(user), Queue: q,
			Device: backend.DeviceInfo{ID: fmt.Sprintf("round-phone-%d", i), Name: "test phone", Platform: backend.PlatformAndroid},
			Retry:  fcsync.Retry{Attempts: 5, Base: time.Millisecond, Max: 10 * time.Millisecond, Budget: time.Minute}, PendingWait: 10 * time.Millisecond}
		if _, err := c.Pull(ctx); err != nil {
			t.Fatalf("%s pulls: %v", user, err)
		}
		v := c.Task(joint.ID)
		if v == nil {
			t.Fatalf("%s (%s) has not got the joint visit %s on the phone", user, joint.Team[i], joint.ID)
		}
		if !slices.Equal(v.Task.Items, joint.Items) || len(v.Task.Parts) != len(joint.Parts) || len(v.Team) != len(joint.Team) {
			t.Fatalf("%s's phone: items %v, %d parts, %d members; want %v, %d, %d", user, v.Task.Items, len(v.Task.Parts), len(v.Team), joint.Items, len(joint.Parts), len(joint.Team))
		}
		in, err := m.Stores.Inspectors.FindInspectorByID(ctx, joint.Team[i])
		if err != nil {
			t.Fatal(err)
		}
		seen[in.DepartmentID] = true
	}
	if len(seen) != len(joint.Departments) {
		t.Fatalf("the phones are of departments %v, the visit's are %v", seen, joint.Departments)
	}
}

// TestRoundReplacementsPublic replaces one department's part of a round's
// joint visit through the service and reads the public record: its JSON
// lists the replacement with the time it was made and verifies (in Go and
// in the independent Python implementation); its page shows who was
// replaced by whom, why and when, and marks the part in the visits' table.
func TestRoundReplacementsPublic(t *testing.T) {
	e, plans := newRoundEnv(t)
	m := e.m
	joint := e.drawJointRound(plans)
	part := joint.Parts[len(joint.Parts)-1]
	mgr := backend.WithActor(context.Background(), &backend.Actor{UserID: part.LeadDepartment + ".manager", Role: backend.RoleManager,
		Departments: []string{part.LeadDepartment}, ClientAddr: "127.0.0.1", Fresh: true})
	reason := "企业已停止该部门检查事项涉及的经营<活动>"
	nt, err := m.Planning.Replace(mgr, joint.ID, planning.ReplaceRequest{Reason: reason, Version: joint.Version, PlanID: part.PlanID})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/public/rounds/"+joint.DrawID, "", "", nil)
	if r.Status != 200 {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	var rec draw.RoundRecord
	r.JSON(t, &rec)
	if len(rec.Replacements) != 1 {
		t.Fatalf("%d replacements in the public record, want 1", len(rec.Replacements))
	}
	x := rec.Replacements[0]
	at, err := time.Parse(time.RFC3339, x.At)
	if x.Plan != part.PlanID || x.Replaced != joint.TargetID || x.Reason != reason || !strings.HasSuffix(nt.ID, x.Replacement) || err != nil {
		t.Fatalf("replacement %+v (at: %v); want plan %s, %s replaced, the new task %s", x, err, part.PlanID, joint.TargetID, nt.ID)
	}
	if diffs := draw.VerifyRound(&rec); len(diffs) > 0 {
		t.Fatalf("the record with its replacement does not verify: %v", diffs)
	}
	if py, err := exec.LookPath("python3"); err == nil {
		cmd := exec.Command(py, "../../testdata/draw/gen_vectors.py", "verify", "-")
		cmd.Stdin = bytes.NewReader(r.Body)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "round record verifies") || !strings.Contains(string(out), "1 replacements") {
			t.Fatalf("the Python implementation: %v\n%s", err, out)
		}
	} else {
		t.Log("no python3: the independent verification is not run")
	}

	req := apptest.NewRequest("GET", "/public/rounds/"+joint.DrawID, "", "", nil)
	req.Header.Set("Accept", browserAccept)
	page := e.send(t, req)
	html := string(page.Body)
	when := at.In(backend.China).Format("2006-01-02 15:04")
	for _, want := range []string{`id="round-replacements"`, "替换记录（共 1 项", x.Replaced, x.Replacement, "企业已停止该部门检查事项涉及的经营&lt;活动&gt;", when,
		"（已替换为 " + x.Replacement + "）"} {
		if !strings.Contains(html, want) {
			t.Fatalf("the round page lacks %q", want)
		}
	}
	if strings.Contains(html, "<活动>") {
		t.Fatal("the reason is rendered as HTML")
	}
	if x.Joins && !strings.Contains(html, "并入已有入企检查") || !x.Joins && !strings.Contains(html, "新增入企检查") {
		t.Fatalf("the page does not say how the replacement was made (joins=%v)", x.Joins)
	}

	// In Chromium, at the phone's size and the desktop's.
	b := browsertest.Start(t, browsertest.Options{})
	b.Do(chromedp.Navigate(apptest.Serve(t, m)+"/public/rounds/"+joint.DrawID), chromedp.WaitVisible(chromedp.CSS(`#round-replacements`)))
	var cells []string
	b.Eval(`[...document.querySelectorAll('#round-replacements tbody td')].map(td => td.dataset.label + '=' + td.textContent)`, &cells)
	if !slices.Contains(cells, "原因="+reason) || !slices.Contains(cells, "时间="+when) || !slices.Contains(cells, "替换为="+x.Replacement) {
		t.Fatalf("the replacements' table in the browser: %v", cells)
	}
	b.Eval(`document.getElementById('replacements').scrollIntoView()`, nil)
	b.Shot("portal-round-replacements-phone")
	desktop(b, "portal-round-replacements-desktop")
}
