package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
)

// TestConsolePlanDraw: a manager creates a plan with the form (the form
// refuses an empty name in Chinese, the server an item of a department
// outside the plan, shown in Chinese), previews the draft, publishes it
// declaring tomorrow's 福彩3D issue (the page shows the commitment), and,
// once that result is out, draws it with the result, reads the result
// table, exports it as CSV and verifies the draw in the browser with the
// portal's fc-draw-1 verifier: 验证通过. Then the manager changes the drawn
// plan: a new public version with its reason, listed among the versions.
// The planning service runs on the test's clock, which is moved past the
// issue's draw instead of waiting.
func TestConsolePlanDraw(t *testing.T) {
	m := apptest.Open(t, "")
	now := time.Now()
	clock := clocktest.New(now)
	m.Planning.Now = clock.Now
	apptest.SeedDemo(t, m, 300, now)
	base := serve(t, m)

	pg := newPage(t)
	pg.login(base, "scjg.manager")
	itemOption := func(code string) string {
		return `//li[contains(@class,"el-select-dropdown__item")][contains(normalize-space(),"（` + code + `）")]`
	}
	pg.do("open the form and save it empty",
		chromedp.Navigate(base+"/console/plans"),
		chromedp.WaitVisible(`//button[normalize-space()="新建计划"]`),
		chromedp.Click(`//button[normalize-space()="新建计划"]`),
		chromedp.WaitVisible(`input[name="planName"]`),
		chromedp.Click(`//button[normalize-space()="保存草稿"]`),
		chromedp.WaitVisible(`//div[contains(@class,"el-form-item__error")][contains(.,"请填写计划名称")]`),
		chromedp.WaitVisible(`//div[contains(@class,"el-form-item__error")][contains(.,"请至少选择一个抽查事项")]`),
	)
	pg.do("fill it in with an item of another department",
		chromedp.SendKeys(`input[name="planName"]`, "食品经营单位双随机抽查计划（测试）"),
		chromedp.Click(`.items-select .el-select__wrapper`),
		chromedp.WaitVisible(itemOption("SCJG-03")),
		chromedp.SendKeys(`.items-select input`, "SCJG-03"),
		chromedp.WaitVisible(itemOption("SCJG-03")),
		chromedp.WaitNotVisible(itemOption("SCJG-01")),
		chromedp.Click(itemOption("SCJG-03")),
		chromedp.WaitVisible(`//span[contains(@class,"el-tag")][contains(.,"SCJG-03")]`),
		chromedp.SendKeys(`.items-select input`, "YJGL-01"),
		chromedp.WaitVisible(itemOption("YJGL-01")),
		chromedp.WaitNotVisible(itemOption("SCJG-08")),
		chromedp.Click(itemOption("YJGL-01")),
		chromedp.WaitVisible(`//span[contains(@class,"el-tag")][contains(.,"YJGL-01")]`),
		chromedp.SendKeys(`.items-select input`, kb.Escape),
		chromedp.WaitNotVisible(itemOption("SCJG-03")),
	)
	pg.screenshot("console-plan-form")
	pg.do("the server refuses the other department's item, in Chinese",
		chromedp.Click(`//button[normalize-space()="保存草稿"]`),
		chromedp.WaitVisible(`//*[contains(@class,"server-error")]//*[contains(.,"安全生产主体责任落实情况检查")][contains(.,"未参与本计划")]`),
	)
	pg.screenshot("console-plan-form-refused")
	pg.do("take the item out and save the draft",
		chromedp.Click(`//span[contains(@class,"el-tag")][contains(.,"YJGL-01")]//*[contains(@class,"el-tag__close")]`),
		chromedp.WaitNotPresent(`//span[contains(@class,"el-tag")][contains(.,"YJGL-01")]`),
		chromedp.SendKeys(`.items-select input`, kb.Escape),
		chromedp.WaitNotVisible(itemOption("SCJG-03")),
		chromedp.Click(`//button[normalize-space()="保存草稿"]`),
		chromedp.WaitVisible(`//button[normalize-space()="预览抽取"]`),
	)
	loc := value(pg, "read the plan's address", chromedp.Location())
	id := loc[strings.LastIndex(loc, "/")+1:]
	p := storedPlan(t, m, id)
	if p.State != backend.PlanDraft || len(p.Items) != 1 || p.Items[0] != "SCJG-03" || p.LeadDepartment != "scjg" || p.Default == nil || p.Default.RatioBp == nil || *p.Default.RatioBp != 500 {
		t.Fatalf("the form stored %+v", p)
	}

	pg.do("preview the draft",
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

	// A change to the drawn plan is a new public version, with a reason
	// and a source whose result comes after the change.
	later := clock.Now().In(backend.China).AddDate(0, 0, 2)
	pg.do("change the drawn plan",
		chromedp.Click(`//button[normalize-space()="修改计划"]`),
		chromedp.WaitVisible(`textarea[name="reason"]`),
		chromedp.SendKeys(`textarea[name="reason"]`, "增加抽取比例：年中专项整治"),
		chromedp.SendKeys(`input[name="issue"]`, fmt.Sprintf("%d%03d", later.Year(), later.YearDay())),
		chromedp.Click(`.plan-form input[placeholder="开奖日期"]`),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(later.Format("2006-01-02")+kb.Enter),
	)
	pg.screenshot("console-plan-edit")
	pg.do("publish the new version",
		chromedp.Click(`//button[normalize-space()="公布新版本"]`),
		chromedp.WaitVisible(`//td[contains(.,"增加抽取比例：年中专项整治")]`),
	)
	if v := storedPlan(t, m, id).PublicVersion; v != 2 {
		t.Fatalf("after the change the plan's public version is %d, want 2", v)
	}

	noBrowserErrors(t, pg)
}

func storedPlan(t *testing.T, m *app.Main, id string) *backend.Plan {
	t.Helper()
	p, err := m.Stores.Plans.FindPlanByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
