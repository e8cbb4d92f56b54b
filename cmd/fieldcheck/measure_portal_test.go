package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
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
// register is filled to 20,000 published results as there. It asserts no
// latency.
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
	s := &server{t: t, addr: strings.TrimPrefix(apptest.Serve(t, m), "http://")}
	report := measureRows(t, s, listRows(t, s), each)
	t.Logf("load average at the end: %s", loadAverage())
	t.Log("\n| endpoint | n, p50 / p95 / p99, req/s | goal |\n|---|---|---|\n" + strings.Join(report, "\n"))
}
