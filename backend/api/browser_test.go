package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/fieldcheck/fieldcheck/backend"
)

// browser is a headless Chromium driven over the DevTools protocol.
type browser struct {
	t    *testing.T
	ws   *websocket.Conn
	next int
}

// newBrowser starts Debian's chromium with the flags this workplace needs
// and connects to its first page.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_BROWSER") == "1" {
			t.Skip("chromium missing and FIELDCHECK_SKIP_BROWSER=1")
		}
		t.Fatal("chromium is missing: install Debian's chromium (bash .ci/run does)")
	}
	profile, err := os.MkdirTemp("", "fieldcheck-chromium-*")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
	// Its own process group: Chromium's helper processes go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	var devtools string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "DevTools listening on "); ok {
			devtools = u
			break
		}
	}
	go func() {
		for sc.Scan() { // keep draining, or chromium blocks on a full pipe
		}
	}()
	if devtools == "" {
		t.Fatal("chromium did not start its DevTools server")
	}
	u, _ := url.Parse(devtools)
	var targets []struct {
		Type, WebSocketDebuggerURL string
	}
	resp, err := http.Get("http://" + u.Host + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			ws, err := websocket.Dial(tg.WebSocketDebuggerURL, "", "http://localhost/")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ws.Close() })
			return &browser{t: t, ws: ws}
		}
	}
	t.Fatal("chromium has no page")
	return nil
}

// call sends one DevTools command and returns its result.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	res, err := b.try(method, params)
	if err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	return res
}

// try sends one DevTools command; a command the page's navigation cut
// short comes back as an error.
func (b *browser) try(method string, params any) (json.RawMessage, error) {
	b.next++
	id := b.next
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	_ = b.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			return nil, err
		}
		if msg.ID != id {
			continue // an event
		}
		if msg.Error != nil {
			return nil, fmt.Errorf("%s", msg.Error.Message)
		}
		return msg.Result, nil
	}
}

// eval evaluates JavaScript in the page and returns its value as text;
// "" when a navigation interrupted it.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	res, err := b.try("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return ""
	}
	var r struct {
		Result struct{ Value any }
	}
	_ = json.Unmarshal(res, &r)
	return fmt.Sprint(r.Result.Value)
}

// shot saves a full-page screenshot at a phone's size (390×844) into the
// directory FIELDCHECK_SCREENSHOTS names, when it is set: how the pages are
// looked at by people, not asserted on.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("FIELDCHECK_SCREENSHOTS")
	if dir == "" {
		return
	}
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true})
	res := b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	var r struct{ Data []byte }
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), r.Data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for b.eval(expr) != "true" {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s; page: %s", expr, b.eval("document.body ? document.body.innerText : ''"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRatingInBrowser is what an enterprise does: scan the inspector's
// code once the team has checked in, see the page, rate the visit,
// submit; the oversight office then reads the rating through the API. The
// code rates once; the enterprise's own page, opened by its licence code,
// replaces that rating, and the replaced one stays for oversight.
func TestRatingInBrowser(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	base := e.serve(t)
	target := firstTarget(t, e)
	task := e.fieldTask(t, "task-b1", target.ID, "ins-0", "ins-1")
	phone := e.loginDevice(t, "inspector", "browser-test-phone")
	e.checkIn(t, phone, "ci-browser-1", task)
	r := e.do("POST", "/mobile/v1/tasks/"+task.ID+"/code", phone, "", nil)
	var code struct{ URL string }
	r.JSON(t, &code)
	u, err := url.Parse(code.URL)
	if r.Status != 201 || err != nil {
		t.Fatalf("issue code: %d %s", r.Status, r.Body)
	}

	b := newBrowser(t)
	b.call("Page.enable", map[string]any{})
	b.call("Page.navigate", map[string]any{"url": base + u.Path})
	b.waitFor(`document.readyState === "complete" && !!document.querySelector("#verdict")`)
	if v := b.eval(`document.querySelector("#verdict").innerText`); !strings.Contains(v, "检查真实有效") {
		t.Fatalf("verdict %q", v)
	}
	if o := b.eval(`document.querySelector("#officers").innerText`); !strings.Contains(o, "SC0000") || !strings.Contains(o, "SC0001") {
		t.Fatalf("officers %q", o)
	}
	b.shot("visit-code")
	b.eval(`document.querySelector('input[name=conduct][value="5"]').click();
		document.querySelector('input[name=professionalism][value="4"]').click();
		document.querySelector('input[name=burden][value="3"]').click();
		document.querySelector('textarea[name=comment]').value = "检查规范，耗时约一小时";
		setTimeout(() => document.querySelector('#rating button').click(), 0); true`)
	b.waitFor(`location.pathname.endsWith("/rating") && document.readyState === "complete" && !!document.querySelector("#verdict")`)
	if v := b.eval(`document.querySelector("#verdict").innerText`); !strings.Contains(v, "评价已提交") {
		t.Fatalf("after submitting: %q", v)
	}
	b.shot("visit-rated")

	// Read back through the API, as the oversight office.
	ratings := func() []backend.Rating {
		r := e.do("GET", "/api/v1/ratings", e.login("admin"), "", nil)
		var got struct{ Items []backend.Rating }
		r.JSON(t, &got)
		return got.Items
	}
	got := ratings()
	if len(got) != 1 {
		t.Fatalf("ratings %+v", got)
	}
	rt := got[0]
	if rt.TaskID != task.ID || rt.Channel != backend.RatingByInspectionCode || !rt.Happened || rt.Conduct != 5 || rt.Professionalism != 4 || rt.Burden != 3 || rt.Comment != "检查规范，耗时约一小时" {
		t.Fatalf("stored rating %+v", rt)
	}
	// The team never sees it.
	if r := e.do("GET", "/api/v1/ratings", e.login("manager"), "", nil); r.Status != 403 {
		t.Fatalf("manager reads ratings: %d", r.Status)
	}

	// The code's page now says, in Chinese, that the visit is rated and
	// where the enterprise can change that.
	b.call("Page.navigate", map[string]any{"url": base + u.Path})
	b.waitFor(`document.readyState === "complete" && location.pathname.indexOf("/rating") < 0 && !!document.querySelector("#no-rating")`)
	if v := b.eval(`document.querySelector("#no-rating").innerText`); !strings.Contains(v, "本次检查已有评价") || !strings.Contains(v, "营业执照") {
		t.Fatalf("the code's page once rated: %q", v)
	}

	// The enterprise disputes the visit from its own page: the rating is
	// replaced, the first one kept and marked.
	lu, _ := url.Parse(e.licenceCode(t, target.ID))
	b.call("Page.navigate", map[string]any{"url": base + lu.RequestURI()})
	b.waitFor(`document.readyState === "complete" && !!document.querySelector("#visits form.rating")`)
	b.shot("enterprise-visits")
	b.eval(`const f = document.querySelector("#visits form.rating");
		f.querySelector('input[name=happened][value="no"]').click();
		for (const n of ["conduct","professionalism","burden"]) f.querySelector('input[name='+n+'][value="1"]').click();
		f.querySelector('textarea[name=comment]').value = "当天没有人来检查";
		setTimeout(() => f.querySelector('button').click(), 0); true`)
	b.waitFor(`location.pathname.endsWith("/rating") && document.readyState === "complete" && !!document.querySelector("#verdict")`)
	if v := b.eval(`document.querySelector("#verdict").innerText`); !strings.Contains(v, "评价已提交") {
		t.Fatalf("after replacing: %q", b.eval(`document.body.innerText`))
	}
	got = ratings()
	if len(got) != 2 || got[0].ReplacedBy != got[1].ID || got[1].Channel != backend.RatingByLicenceCode || got[1].Happened || got[1].Seq != 2 {
		t.Fatalf("after the enterprise's replacement: %+v", got)
	}
}

// TestComplaintInBrowser: the licence code opens the enterprise page; its
// complaint form is filled and sent; the oversight office reads it.
func TestComplaintInBrowser(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	base := e.serve(t)
	ctx := context.Background()
	page, _ := e.m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	target := page.Items[0]
	code, err := e.m.Codes.SignEnterpriseCode(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(code.String())
	b := newBrowser(t)
	b.call("Page.enable", map[string]any{})
	b.call("Page.navigate", map[string]any{"url": base + u.RequestURI()})
	b.waitFor(`document.readyState === "complete" && !!document.querySelector("#complaint")`)
	if v := b.eval(`document.querySelector("#verdict").innerText`); !strings.Contains(v, "营业执照二维码真实") {
		t.Fatalf("verdict %q", v)
	}
	b.eval(`document.querySelector('select[name=category]').value = "repeated";
		document.querySelector('textarea[name=text]').value = "本月已被检查三次，影响经营";
		setTimeout(() => document.querySelector('#complaint button').click(), 0); true`)
	b.waitFor(`location.pathname.endsWith("/complaint") && document.readyState === "complete" && !!document.querySelector("#verdict")`)
	if v := b.eval(`document.querySelector("#verdict").innerText`); !strings.Contains(v, "投诉已受理") {
		t.Fatalf("after sending: %q", b.eval(`document.body.innerText`))
	}
	r := e.do("GET", "/api/v1/complaints", e.login("admin"), "", nil)
	var got struct{ Items []backend.Complaint }
	r.JSON(t, &got)
	if len(got.Items) != 1 || got.Items[0].TargetID != target.ID || got.Items[0].Category != "repeated" || got.Items[0].Text != "本月已被检查三次，影响经营" {
		t.Fatalf("complaints %s", r.Body)
	}
}
