package mobileapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/openapitest"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/qr"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// server is a fieldcheck listening on a fixed loopback address, which a
// test can stop and start again on the same data and port (the phone's
// service worker and IndexedDB belong to that origin).
type server struct {
	t    *testing.T
	m    *app.Main
	addr string
	done chan error
}

func startServer(t *testing.T, m *app.Main, addr string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, m: m, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- m.HTTP.App().Listener(ln) }()
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	if s.done == nil {
		return
	}
	_ = s.m.HTTP.App().ShutdownWithTimeout(5 * time.Second)
	<-s.done
	s.done = nil
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// freeAddr is a loopback address with a port free now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// phoneWork is a demo task drawn for the browser's inspector and its
// teammate, with the enterprise's licence code and where it is.
type phoneWork struct {
	task     *backend.Task
	user     string
	teammate string
	code     *qr.EnterpriseCode
	where    backend.GeoPoint
}

// drawForPhone seeds the demo county, draws its first plan and checks the
// teammate of the first on-site task in with the Go client (another
// phone): the task is checked_in when the app downloads it, and the app's
// inspector still has to check in.
func drawForPhone(t *testing.T, m *app.Main, base string) phoneWork {
	t.Helper()
	return drawTask(t, m, base, true)
}

// drawTask is drawForPhone; teammateIn says whether the teammate checks in.
func drawTask(t *testing.T, m *app.Main, base string, teammateIn bool) phoneWork {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	apptest.SeedDemo(t, m, 60, now)
	res, err := demo.DrawFirstPlan(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	var task *backend.Task
	for _, tk := range res.Tasks {
		if tk.Method == backend.MethodOnSite && len(tk.TeamUsers) >= 2 {
			task = tk
			break
		}
	}
	if task == nil {
		t.Fatal("the demo draw has no on-site task with two officers")
	}
	code, err := m.Codes.SignEnterpriseCode(ctx, task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	teammate := task.TeamUsers[1]
	where := backend.GeoPoint{Lat: 26.26, Lng: 117.63}
	if tg, err := m.Stores.Targets.FindTargetByID(ctx, task.TargetID); err == nil && tg.Location != nil {
		where = *tg.Location
	}
	if !teammateIn {
		return phoneWork{task: task, user: task.TeamUsers[0], teammate: teammate, code: code, where: where}
	}
	q, err := fcsync.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	c := &fcsync.Client{BaseURL: base, Username: teammate, Password: demo.DemoPassword(teammate), Queue: q,
		Device: backend.DeviceInfo{ID: "go-phone-teammate", Platform: backend.PlatformAndroid}}
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	v := c.Task(task.ID)
	mu, err := fcsync.NewMutation(fcsync.EntityCheckIn, task.ID, v.Task.Version, fcsync.CheckInPayload{Code: code.String(), Position: &where, AccuracyM: 5, DeviceTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(mu); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Push(ctx); err != nil || len(res) != 1 || res[0].Status != fcsync.Applied {
		t.Fatalf("check-in of %s: %+v %v", teammate, res, err)
	}
	got, err := m.Stores.Tasks.FindTaskByID(ctx, task.ID)
	if err != nil || got.Status != backend.TaskCheckedIn {
		t.Fatalf("task after the teammate's check-in: %v %v", got, err)
	}
	return phoneWork{task: got, user: task.TeamUsers[0], teammate: teammate, code: code, where: where}
}

// showCode makes the fake camera show text's QR code (rendered by the
// server's own renderer) from the next time the page opens the camera.
func showCode(t *testing.T, path string, code *qr.EnterpriseCode) {
	t.Helper()
	var buf bytes.Buffer
	if err := code.WritePNG(&buf, 360); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := browsertest.WriteY4M(f, img, 640, 480); err != nil {
		t.Fatal(err)
	}
}

// photoFile writes a small PNG, as a phone's camera would give a file.
func photoFile(t *testing.T) (string, string) {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "现场照片.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return path, hex.EncodeToString(sum[:])
}

// checkAnswers holds every JSON answer the page received to the OpenAPI
// documents of the server.
func checkAnswers(t *testing.T, m *app.Main, b *browsertest.Browser) int {
	t.Helper()
	n := 0
	for _, a := range b.Answers() {
		if !strings.Contains(a.URL, "/mobile/") && !strings.Contains(a.URL, "/api/") {
			continue
		}
		req := httptest.NewRequest(a.Method, a.URL, nil)
		h := map[string][]string{}
		for k, v := range a.Header {
			h[k] = []string{v}
		}
		openapitest.CheckAnswer(t, m.HTTP.App(), req, a.Status, h, a.Body)
		n++
	}
	return n
}

// appLogin opens the app at base, logs user in and waits for taskID in
// the list.
func appLogin(b *browsertest.Browser, base, user, taskID string) {
	b.Do(chromedp.Navigate(base + "/app/"))
	b.WaitFor(`!!document.querySelector("#login")`)
	b.Do(chromedp.SendKeys(`input[name=username]`, user), chromedp.SendKeys(`input[name=password]`, demo.DemoPassword(user)),
		chromedp.Click(`#login`))
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, taskID))
}

// answerFor is what the test enters for a question in the app.
func answerFor(q backend.Question) string {
	switch q.Type {
	case backend.QYesNo:
		return "是"
	case backend.QSingle, backend.QMultiple:
		return q.Options[0]
	case backend.QNumber:
		return "12"
	case backend.QPhoto:
		return "已拍照 1 张"
	}
	return "现场检查记录"
}

// TestAppOfflineVisit is a whole visit on the phone without network: log in
// as a demo inspector, download the tasks, stop the server, reload (the
// service worker serves the app), check in by scanning the licence code
// through the fake camera (a forged code and another enterprise's are
// refused), answer the checklist with photos and submit, all offline; start the server again on the same data and port:
// everything arrives, and the task is submitted on the server with the
// same answers, and the photos are uploaded (tus) with the SHA-256
// computed on the phone at capture.
func TestAppOfflineVisit(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	photo, photoSHA := photoFile(t)
	camera := filepath.Join(t.TempDir(), "camera.y4m")
	// A forged code first: the genuine signature over another enterprise's USCC.
	other, err := m.Stores.Targets.FindTargets(context.Background(), backend.TargetFilter{}, backend.PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	otherID := other.Items[0].ID
	if otherID == work.task.TargetID {
		otherID = other.Items[1].ID
	}
	forged := *work.code
	forged.USCC = otherID
	showCode(t, camera, &forged)

	b := browsertest.Start(t, browsertest.Options{Camera: camera})
	b.Geolocate(work.where.Lat+0.0001, work.where.Lng, 8)
	// A tap is a click in the page: a toast may lie over the spot a mouse would hit.
	tap := func(css string) { b.Eval(fmt.Sprintf(`document.querySelector(%q).click(), true`, css), nil) }
	b.Do(chromedp.Navigate(srv.url("/app/")))
	b.WaitFor(`!!document.querySelector("#login")`)
	b.Shot("app-login")
	b.Do(chromedp.SendKeys(`input[name=username]`, work.user), chromedp.SendKeys(`input[name=password]`, demo.DemoPassword(work.user)),
		chromedp.Click(`#login`))
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, work.task.ID))
	// The shell is precached and the worker controls the page: it opens offline.
	b.WaitFor(`navigator.serviceWorker.controller !== null`)
	b.Eval(`navigator.serviceWorker.ready.then(() => caches.keys()).then((k) => k.length > 0)`, nil)
	b.WaitFor(`document.querySelector("#sync-last").innerText.includes("上次同步")`)
	b.Shot("app-tasks")

	// The inspection code: fetched online, shown as a QR that decodes to a
	// code the server accepts for the task (and kept for offline).
	b.Do(chromedp.Navigate(srv.url("/app/tasks/" + work.task.ID)))
	b.WaitFor(`!!document.querySelector("#show-code")`)
	b.Do(chromedp.Click(`#show-code`))
	b.WaitFor(`!!document.querySelector("#code-expiry") && document.querySelector("#inspection-code").width > 0`)
	var dataURL string
	b.Eval(`document.querySelector("#inspection-code").toDataURL("image/png")`, &dataURL)
	pngBytes, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	shown := browsertest.DecodeQR(t, pngBytes)
	u, err := url.Parse(shown)
	if err != nil || !strings.HasPrefix(u.Path, "/v/") {
		t.Fatalf("the inspection code reads %q", shown)
	}
	view, err := m.Visit.ViewCode(context.Background(), strings.TrimPrefix(u.Path, "/v/"))
	if err != nil || !view.Genuine || view.TargetID != work.task.TargetID {
		t.Fatalf("the shown code is refused or of another enterprise: %+v %v", view, err)
	}
	b.Shot("app-code")
	b.Do(chromedp.Navigate(srv.url("/app/tasks")))
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, work.task.ID))

	srv.stop()
	b.Do(chromedp.Reload())
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, work.task.ID))
	b.WaitFor(`document.querySelector("#sync-bar").innerText.includes("离线")`)
	b.Shot("app-tasks-offline")
	b.Do(chromedp.Click(fmt.Sprintf(`[data-task=%q]`, work.task.ID)))
	b.WaitFor(`!!document.querySelector("#checkin")`)
	b.Shot("app-task")

	// Check in by scanning, offline: a forged code and a genuine code of
	// another enterprise are refused on the phone; the task's own code is
	// taken, with the position.
	b.Do(chromedp.Click(`#checkin`))
	b.WaitFor(`!!document.querySelector("#code-refused") && document.querySelector("#code-refused").innerText.includes("伪造")`)
	b.Shot("app-checkin-forged")
	otherCode, err := m.Codes.SignEnterpriseCode(context.Background(), otherID)
	if err != nil {
		t.Fatal(err)
	}
	showCode(t, camera, otherCode)
	tap(`#rescan`)
	b.WaitFor(`!!document.querySelector("#code-refused") && document.querySelector("#code-refused").innerText.includes("另一家企业")`)
	showCode(t, camera, work.code)
	tap(`#rescan`)
	b.WaitFor(`!!document.querySelector("#code-ok") && !!document.querySelector("#distance")`)
	b.Shot("app-checkin")
	b.Do(chromedp.Click(`#confirm-checkin`))
	b.WaitFor(`!!document.querySelector("#two-officers") && document.querySelector("#two-officers").innerText.includes("已满足")`)
	b.Do(chromedp.Click(`#show-code`))
	b.WaitFor(`!!document.querySelector("#code-expiry") && document.querySelector("#code-expiry").innerText.includes("有效期至") && document.querySelector("#inspection-code").width > 0`)
	b.Shot("app-code-offline")
	b.Do(chromedp.Click(`.van-nav-bar__left`))
	b.WaitFor(`!!document.querySelector("#sign")`)

	// The enterprise's representative signs on the phone.
	b.Do(chromedp.Click(`#sign`))
	b.WaitFor(`!!document.querySelector("#signature-pad")`)
	// A stroke of pointer events at a hand's pace (the pad keeps one point per 16 ms).
	b.Eval(`(async () => {
		const c = document.querySelector("#signature-pad"), r = c.getBoundingClientRect();
		const at = (type, x, y) => c.dispatchEvent(new PointerEvent(type, {clientX: r.left + x, clientY: r.top + y, pointerId: 1,
			pointerType: "pen", isPrimary: true, button: 0, buttons: type === "pointerup" ? 0 : 1, pressure: 0.5, bubbles: true}));
		const pace = () => new Promise((ok) => setTimeout(ok, 20));
		at("pointerdown", 40, 150);
		for (let i = 1; i <= 30; i++) { await pace(); at("pointermove", 40 + i * 9, 150 + Math.sin(i / 3) * 60); }
		at("pointerup", 310, 150);
		return true;
	})()`, nil)
	b.WaitFor(`!document.querySelector("#save-signature").disabled`)
	b.Shot("app-signature")
	b.Do(chromedp.Click(`#save-signature`))
	b.WaitFor(`!!document.querySelector("#sign") && document.querySelector("#sign").innerText.includes("已签 1 份")`)
	b.Do(chromedp.Click(`#open-checklist`))
	b.WaitFor(`!!document.querySelector("#submit")`)
	b.Do(chromedp.Click(`#submit`))
	b.WaitFor(`!!document.querySelector("#gaps li")`)
	b.Shot("app-checklist-missing")

	// Answer every question as answerFor says, with a photo where one is
	// asked.
	total := 0
	for _, s := range work.task.Form.Sections {
		for _, q := range s.Questions {
			total++
			key := backend.AnswerKey(s.ItemCode, q.ID)
			sel := fmt.Sprintf(`[data-question=%q]`, key)
			switch q.Type {
			case backend.QYesNo:
				tap(sel + ` button[data-value="是"]`)
			case backend.QSingle:
				tap(sel + ` .van-radio`)
			case backend.QMultiple:
				tap(sel + ` .van-checkbox`)
			case backend.QNumber, backend.QText:
				field := sel + ` .box input, ` + sel + ` .box textarea`
				b.Do(chromedp.SendKeys(field, answerFor(q)))
				b.Eval(fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("blur")), true`, field), nil)
			}
			if q.Type == backend.QPhoto || q.PhotoRequired {
				b.Do(chromedp.SetUploadFiles(sel+` input[type=file]`, []string{photo}))
				b.WaitFor(fmt.Sprintf(`document.querySelectorAll('%s img.thumb').length === 1`, sel))
			}
		}
	}
	b.WaitFor(fmt.Sprintf(`document.querySelector("#checklist-progress").innerText.includes("已答 %d / %d")`, total, total))
	tap(`[data-result="no-problem"]`)
	b.Shot("app-checklist")
	tap(`#submit`)
	b.WaitFor(`!!document.querySelector(".van-dialog__confirm")`)
	b.Do(chromedp.Click(`.van-dialog__confirm`))
	b.WaitFor(`!!document.querySelector("#task-status") && document.querySelector("#task-status").innerText.includes("已提交")`)
	b.Shot("app-submitted-offline")
	if got, _ := m.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID); got.Status != backend.TaskCheckedIn {
		t.Fatalf("the server saw the task %s while it was stopped", got.Status)
	}

	// The server comes back on the same data and port; the app syncs.
	m2 := apptest.Reopen(t, m)
	startServer(t, m2, addr)
	b.Do(chromedp.Navigate(srv.url("/app/tasks")))
	b.WaitFor(`!!document.querySelector("#sync-pending") && document.querySelector("#sync-pending").innerText.includes("操作已全部上传")
		&& !document.querySelector("#sync-pending").innerText.includes("文件")`)
	b.Shot("app-synced")
	// The list puts the tasks still to work first and the submitted one
	// after them, under its own heading; rows name the items, not codes.
	var order []string
	b.Eval(`[...document.querySelectorAll("#task-list .section-title, #task-list [data-task]")].map((e) => e.dataset.task ? "task:" + e.dataset.task + ":" + e.innerText : "head:" + e.innerText)`, &order)
	openIDs := map[string]bool{}
	held, err := m2.Stores.Tasks.FindTasks(context.Background(), backend.TaskFilter{TeamUser: work.user}, backend.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range held.Items {
		switch tk.Status {
		case backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskReturned:
			openIDs[tk.ID] = true
		}
	}
	item, err := m2.Stores.Items.FindItemByCode(context.Background(), work.task.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	inDone, sawSubmitted := false, false
	for _, e := range order {
		switch {
		case strings.HasPrefix(e, "head:"):
			inDone = inDone || strings.HasPrefix(e, "head:已提交或办结")
		case strings.HasPrefix(e, "task:"+work.task.ID+":"):
			sawSubmitted = true
			if !inDone || !strings.Contains(e, item.Name) {
				t.Errorf("the submitted task's row %q: under the 已提交或办结 heading %v, want it there naming %q", e, inDone, item.Name)
			}
		default:
			id := strings.SplitN(strings.TrimPrefix(e, "task:"), ":", 2)[0]
			if inDone && openIDs[id] {
				t.Errorf("open task %s listed after the submitted ones: %q", id, order)
			}
		}
	}
	if !sawSubmitted {
		t.Errorf("the submitted task is not in the list: %q", order)
	}

	got, err := m2.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != backend.TaskSubmitted || got.Result == nil || got.Result.Code != backend.ResultNoProblem {
		var outcomes string
		b.Eval(`new Promise(r => { const q = indexedDB.open('fieldcheck'); q.onsuccess = () => { const g = q.result.transaction('outcomes').objectStore('outcomes').getAll(); g.onsuccess = () => r(JSON.stringify(g.result)); }; })`, &outcomes)
		var outbox string
		b.Eval(`new Promise(r => { const q = indexedDB.open('fieldcheck'); q.onsuccess = () => { const g = q.result.transaction('outbox').objectStore('outbox').getAll(); g.onsuccess = () => r(JSON.stringify(g.result)); }; })`, &outbox)
		t.Fatalf("task on the server: status %s result %+v (version %d, %d answers, %d check-ins), want submitted with no-problem; the phone's refusals: %s; outbox %s; console %s",
			got.Status, got.Result, got.Version, len(got.Answers), len(got.CheckIns), outcomes, outbox, strings.Join(b.Console(), "\n"))
	}
	for _, s := range got.Form.Sections {
		for _, q := range s.Questions {
			key := backend.AnswerKey(s.ItemCode, q.ID)
			if a := got.Answers[key]; a.Value != answerFor(q) {
				t.Errorf("answer to %s is %q, want %q", key, a.Value, answerFor(q))
			}
			if q.Type != backend.QPhoto && !q.PhotoRequired {
				continue
			}
			found := false
			for _, e := range got.Evidence {
				found = found || e.Question == key && e.Type == backend.EvidencePhoto && e.SHA256 == photoSHA && e.Uploaded
			}
			if !found {
				t.Errorf("no photo with SHA-256 %s uploaded for %s: %+v", photoSHA, key, got.Evidence)
			}
		}
	}
	mine := false
	for _, c := range got.CheckIns {
		mine = mine || c.UserID == work.user && c.DistanceM != nil && *c.DistanceM < 50
	}
	if !mine {
		t.Errorf("no check-in of %s near the enterprise: %+v", work.user, got.CheckIns)
	}
	// The signature arrived, its bytes hashing as the phone said at capture.
	signed := false
	for _, e := range got.Evidence {
		if e.Type != backend.EvidenceSignature || !e.Uploaded {
			continue
		}
		blob, err := m2.Stores.Blobs.Open(context.Background(), e.SHA256)
		if err != nil {
			t.Fatalf("the signature's bytes: %v", err)
		}
		h := sha256.New()
		_, _ = io.Copy(h, blob)
		blob.Close()
		signed = hex.EncodeToString(h.Sum(nil)) == e.SHA256 && e.ContentType == "image/png"
	}
	if !signed {
		t.Errorf("no uploaded PNG signature whose bytes match its SHA-256: %+v", got.Evidence)
	}
	// The bytes themselves, hashed again as stored.
	blob, err := m2.Stores.Blobs.Open(context.Background(), photoSHA)
	if err != nil {
		t.Fatalf("the photo's bytes on the server: %v", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, blob); err != nil {
		t.Fatal(err)
	}
	blob.Close()
	if got := hex.EncodeToString(h.Sum(nil)); got != photoSHA {
		t.Fatalf("stored photo hashes %s, want %s", got, photoSHA)
	}
	if n := checkAnswers(t, m2, b); n < 3 {
		t.Fatalf("only %d JSON answers seen", n)
	}
}

// TestAppInsecureOrigin: opened over plain HTTP from another host (here a
// name mapped to loopback), the app says in Chinese what is wrong.
func TestAppInsecureOrigin(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	srv := startServer(t, m, addr)
	_, port, _ := net.SplitHostPort(srv.addr)
	b := browsertest.Start(t, browsertest.Options{Flags: map[string]any{"host-resolver-rules": "MAP phone.test 127.0.0.1"}})
	b.Do(chromedp.Navigate("http://phone.test:" + port + "/app/"))
	b.WaitFor(`!!document.querySelector("#insecure")`)
	if text := b.Text(); !strings.Contains(text, "HTTPS") || !strings.Contains(text, "无法在此连接上使用") {
		t.Fatalf("insecure page says %q", text)
	}
	b.Shot("app-insecure-http")
}

// TestAppRevokedDeviceWiped: an administrator revokes the phone. Its next
// sync is refused with 403 "revoked" (the refresh and every request of a
// revoked device's session; a session ended otherwise stays a 401 and keeps
// the data: backend/auth TestRevokeDevice), and the app wipes every local
// store at once and says why on the login page; logging in again from it is
// refused the same way.
func TestAppRevokedDeviceWiped(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))

	b := browsertest.Start(t, browsertest.Options{})
	b.Do(chromedp.Navigate(srv.url("/app/")))
	b.WaitFor(`!!document.querySelector("#login")`)
	login := func() {
		b.Do(chromedp.SendKeys(`input[name=username]`, work.user), chromedp.SendKeys(`input[name=password]`, demo.DemoPassword(work.user)),
			chromedp.Click(`#login`))
	}
	login()
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, work.task.ID))
	var device string
	b.Eval(`new Promise(r => { const q = indexedDB.open('fieldcheck-device'); q.onsuccess = () => { const g = q.result.transaction('device').objectStore('device').get('id'); g.onsuccess = () => r(g.result); }; })`, &device)
	admin := backend.WithActor(context.Background(), &backend.Actor{UserID: "admin", Role: backend.RoleAdmin, Fresh: true})
	if _, err := m.Devices.RevokeDevice(admin, work.user, device, "手机丢失"); err != nil {
		t.Fatalf("revoke %s: %v", device, err)
	}
	tasks := func() int {
		var n int
		b.Eval(`new Promise(r => { const q = indexedDB.open('fieldcheck'); q.onsuccess = () => { const g = q.result.transaction('tasks').objectStore('tasks').count(); g.onsuccess = () => r(g.result); }; })`, &n)
		return n
	}
	if n := tasks(); n == 0 {
		t.Fatal("the phone holds no tasks before the revocation is known")
	}

	b.Do(chromedp.Click(`#sync-bar .van-button`))
	b.WaitFor(`!!document.querySelector("#session-message") && document.querySelector("#session-message").innerText.includes("已被管理员停用")`)
	if n := tasks(); n != 0 {
		t.Fatalf("the revoked phone still holds %d tasks after its sync was refused", n)
	}
	b.Shot("app-revoked")
	login()
	b.WaitFor(`!!document.querySelector("#session-message") && document.querySelector("#session-message").innerText.includes("已被管理员停用")`)
	if n := tasks(); n != 0 {
		t.Fatalf("the revoked phone holds %d tasks after a refused login", n)
	}
}

// uploadProxy stands between the browser and the server, counting the
// bytes of every tus PATCH body it forwards; once stallAt bytes have gone
// through it holds the request that crosses it until release is closed
// (the test kills the browser meanwhile), so that the kill is mid-upload
// whatever the speed of loopback.
type uploadProxy struct {
	mu      sync.Mutex
	sent    int64
	stallAt int64
	stalled chan struct{} // closed when a request is held
	release chan struct{}
	once    sync.Once
	log     []string // the tus requests, for a failure's message
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

type countingBody struct {
	p *uploadProxy
	r io.ReadCloser
}

func (c *countingBody) Read(b []byte) (int, error) {
	p := c.p
	p.mu.Lock()
	stall := p.stallAt > 0 && p.sent >= p.stallAt
	if stall {
		p.stallAt = 0 // this request only: the browser that sent it is killed meanwhile
	}
	p.mu.Unlock()
	if stall {
		p.once.Do(func() { close(p.stalled) })
		<-p.release
		return 0, io.ErrUnexpectedEOF
	}
	n, err := c.r.Read(b)
	p.mu.Lock()
	p.sent += int64(n)
	p.mu.Unlock()
	return n, err
}

func (c *countingBody) Close() error { return c.r.Close() }

func startUploadProxy(t *testing.T, target string, stallAt int64) (*uploadProxy, string) {
	t.Helper()
	u, _ := url.Parse(target)
	p := &uploadProxy{stallAt: stallAt, stalled: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/mobile/v1/uploads/") {
			r.Body = &countingBody{p: p, r: r.Body}
		}
		if strings.HasPrefix(r.URL.Path, "/mobile/v1/uploads") {
			rec := &statusRecorder{ResponseWriter: w}
			rp.ServeHTTP(rec, r)
			p.mu.Lock()
			p.log = append(p.log, fmt.Sprintf("%s offset=%s len=%s -> %d offset=%s", r.Method, r.Header.Get("Upload-Offset"), r.Header.Get("Content-Length"), rec.status, rec.Header().Get("Upload-Offset")))
			p.mu.Unlock()
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		p.once.Do(func() { close(p.stalled) })
		select {
		case <-p.release:
		default:
			close(p.release)
		}
		_ = hs.Close()
	})
	return p, "http://" + ln.Addr().String()
}

func (p *uploadProxy) total() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}

// bigPhoto writes a PNG of noise of about 23 MiB (under the photo cap):
// it does not compress, so it is as large as a phone's raw capture.
func bigPhoto(t *testing.T) (string, string, int64) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 2500, 2400))
	seed := uint32(1)
	for i := range img.Pix {
		seed = seed*1664525 + 1013904223
		img.Pix[i] = byte(seed >> 24)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return path, hex.EncodeToString(sum[:]), int64(buf.Len())
}

// TestAppUploadResumesAfterKill: the browser is killed in the middle of
// uploading a large photo and started again on the same profile; the app
// resumes the upload from the server's offset (the bytes sent in all stay
// under the file's size plus two chunks, not twice the file) and the
// stored bytes hash as the phone said at capture.
func TestAppUploadResumesAfterKill(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	photo, photoSHA, size := bigPhoto(t)
	const chunk = 4 << 20 // UPLOAD_CHUNK of src/sync/uploads.js
	proxy, base := startUploadProxy(t, srv.url(""), 10<<20)
	profile := t.TempDir()

	b := browsertest.Start(t, browsertest.Options{Profile: profile})
	appLogin(b, base, work.user, work.task.ID)
	b.Do(chromedp.Navigate(base + "/app/tasks/" + work.task.ID + "/checklist"))
	b.WaitFor(`!!document.querySelector("#submit")`)
	var key string
	for _, s := range work.task.Form.Sections {
		for _, q := range s.Questions {
			if key == "" && (q.PhotoRequired || q.Type == backend.QPhoto) {
				key = backend.AnswerKey(s.ItemCode, q.ID)
			}
		}
	}
	sel := fmt.Sprintf(`[data-question=%q]`, key)
	b.Do(chromedp.SetUploadFiles(sel+` input[type=file]`, []string{photo}))
	b.WaitFor(fmt.Sprintf(`document.querySelectorAll('%s img.thumb').length === 1`, sel))

	select { // the app syncs by itself soon after the change
	case <-proxy.stalled:
	case <-time.After(browsertest.Timeout):
		t.Fatalf("the upload did not reach 10 MiB (%d bytes sent)", proxy.total())
	}
	b.Close() // killed mid-upload
	close(proxy.release)
	beforeKill := proxy.total()
	got, err := m.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got.Evidence {
		if e.SHA256 == photoSHA && e.Uploaded {
			t.Fatal("the photo arrived before the kill: the test killed nothing")
		}
	}

	b2 := browsertest.Start(t, browsertest.Options{Profile: profile})
	b2.Do(chromedp.Navigate(base + "/app/tasks"))
	b2.WaitUpTo(`!!document.querySelector("#sync-pending") && document.querySelector("#sync-pending").innerText.includes("操作已全部上传")
		&& !document.querySelector("#sync-pending").innerText.includes("文件")`, 3*time.Minute)
	got, err = m.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	uploaded := false
	for _, e := range got.Evidence {
		uploaded = uploaded || e.SHA256 == photoSHA && e.Uploaded
	}
	if !uploaded {
		t.Fatalf("the photo is not uploaded after the restart: %+v", got.Evidence)
	}
	total := proxy.total()
	t.Logf("file %d bytes; sent %d before the kill, %d in all", size, beforeKill, total)
	// Sent twice at most: the piece under way at the kill (part of a
	// chunk), and the first chunk after the restart when the server's
	// offset moved after the app's HEAD (the killed request's last bytes
	// were filed late: 409, the chunk goes again from the new offset).
	if total < size || total > size+2*chunk {
		t.Fatalf("%d bytes sent for a file of %d: want at most two chunks (%d) sent twice; requests:\n%s", total, size, 2*chunk, strings.Join(proxy.log, "\n"))
	}
	blob, err := m.Stores.Blobs.Open(context.Background(), photoSHA)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	_, _ = io.Copy(h, blob)
	blob.Close()
	if got := hex.EncodeToString(h.Sum(nil)); got != photoSHA {
		t.Fatalf("stored bytes hash %s, want %s", got, photoSHA)
	}
}

// TestAppTeammatesSeeCheckIns: the two officers of a task check in by
// scanning, each on a phone of their own (two browsers); after syncing,
// each sees the other's check-in and the two-officer rule met.
func TestAppTeammatesSeeCheckIns(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	srv := startServer(t, m, addr)
	work := drawTask(t, m, srv.url(""), false)
	camera := filepath.Join(t.TempDir(), "camera.y4m")
	showCode(t, camera, work.code)

	phone := func(user string) *browsertest.Browser {
		b := browsertest.Start(t, browsertest.Options{Camera: camera})
		b.Geolocate(work.where.Lat, work.where.Lng+0.0001, 6)
		appLogin(b, srv.url(""), user, work.task.ID)
		b.Do(chromedp.Navigate(srv.url("/app/tasks/" + work.task.ID + "/checkin")))
		b.WaitFor(`!!document.querySelector("#code-ok") && !!document.querySelector("#distance")`)
		b.Do(chromedp.Click(`#confirm-checkin`))
		b.WaitFor(`!!document.querySelector("#two-officers")`)
		// The check-in is pushed before the test leaves the page: a page
		// unloaded while its token refresh is under way loses the new
		// refresh token, and the next page's refresh with the spent one ends
		// the session (docs/app.md, "Not yet").
		b.WaitFor(`!document.body.innerText.includes("待同步")`)
		return b
	}
	syncAndLook := func(b *browsertest.Browser) {
		b.Do(chromedp.Navigate(srv.url("/app/tasks")))
		// A pull of this page completed (so its token refresh is stored)
		// before the test leaves it, and nothing waits to be sent.
		b.WaitFor(`performance.getEntriesByType("resource").some((e) => e.name.includes("/mobile/v1/sync"))
			&& !!document.querySelector("#sync-pending") && document.querySelector("#sync-pending").innerText.includes("操作已全部上传")`)
		b.Do(chromedp.Navigate(srv.url("/app/tasks/" + work.task.ID)))
		b.WaitFor(`!!document.querySelector("#two-officers") && document.querySelector("#two-officers").innerText.includes("已满足")
			&& !document.body.innerText.includes("待同步")`)
	}
	a := phone(work.user)
	b := phone(work.teammate)
	syncAndLook(b) // the teammate's pull brings the first check-in
	b.Shot("app-teammates")
	syncAndLook(a) // and the first phone's next pull the teammate's
	got, err := m.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]bool{}
	for _, c := range got.CheckIns {
		users[c.UserID] = true
	}
	if !users[work.user] || !users[work.teammate] {
		t.Fatalf("check-ins on the server: %+v", got.CheckIns)
	}
}

// TestAppDevicePending: on a deployment that approves phones, the first
// login from the app is refused with 403 device_pending and the login page
// says the device waits for an administrator (nothing is wiped); once an
// administrator approves it, the same login opens the task list.
func TestAppDevicePending(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	m.Mobile.ApproveDevices = true // after the setup's own phone logged in

	b := browsertest.Start(t, browsertest.Options{})
	b.Do(chromedp.Navigate(srv.url("/app/")))
	b.WaitFor(`!!document.querySelector("#login")`)
	b.Do(chromedp.SendKeys(`input[name=username]`, work.user), chromedp.SendKeys(`input[name=password]`, demo.DemoPassword(work.user)),
		chromedp.Click(`#login`))
	b.WaitFor(`!!document.querySelector("#login-error") && document.querySelector("#login-error").innerText.includes("此设备等待管理员批准")`)
	b.Shot("app-device-pending")
	var device string
	b.Eval(`new Promise(r => { const q = indexedDB.open('fieldcheck-device'); q.onsuccess = () => { const g = q.result.transaction('device').objectStore('device').get('id'); g.onsuccess = () => r(g.result); }; })`, &device)
	admin := backend.WithActor(context.Background(), &backend.Actor{UserID: "admin", Role: backend.RoleAdmin, Fresh: true})
	if _, err := m.Devices.ApproveDevice(admin, work.user, device); err != nil {
		t.Fatalf("approve %s: %v", device, err)
	}
	b.Do(chromedp.Click(`#login`))
	b.WaitFor(fmt.Sprintf(`!!document.querySelector('[data-task=%q]')`, work.task.ID))
}
