package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestConsoleManager: a manager of the demo county logs in with the form,
// sees the dashboard, finds a target by name and by USCC and opens it, and
// cannot open another department's plan by its URL. Along the way: the
// cookie's flags, the CSRF refusal of a change sent without the token, the
// CSP header, and no CSP violation (nor any error) logged by the browser.
func TestConsoleManager(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	if _, err := demo.DrawFirstPlan(ctx, m.Planning, now); err != nil {
		t.Fatal(err)
	}
	other := otherDepartmentPlan(t, m.Planning, now)
	target := firstEnterprise(t, m)
	base := serve(t, m)

	if got := header(t, base+"/console/", "Content-Security-Policy"); got != api.ConsoleCSP {
		t.Fatalf("the console's CSP %q, want %q", got, api.ConsoleCSP)
	}

	p := newPage(t)
	p.do("open the console",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`input[name="username"]`),
	)
	p.screenshot("console-login")
	p.do("log in",
		chromedp.SendKeys(`input[name="username"]`, "scjg.manager"),
		chromedp.SendKeys(`input[name="password"]`, demo.DemoPassword("scjg.manager")),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`[data-figure="待审核任务"]`),
		// By CSS only: chromedp's default search also matches text, and
		// the word occurs in the page's code (the test timed out on it).
		chromedp.WaitVisible(chromedp.CSS(`canvas`)),
	)
	if greeting := value(p, "read the dashboard", chromedp.Text(`.greet`)); !strings.Contains(greeting, "市场监管") {
		t.Fatalf("dashboard greets %q, want the manager's name", greeting)
	}
	p.screenshot("console-dashboard")

	t.Run("OK/CookieFlags", func(t *testing.T) {
		p := p.on(t)
		res, err := chromedp.Call(p.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Cookies) != 1 {
			t.Fatalf("cookies %v, want the session cookie alone", res.Cookies)
		}
		c := res.Cookies[0]
		if c.Name != api.SessionCookie || !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Path != "/" {
			t.Fatalf("cookie %s: httpOnly %v sameSite %s path %s; want %s, HttpOnly, SameSite=Strict, Path=/", c.Name, c.HTTPOnly, c.SameSite, c.Path, api.SessionCookie)
		}
		if js := value(p, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); js != "" {
			t.Fatalf("the page's script reads the cookie: %q", js)
		}
	})

	t.Run("ErrCSRFWithoutToken", func(t *testing.T) {
		p := p.on(t)
		// What another page could make the browser send with the cookie
		// (were SameSite not there): a change without the token.
		status := value(p, "a change without the token", chromedp.Evaluate[int](`fetch('/api/v1/departments', {method: 'POST',
			headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: 'csrf', name: '跨站'})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if status != 403 {
			t.Fatalf("POST with the cookie and without the CSRF token: status=%d, want 403", status)
		}
	})

	search := `input[placeholder="名称或统一社会信用代码"]`
	row := `//td//div[normalize-space()="` + target.ID + `"]`
	t.Run("OK/SearchByName", func(t *testing.T) {
		p := p.on(t)
		p.do("search by name",
			chromedp.Click(`//li[contains(@class,"el-menu-item")][normalize-space()="名录库"]`),
			chromedp.WaitVisible(search),
			chromedp.SendKeys(search, target.Name+"\r"),
			chromedp.WaitVisible(row),
		)
		if url := value(p, "read the URL", chromedp.Location()); !strings.Contains(url, "q=") {
			t.Fatalf("the search is not in the URL %s", url)
		}
		p.screenshot("console-targets")
	})

	t.Run("OK/SearchByUSCCAndOpen", func(t *testing.T) {
		p := p.on(t)
		p.do("search by USCC and open",
			// Select what the box holds and type over it, as a person would.
			chromedp.Click(search),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
			chromedp.SendKeys(search, strings.ToLower(target.ID)+"\r"),
			chromedp.WaitVisible(`//div[contains(@class,"el-table")]//tbody/tr[1]`+`//div[normalize-space()="`+target.ID+`"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`), // it would take the click
			chromedp.Click(row),
			chromedp.WaitVisible(`//span[contains(@class,"title")][normalize-space()="`+target.Name+`"]`),
			chromedp.WaitVisible(`img[alt="检查码"]`),
			void(chromedp.Poll[bool](`(() => { const i = document.querySelector('img[alt="检查码"]'); return i.complete && i.naturalWidth > 0 })()`)),
		)
		p.screenshot("console-target")
	})

	t.Run("ErrOtherDepartmentsPlan", func(t *testing.T) {
		p := p.on(t)
		p.do("open another department's plan by its URL",
			chromedp.Navigate(base+"/console/plans/"+other.ID),
			chromedp.WaitVisible(`//*[contains(@class,"el-result__title")]//*[normalize-space()="无法查看该抽查计划"]`),
		)
		p.screenshot("console-plan-forbidden")
	})

	noBrowserErrors(t, p)
}

// otherDepartmentPlan publishes a plan of the emergency-management
// department, which the market-supervision manager does not lead.
func otherDepartmentPlan(t *testing.T, svc *planning.Service, now time.Time) *backend.Plan {
	t.Helper()
	ratio := 500
	today := backend.DateOf(now)
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "应急管理部门抽查计划", Items: []string{"YJGL-01"},
		LeadDepartment: "yjgl", Departments: []string{"yjgl"},
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise}},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: &ratio},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: today, End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method: backend.MethodOnSite,
	}
	published, err := demo.PublishPlan(context.Background(), svc, p, now)
	if err != nil {
		t.Fatal(err)
	}
	return published
}

// firstEnterprise is a seeded enterprise with a unique name.
func firstEnterprise(t *testing.T, m *app.Main) *backend.Target {
	t.Helper()
	page, err := m.Stores.Targets.FindTargets(context.Background(), backend.TargetFilter{Kinds: []backend.TargetKind{backend.KindEnterprise}}, backend.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no enterprise seeded: %v", err)
	}
	return page.Items[0]
}
