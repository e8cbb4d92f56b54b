package console_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleDashboardProgress: the administrator's 工作台 shows the demo's
// phone waiting for approval and the batch progress of the drawn plan as a
// chart, with the latest figures the server counted from the tasks; the
// task list's 导出 CSV downloads, from the server, the tasks its filters
// select, with Chinese headers and a byte-order mark.
func TestConsoleDashboardProgress(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	ratio := 1000
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "食品经营单位双随机抽查计划（进度测试）", Items: []string{"SCJG-03"},
		LeadDepartment: "scjg", Departments: []string{"scjg"},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: &ratio},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: backend.DateOf(now.AddDate(0, 0, -3)), End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method: backend.MethodOnSite,
	}
	res, err := demo.DrawPlan(ctx, m.Planning, p, now)
	if err != nil {
		t.Fatal(err)
	}
	tasks := res.Tasks
	if len(tasks) < 3 {
		t.Fatalf("the draw made %d tasks", len(tasks))
	}
	// Field work stated in the store: two check-ins two days ago, one
	// result entered yesterday and approved today.
	twoDays, yesterday := now.AddDate(0, 0, -2), now.AddDate(0, 0, -1)
	for i, tk := range tasks[:2] {
		st, err := m.Stores.Tasks.FindTaskByID(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		st.CheckIns = []backend.CheckInSummary{{ID: "c" + tk.ID, UserID: st.TeamUsers[0], InspectorID: st.Team[0], DeviceTime: twoDays, Flags: []string{}}}
		st.Status = backend.TaskCheckedIn
		if i == 0 {
			st.Result = &backend.Result{Code: backend.ResultNoProblem, Label: "未发现问题", LabelsVersion: 1, EnteredBy: st.TeamUsers[0], EnteredAt: yesterday, DeviceTime: yesterday}
			st.Reviews = []backend.ReviewNote{{Status: backend.TaskApproved, Reviewer: "scjg.reviewer", At: now}}
			st.Status = backend.TaskApproved
		}
		if err := m.Stores.Tasks.UpdateTask(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.DemoPendingDevice(ctx, "scjg.inspector24"); err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)

	pg := newPage(t)
	pg.login(base, "admin")
	pg.do("read the dashboard",
		chromedp.WaitVisible(`[data-figure="待批准设备"]`),
		chromedp.WaitVisible(`//td[contains(.,"新领用的执法终端")]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-chart="batch-progress"] canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-progress-summary]`)),
	)
	if n := value(pg, "read 待批准设备", chromedp.TextContent(chromedp.CSS(`[data-figure="待批准设备"]`))); strings.TrimSpace(n) != "1" {
		t.Errorf("待批准设备 reads %q, want 1", n)
	}
	summary := value(pg, "read the progress", chromedp.TextContent(chromedp.CSS(`[data-progress-summary]`)))
	for _, want := range []string{"第一批", "共 " + strconv.Itoa(len(tasks)) + " 项", "截至 " + string(backend.DateOf(now)), "已签到 2", "已提交 1", "已通过审核 1"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the progress reads %q, want %q in it", summary, want)
		}
	}
	if n := value(pg, "count masks", chromedp.Evaluate[int](`document.querySelectorAll('.el-loading-mask').length`)); n != 0 {
		t.Errorf("%d loading masks left over the dashboard", n)
	}
	pg.do("scroll to the chart", chromedp.ScrollIntoView(chromedp.CSS(`[data-chart="batch-progress"]`)))
	pg.screenshot("console-dashboard-progress")

	q := url.Values{"plan": {p.ID}, "status": {"assigned"}}
	pg.do("open the filtered task list",
		chromedp.Navigate(base+"/console/tasks?"+q.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`.tasks .el-table__body tr.el-table__row`)),
		chromedp.WaitVisible(chromedp.CSS(`a.export`)),
	)
	pg.screenshot("console-tasks-export")
	href := value(pg, "read the export link", chromedp.Evaluate[string](`document.querySelector('a.export').href`))
	if !strings.Contains(href, "/api/v1/tasks.csv?") || !strings.Contains(href, "plan="+url.QueryEscape(p.ID)) || !strings.Contains(href, "status=assigned") {
		t.Fatalf("the export link is %s, want the list's filters", href)
	}
	type sheet struct {
		BOM  bool     `json:"bom"`
		Rows []string `json:"rows"`
	}
	got := value(pg, "download the export", chromedp.Evaluate[sheet](`(async () => {
		const r = await fetch(document.querySelector('a.export').href)
		const bytes = new Uint8Array(await r.arrayBuffer())
		const text = new TextDecoder().decode(bytes)
		return {bom: bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, rows: text.trim().split("\n")}
	})()`, chromedp.EvalAwaitPromise))
	assigned := len(tasks) - 2
	if !got.BOM || len(got.Rows) != assigned+1 || !strings.HasPrefix(got.Rows[0], "任务编号,检查对象") {
		t.Fatalf("the export: BOM %v, %d lines, first %q; want the BOM, the header and %d assigned tasks", got.BOM, len(got.Rows), got.Rows[0], assigned)
	}
	noBrowserErrors(t, pg)
}
