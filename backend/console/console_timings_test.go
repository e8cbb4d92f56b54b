package console_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// readyScript runs in every document before the console's scripts: it
// notes, by the page's own clock (performance.now(), ms from the start of
// the navigation), when the first row of a list or the dashboard's first
// figure is in the document — the page shows the server's answer and can
// be clicked — or, for an empty list, its empty text once no loading
// mask is left (an el-table shows its empty text while it loads too).
const readyScript = `(() => {
	const ready = () => document.querySelector('.el-table__body tr.el-table__row, [data-figure]') ||
		(document.querySelector('.el-table__empty-text') && !document.querySelector('.el-loading-mask'));
	const seen = () => {
		if (window.__fcInteractive === undefined && ready()) {
			window.__fcInteractive = performance.now();
			return true;
		}
		return false;
	};
	const o = new MutationObserver(() => { if (seen()) o.disconnect(); });
	o.observe(document, { childList: true, subtree: true });
})()`

// TestConsolePageTimings measures, with FIELDCHECK_MEASURE_BROWSER=1, how
// long after a navigation each main page of the console shows its list
// (readyScript), in Chromium at 1366×900, without and with the CPU
// slowed 4× (Emulation.setCPUThrottlingRate), three navigations each. It
// measures the server at FIELDCHECK_MEASURE_BASE (a running demo, e.g.
// --targets 100000 --tasks 10000), or else a demo county of 300 targets
// it seeds. No timing is asserted: the figures go to docs/benchmarks.md.
func TestConsolePageTimings(t *testing.T) {
	if os.Getenv("FIELDCHECK_MEASURE_BROWSER") != "1" {
		t.Skip("set FIELDCHECK_MEASURE_BROWSER=1 to measure")
	}
	base := os.Getenv("FIELDCHECK_MEASURE_BASE")
	if base == "" {
		m := apptest.Open(t, "")
		now := time.Now()
		apptest.SeedDemo(t, m, 300, now)
		if _, err := demo.DrawFirstPlan(context.Background(), m.Planning, now); err != nil {
			t.Fatal(err)
		}
		base = serve(t, m)
	}
	pages := []struct{ user, name, path string }{
		{"scjg.manager", "工作台", "/console/"},
		{"scjg.manager", "名录库", "/console/targets"},
		{"scjg.manager", "名录库 sort=name", "/console/targets?sort=name"},
		{"scjg.manager", "名录库 q=三明", "/console/targets?q=" + "%E4%B8%89%E6%98%8E"},
		{"scjg.manager", "检查人员", "/console/inspectors"},
		{"scjg.manager", "抽查计划", "/console/plans"},
		{"scjg.manager", "任务", "/console/tasks"},
		{"scjg.manager", "任务 sort=due", "/console/tasks?sort=due"},
		{"scjg.manager", "结果公示", "/console/results"},
		{"scjg.reviewer", "审核", "/console/reviews"},
	}
	tabs := map[string]*page{}
	for _, rate := range []float64{1, 4} {
		for _, pg := range pages {
			p := tabs[pg.user]
			if p == nil {
				p = newPage(t)
				p.do("watch for the first rows", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
					_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: readyScript})
					return err
				}))
				p.login(base, pg.user)
				tabs[pg.user] = p
			}
			p.do("slow the CPU", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: rate})
				return err
			}))
			var ms []int
			var detail string
			for range 3 {
				p.do("open "+pg.name,
					chromedp.Navigate(base+pg.path),
					void(chromedp.Poll[bool](`window.__fcInteractive !== undefined`)),
				)
				ms = append(ms, value(p, "read the time", chromedp.Evaluate[int](`Math.round(window.__fcInteractive)`)))
				detail = value(p, "read the navigation", chromedp.Evaluate[string](`(() => {
					const n = performance.getEntriesByType('navigation')[0];
					const api = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/') && !e.name.includes('/auth/'));
					const slowest = api.sort((a, b) => b.duration - a.duration)[0];
					return 'DOM interactive ' + Math.round(n.domInteractive) + ' ms; ' + api.length + ' API calls, the slowest ' +
						(slowest ? slowest.name.replace(location.origin, '').split('?')[0] + ' ' + Math.round(slowest.duration) + ' ms' : '—');
				})()`))
			}
			sorted := slices.Clone(ms)
			slices.Sort(sorted)
			t.Logf("| %s | %.0f× | %s | %d | %s |", pg.name, rate, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ms)), ", "), "[]"), sorted[1], detail)
		}
	}
}
