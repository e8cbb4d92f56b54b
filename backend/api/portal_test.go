package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// browserAccept is what Chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// portal is a served fieldcheck with the demo county (300 targets), its
// first plan drawn, and one published result on a drawn enterprise.
type portal struct {
	m                  *app.Main
	base               string
	planID, drawID     string
	uscc, name         string
	itemName, deptName string
}

func newPortal(t *testing.T, configure func(*app.Main)) *portal {
	t.Helper()
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	res, err := demo.DrawFirstPlan(sys, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	p := &portal{m: m, planID: res.Draw.PlanID, drawID: res.Draw.ID, uscc: res.Tasks[0].TargetID, name: res.Tasks[0].TargetName}
	it, err := m.Stores.Items.FindItemByCode(ctx, "SCJG-03")
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Stores.Departments.FindDepartmentByID(ctx, "scjg")
	if err != nil {
		t.Fatal(err)
	}
	p.itemName, p.deptName = it.Name, d.Name
	if err := m.Stores.Results.AddPublishedResult(ctx, p.uscc, backend.PublishedResult{TaskID: res.Tasks[0].ID, PlanID: p.planID, Random: true,
		Code: backend.ResultNoProblem, Label: "未发现问题", Items: []string{"SCJG-03"}, Departments: []string{"scjg"}, PublishedAt: now}); err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(m)
	}
	p.base = apptest.Serve(t, m)
	return p
}

func get(t *testing.T, u string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestPortalNegotiation: every public URL answers JSON to API clients and
// a page to browsers, says so in Vary, and answers 304 to a client that
// has the representation's ETag.
func TestPortalNegotiation(t *testing.T) {
	p := newPortal(t, nil)
	urls := []string{"/public/plans", "/public/plans/" + p.planID, "/public/draws/" + p.drawID, "/public/rounds", "/public/enterprises/" + p.uscc, "/public/results"}
	accepts := []struct {
		name, accept, want string
	}{
		{"browser", browserAccept, "text/html"},
		{"html only", "text/html", "text/html"},
		{"json", "application/json", "application/json"},
		{"none", "", "application/json"},
		{"any", "*/*", "application/json"},
		{"json preferred", "application/json, text/html;q=0.5", "application/json"},
		{"html refused", "text/html;q=0, application/json", "application/json"},
	}
	for _, path := range urls {
		etags := map[string]string{}
		for _, a := range accepts {
			t.Run(path+"/"+a.name, func(t *testing.T) {
				h := map[string]string{}
				if a.accept != "" {
					h["Accept"] = a.accept
				}
				resp, body := get(t, p.base+path, h)
				if resp.StatusCode != 200 {
					t.Fatalf("status=%d, want 200: %s", resp.StatusCode, body)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, a.want) {
					t.Fatalf("Content-Type=%q, want %s", ct, a.want)
				}
				if v := resp.Header.Get("Vary"); !strings.Contains(v, "Accept") {
					t.Fatalf("Vary=%q, want Accept", v)
				}
				tag := resp.Header.Get("ETag")
				if tag == "" {
					t.Fatal("no ETag")
				}
				if old, ok := etags[a.want]; ok && old != tag {
					t.Fatalf("ETag %s for %s, earlier %s", tag, a.want, old)
				}
				etags[a.want] = tag
				h["If-None-Match"] = tag
				again, rest := get(t, p.base+path, h)
				if again.StatusCode != http.StatusNotModified || len(rest) != 0 {
					t.Fatalf("with If-None-Match: status=%d body=%d bytes, want 304 and none", again.StatusCode, len(rest))
				}
				if a.want == "application/json" && !json.Valid(body) {
					t.Fatalf("not JSON: %.200s", body)
				}
				if a.want == "text/html" && !strings.Contains(string(body), `lang="zh-CN"`) {
					t.Fatalf("not the portal's page: %.200s", body)
				}
			})
		}
		if etags["text/html"] == etags["application/json"] {
			t.Fatalf("%s: the page and the JSON share the ETag %s", path, etags["text/html"])
		}
	}
	t.Run("format=json wins over Accept", func(t *testing.T) {
		resp, body := get(t, p.base+"/public/draws/"+p.drawID+"?format=json", map[string]string{"Accept": browserAccept})
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || !json.Valid(body) {
			t.Fatalf("Content-Type=%q, want the record's JSON", ct)
		}
	})
	t.Run("a draw that does not exist is a Chinese page for a browser", func(t *testing.T) {
		resp, body := get(t, p.base+"/public/draws/no-such-draw", map[string]string{"Accept": browserAccept})
		if resp.StatusCode != 404 || !strings.Contains(string(body), "没有找到") {
			t.Fatalf("status=%d body=%.300s", resp.StatusCode, body)
		}
		resp, body = get(t, p.base+"/public/draws/no-such-draw", nil)
		var e struct{ Code string }
		if resp.StatusCode != 404 || json.Unmarshal(body, &e) != nil || e.Code != backend.ENOTFOUND {
			t.Fatalf("status=%d body=%s, want 404 with code %s", resp.StatusCode, body, backend.ENOTFOUND)
		}
	})
	t.Run("the draw page is paged, within its pages", func(t *testing.T) {
		html := map[string]string{"Accept": browserAccept}
		resp, body := get(t, p.base+"/public/draws/"+p.drawID+"?pop=2", html)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "第 2 / 3 页，共 300 条") || !strings.Contains(string(body), "<td data-label=\"序号\">101</td>") {
			t.Fatalf("population page 2: status=%d", resp.StatusCode)
		}
		for _, q := range []string{"pop=4", "pop=0", "sel=x", "excl=-1"} {
			resp, body := get(t, p.base+"/public/draws/"+p.drawID+"?"+q, html)
			if resp.StatusCode != 400 || !strings.Contains(string(body), "查询条件不正确") {
				t.Fatalf("%s: status=%d %.300s", q, resp.StatusCode, body)
			}
		}
	})
	t.Run("no staff usernames in public plans", func(t *testing.T) {
		for _, path := range []string{"/public/plans", "/public/plans/" + p.planID} {
			_, body := get(t, p.base+path, nil)
			for _, user := range []string{"scjg.manager", `"drawnBy":"s`, `"publishedBy":"s`} {
				if strings.Contains(string(body), user) {
					t.Fatalf("%s names %s: %.400s", path, user, body)
				}
			}
		}
	})
}

// TestPortalSearch: the home page finds an enterprise by part of its name
// and by its USCC, the enterprise page shows its published result with
// the item's and the department's names, and a search too long is a
// Chinese message (400).
func TestPortalSearch(t *testing.T) {
	p := newPortal(t, nil)
	html := map[string]string{"Accept": browserAccept}
	part := string([]rune(p.name)[3:]) // a part of the name, specific enough for the first page of matches
	for _, q := range []string{part, p.uscc, strings.ToLower(p.uscc)} {
		resp, body := get(t, p.base+"/public/?q="+url.QueryEscape(q), html)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `href="/public/enterprises/`+p.uscc+`"`) {
			t.Fatalf("q=%s: status=%d, no link to %s in %.2000s", q, resp.StatusCode, p.uscc, body)
		}
	}
	resp, body := get(t, p.base+"/public/?q="+strings.Repeat("字", 61), html)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "请输入 1 至 60 个字") {
		t.Fatalf("a long search: status=%d %.1000s", resp.StatusCode, body)
	}
	_, body = get(t, p.base+"/public/enterprises/"+p.uscc, html)
	for _, want := range []string{p.name, p.itemName, p.deptName, "未发现问题"} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("the enterprise page lacks %q: %.3000s", want, body)
		}
	}
	if strings.Contains(string(body), ">SCJG-03<") {
		t.Fatal("the enterprise page shows the item's code")
	}
	// The licence-code page lists the same result by names too.
	_, body = get(t, p.base+"/e/"+p.uscc, html)
	for _, want := range []string{p.itemName, p.deptName, "未发现问题"} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("the licence-code page lacks %q: %.3000s", want, body)
		}
	}
	if strings.Contains(string(body), "SCJG-03") {
		t.Fatal("the licence-code page shows the item's code")
	}
}

// TestPortalRateLimit: each client address may make a limited number of
// requests in a window, counted in the store: two instances behind one
// load balancer refuse the request over the limit whichever gets it, with
// 429, Retry-After, a Chinese page for a browser and {"code","message"}
// for the others. The portal's files are not counted.
func TestPortalRateLimit(t *testing.T) {
	const limit = 4
	ms := apptest.OpenInstances(t, 2, "")
	bases := make([]string, len(ms))
	clock := clocktest.New(time.Now().Truncate(time.Hour).Add(time.Minute))
	for i, m := range ms {
		m.HTTP.PortalLimit = api.PortalLimit{Requests: limit, Window: time.Hour}
		m.HTTP.Now = clock.Now
		bases[i] = apptest.Serve(t, m)
	}
	for i := 0; i < 3; i++ {
		if resp, _ := get(t, bases[0]+"/public/assets/portal.css", nil); resp.StatusCode != 200 {
			t.Fatalf("portal.css: status=%d", resp.StatusCode)
		}
	}
	for i := 0; i < limit; i++ {
		resp, body := get(t, bases[i%2]+"/public/plans", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status=%d %s", i+1, resp.StatusCode, body)
		}
	}
	for i, b := range bases {
		resp, body := get(t, b+"/public/plans", map[string]string{"Accept": browserAccept})
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("instance %d over the limit: status=%d Retry-After=%q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if !strings.Contains(string(body), "访问过于频繁") {
			t.Fatalf("instance %d: the page of a 429 is %.500s", i, body)
		}
		resp, body = get(t, b+"/public/draws/x", nil)
		var e struct{ Code, Message string }
		if resp.StatusCode != http.StatusTooManyRequests || json.Unmarshal(body, &e) != nil || e.Code != backend.ETOOMANY {
			t.Fatalf("instance %d, API client: status=%d %s", i, resp.StatusCode, body)
		}
		if resp, _ := get(t, b+"/e/"+"91350402MA2XN31U6C", map[string]string{"Accept": browserAccept}); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("instance %d: the enterprise page over the limit: status=%d", i, resp.StatusCode)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "3540" {
			t.Fatalf("instance %d: Retry-After=%q, want 3540 (the window's end, 59 minutes on)", i, ra)
		}
	}
	// The next window admits the address again, on both instances.
	clock.Advance(time.Hour)
	for i, b := range bases {
		if resp, body := get(t, b+"/public/plans", nil); resp.StatusCode != 200 {
			t.Fatalf("instance %d in the next window: status=%d %s", i, resp.StatusCode, body)
		}
	}
}

// TestPortalRateLimitOneInstance: one fieldcheck on the embedded store
// counts the portal's requests in memory (mongo.ThrottleStore.CountRequest)
// with the same limit, refusal and next window as several instances
// counting in the store.
func TestPortalRateLimitOneInstance(t *testing.T) {
	const limit = 4
	m := apptest.Open(t, "")
	clock := clocktest.New(time.Now().Truncate(time.Hour).Add(time.Minute))
	m.HTTP.PortalLimit = api.PortalLimit{Requests: limit, Window: time.Hour}
	m.HTTP.Now = clock.Now
	base := apptest.Serve(t, m)
	for i := 0; i < limit; i++ {
		if resp, body := get(t, base+"/public/plans", nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: status=%d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := get(t, base+"/public/plans", map[string]string{"Accept": browserAccept})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3540" || !strings.Contains(string(body), "访问过于频繁") {
		t.Fatalf("over the limit: status=%d Retry-After=%q %.300s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	clock.Advance(time.Hour)
	if resp, body := get(t, base+"/public/plans", nil); resp.StatusCode != 200 {
		t.Fatalf("the next window: status=%d %s", resp.StatusCode, body)
	}
}

// TestPortalVerifyInBrowser: in Chromium, search the enterprise by name
// and by USCC, open the draw and verify it in the browser: 验证通过. Then
// the same page with one PRN of the record changed on its way to the page
// (the DevTools fetch domain): the PRN step fails, by name, and 验证通过
// never appears.
func TestPortalVerifyInBrowser(t *testing.T) {
	p := newPortal(t, nil)
	b := browsertest.Start(t, browsertest.Options{})
	part := string([]rune(p.name)[3:]) // a part of the name, specific enough for the first page of matches
	b.Do(chromedp.Navigate(p.base+"/public/"), chromedp.WaitVisible(`#q`))
	var placeholder string
	b.Eval(`document.getElementById('q').placeholder`, &placeholder)
	if !strings.Contains(placeholder, "企业名称") || !strings.Contains(placeholder, "统一社会信用代码") {
		t.Fatalf("the search box says %q", placeholder)
	}
	b.Do(chromedp.SendKeys(`#q`, part), chromedp.Submit(`#q`), chromedp.WaitVisible(`#hits`))
	b.Shot("portal-search-phone")
	link := `a[href="/public/enterprises/` + p.uscc + `"]`
	b.Eval(`document.querySelector('`+link+`').click()`, nil) // by the DOM, after the screenshot
	b.Do(chromedp.WaitVisible(`#results`))
	if txt := b.Text(); !strings.Contains(txt, p.itemName) || !strings.Contains(txt, p.deptName) {
		t.Fatalf("the enterprise page: %s", txt)
	}
	b.Shot("portal-enterprise-phone")
	desktop(b, "portal-enterprise-desktop")
	b.Do(chromedp.Navigate(p.base+"/public/"), chromedp.WaitVisible(`#q`), chromedp.SendKeys(`#q`, p.uscc), chromedp.Submit(`#q`), chromedp.WaitVisible(link))

	b.Do(chromedp.Navigate(p.base+"/public/plans/"+p.planID), chromedp.WaitVisible(`#draws a`), chromedp.Click(`#draws a`), chromedp.WaitVisible(`#verify-button`))
	b.Shot("portal-draw-phone")
	clickVerify := `document.getElementById('verify-button').click()`   // by the DOM: no node id to go stale after a screenshot
	verifyReady := `!document.getElementById('verify-button').disabled` // the script has loaded and listens
	b.WaitFor(verifyReady)
	b.Eval(clickVerify, nil)
	b.WaitFor(`document.getElementById('verify-status').dataset.done !== undefined`)
	var status string
	b.Eval(`document.getElementById('verify-status').textContent`, &status)
	if !strings.HasPrefix(status, "验证通过") {
		t.Fatalf("verification: %s\n%s", status, b.Text())
	}
	var steps []string
	b.Eval(`[...document.querySelectorAll('#verify-steps li')].map(li => li.dataset.step + ':' + li.className)`, &steps)
	want := []string{"commitment:ok", "entropy:ok", "seed:ok", "prn:ok", "strata:ok", "selection:ok", "teams:ok", "replacements:ok"}
	if strings.Join(steps, " ") != strings.Join(want, " ") {
		t.Fatalf("steps %v, want %v", steps, want)
	}
	var ms string
	b.Eval(`document.getElementById('verify-status').dataset.ms`, &ms)
	t.Logf("in-browser verification of a draw of %s: %s ms", p.drawID, ms)
	b.Shot("portal-verified-phone")
	desktop(b, "portal-verified-desktop")

	// Tampered: the record's JSON comes from the test, one PRN changed.
	_, raw := get(t, p.base+"/public/draws/"+p.drawID, nil)
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	sel := rec["selected"].([]any)[1].(map[string]any)
	prn := sel["prn"].(string)
	last := "0"
	if strings.HasSuffix(prn, "0") {
		last = "1"
	}
	sel["prn"] = prn[:len(prn)-1] + last
	tampered, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() { // a command may not run inside the listener
			if e.ResourceType != network.ResourceTypeDocument { // the script's fetch (XHR to Chromium)
				_, _ = chromedp.Call(b.Ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: e.RequestID, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}}, Body: tampered})
				return
			}
			_, _ = chromedp.Call(b.Ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
		}()
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.Ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/public/draws/*"}}}); err != nil {
		t.Fatal(err)
	}
	b.Do(chromedp.Navigate(p.base+"/public/draws/"+p.drawID+"?sel=1"), chromedp.WaitVisible(`#verify-button`))
	b.WaitFor(`document.getElementById('verify-status').dataset.done === undefined`)
	b.WaitFor(verifyReady)
	b.Eval(clickVerify, nil)
	b.WaitFor(`document.getElementById('verify-status').dataset.done !== undefined`)
	b.Eval(`document.getElementById('verify-status').textContent`, &status)
	if !strings.Contains(status, "验证未通过") || !strings.Contains(status, "随机数（PRN）") {
		t.Fatalf("the tampered record: %s", status)
	}
	var failed []string
	b.Eval(`[...document.querySelectorAll('#verify-steps li.fail')].map(li => li.dataset.step + ' ' + li.textContent)`, &failed)
	if len(failed) != 1 || !strings.HasPrefix(failed[0], "prn ") || !strings.Contains(failed[0], sel["id"].(string)) {
		t.Fatalf("failed steps %v, want the PRN step naming %s", failed, sel["id"])
	}
	if strings.Contains(b.Text(), "验证通过") {
		t.Fatalf("a tampered record says 验证通过: %s", b.Text())
	}
	b.Shot("portal-tampered-phone")
}

// desktop takes the screenshot name at a desktop's size (1366×900), then
// gives the page the phone's size back.
func desktop(b *browsertest.Browser, name string) {
	b.Do(chromedp.EmulateViewport(1366, 900))
	b.Shot(name)
	b.Do(chromedp.EmulateViewport(browsertest.Phone.Width, browsertest.Phone.Height, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// TestParsePortalLimit: the --portal-limit flag's form and bounds.
func TestParsePortalLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want api.PortalLimit
		ok   bool
	}{
		{"120/1m", api.PortalLimit{Requests: 120, Window: time.Minute}, true},
		{" 5/1h ", api.PortalLimit{Requests: 5, Window: time.Hour}, true},
		{"1000000/24h", api.PortalLimit{Requests: 1_000_000, Window: 24 * time.Hour}, true},
		{"1/1s", api.PortalLimit{Requests: 1, Window: time.Second}, true},
		{"0/1m", api.PortalLimit{}, false},
		{"1000001/1m", api.PortalLimit{}, false},
		{"120", api.PortalLimit{}, false},
		{"120/", api.PortalLimit{}, false},
		{"120/500ms", api.PortalLimit{}, false},
		{"120/25h", api.PortalLimit{}, false},
		{"x/1m", api.PortalLimit{}, false},
	} {
		got, err := api.ParsePortalLimit(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParsePortalLimit(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok && got.String() != "" {
			if again, err := api.ParsePortalLimit(got.String()); err != nil || again != got {
				t.Errorf("%q does not read back: %v %v", got.String(), again, err)
			}
		}
	}
}
