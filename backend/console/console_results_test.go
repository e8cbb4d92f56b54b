package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// TestConsoleResults: on the demo's last year (two results left overdue),
// the lead manager opens 结果公示, sees the overdue view in red, narrows it
// by result category through the URL, publishes one result with its row's
// button and finds it on the enterprise's public page; then proposes to
// withhold the other, is refused (by the server, said in Chinese) when he
// confirms it himself, and the department's reviewer, in another browser,
// sees who proposed it and confirms.
func TestConsoleResults(t *testing.T) {
	ctx := context.Background()
	m, sum := apptest.OpenLastYear(t, time.Now())
	admin := backend.WithActor(ctx, backend.SystemActor("test"))
	reg, err := m.Planning.ListRegister(admin, planning.RegisterQuery{Department: "scjg", View: backend.ViewOverdue}, backend.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Items) != sum.Overdue || sum.Overdue != 2 {
		t.Fatalf("%d overdue entries (summary %d), want 2", len(reg.Items), sum.Overdue)
	}
	var published, withheld *planning.RegisterEntry // the one to publish, the one to withhold
	for _, e := range reg.Items {
		if e.Code == backend.ResultUnreachable {
			published = e
		} else {
			withheld = e
		}
	}
	if published == nil || withheld == nil {
		t.Fatalf("overdue entries %v: want one unreachable and one other", reg.Items)
	}
	base := serve(t, m)

	p := newPage(t)
	p.login(base, "scjg.manager")
	p.do("open the register",
		chromedp.Click(menu("结果公示")),
		chromedp.WaitVisible(`[data-view="overdue"]`),
		chromedp.Click(`[data-view="overdue"]`),
		chromedp.WaitVisible(`[data-overdue]`),
		chromedp.WaitNotPresent(`.el-loading-mask`),
	)
	if cls := value(p, "read the overdue tab", chromedp.AttributeValue(`[data-view="overdue"]`, "class")); !strings.Contains(cls.Value, "bad") {
		t.Errorf("the overdue tab's class %q: not red", cls.Value)
	}
	if n := value(p, "count the overdue rows", chromedp.Evaluate[int](`document.querySelectorAll('.table tbody tr [data-overdue]').length`)); n != 2 {
		t.Fatalf("%d overdue rows shown, want 2", n)
	}
	p.screenshot("console-results")

	t.Run("OK/FilterInURL", func(t *testing.T) {
		p := p.on(t)
		p.do("open the register narrowed to 无法联系 by its URL",
			chromedp.Navigate(base+"/console/results?tab=overdue&code=unreachable"),
			chromedp.WaitVisible(`//tbody//a[normalize-space()="`+published.TargetName+`"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		if n := value(p, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll('.table tbody tr.el-table__row').length`)); n != 1 {
			t.Fatalf("%d rows under code=unreachable, want 1", n)
		}
	})

	t.Run("OK/PublishOne", func(t *testing.T) {
		p := p.on(t)
		row := `//tbody/tr[.//a[normalize-space()="` + published.TargetName + `"]]`
		p.do("publish one result from its row",
			chromedp.Navigate(base+"/console/results?tab=overdue"),
			chromedp.WaitVisible(row),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(row+`//button[normalize-space()="公示"]`),
			chromedp.WaitVisible(`//div[contains(@class,"el-message-box")]//button[normalize-space()="公示"]`),
			chromedp.Click(`//div[contains(@class,"el-message-box")]//button[normalize-space()="公示"]`),
			chromedp.WaitVisible(`//div[contains(@class,"el-message--success")]`),
			chromedp.WaitNotPresent(row),
		)
		got, err := m.Planning.Register.FindResultEntry(ctx, published.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != backend.ResultPublished || len(got.Versions) != 1 || got.Versions[0].PublishedBy != "scjg.manager" {
			t.Fatalf("after 公示 the entry is %s with versions %+v, want published by scjg.manager", got.State, got.Versions)
		}
		p.do("find it on the enterprise's public page",
			chromedp.Navigate(base+"/public/enterprises/"+url.PathEscape(published.TargetID)),
			chromedp.WaitVisible(`//td[contains(normalize-space(),"通过登记的住所（经营场所）无法联系")]`),
		)
	})

	t.Run("OK/WithholdByTwo", func(t *testing.T) {
		p := p.on(t)
		p.do("propose to withhold the other",
			chromedp.Navigate(base+"/console/results/"+url.PathEscape(withheld.ID)+"?tab=overdue"),
			chromedp.WaitVisible(`[data-action="withhold"]`),
			chromedp.Click(`[data-action="withhold"]`),
			chromedp.WaitVisible(`textarea[name="withhold-reason"]`),
			chromedp.SendKeys(`textarea[name="withhold-reason"]`, "涉及正在查处的案件，公开可能影响调查（依法不予公开）"),
			chromedp.Click(`[data-action="withhold-submit"]`),
			chromedp.WaitVisible(`//span[@data-proposed-by][normalize-space()="scjg.manager"]`),
			chromedp.WaitVisible(`[data-action="confirm"]`),
			chromedp.WaitNotVisible(`textarea[name="withhold-reason"]`), // the dialog and its overlay are gone
		)
		p.do("confirm it himself: refused",
			chromedp.Click(`[data-action="confirm"]`),
			chromedp.WaitVisible(`//div[contains(@class,"el-message--error")][contains(.,"须由本部门另一位负责人或审核人员确认")]`),
		)
		if got, err := m.Planning.Register.FindResultEntry(ctx, withheld.ID); err != nil || got.State != backend.ResultWithholdProposed {
			t.Fatalf("after the proposer's confirmation the entry is %v (%v), want still withhold-proposed", got.State, err)
		}

		r := newPage(t).on(t)
		r.login(base, "scjg.reviewer")
		r.do("the reviewer finds the proposal and confirms it",
			chromedp.Navigate(base+"/console/results?tab=withhold-proposed"),
			chromedp.WaitVisible(`//tbody//a[normalize-space()="`+withheld.TargetName+`"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(`//tbody//a[normalize-space()="`+withheld.TargetName+`"]`),
			chromedp.WaitVisible(`//span[@data-proposed-by][normalize-space()="scjg.manager"]`),
			chromedp.Click(`[data-action="confirm"]`),
			chromedp.WaitVisible(`//span[@data-confirmed-by][normalize-space()="scjg.reviewer"]`),
			chromedp.WaitVisible(`//span[@data-state][contains(normalize-space(),"不予公开")]`),
		)
		r.screenshot("console-result-withheld")
		got, err := m.Planning.Register.FindResultEntry(ctx, withheld.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != backend.ResultWithheld || got.Withholding.ProposedBy != "scjg.manager" || got.Withholding.ConfirmedBy != "scjg.reviewer" {
			t.Fatalf("the entry is %s, withholding %+v: want withheld, proposed by the manager, confirmed by the reviewer", got.State, got.Withholding)
		}
		noBrowserErrors(t, r)
	})

	t.Run("OK/VersionHistory", func(t *testing.T) {
		p := p.on(t)
		pub, err := m.Planning.ListRegister(admin, planning.RegisterQuery{Department: "scjg", View: backend.ViewPublished}, backend.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var corrected *planning.RegisterEntry
		for _, e := range pub.Items {
			if len(e.Versions) == 2 && strings.Contains(e.Versions[1].Reason, "原录入结果类别有误") {
				corrected = e
			}
		}
		if corrected == nil {
			t.Fatal("the demo's corrected result is not in the published view")
		}
		p.do("open the corrected result from the published view: its versions are listed",
			chromedp.Navigate(base+"/console/results?tab=published"),
			chromedp.WaitVisible(`//tbody/tr[.//a[normalize-space()="`+corrected.TargetName+`"]]//span[@data-version][contains(normalize-space(),"第 2 版")]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(`//tbody/tr[.//a[normalize-space()="`+corrected.TargetName+`"]]//button[normalize-space()="详情"]`),
			chromedp.WaitVisible(`//table//td[contains(.,"原录入结果类别有误")]`),
			chromedp.WaitVisible(`//table//td[contains(.,"首次公示")]`),
		)
		p.screenshot("console-result-versions")
	})
	noBrowserErrors(t, p)
}
