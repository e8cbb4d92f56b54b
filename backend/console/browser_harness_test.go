package console_test

// The chromedp harness of the console's browser tests, kept in this one
// file so that it can give way to the shared one (backend/app/apptest/
// browsertest) when the branches meet.

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// browserTimeout bounds one step of a browser test: its pages are
// interactive in well under a second, but the machine is shared.
const browserTimeout = 30 * time.Second

// serve makes m answer on a loopback port and returns its base URL.
func serve(t *testing.T, m *app.Main) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := m.HTTP.App()
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// page is one headless Chromium tab at 1366×900, with what its console
// and log said (chromedp.Console: console calls, exceptions, browser log
// entries such as CSP violations).
type page struct {
	t       *testing.T
	ctx     context.Context
	console *consoleLog
}

type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

// on is the page for a subtest: failures are reported on t.
func (p *page) on(t *testing.T) *page { return &page{t: t, ctx: p.ctx, console: p.console} }

func newPage(t *testing.T) *page {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_BROWSER") == "1" {
			t.Skip("chromium missing and FIELDCHECK_SKIP_BROWSER=1")
		}
		t.Fatal("chromium is missing: install Debian's chromium (bash .ci/run does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1366, 900), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	p := &page{t: t, ctx: ctx, console: &consoleLog{}}
	messages := chromedp.Console(ctx) // starts the browser; subscribed from here on
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.console.mu.Lock()
			p.console.lines = append(p.console.lines, m.String()+" "+m.Source+" "+m.URL)
			p.console.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancelTab(); <-done })
	p.do("set the viewport", chromedp.EmulateViewport(1366, 900))
	return p
}

// do runs the steps within browserTimeout and fails the test with what
// the page logged.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.failed()
		p.t.Fatalf("%s: %v\npage log:\n%s", what, err, strings.Join(p.logged(), "\n"))
	}
}

// value runs one action that returns a value.
func value[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v\npage log:\n%s", what, err, strings.Join(p.logged(), "\n"))
	}
	return v
}

// failed saves the page as it is when a step failed (failed.png, in
// FIELDCHECK_SCREENSHOTS).
func (p *page) failed() {
	if dir := os.Getenv("FIELDCHECK_SCREENSHOTS"); dir != "" {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		defer cancel()
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "failed.png"), png, 0o644)
		}
	}
}

// void drops the value of an action, to run it among steps.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

func (p *page) logged() []string {
	p.console.mu.Lock()
	defer p.console.mu.Unlock()
	return append([]string(nil), p.console.lines...)
}

// screenshot saves the page as name.png into FIELDCHECK_SCREENSHOTS, when
// it is set.
func (p *page) screenshot(name string) {
	p.t.Helper()
	dir := os.Getenv("FIELDCHECK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(p, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// header returns a header of the server's answer to GET url.
func header(t *testing.T, url, name string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get(name)
}

// login opens the console at base and logs user in with the form (the
// demo's password), waiting for the dashboard.
func (p *page) login(base, user string) {
	p.t.Helper()
	p.do("log in as "+user,
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(`input[name="username"]`),
		chromedp.SendKeys(`input[name="username"]`, user),
		chromedp.SendKeys(`input[name="password"]`, demo.DemoPassword(user)),
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`[data-figure="待审核任务"]`),
	)
}

// noBrowserErrors fails the test for every CSP violation or script
// exception the pages logged.
func noBrowserErrors(t *testing.T, pages ...*page) {
	t.Helper()
	for _, p := range pages {
		for _, line := range p.logged() {
			if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused to") || strings.HasPrefix(line, "exception") {
				t.Errorf("the browser logged: %s", line)
			}
		}
	}
}
