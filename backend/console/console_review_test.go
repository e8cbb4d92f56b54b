package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
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
	var out []*backend.Task
	for _, tk := range res.Tasks {
		if len(out) == len(photos) {
			break
		}
		if tk.Unassigned || len(tk.TeamUsers) < backend.MinOfficers {
			continue
		}
		submitWithPhotos(t, m, tk, photos[len(out)])
		out = append(out, tk)
	}
	if len(out) < len(photos) {
		t.Fatalf("the draw gave %d tasks with a team, want %d", len(out), len(photos))
	}
	return m, out
}

// submitWithPhotos has the team submit tk with n photos (the first ones
// for the questions that require one) and uploads them from the first
// officer's phone.
func submitWithPhotos(t testing.TB, m *app.Main, tk *backend.Task, n int) {
	t.Helper()
	ctx := context.Background()
	var required []string
	for _, sec := range tk.Form.Sections {
		for _, q := range sec.Questions {
			if q.PhotoRequired {
				required = append(required, backend.AnswerKey(sec.ItemCode, q.ID))
			}
		}
	}
	files := make([]backend.EvidenceInput, n)
	data := make([][]byte, n)
	now := time.Now()
	for i := range files {
		data[i] = photo(t, i)
		sum := sha256.Sum256(data[i])
		files[i] = backend.EvidenceInput{
			ID: fmt.Sprintf("photo-%d", i+1), Type: backend.EvidencePhoto, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(data[i])), ContentType: "image/jpeg", Caption: fmt.Sprintf("现场照片 %d", i+1), CapturedAt: now,
		}
		if i < len(required) {
			files[i].Question = required[i]
		}
	}
	if err := m.DemoScale(nil).Submit(ctx, tk, files); err != nil {
		t.Fatal(err)
	}
	user := tk.TeamUsers[0]
	phone := backend.WithActor(ctx, &backend.Actor{UserID: user, Role: backend.RoleInspector, Departments: []string{"scjg"},
		ClientAddr: "local", DeviceID: "demo-" + strings.ReplaceAll(user, ".", "-"), Fresh: true})
	for i, f := range files {
		u, err := m.Evidence.Create(phone, evidence.CreateRequest{TaskID: tk.ID, SlotID: f.ID, Length: f.Size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Evidence.Write(phone, evidence.WriteRequest{ID: u.ID, Length: f.Size, Body: bytes.NewReader(data[i])}); err != nil {
			t.Fatal(err)
		}
	}
}

// photo is a 1600×1200 JPEG of a phone's size, different for each i.
func photo(t testing.TB, i int) []byte {
	t.Helper()
	const w, h = 1600, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(37 * i), 255})
		}
	}
	// A dark band whose place tells the photos apart at a glance.
	for y := h / 3; y < h/3+120; y++ {
		for x := (i * 150) % (w - 300); x < (i*150)%(w-300)+300; x++ {
			img.Set(x, y, color.RGBA{20, 30, 40, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
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
