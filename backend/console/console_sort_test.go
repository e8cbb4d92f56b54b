package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// TestConsoleListSort: a reviewer sorts the directory by name with the
// column header (sort=name joins the URL, the server's order: the first
// page and the next one are those of the store's sorted list), opens the
// list sorted by credit class from a link (the column shows it), and
// sorts the inspectors by their certificate's last day.
func TestConsoleListSort(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 300, time.Now())
	names := func(f backend.TargetFilter, pages int) [][]string {
		var out [][]string
		p := backend.PageRequest{Limit: 20}
		for range pages {
			page, err := m.Stores.Targets.FindTargets(ctx, f, p)
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, tg := range page.Items {
				ns = append(ns, tg.Name)
			}
			out = append(out, ns)
			p.After = page.NextCursor
		}
		return out
	}
	want := names(backend.TargetFilter{Sort: "name"}, 2)
	base := serve(t, m)
	rows := `.el-table__body tr.el-table__row`
	shown := func(pg *page) []string {
		return value(pg, "read the names", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.el-table__body tr.el-table__row td:first-child')].map(td => td.textContent.trim())`))
	}

	pg := newPage(t)
	pg.login(base, "scjg.reviewer")
	pg.do("sort the directory by name",
		chromedp.Navigate(base+"/console/targets"),
		chromedp.WaitVisible(chromedp.CSS(rows)),
		chromedp.WaitNotPresent(chromedp.CSS(`.el-loading-mask`)),
		chromedp.Click(`//th[.//div[contains(.,"名称")]]`),
		chromedp.WaitVisible(`//th[contains(@class,"ascending")][.//div[contains(.,"名称")]]`),
		chromedp.WaitVisible(`//tr[contains(@class,"el-table__row")][1]/td[1][normalize-space()="`+want[0][0]+`"]`),
	)
	if loc := value(pg, "read the address", chromedp.Location()); !strings.Contains(loc, "sort=name") {
		t.Fatalf("the address is %s, want sort=name", loc)
	}
	if got := shown(pg); strings.Join(got, "|") != strings.Join(want[0], "|") {
		t.Fatalf("the first page shows %v, want %v", got, want[0])
	}
	pg.screenshot("console-targets-sorted")
	pg.do("the next page",
		chromedp.Click(`//button[normalize-space()="下一页"]`),
		chromedp.WaitVisible(`//tr[contains(@class,"el-table__row")][1]/td[1][normalize-space()="`+want[1][0]+`"]`),
	)
	if got := shown(pg); strings.Join(got, "|") != strings.Join(want[1], "|") {
		t.Fatalf("the second page shows %v, want %v", got, want[1])
	}

	byCredit := names(backend.TargetFilter{Sort: "creditClass", Kinds: []backend.TargetKind{backend.KindEnterprise}}, 1)
	pg.do("open the list sorted by credit class from a link",
		chromedp.Navigate(base+"/console/targets?kind=enterprise&sort=creditClass"),
		chromedp.WaitVisible(`//th[contains(@class,"ascending")][.//div[contains(.,"信用分类")]]`),
		chromedp.WaitVisible(`//tr[contains(@class,"el-table__row")][1]/td[1][normalize-space()="`+byCredit[0][0]+`"]`),
	)
	if got := shown(pg); strings.Join(got, "|") != strings.Join(byCredit[0], "|") {
		t.Fatalf("sorted by credit class the page shows %v, want %v", got, byCredit[0])
	}
	credit := value(pg, "read the classes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.el-table__body tr.el-table__row td:nth-child(6)')].map(td => td.textContent.trim())`))
	for _, c := range credit {
		if c != "A 类" {
			t.Fatalf("the first page by credit class shows %v, want class A first", credit)
		}
	}

	// 导出 CSV downloads, from the server, what the URL's filters select.
	classA := 0
	if err := m.Stores.Targets.ScanTargets(ctx, backend.TargetFilter{CreditClasses: []backend.CreditClass{"A"}}, func(*backend.Target) error { classA++; return nil }); err != nil {
		t.Fatal(err)
	}
	pg.do("open the class A targets",
		chromedp.Navigate(base+"/console/targets?credit=A&sort=name"),
		chromedp.WaitVisible(chromedp.CSS(rows)),
		chromedp.WaitVisible(chromedp.CSS(`a.export`)),
	)
	pg.screenshot("console-targets-export")
	type sheet struct {
		Href string   `json:"href"`
		BOM  bool     `json:"bom"`
		Rows []string `json:"rows"`
	}
	got := value(pg, "download the export", chromedp.Evaluate[sheet](`(async () => {
		const href = document.querySelector('a.export').href
		const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer())
		return {href, bom: bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, rows: new TextDecoder().decode(bytes).trim().split("\n")}
	})()`, chromedp.EvalAwaitPromise))
	if !strings.Contains(got.Href, "/api/v1/targets.csv?credit=A") || !got.BOM || len(got.Rows) != classA+1 || !strings.HasPrefix(got.Rows[0], "统一社会信用代码,名称,类型") {
		t.Fatalf("the export %s: BOM %v, %d lines, first %q; want the BOM, the header and %d class A targets", got.Href, got.BOM, len(got.Rows), got.Rows[0], classA)
	}

	ins, err := m.Stores.Inspectors.FindInspectors(ctx, backend.InspectorFilter{Sort: "certExpiry"}, backend.PageRequest{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var soonest []string
	for _, in := range ins.Items {
		soonest = append(soonest, in.Name)
	}
	pg.do("sort the inspectors by the certificate's last day",
		chromedp.Navigate(base+"/console/inspectors"),
		chromedp.WaitVisible(chromedp.CSS(rows)),
		chromedp.WaitNotPresent(chromedp.CSS(`.el-loading-mask`)),
		chromedp.Click(`//th[.//div[contains(.,"有效期至")]]`),
		chromedp.WaitVisible(`//th[contains(@class,"ascending")][.//div[contains(.,"有效期至")]]`),
		chromedp.WaitNotPresent(chromedp.CSS(`.el-loading-mask`)),
	)
	if loc := value(pg, "read the address", chromedp.Location()); !strings.Contains(loc, "sort=certExpiry") {
		t.Fatalf("the address is %s, want sort=certExpiry", loc)
	}
	if got := shown(pg); strings.Join(got, "|") != strings.Join(soonest, "|") {
		t.Fatalf("sorted by expiry the inspectors shown are %v, want %v", got, soonest)
	}
	pg.screenshot("console-inspectors-sorted")
	noBrowserErrors(t, pg)
}
