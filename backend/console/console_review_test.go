package console_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleReviewer: a reviewer opens the queue, opens the oldest
// submission with its photos, records an issue on a photo, returns the
// task with a comment (the page moves on to the next task by itself) and
// approves that one with the keyboard. The phones' side (check-ins,
// answers, photos) is set up through the sync and evidence services, as
// the phones would: it is not the console's to do.
func TestConsoleReviewer(t *testing.T) {
	m, tasks := submittedTasks(t, []int{6, 3})
	base := serve(t, m)

	p := newPage(t)
	p.login(base, "scjg.reviewer")
	p.do("open the queue",
		chromedp.Click(menu("审核")),
		chromedp.WaitVisible(`//td//div[normalize-space()="`+tasks[1].TargetName+`"]`),
	)
	p.screenshot("console-reviews")

	first, second := tasks[0], tasks[1]
	p.do("open the oldest submission",
		chromedp.WaitNotPresent(`.el-loading-mask`),
		chromedp.Click(`//tbody/tr[1]//div[normalize-space()="`+first.TargetName+`"]`),
		chromedp.WaitVisible(`//div[contains(@class,"title")]/strong[normalize-space()="`+first.TargetName+`"]`),
		void(chromedp.Poll[bool](thumbnailsShown(6))),
	)
	if hint := value(p, "read the shortcut hint", chromedp.Text(`.keys`)); !strings.Contains(hint, "下一条") || !strings.Contains(hint, "通过") {
		t.Fatalf("the shortcut hint says %q", hint)
	}
	p.screenshot("console-review")

	t.Run("OK/FullSizePhoto", func(t *testing.T) {
		p := p.on(t)
		p.do("open a photo full size and close it",
			chromedp.Click(`.gallery figure:nth-child(2) img`),
			void(chromedp.Poll[bool](`Array.from(document.querySelectorAll('.el-image-viewer__img')).some(i => i.offsetParent !== null && i.complete && i.naturalWidth > 320)`)),
		)
		p.screenshot("console-review-photo")
		p.do("close the viewer", chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(`.el-image-viewer__wrapper`))
	})

	t.Run("OK/RecordIssue", func(t *testing.T) {
		p := p.on(t)
		p.do("record an issue on the first photo",
			chromedp.Click(`.gallery figure:nth-child(1) figcaption button`),
			chromedp.WaitVisible(`input[name="issue-0"]`),
			chromedp.SendKeys(`input[name="issue-0"]`, "照片模糊，看不清经营许可证"),
			chromedp.Click(`//div[contains(@class,"el-dialog")]//button[normalize-space()="保存问题"]`),
			chromedp.WaitVisible(`//div[contains(@class,"title")]//span[normalize-space()="已记录问题"]`),
		)
		got := storedTask(t, m, first.ID)
		if st := got.ReviewState(); st != backend.ReviewHasIssues {
			t.Fatalf("after 保存问题 the task is %s, want has_issues", st)
		}
	})

	t.Run("OK/ReturnMovesOn", func(t *testing.T) {
		p := p.on(t)
		p.do("return it with the r key",
			void(chromedp.Poll[bool](noDialog)),
			chromedp.KeyEvent("r"),
			chromedp.WaitVisible(`textarea[name="returnComment"]`),
			chromedp.SendKeys(`textarea[name="returnComment"]`, "请补拍清晰的许可证照片后重新提交"),
			chromedp.Click(`//div[contains(@class,"el-dialog")]//button[normalize-space()="确认退回"]`),
			chromedp.WaitVisible(`//div[contains(@class,"title")]/strong[normalize-space()="`+second.TargetName+`"]`),
			void(chromedp.Poll[bool](thumbnailsShown(3))),
		)
		got := storedTask(t, m, first.ID)
		if got.Status != backend.TaskReturned {
			t.Fatalf("task %s is %s, want returned", first.ID, got.Status)
		}
		last := got.Reviews[len(got.Reviews)-1]
		if len(last.Issues) != 1 || last.Issues[0].Evidence == "" || !strings.Contains(last.Comment, "补拍") {
			t.Fatalf("the return note %+v, want the comment and the photo's issue", last)
		}
	})

	t.Run("OK/ApproveWithKeyboard", func(t *testing.T) {
		p := p.on(t)
		p.do("approve with a, then Enter",
			void(chromedp.Poll[bool](noDialog)),
			chromedp.KeyEvent("a"),
			chromedp.WaitVisible(`//div[contains(@class,"el-dialog")]//button[normalize-space()="确认通过"]`),
			chromedp.Click(`//div[contains(@class,"el-dialog")]//button[normalize-space()="确认通过"]`),
			chromedp.WaitVisible(`//*[contains(@class,"empty")][contains(normalize-space(),"审核队列是空的")]`),
		)
		if got := storedTask(t, m, second.ID); got.Status != backend.TaskApproved {
			t.Fatalf("task %s is %s, want approved", second.ID, got.Status)
		}
		p.screenshot("console-reviews-empty")
	})

	t.Run("OK/DownloadRecord", func(t *testing.T) {
		p := p.on(t)
		link := `//a[contains(@class,"record-link")][normalize-space()="下载检查记录 (PDF)"]`
		p.do("open the approved task: its record can be downloaded",
			chromedp.Navigate(base+"/console/reviews/"+second.ID),
			chromedp.WaitVisible(`//div[contains(@class,"title")]/strong[normalize-space()="`+second.TargetName+`"]`),
			chromedp.WaitVisible(link),
		)
		p.screenshot("console-review-approved")
		got := value(p, "fetch the link's PDF with the session cookie", chromedp.Evaluate[string](`(async () => {
			const a = document.querySelector('a.record-link')
			const r = await fetch(a.href)
			const head = new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))
			return [r.status, r.headers.get('content-type'), head, a.getAttribute('href'), a.hasAttribute('download')].join(' ')
		})()`, chromedp.EvalAwaitPromise))
		if want := "200 application/pdf %PDF- /api/v1/tasks/" + second.ID + "/record.pdf true"; got != want {
			t.Fatalf("the record link gives %q, want %q", got, want)
		}
	})

	for _, line := range p.logged() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused to") || strings.HasPrefix(line, "exception") {
			t.Errorf("the browser logged: %s", line)
		}
	}
}

// thumbnailsShown is a script that is true once n thumbnails of the
// gallery have loaded.
func thumbnailsShown(n int) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll('.gallery img')).filter(i => i.complete && i.naturalWidth > 0).length >= %d`, n)
}

// noDialog is true when no dialog is shown (Element Plus keeps closed
// ones in the page, hidden).
const noDialog = `!Array.from(document.querySelectorAll('.el-overlay')).some(e => getComputedStyle(e).display !== 'none')`

func menu(title string) string {
	return `//li[contains(@class,"el-menu-item")][normalize-space()="` + title + `"]`
}

func storedTask(t *testing.T, m *app.Main, id string) *backend.Task {
	t.Helper()
	tk, err := m.Stores.Tasks.FindTaskByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// submittedTasks seeds the demo county, draws its plan and has the teams'
// phones submit one task per entry of photos, in order (the first is the
// oldest submission), each with that many photos uploaded.
func submittedTasks(t testing.TB, photos []int) (*app.Main, []*backend.Task) {
	t.Helper()
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	res, err := demo.DrawFirstPlan(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.DemoScale(nil).SeedReviewQueue(ctx, res.Tasks, photos)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < len(photos) {
		t.Fatalf("the draw gave %d tasks with a team, want %d", len(out), len(photos))
	}
	return m, out
}

// TestConsoleReviewTimings measures, with the browser's own timings, how
// soon a review page with 20 photos shows its first thumbnails: opened by
// URL (a full load of the console), once with the thumbnails still to be
// made and once when they have been. Figures go to the log (and
// docs/benchmarks.md); set FIELDCHECK_MEASURE_BROWSER=1 to run it.
func TestConsoleReviewTimings(t *testing.T) {
	if os.Getenv("FIELDCHECK_MEASURE_BROWSER") != "1" {
		t.Skip("set FIELDCHECK_MEASURE_BROWSER=1 to measure")
	}
	m, tasks := submittedTasks(t, []int{20})
	base := serve(t, m)
	p := newPage(t)
	p.login(base, "scjg.reviewer")
	const firstThumbnails = `(() => {
		const shown = Array.from(document.querySelectorAll('.gallery img')).filter(i => i.complete && i.naturalWidth > 0).length;
		if (shown < 6) return -1;
		const ends = performance.getEntriesByType('resource').filter(e => e.name.endsWith('/thumbnail')).map(e => e.responseEnd).sort((a, b) => a - b);
		return ends.length >= 6 ? Math.round(ends[5]) : -1;
	})()`
	for _, run := range []string{"cold", "warm"} {
		p.do("open the review of 20 photos ("+run+")",
			chromedp.Navigate(base+"/console/reviews/"+tasks[0].ID),
			void(chromedp.Poll[bool](firstThumbnails+` >= 0`)),
		)
		ms := value(p, "read the timings", chromedp.Evaluate[int](firstThumbnails))
		detail := value(p, "read the navigation", chromedp.Evaluate[string](`(() => {
			const r = performance.getEntriesByType('resource'), at = (f) => Math.round(Math.min(...r.filter(f).map(e => e.responseEnd)));
			const rev = r.find(e => /\/api\/v1\/reviews\/[^/]+$/.test(e.name));
			return 'DOM interactive ' + Math.round(performance.getEntriesByType('navigation')[0].domInteractive) + ' ms, review JSON ' +
				Math.round(rev.startTime) + '–' + Math.round(rev.responseEnd) + ' ms, first thumbnail ' + at(e => e.name.endsWith('/thumbnail')) + ' ms';
		})()`))
		t.Logf("%s: 6 of 20 thumbnails shown %d ms after navigation start; %s", run, ms, detail)
	}
}
