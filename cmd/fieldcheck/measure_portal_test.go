package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
)

// TestProfilePortal loads the rows of TestMeasureLists (the portal's by
// default: FIELDCHECK_MEASURE_ONLY=portal) against the store of
// FIELDCHECK_MEASURE_DATA served in this process, so that a CPU profile
// of the test is the server's:
//
//	FIELDCHECK_MEASURE=1 FIELDCHECK_MEASURE_DATA=/tmp/fc100k FIELDCHECK_MEASURE_ONLY="portal plans" \
//	  go test ./cmd/fieldcheck -run TestProfilePortal -v -cpuprofile /tmp/portal.prof
//
// The store must have been seeded (TestMeasureLists seeds it); the
// register is filled to 20,000 published results as there.
// FIELDCHECK_MEASURE_NO_PORTAL_LIMIT=1 serves without the portal's count
// per address, to see its share. It asserts no latency.
func TestProfilePortal(t *testing.T) {
	dir := os.Getenv("FIELDCHECK_MEASURE_DATA")
	if os.Getenv("FIELDCHECK_MEASURE") == "" || dir == "" {
		t.Skip("set FIELDCHECK_MEASURE=1 and FIELDCHECK_MEASURE_DATA to a seeded store to profile the portal")
	}
	if os.Getenv("FIELDCHECK_MEASURE_ONLY") == "" {
		t.Setenv("FIELDCHECK_MEASURE_ONLY", "portal")
	}
	each := 5 * time.Second
	if v, err := time.ParseDuration(os.Getenv("FIELDCHECK_MEASURE_SECONDS") + "s"); err == nil && v > 0 {
		each = v
	}
	seedPublishedResults(t, dir, 20000)
	m, err := app.Open(context.Background(), app.Config{DataDir: dir, Addr: "127.0.0.1:0",
		PortalLimit: api.PortalLimit{Requests: api.MaxPortalRequests, Window: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if os.Getenv("FIELDCHECK_MEASURE_NO_PORTAL_LIMIT") != "" {
		// To see the limiter's share: no count per address at all.
		m.HTTP.Throttle = nil
	}
	s := &server{t: t, addr: strings.TrimPrefix(apptest.Serve(t, m), "http://")}
	report := measureRows(t, s, listRows(t, s), each)
	t.Logf("load average at the end: %s", loadAverage())
	t.Log("\n| endpoint | n, p50 / p95 / p99, req/s | CPU per request (server and clients) | goal |\n|---|---|---|---|\n" + strings.Join(report, "\n"))
}

// TestMeasureVerifyInBrowser times the draw page's 「在我的浏览器中验证」 in
// headless Chromium on every draw of the store of FIELDCHECK_MEASURE_DATA
// (served in this process), FIELDCHECK_MEASURE_RUNS times each (5 by
// default): the time the page reports from the record's fetch to 验证通过,
// and the time from the click to the verdict seen by the test. The demo's
// store (`fieldcheck demo`) has the demo draw; it asserts no latency,
// only that every run says 验证通过.
func TestMeasureVerifyInBrowser(t *testing.T) {
	dir := os.Getenv("FIELDCHECK_MEASURE_DATA")
	if os.Getenv("FIELDCHECK_MEASURE") == "" || dir == "" {
		t.Skip("set FIELDCHECK_MEASURE=1 and FIELDCHECK_MEASURE_DATA to a seeded store to time the in-browser verification")
	}
	runs := 5
	if v, err := strconv.Atoi(os.Getenv("FIELDCHECK_MEASURE_RUNS")); err == nil && v > 0 {
		runs = v
	}
	ctx := context.Background()
	m, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0",
		PortalLimit: api.PortalLimit{Requests: api.MaxPortalRequests, Window: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := apptest.Serve(t, m)
	plans, err := m.Planning.PublicPlans(ctx, 0, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{})
	for _, pv := range plans.Items {
		p, err := m.Planning.PublicPlan(ctx, pv.PlanID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Draws {
			var took []string
			for range runs {
				b.Do(chromedp.Navigate(base + "/public/draws/" + d.ID))
				b.WaitFor(`document.getElementById('verify-button') && !document.getElementById('verify-button').disabled`)
				start := time.Now()
				b.Eval(`document.getElementById('verify-button').click()`, nil)
				b.WaitUpTo(`document.getElementById('verify-status').dataset.done !== undefined`, 5*time.Minute)
				seen := time.Since(start)
				var status, ms string
				b.Eval(`document.getElementById('verify-status').textContent`, &status)
				b.Eval(`document.getElementById('verify-status').dataset.ms || ''`, &ms)
				if !strings.HasPrefix(status, "验证通过") {
					t.Fatalf("draw %s: %s", d.ID, status)
				}
				took = append(took, fmt.Sprintf("%s ms (click to verdict %d ms)", ms, seen.Milliseconds()))
			}
			t.Logf("| %s | %d selected, %d bytes | %s | load %s |", d.ID, d.Selected, d.RecordBytes, strings.Join(took, ", "), loadAverage())
		}
	}
}
