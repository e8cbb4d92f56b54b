package console_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleTasks: a manager opens the task list with filters in the URL
// (the controls show them; the server filters), narrows it with the
// controls (the URL follows), opens a task, reads its timeline, reassigns
// it (the timeline shows who, what and from where); a manager of another
// department opening the task, its plan or the plan's form by URL is told
// in Chinese that they cannot.
func TestConsoleTasks(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	ratio := 1000
	today := backend.DateOf(now)
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "食品经营单位双随机抽查计划（任务测试）", Items: []string{"SCJG-03"},
		LeadDepartment: "scjg", Departments: []string{"scjg"},
		StratumKey: backend.StratumCredit, Default: &backend.StratumRule{RatioBp: &ratio},
		TeamSize: 2, Batches: []backend.Batch{{Name: "第一批", Start: today, End: backend.DateOf(now.AddDate(0, 2, 0)), DueDays: 30}},
		Method: backend.MethodOnSite,
	}
	res, err := demo.DrawPlan(ctx, m.Planning, p, now)
	if err != nil {
		t.Fatal(err)
	}
	tasks := res.Tasks
	if len(tasks) < 2 {
		t.Fatalf("the draw made %d tasks", len(tasks))
	}
	base := serve(t, m)
	rows := `//table[contains(@class,"el-table__body")]//tr[contains(@class,"el-table__row")]`

	pg := newPage(t)
	pg.login(base, "scjg.manager")
	q := url.Values{"plan": {p.ID}, "status": {"assigned"}}
	pg.do("open the list filtered by the URL",
		chromedp.Navigate(base+"/console/tasks?"+q.Encode()),
		chromedp.WaitVisible(rows),
		chromedp.WaitVisible(`//div[contains(@class,"f-status")]//span[normalize-space()="已派发"]`),
		chromedp.WaitVisible(`//div[contains(@class,"f-plan")]//span[normalize-space()="`+p.Name+`"]`),
	)
	if n := value(pg, "count the rows", chromedp.Evaluate[int](`document.querySelectorAll('.tasks .el-table__body tr.el-table__row').length`)); n != min(len(tasks), 20) {
		t.Fatalf("the list shows %d tasks, want %d", n, min(len(tasks), 20))
	}
	pg.screenshot("console-tasks")

	pg.do("narrow to overdue ones with the controls",
		chromedp.Click(`//label[contains(@class,"f-overdue")]`),
		chromedp.Click(`//button[normalize-space()="筛选"]`),
		chromedp.WaitVisible(`//*[normalize-space()="没有符合条件的任务。"]`),
	)
	if loc := value(pg, "read the address", chromedp.Location()); !strings.Contains(loc, "overdue=true") || !strings.Contains(loc, "status=assigned") {
		t.Fatalf("the address is %s, want the filters in it", loc)
	}

	pg.do("sort by due day with the column (the server sorts)",
		chromedp.WaitNotPresent(`.el-loading-mask`), // it would take the click
		chromedp.Click(`//th[.//div[contains(.,"完成期限")]]`),
		chromedp.WaitVisible(`//th[contains(@class,"ascending")][.//div[contains(.,"完成期限")]]`),
	)
	if loc := value(pg, "read the address", chromedp.Location()); !strings.Contains(loc, "sort=due") || !strings.Contains(loc, "overdue=true") {
		t.Fatalf("the address is %s, want sort=due with the filters", loc)
	}
	q.Set("sort", "due")
	pg.do("open the list sorted by due day from the URL",
		chromedp.Navigate(base+"/console/tasks?"+q.Encode()),
		chromedp.WaitVisible(rows),
		chromedp.WaitVisible(`//th[contains(@class,"ascending")][.//div[contains(.,"完成期限")]]`),
	)

	// The team-member filter searches the directory on the server as one
	// types (remote), and a link with member= shows the name.
	member, err := m.Stores.Inspectors.FindInspectorByID(ctx, tasks[0].Team[0])
	if err != nil {
		t.Fatal(err)
	}
	option := `//li[contains(@class,"el-select-dropdown__item")][span[1][normalize-space()="` + member.Name + `"]]`
	pg.do("search a team member by name",
		chromedp.Navigate(base+"/console/tasks?plan="+url.QueryEscape(p.ID)),
		chromedp.WaitVisible(rows),
		chromedp.WaitNotPresent(`.el-loading-mask`),
		chromedp.Click(`.f-member .el-select__wrapper`),
		chromedp.SendKeys(`.f-member input`, member.Name),
		chromedp.WaitVisible(option),
		// Clicked by script: the dropdown is still moving into place.
		void(chromedp.Evaluate[bool](`(() => { const li = [...document.querySelectorAll('li.el-select-dropdown__item')].find(e => e.querySelector('span')?.textContent.trim() === `+strconv.Quote(member.Name)+`); li.click(); return true })()`)),
		chromedp.Click(`//button[normalize-space()="筛选"]`),
		chromedp.WaitVisible(rows),
	)
	if loc := value(pg, "read the address", chromedp.Location()); !strings.Contains(loc, "member="+url.QueryEscape(member.ID)) {
		t.Fatalf("the address is %s, want member=%s", loc, member.ID)
	}
	pg.do("open the member's list by URL",
		chromedp.Navigate(base+"/console/tasks?member="+url.QueryEscape(member.ID)),
		chromedp.WaitVisible(rows),
		chromedp.WaitVisible(`//div[contains(@class,"f-member")]//span[normalize-space()="`+member.Name+`"]`),
	)

	tk := tasks[0]
	pg.do("open a task",
		chromedp.Navigate(base+"/console/tasks/"+tk.ID),
		chromedp.WaitVisible(`//*[contains(@class,"el-timeline-item")][contains(.,"任务生成")]`),
		chromedp.WaitVisible(`//span[contains(@class,"team")][contains(.,"、")]`),
	)
	pg.do("reassign it without its first member",
		chromedp.Click(`//button[normalize-space()="重新派组"]`),
		chromedp.WaitVisible(`textarea[name="reassignReason"]`),
		chromedp.Click(`(//div[contains(@class,"members")]//label)[1]`),
		chromedp.SendKeys(`textarea[name="reassignReason"]`, "回避：与检查对象有利害关系"),
		chromedp.Click(`//button[normalize-space()="确认重新派组"]`),
		chromedp.WaitVisible(`//*[contains(@class,"el-timeline-item")][.//strong[normalize-space()="重新派组"]][contains(.,"scjg.manager")][contains(.,"127.0.0.1")]`),
		chromedp.WaitNotVisible(`textarea[name="reassignReason"]`),
	)
	pg.screenshot("console-task")
	after, err := m.Stores.Tasks.FindTaskByID(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after.Team, tk.Team[0]) || after.Version == tk.Version {
		t.Fatalf("after the reassignment the team is %v (was %v), version %d", after.Team, tk.Team, after.Version)
	}

	other := newPage(t)
	other.login(base, "wsjk.manager")
	for _, c := range []struct{ path, title string }{
		{"/console/tasks/" + tk.ID, "无法查看该任务"},
		{"/console/plans/" + p.ID, "无法查看该抽查计划"},
		{"/console/plans/" + p.ID + "/edit", "无法修改该抽查计划"},
	} {
		other.do("open "+c.path+" of another department",
			chromedp.Navigate(base+c.path),
			chromedp.WaitVisible(`//*[contains(@class,"el-result__title")][contains(.,"`+c.title+`")]`),
			chromedp.WaitVisible(`//*[contains(@class,"el-result__subtitle")][contains(.,"不属于您所在的部门")]`),
		)
	}
	for _, path := range []string{"/api/v1/tasks/" + tk.ID, "/api/v1/tasks/" + tk.ID + "/timeline", "/api/v1/plans/" + p.ID} {
		st := value(other, "fetch "+path, chromedp.Evaluate[int](`fetch(`+strconv.Quote(path)+`).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if st != 404 && st != 403 {
			t.Fatalf("another department's manager gets %s: %d, want 403 or 404", path, st)
		}
	}
	noBrowserErrors(t, pg, other)
}
