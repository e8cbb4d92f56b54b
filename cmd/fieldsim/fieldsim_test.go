package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	url2 "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/mongo/storefault"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// startServer runs a real server on a loopback port, with the demo county
// seeded and its first plan drawn.
func startServer(t *testing.T, targets int) (*app.Main, string) {
	t.Helper()
	ctx := context.Background()
	ln, url := apptest.Listen(t)
	m := apptest.Open(t, url)
	apptest.SeedDemo(t, m, targets, time.Now())
	if _, err := demo.DrawFirstPlan(ctx, m.Planning, time.Now()); err != nil {
		t.Fatal(err)
	}
	apptest.ServeOn(t, m, ln)
	return m, url
}

// TestRunPasses runs a few inspectors over a network that drops a fifth of
// the connections, every batch sent twice: the verdict is PASS.
func TestRunPasses(t *testing.T) {
	_, url := startServer(t, 1000)
	var out bytes.Buffer
	err := run(context.Background(), []string{"--url", url, "--inspectors", "8", "--tasks-per-inspector", "4", "--offline-tasks", "2",
		"--drop-rate", "0.2", "--replay", "--seed", "7", "--state", t.TempDir(), "--photo-max", "24000", "--upload-chunk", "16384"}, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"PASS: ", "dropped before reaching the server", "replayed (0 answered differently)", " refused\n", "uploads: "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the report lacks %q", want)
		}
	}

	// The same tasks cannot be worked twice: a second run finds others,
	// or says there are none.
	out.Reset()
	err = run(context.Background(), []string{"--url", url, "--inspectors", "2", "--tasks-per-inspector", "1", "--state", t.TempDir()}, &out, &out)
	if err != nil && !strings.Contains(err.Error(), "no open on-site task") {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
}

// TestRunJointRoundTasks: the demo's coordination round gives joint
// visits (one task, teams of up to one officer per department, a checklist
// of several departments' items); phones over a dropping network, every
// batch replayed, work them first (their ids sort first), each member its
// share of the one form, and upload their photos: the verdict is PASS.
func TestRunJointRoundTasks(t *testing.T) {
	ctx := context.Background()
	ln, url := apptest.Listen(t)
	m := apptest.Open(t, url)
	apptest.SeedDemo(t, m, 1000, time.Now())
	if _, err := demo.DrawRound(ctx, m.Planning, time.Now()); err != nil {
		t.Fatal(err)
	}
	apptest.ServeOn(t, m, ln)
	var out bytes.Buffer
	err := run(ctx, []string{"--url", url, "--inspectors", "40", "--tasks-per-inspector", "2", "--offline-tasks", "2",
		"--drop-rate", "0.1", "--replay", "--seed", "13", "--state", t.TempDir(), "--photo-max", "24000", "--upload-chunk", "16384"}, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// Read as an administrator: a department's manager reads only its
	// parts of a visit whose parts several departments lead.
	o := &office{base: url, user: "admin", password: "demo-admin", hc: http.DefaultClient}
	if err := o.login(ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := listTasks(ctx, o, url2.Values{"status": {string(backend.TaskSubmitted)}})
	if err != nil {
		t.Fatal(err)
	}
	joint := 0
	for _, task := range tasks {
		if len(task.Parts) > 1 && len(task.TeamUsers) > 2 {
			joint++
		}
	}
	if joint == 0 {
		t.Fatalf("no joint visit of several departments among the %d tasks submitted", len(tasks))
	}
}

// TestScanServerCode: what fieldsim scans from the printed code is the
// code the server signs.
func TestScanServerCode(t *testing.T) {
	m, url := startServer(t, 200)
	ctx := context.Background()
	o := &office{base: url, user: "scjg.manager", password: "demo-scjg.manager", hc: http.DefaultClient}
	if err := o.login(ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := o.openTasks(ctx)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("%d tasks, %v", len(tasks), err)
	}
	scanned := 0
	for _, task := range tasks {
		if backend.ValidateUSCC(task.TargetID) != nil {
			continue // a product: no licence code
		}
		if scanned++; scanned > 5 {
			break
		}
		got, err := o.enterpriseCode(ctx, task.TargetID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Codes.SignEnterpriseCode(ctx, task.TargetID)
		if err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Fatalf("scanned %q, want %q", got, want.String())
		}
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--url", "http://x", "--inspectors", "1"}, {"--url", "http://x", "--drop-rate", "1"}, {"--nope"},
		{"--url", "http://x", "--provision", "-1"}, {"--url", "http://x", "--provision", "1000"}, {"--url", "http://x", "--provision-tasks", "0"},
		{"--url", "http://x", "--run-id", "Bad!"}, {"--url", "http://x", "--photo-max", "10"}, {"--url", "http://x", "--upload-chunk", "0"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); !errors.Is(err, errUsage) {
			t.Fatalf("%v: err=%v, want a usage error", args, err)
		}
	}
}

// TestCheckTaskFindsDifferences: the check notices every way the server's
// task can differ from what the phones did.
func TestCheckTaskFindsDifferences(t *testing.T) {
	result := fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "ok"}
	slot := backend.EvidenceInput{ID: "a-1", Type: backend.EvidencePhoto, SHA256: strings.Repeat("a", 64), Size: 10, ContentType: "image/jpeg"}
	sent := func() *simTask {
		return &simTask{id: "t1", team: []string{"a", "b"}, questions: []question{{key: "I/q1"}, {key: "I/q2"}},
			answers:  map[string]expAnswer{"I/q1": {"是", "a"}, "I/q2": {"否", "b"}},
			evidence: map[string]expSlot{"a-1": {slot, "a"}},
			checkIns: map[string]string{"a": "ci-a", "b": "ci-b"}, result: &result}
	}
	held := func() *backend.Task {
		return &backend.Task{ID: "t1", Status: backend.TaskSubmitted,
			Result:   &backend.Result{Code: result.Code, Findings: result.Findings, EnteredBy: "a"},
			Answers:  map[string]backend.Answer{"I/q1": {Value: "是", EditedBy: "a"}, "I/q2": {Value: "否", EditedBy: "b"}},
			CheckIns: []backend.CheckInSummary{{ID: "ci-a", UserID: "a"}, {ID: "ci-b", UserID: "b"}},
			Evidence: []backend.EvidenceSlot{{ID: "a-1", Type: slot.Type, SHA256: slot.SHA256, Size: slot.Size, ContentType: slot.ContentType, DeclaredBy: "a",
				Uploaded: true, Received: &backend.EvidenceReceipt{ContentType: "image/jpeg"}}}}
	}
	s := &sim{cfg: config{uploads: true}}
	v := &verdict{}
	s.checkTask(v, sent(), held())
	if len(v.problems) != 0 {
		t.Fatalf("the same task: %v", v.problems)
	}
	for _, tt := range []struct {
		name   string
		change func(*backend.Task)
	}{
		{"ErrNotSubmitted", func(t *backend.Task) { t.Status = backend.TaskCheckedIn }},
		{"ErrOtherResult", func(t *backend.Task) { t.Result.Code = backend.ResultCorrected }},
		{"ErrResultByMate", func(t *backend.Task) { t.Result.EnteredBy = "b" }},
		{"ErrAnswerLost", func(t *backend.Task) { delete(t.Answers, "I/q2") }},
		{"ErrAnswerOverwritten", func(t *backend.Task) { t.Answers["I/q1"] = backend.Answer{Value: "否", EditedBy: "a"} }},
		{"ErrCheckInTwice", func(t *backend.Task) {
			t.CheckIns = append(t.CheckIns, backend.CheckInSummary{ID: "ci-a2", UserID: "a"})
		}},
		{"ErrCheckInMissing", func(t *backend.Task) { t.CheckIns = t.CheckIns[:1] }},
		{"ErrSlotTwice", func(t *backend.Task) { t.Evidence = append(t.Evidence, t.Evidence[0]) }},
		{"ErrSlotChanged", func(t *backend.Task) { t.Evidence[0].Size = 11 }},
		{"ErrSlotUnknown", func(t *backend.Task) { t.Evidence = append(t.Evidence, backend.EvidenceSlot{ID: "x"}) }},
		{"ErrPhotoNotReceived", func(t *backend.Task) { t.Evidence[0].Uploaded, t.Evidence[0].Received = false, nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := held()
			tt.change(got)
			v := &verdict{}
			s.checkTask(v, sent(), got)
			if len(v.problems) == 0 {
				t.Fatal("not noticed")
			}
		})
	}
}

// TestSoakReports is the short soak CI runs: phones over a network that
// drops a tenth of the connections, every batch replayed, with figures
// every second read from the phones and from the server's /metrics; the
// verdict is PASS (nothing lost, nothing applied twice).
func TestSoakReports(t *testing.T) {
	const token = "soak-token-0123456789abcdef012345"
	ctx := context.Background()
	ln, url := apptest.Listen(t)
	m := apptest.Open(t, url)
	m.HTTP.MetricsToken = token
	apptest.SeedDemo(t, m, 1000, time.Now())
	if _, err := demo.DrawFirstPlan(ctx, m.Planning, time.Now()); err != nil {
		t.Fatal(err)
	}
	apptest.ServeOn(t, m, ln)
	var out bytes.Buffer
	err := run(ctx, []string{"--url", url, "--inspectors", "8", "--tasks-per-inspector", "3", "--offline-tasks", "2",
		"--drop-rate", "0.1", "--replay", "--seed", "11", "--state", t.TempDir(), "--report-every", "1s", "--metrics-token", token,
		"--photo-max", "24000", "--upload-chunk", "16384"}, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "soak ") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatal("no soak line")
	}
	last := lines[len(lines)-1]
	for _, want := range []string{" requests (+", " refused busy (+", " failed (+", " queued, ", " answered", "photos ", "load ",
		"server rss ", "go heap ", "open files ", "goroutines ", "mutations applied ", "uploads filed ", "admission refusals ", "store errors "} {
		if !strings.Contains(last, want) {
			t.Fatalf("the last soak line %q lacks %q", last, want)
		}
	}
	// The latencies are of the requests of each line's window: pulls,
	// pushes and uploads each show in some.
	for _, want := range []string{"; pull ", "; push ", "; upload "} {
		if !regexp.MustCompile(regexp.QuoteMeta(want) + `\d+ p50 [\d.]+ms p99 [\d.]+ms`).MatchString(strings.Join(lines, "\n")) {
			t.Fatalf("no soak line has the latencies of %q", want)
		}
	}
	if !strings.Contains(out.String(), "PASS: ") {
		t.Fatal("the soak did not PASS")
	}
	// Every photo declared was uploaded whole (the check wants each slot
	// received, its bytes hashed to the declaration).
	if m := regexp.MustCompile(`uploads: (\d+) of (\d+) photos received`).FindStringSubmatch(out.String()); m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("uploads: %v", m)
	}
}

// TestSoakSlowStore is the slow-store fault in short: a server whose
// every store reply passes a proxy that holds it while --slow-store-file
// says so (as a measurement build's FIELDCHECK_FAULT_SLOW_STORE does),
// phones over a dropping network with every batch replayed, the store
// slowed from 1 s into the run for 3 s. The proxy held replies, the file is
// gone afterwards, and the verdict is PASS: nothing lost, nothing applied
// twice.
func TestSoakSlowStore(t *testing.T) {
	ctx := context.Background()
	control := filepath.Join(t.TempDir(), "slow")
	var proxy *storefault.Proxy
	ln, url := apptest.Listen(t)
	m, err := app.Open(ctx, app.Config{MongoURI: mongotest.URI(t), Database: mongotest.DatabaseName(), BaseURL: url,
		StoreProxy: func(uri string) (string, func(), error) {
			p, proxied, err := storefault.StartURI(uri)
			if err != nil {
				return "", nil, err
			}
			proxy = p
			wctx, cancel := context.WithCancel(context.Background())
			go p.Watch(wctx, control, 50*time.Millisecond, nil, nil)
			return proxied, func() { cancel(); p.Close() }, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.DB.Database.Drop(context.Background())
		m.Close()
	})
	mongotest.Adopt(t, m.DB)
	apptest.SeedDemo(t, m, 1000, time.Now())
	if _, err := demo.DrawFirstPlan(ctx, m.Planning, time.Now()); err != nil {
		t.Fatal(err)
	}
	apptest.ServeOn(t, m, ln)
	var out bytes.Buffer
	err = run(ctx, []string{"--url", url, "--inspectors", "6", "--tasks-per-inspector", "3", "--offline-tasks", "2",
		"--drop-rate", "0.1", "--replay", "--seed", "12", "--state", t.TempDir(), "--photo-max", "24000", "--upload-chunk", "16384",
		"--slow-store-file", control, "--slow-store-delay", "20ms", "--slow-store-after", "1s", "--slow-store-for", "3s"}, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "PASS: ") || !strings.Contains(out.String(), "slow store: replies held 20ms") {
		t.Fatal("no PASS with the slow store's line")
	}
	if proxy.Delayed() == 0 {
		t.Fatal("the proxy held no reply while the store was slow")
	}
	if _, err := os.Stat(control); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the control file is left behind: %v", err)
	}
}
