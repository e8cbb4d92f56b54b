package console_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleRoundBurden: a manager opens 综合查一次 from the menu; the
// demo's drawn round is chosen, its figures, the chart and the tables per
// department and per region show the service's numbers.
func TestConsoleRoundBurden(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	res, err := demo.DrawRound(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)
	pg := newPage(t)
	pg.login(base, "scjg.manager")
	pg.do("open the page from the menu",
		chromedp.Click(`//li[contains(@class,"el-menu-item")][normalize-space()="综合查一次"]`),
		chromedp.WaitVisible(`[data-figure="本轮实际检查户次"]`),
		chromedp.WaitVisible(`.by-department .el-table__row`),
		chromedp.WaitVisible(`.by-region .el-table__row`),
		chromedp.WaitVisible(`.chart canvas`),
		chromedp.WaitNotPresent(`.el-loading-mask`),
	)
	visits := value(pg, "read the visits", chromedp.Evaluate[string](`document.querySelector('[data-figure="本轮实际检查户次"] .n').textContent.trim()`))
	if want := res.Round.Visits; visits != strconv.Itoa(want) {
		t.Fatalf("the page shows %q visits, the round made %d", visits, want)
	}
	depts := value(pg, "count the departments", chromedp.Evaluate[int](`document.querySelectorAll('.by-department .el-table__body tr.el-table__row').length`))
	var want []string
	for _, e := range res.Round.Plans {
		want = append(want, e.Departments...)
	}
	slices.Sort(want)
	if want = slices.Compact(want); depts != len(want) {
		t.Fatalf("%d department rows, want %d (%v)", depts, len(want), want)
	}
	pg.screenshot("console-round-burden")
	noBrowserErrors(t, pg)
}
