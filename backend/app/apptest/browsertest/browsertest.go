// Package browsertest drives Debian's chromium, headless, for the browser
// tests of fieldcheck's pages and apps (chromedp over a pipe, no port): one
// harness for them all. It takes screenshots at a phone's size into the
// directory $FIELDCHECK_SCREENSHOTS names, when set, and records every JSON
// answer the page receives so that a test can hold each to the OpenAPI
// documents.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Phone is the viewport of the screenshots and the pages: a 390×844 phone.
var Phone = struct{ Width, Height int64 }{390, 844}

// Timeout bounds each step a test waits for (a page to show something):
// long enough for a loaded two-core machine, and only a bound, never a
// measure.
const Timeout = 30 * time.Second

// Browser is one headless chromium with one tab.
type Browser struct {
	tb      testing.TB
	Ctx     context.Context
	cancel  func()
	Profile string

	mu        sync.Mutex
	requests  map[network.RequestID]*network.Request
	responses map[network.RequestID]*network.Response
	answers   []Answer
	console   []string
	pending   sync.WaitGroup
}

// Answer is one JSON answer the page received.
type Answer struct {
	Method, URL string
	Status      int
	Header      map[string]string
	Body        []byte
}

// Options of a browser.
type Options struct {
	// Profile is the user-data directory; a temporary one when empty. Give
	// the same one to a second browser to restart the "phone" with its
	// service worker and IndexedDB.
	Profile string
	// Flags are more command-line switches (name → value, true for a bare
	// switch).
	Flags map[string]any
	// Camera, when set, is a Y4M video (see WriteY4M) that the page's
	// camera shows, allowed without asking.
	Camera string
}

// Start launches chromium; the test fails at once when it is missing,
// unless FIELDCHECK_SKIP_BROWSER=1 says to skip.
func Start(tb testing.TB, o Options) *Browser {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_BROWSER") == "1" {
			tb.Skip("chromium missing and FIELDCHECK_SKIP_BROWSER=1")
		}
		tb.Fatal("chromium is missing: install Debian's chromium (bash .ci/run does)")
	}
	profile := o.Profile
	if profile == "" {
		profile = tb.TempDir()
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(profile),
		chromedp.WindowSize(int(Phone.Width), int(Phone.Height)))
	if o.Camera != "" {
		opts = append(opts, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", o.Camera))
	}
	for k, v := range o.Flags {
		opts = append(opts, chromedp.Flag(k, v))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{tb: tb, Ctx: ctx, Profile: profile, requests: map[network.RequestID]*network.Request{}, responses: map[network.RequestID]*network.Response{}}
	b.cancel = func() {
		cancel()
		acancel()
	}
	tb.Cleanup(b.Close)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Phone.Width, Phone.Height, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		tb.Fatalf("network events: %v", err)
	}
	if err := chromedp.Listen(ctx, b.onEvent); err != nil {
		tb.Fatal(err)
	}
	return b
}

// Geolocate grants geolocation to every origin and makes the page's
// position (lat, lng) with accuracy metres.
func (b *Browser) Geolocate(lat, lng, accuracy float64) {
	b.tb.Helper()
	if _, err := chromedp.CallBrowser(b.Ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted}); err != nil {
		b.tb.Fatalf("grant geolocation: %v", err)
	}
	if _, err := chromedp.Call(b.Ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &accuracy}); err != nil {
		b.tb.Fatalf("geolocation: %v", err)
	}
}

// NoFix grants geolocation and makes every position request fail as a
// phone without a fix does (POSITION_UNAVAILABLE).
func (b *Browser) NoFix() {
	b.tb.Helper()
	if _, err := chromedp.CallBrowser(b.Ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted}); err != nil {
		b.tb.Fatalf("grant geolocation: %v", err)
	}
	if _, err := chromedp.Call(b.Ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{}); err != nil {
		b.tb.Fatalf("geolocation: %v", err)
	}
}

// Close stops the browser (and its helper processes); a test may call it
// early to kill the phone.
func (b *Browser) Close() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
		b.pending.Wait()
	}
}

func (b *Browser) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		b.mu.Lock()
		b.console = append(b.console, string(ev.Type)+": "+strings.Join(parts, " "))
		b.mu.Unlock()
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.mu.Lock()
		b.console = append(b.console, "exception: "+msg)
		b.mu.Unlock()
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		b.requests[ev.RequestID] = ev.Request
		b.mu.Unlock()
	case *network.EventResponseReceived:
		if strings.Contains(ev.Response.MimeType, "json") {
			b.mu.Lock()
			b.responses[ev.RequestID] = ev.Response
			b.mu.Unlock()
		}
	case *network.EventLoadingFinished:
		b.mu.Lock()
		resp, req := b.responses[ev.RequestID], b.requests[ev.RequestID]
		delete(b.responses, ev.RequestID)
		b.mu.Unlock()
		if resp == nil || req == nil {
			return
		}
		b.pending.Add(1)
		go func() { // a command may not run inside the listener
			defer b.pending.Done()
			body, err := chromedp.Call(b.Ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: ev.RequestID})
			if err != nil {
				return // the page went away meanwhile
			}
			h := map[string]string{}
			for k, v := range resp.Headers {
				h[k] = fmt.Sprint(v)
			}
			b.mu.Lock()
			b.answers = append(b.answers, Answer{Method: req.Method, URL: resp.URL, Status: int(resp.Status), Header: h, Body: body.Body})
			b.mu.Unlock()
		}()
	}
}

// Console returns what the page logged and threw so far.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Answers returns the JSON answers received so far.
func (b *Browser) Answers() []Answer {
	b.pending.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Answer(nil), b.answers...)
}

// Do runs actions, failing the test on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.tb.Fatalf("browser: %v\npage: %s\nconsole: %s", err, b.Text(), strings.Join(b.Console(), "\n"))
	}
}

// Eval evaluates JavaScript (awaiting a promise) and decodes its value
// into out (nil to ignore it).
func (b *Browser) Eval(expr string, out any) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.tb.Fatalf("eval %s: %v", expr, err)
	}
	if out != nil && len(v) > 0 {
		if err := json.Unmarshal(v, out); err != nil {
			b.tb.Fatalf("eval %s: %v (%s)", expr, err, v)
		}
	}
}

// Text is the page's visible text ("" when there is no page).
func (b *Browser) Text() string {
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// WaitFor waits until the JavaScript condition is true (an event of the
// page, polled: the page gives no callback for it).
func (b *Browser) WaitFor(cond string) {
	b.tb.Helper()
	b.WaitUpTo(cond, Timeout)
}

// WaitUpTo is WaitFor with a bound of its own, for what takes long by
// nature (a large upload on a loaded machine).
func (b *Browser) WaitUpTo(cond string, bound time.Duration) {
	b.tb.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, bound)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(bound))); err != nil {
		b.tb.Fatalf("waiting for %s: %v\npage: %s\nconsole: %s", cond, err, b.Text(), strings.Join(b.Console(), "\n"))
	}
}

// Shot saves a full-page screenshot as name.png in $FIELDCHECK_SCREENSHOTS,
// when set: how the pages look to people, not asserted on.
func (b *Browser) Shot(name string) {
	b.tb.Helper()
	dir := os.Getenv("FIELDCHECK_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.Ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.tb.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.tb.Fatal(err)
	}
}

// DecodeQR reads the one QR code in a PNG with zbarimg, as a phone camera
// would: a missing zbarimg fails the test (FIELDCHECK_SKIP_ZBAR=1 skips).
func DecodeQR(tb testing.TB, png []byte) string {
	tb.Helper()
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("FIELDCHECK_SKIP_ZBAR") == "1" {
			tb.Skip("zbarimg not installed and FIELDCHECK_SKIP_ZBAR=1")
		}
		tb.Fatal("zbarimg is missing: install zbar-tools (bash .ci/run does)")
	}
	file := filepath.Join(tb.TempDir(), "qr.png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(zbar, "--raw", "-q", file).Output()
	if err != nil {
		tb.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
