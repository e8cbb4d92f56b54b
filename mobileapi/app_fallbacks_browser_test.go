package mobileapi_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
)

// plainCamera makes the fake camera show a picture with no code in it.
func plainCamera(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(60 + x/4), uint8(90 + y/4), 110, 255})
		}
	}
	path := filepath.Join(t.TempDir(), "plain.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := browsertest.WriteY4M(f, img, 640, 480); err != nil {
		t.Fatal(err)
	}
	return path
}

// randomFile writes head and then random bytes up to n as name (the server
// sniffs the head) and returns its path and SHA-256.
func randomFile(t *testing.T, name, head string, n int) (string, string) {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	copy(b, head)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// wrongCheck is uscc with another check character.
func wrongCheck(uscc string) string {
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if byte(c) != uscc[17] {
			return uscc[:17] + string(c)
		}
	}
	panic("unreachable")
}

// TestAppCheckInFallbacks: the camera shows no code and the phone has no
// position fix. The inspector types the USCC (a wrong check character is
// refused on the phone, as the server would), checks in without a
// position; adds a document, a video and a photo from the in-app camera,
// each hashed at capture, and watches them upload; then checks in at an
// enterprise without a task, giving the complaint's number. On the server:
// the check-in is flagged manual-uscc and no-position with no distance,
// every file arrived with the phone's hash, and the check-in without a
// task has its reason.
func TestAppCheckInFallbacks(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	ctx := context.Background()
	doc, docSHA := randomFile(t, "营业执照副本.pdf", "%PDF-1.4\n", 300<<10)
	clip, clipSHA := randomFile(t, "现场录像.webm", "\x1A\x45\xDF\xA3", 3<<20)
	notes, _ := randomFile(t, "记录.docx", "PK\x03\x04", 10<<10)

	b := browsertest.Start(t, browsertest.Options{Camera: plainCamera(t)})
	b.NoFix()
	tap := func(css string) { b.Eval(fmt.Sprintf(`document.querySelector(%q).click(), true`, css), nil) }
	typeInto := func(css, text string) {
		b.Eval(fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = ""; i.dispatchEvent(new Event("input")); return true; })()`, css), nil)
		b.Do(chromedp.SendKeys(css, text))
	}
	appLogin(b, srv.url(""), work.user, work.task.ID)

	// The code cannot be read, and there is no fix: the USCC by hand.
	b.Do(chromedp.Navigate(srv.url("/app/tasks/" + work.task.ID + "/checkin")))
	b.WaitFor(`!!document.querySelector("#manual-entry") && !!document.querySelector("#no-fix")`)
	tap(`#manual-entry`)
	b.WaitFor(`!!document.querySelector("#uscc-input")`)
	typeInto(`#uscc-input`, wrongCheck(work.task.TargetID))
	b.WaitFor(`document.querySelector("#uscc-box").innerText.includes("校验位不符") && document.querySelector("#uscc-use").disabled`)
	b.Shot("app-checkin-manual-wrong")
	// Typed as people type it: lower case, in groups.
	typed := work.task.TargetID
	typeInto(`#uscc-input`, fmt.Sprintf("%s %s %s", typed[:6], typed[6:12], typed[12:]))
	b.WaitFor(`!document.querySelector("#uscc-use").disabled`)
	tap(`#uscc-use`)
	b.WaitFor(`!!document.querySelector("#code-ok") && document.querySelector("#code-ok").innerText.includes("手工输入")`)
	b.WaitFor(`!document.querySelector("#confirm-checkin").disabled && document.querySelector("#confirm-checkin").innerText.includes("无定位签到")`)
	b.Shot("app-checkin-manual")
	tap(`#confirm-checkin`)
	b.WaitFor(`!!document.querySelector("#two-officers") && document.querySelector("#two-officers").innerText.includes("已满足")`)

	// Evidence of every kind, on the task page.
	b.WaitFor(`!!document.querySelector("#add-file")`)
	// A type the server takes for no kind of evidence is refused at once.
	b.Do(chromedp.SetUploadFiles(`#add-file`, []string{notes}))
	b.WaitFor(`!!document.querySelector("#evidence-refused") && document.querySelector("#evidence-refused").innerText.includes("PDF")`)
	b.Do(chromedp.SetUploadFiles(`#add-file`, []string{doc}))
	b.WaitFor(`document.querySelectorAll("#evidence [data-evidence]").length === 1`)
	b.Do(chromedp.SetUploadFiles(`#add-video`, []string{clip}))
	b.WaitFor(`document.querySelectorAll("#evidence [data-evidence]").length === 2`)
	tap(`#open-camera`)
	b.WaitFor(`!!document.querySelector(".cam-video") && document.querySelector(".cam-video").videoWidth > 0`)
	b.Shot("app-camera")
	tap(`#snap`)
	b.WaitFor(`document.querySelectorAll("#evidence [data-evidence]").length === 3`)
	tap(`.cam-bar .van-button`)
	b.WaitFor(`!document.querySelector(".cam-video") || document.querySelector(".cam-video").offsetParent === null`)
	b.Shot("app-evidence")
	// Online: the check-in and the manifest are pushed, the files uploaded,
	// and the phone drops their bytes once a pull shows them received.
	b.WaitUpTo(`[...document.querySelectorAll("#evidence [data-evidence]")].every((e) => e.dataset.state === "confirmed")`, 2*time.Minute)
	b.Shot("app-evidence-uploaded")

	got, err := m.Stores.Tasks.FindTaskByID(ctx, work.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	mine := slices.IndexFunc(got.CheckIns, func(c backend.CheckInSummary) bool { return c.UserID == work.user })
	if mine < 0 {
		t.Fatalf("no check-in of %s on the task: %+v", work.user, got.CheckIns)
	}
	if c := got.CheckIns[mine]; c.DistanceM != nil || !slices.Contains(c.Flags, backend.FlagManualUSCC) || !slices.Contains(c.Flags, backend.FlagNoPosition) {
		t.Fatalf("the check-in by hand without a fix is recorded as %+v", c)
	}
	kinds := map[backend.EvidenceType]int{}
	for _, e := range got.Evidence {
		if !e.Uploaded {
			t.Errorf("evidence %s (%s) not uploaded", e.ID, e.Type)
		}
		kinds[e.Type]++
		switch e.Type {
		case backend.EvidenceDocument:
			if e.SHA256 != docSHA || e.ContentType != "application/pdf" {
				t.Errorf("document %+v, want SHA-256 %s of application/pdf", e, docSHA)
			}
		case backend.EvidenceVideo:
			if e.SHA256 != clipSHA || e.ContentType != "video/webm" {
				t.Errorf("video %+v, want SHA-256 %s of video/webm", e, clipSHA)
			}
		case backend.EvidencePhoto:
			if e.ContentType != "image/jpeg" {
				t.Errorf("camera photo %+v, want image/jpeg", e)
			}
		}
	}
	if kinds[backend.EvidenceDocument] != 1 || kinds[backend.EvidenceVideo] != 1 || kinds[backend.EvidencePhoto] != 1 {
		t.Fatalf("evidence on the server by kind: %v, want one document, one video, one photo", kinds)
	}

	// A check-in without a task: at an enterprise none of the inspector's
	// tasks is for.
	theirs := map[string]bool{}
	if err := m.Stores.Tasks.ScanTasks(ctx, backend.TaskFilter{TeamUser: work.user}, func(tk *backend.Task) error {
		theirs[tk.TargetID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	targets, err := m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := ""
	for _, tg := range targets.Items {
		if !theirs[tg.ID] && tg.Status == backend.StatusActive {
			elsewhere = tg.ID
			break
		}
	}
	if elsewhere == "" {
		t.Fatal("every target of the demo has a task of this inspector")
	}
	b.Do(chromedp.Navigate(srv.url("/app/tasks")))
	b.WaitFor(`!!document.querySelector("#unplanned-checkin")`)
	tap(`#unplanned-checkin`)
	b.WaitFor(`!!document.querySelector("#manual-entry") && !!document.querySelector("#unplanned-note")`)
	tap(`#manual-entry`)
	b.WaitFor(`!!document.querySelector("#uscc-input")`)
	typeInto(`#uscc-input`, elsewhere)
	b.WaitFor(`!document.querySelector("#uscc-use").disabled`)
	tap(`#uscc-use`)
	b.WaitFor(`!!document.querySelector("#reason") && document.querySelector("#confirm-checkin").disabled`)
	tap(`[data-reason="complaint"]`)
	b.WaitFor(`!!document.querySelector("#reason-reference") && !!document.querySelector("#reason-error")`)
	b.Do(chromedp.SendKeys(`#reason-reference`, "12315-2026-0042"))
	b.WaitFor(`!document.querySelector("#reason-error") && !document.querySelector("#confirm-checkin").disabled`)
	b.Shot("app-checkin-unplanned")
	tap(`#confirm-checkin`)
	b.WaitFor(`!!document.querySelector("#unplanned-checkin")`)
	b.WaitFor(`document.querySelector("#sync-pending").innerText.includes("操作已全部上传")`)
	cs, err := m.Stores.CheckIns.FindCheckInsOfTarget(ctx, elsewhere, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].TaskID != "" || cs[0].Reason != backend.ReasonComplaint || cs[0].Reference != "12315-2026-0042" ||
		!slices.Contains(cs[0].Flags, backend.FlagNoTask) || !slices.Contains(cs[0].Flags, backend.FlagManualUSCC) || !slices.Contains(cs[0].Flags, backend.FlagNoPosition) {
		t.Fatalf("check-ins at %s without a task: %+v", elsewhere, cs)
	}
	if n := checkAnswers(t, m, b); n < 3 {
		t.Fatalf("only %d JSON answers seen", n)
	}
}
