package api_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

const scrapeToken = "0123456789abcdef0123456789abcdef"

// scrape reads GET /metrics as token and parses the text format.
func scrape(t *testing.T, e *env, token string) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.do("GET", "/metrics", token, "", nil)
	if r.Status != 200 {
		t.Fatalf("GET /metrics: status=%d, want 200: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("Content-Type=%q, want the text format 0.0.4", ct)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse the metrics: %v\n%s", err, r.Body)
	}
	return fams
}

// value is the value of the metric of family name whose labels include
// labels (a counter's, a gauge's, or a histogram's sample count), and
// whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsAccess: GET /metrics and GET /api/v1/doctor answer an
// administrator and the scrape token, nobody else.
func TestMetricsAccess(t *testing.T) {
	e := newEnv(t)
	e.m.HTTP.MetricsToken = scrapeToken
	admin, inspector := e.login("admin"), e.login("inspector")
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"OK/Administrator", admin, 200},
		{"OK/ScrapeToken", scrapeToken, 200},
		{"ErrUnauthenticated/NoToken", "", 401},
		{"ErrUnauthenticated/WrongScrapeToken", scrapeToken[:31] + "0", 401},
		{"ErrUnauthenticated/ScrapeTokenPrefix", scrapeToken[:16], 401},
		{"ErrForbidden/Inspector", inspector, 403},
	}
	// The deployment check answers the same callers.
	for _, path := range []string{"/metrics", "/api/v1/doctor"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				if r := e.do("GET", path, tt.token, "", nil); r.Status != tt.status {
					t.Fatalf("status=%d, want %d: %s", r.Status, tt.status, r.Body)
				}
			})
		}
	}
}

// TestMetricsEmptyScrapeTokenRefused: without --metrics-token no bearer
// opens the metrics, the empty one included.
func TestMetricsEmptyScrapeTokenRefused(t *testing.T) {
	e := newEnv(t)
	req := apptest.NewRequest("GET", "/metrics", "", "", nil)
	req.Header.Set("Authorization", "Bearer ")
	if r := e.send(t, req); r.Status != 401 {
		t.Fatalf("status=%d, want 401", r.Status)
	}
}

// TestMetricsCounts serves requests, scrapes, parses the text format and
// checks what was counted: by route pattern, the sync pulls and refused
// pushes, and the audit chain's length as the store has it.
func TestMetricsCounts(t *testing.T) {
	e := newEnv(t)
	e.m.HTTP.MetricsToken = scrapeToken
	admin := e.login("admin")
	for _, id := range []string{"91350100M000100Y43", "no-such-target"} {
		e.do("GET", "/api/v1/targets/"+id, admin, "", nil)
	}
	phone := apptest.MustPhoneLogin(t, e.m, "inspector", testPassword, apptest.TestPhone("metrics-phone-1"))
	for range 2 {
		if r := e.do("GET", "/mobile/v1/sync?v=2", phone.AccessToken, "", nil); r.Status != 200 {
			t.Fatalf("pull: status=%d: %s", r.Status, r.Body)
		}
	}
	if r := e.do("POST", "/mobile/v1/sync?v=2", phone.AccessToken, "application/json", strings.NewReader(`{"nonsense":1}`)); r.Status != 400 {
		t.Fatalf("bad push: status=%d, want 400: %s", r.Status, r.Body)
	}

	fams := scrape(t, e, scrapeToken)
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"RequestsByPattern", "fieldcheck_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/targets/:id", "status": "404"}, 2},
		{"LatencyByPattern", "fieldcheck_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/targets/:id"}, 2},
		{"Logins", "fieldcheck_http_requests_total", map[string]string{"route": "/api/v1/auth/login", "status": "200"}, 1},
		{"SyncPulls", "fieldcheck_sync_requests_total", map[string]string{"kind": "pull", "outcome": "ok"}, 2},
		{"SyncPushInvalid", "fieldcheck_sync_requests_total", map[string]string{"kind": "push", "outcome": "invalid"}, 1},
		{"NoRefusals", "fieldcheck_admission_refusals_total", map[string]string{"gate": "sync_pushes"}, 0},
		{"StoreReadable", "fieldcheck_metrics_source_up", map[string]string{"source": "audit_chain_length"}, 1},
		{"NoBacklog", "fieldcheck_sweep_backlog", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := value(fams, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Fatalf("%s%v=%v (present %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
	// No raw path is a label: the id a client chose never is.
	for _, m := range fams["fieldcheck_http_requests_total"].Metric {
		for _, l := range m.Label {
			if strings.Contains(l.GetValue(), "no-such-target") || strings.Contains(l.GetValue(), "91350100") {
				t.Fatalf("label %s=%q is a raw path", l.GetName(), l.GetValue())
			}
		}
	}
	head, err := e.m.Stores.Audit.FindAuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := value(fams, "fieldcheck_audit_chain_length", nil); got != float64(head.Seq) || head.Seq == 0 {
		t.Fatalf("fieldcheck_audit_chain_length=%v, want the head's seq %d", got, head.Seq)
	}
	for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "go_goroutines"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

// TestMetricsUploads uploads evidence over tus as a phone does, in three
// PATCHes, and a file that is not the one declared, then scrapes: two
// uploads started, one filed with its bytes, one refused, and the bytes
// of the accepted PATCHes.
func TestMetricsUploads(t *testing.T) {
	ctx := context.Background()
	e := &env{t: t, m: apptest.Open(t, "")}
	e.m.HTTP.MetricsToken = scrapeToken
	apptest.SeedDemo(t, e.m, 200, time.Now())
	res, err := demo.DrawFirstPlan(ctx, e.m.Planning, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var task *backend.Task
	for _, tk := range res.Tasks {
		if len(tk.TeamUsers) >= 1 && backend.ValidateUSCC(tk.TargetID) == nil {
			task = tk
			break
		}
	}
	if task == nil {
		t.Fatal("no drawn task with a team")
	}
	base := e.serve(t)
	phone := instancePhone(t, base, task.TeamUsers[0])
	good, other := noisyJPEG(t, 21), noisyJPEG(t, 22)
	declare(t, phone, task.ID, map[string][]byte{"good": good, "wrong": good})
	loc := ""
	if err := phone.UploadFile(ctx, task.ID, "good", bytes.NewReader(good), int64(len(good)), &loc, int64(len(good)/3+1)); err != nil {
		t.Fatal(err)
	}
	// "wrong" was declared as the good photo; another one of the same
	// size is sent, in one PATCH, refused at its last byte.
	wrong := other
	if len(wrong) != len(good) {
		wrong = append(bytes.Clone(other[:min(len(other), len(good))]), make([]byte, max(0, len(good)-len(other)))...)
	}
	at := createUpload(t, phone, base, task.ID, "wrong", len(wrong))
	if resp, body := tus(t, phone, "PATCH", base+at, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
		bytes.NewReader(wrong), int64(len(wrong))); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("the wrong file's PATCH: %d %s, want a 4xx", resp.StatusCode, body)
	}

	fams := scrape(t, e, scrapeToken)
	for _, tt := range []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"Started", "fieldcheck_uploads_started_total", nil, 2},
		{"Filed", "fieldcheck_uploads_completed_total", map[string]string{"result": "filed"}, 1},
		{"Refused", "fieldcheck_uploads_completed_total", map[string]string{"result": "refused"}, 1},
		{"FiledBytes", "fieldcheck_upload_filed_bytes_total", nil, float64(len(good))},
		{"PatchBytes", "fieldcheck_upload_bytes_total", nil, float64(len(good))}, // the refused PATCH is not counted
		{"Patches", "fieldcheck_http_requests_total", map[string]string{"method": "PATCH", "status": "204"}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := value(fams, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Fatalf("%s%v=%v (present %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
}
