package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
)

// TestConsolePlanDraw: a manager previews a draft plan, publishes it
// declaring tomorrow's 福彩3D issue (the page shows the commitment), and,
// once that result is out, draws it with the result, reads the result
// table, exports it as CSV and verifies the draw in the browser with the
// portal's fc-draw-1 verifier: 验证通过. The planning service runs on the
// test's clock, which is moved past the issue's draw instead of waiting.
// (The draft is made in setup: the plan form is still to be built.)
func TestConsolePlanDraw(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	clock := clocktest.New(now)
	m.Planning.Now = clock.Now
	apptest.SeedDemo(t, m, 300, now)
	ratio := 1000
	today := backend.DateOf(now)
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "食品经营单位双随机抽查计划（测试）", Items: []string{"SCJG-03"},
		LeadDepartment: "scjg", Departments: []string{"scjg"},
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise, backend.KindIndividual}},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: &ratio},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: today, End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method: backend.MethodOnSite,
	}
	manager := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, ClientAddr: "test", Fresh: true})
	if err := m.Planning.CreatePlan(manager, p); err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)

	pg := newPage(t)
	pg.login(base, "scjg.manager")
	pg.do("open the draft and preview it",
		chromedp.Navigate(base+"/console/plans/"+p.ID),
		chromedp.WaitVisible(`//button[normalize-space()="预览抽取"]`),
		chromedp.Click(`//button[normalize-space()="预览抽取"]`),
		chromedp.WaitVisible(`[data-figure="预计抽取"]`),
	)
	if n := value(pg, "read the preview", chromedp.Text(`[data-figure="预计抽取"]`)); n == "" || n == "0" {
		t.Fatalf("the preview would select %q targets", n)
	}
	pg.screenshot("console-plan-preview")

	tomorrow := now.In(backend.China).AddDate(0, 0, 1)
	issue := fmt.Sprintf("%d%03d", tomorrow.Year(), tomorrow.YearDay())
	pg.do("publish it declaring tomorrow's 福彩3D",
		chromedp.Click(`//button[normalize-space()="公布计划"]`),
		chromedp.WaitVisible(`input[name="issue"]`),
		chromedp.SendKeys(`input[name="issue"]`, issue),
		chromedp.Click(`//button[normalize-space()="确认公布"]`),
		chromedp.WaitVisible(`//span[contains(@class,"plan-state")][normalize-space()="已公布"]`),
	)
	published := storedPlan(t, m, p.ID)
	if c := value(pg, "read the commitment", chromedp.Text(`.commitment`)); published.Commitment == "" || c != published.Commitment {
		t.Fatalf("the page shows the commitment %q, the plan's is %q", c, published.Commitment)
	}

	clock.Set(published.EntropySource.ResultAt().Add(time.Minute))
	pg.do("draw it with the issue's result",
		chromedp.Reload(),
		chromedp.WaitVisible(`//button[normalize-space()="抽取"]`),
		chromedp.Click(`//button[normalize-space()="抽取"]`),
		chromedp.WaitVisible(`input[name="entropyValue"]`),
		chromedp.SendKeys(`input[name="entropyValue"]`, "5 8 2"),
		chromedp.Click(`//label[contains(@class,"el-checkbox")]`),
		chromedp.Click(`//button[normalize-space()="确认抽取"]`),
		chromedp.WaitVisible(`//h3[contains(normalize-space(),"抽取结果")]`),
		chromedp.WaitVisible(`//td//span[contains(@class,"mono")][string-length(normalize-space())=16]`),
	)

	csv := value(pg, "export as CSV", chromedp.Evaluate[string](`fetch(document.querySelector('a[href$="result.csv"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	// (The API's test checks the byte order mark, which text() drops.)
	if !strings.HasPrefix(csv, "顺序,") || strings.Count(csv, "\n") < 2 {
		t.Fatalf("the CSV starts %q", csv[:min(len(csv), 40)])
	}

	pg.do("verify the draw in the browser",
		chromedp.WaitNotPresent(`.el-loading-mask`), // it would take the click
		chromedp.Click(`//button[normalize-space()="验证抽取"]`),
		chromedp.WaitVisible(`//*[contains(@class,"el-alert__title")][normalize-space()="验证通过"]`),
	)
	pg.screenshot("console-plan-drawn")

	for _, line := range pg.logged() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused to") || strings.HasPrefix(line, "exception") {
			t.Errorf("the browser logged: %s", line)
		}
	}
}

func storedPlan(t *testing.T, m *app.Main, id string) *backend.Plan {
	t.Helper()
	p, err := m.Stores.Plans.FindPlanByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
