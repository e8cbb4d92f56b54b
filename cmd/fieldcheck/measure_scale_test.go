package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestMeasureScale produces the figures at scale of docs/benchmarks.md
// against the real binary on the embedded store. It runs only when asked:
//
//	FIELDCHECK_MEASURE=1 FIELDCHECK_MEASURE_DATA=/tmp/fc100k go test ./cmd/fieldcheck -run TestMeasureScale -v -timeout 120m
//
// An empty or missing FIELDCHECK_MEASURE_DATA is first seeded with
// `fieldcheck demo --targets 100000 --tasks 10000` (FIELDCHECK_MEASURE_TARGETS
// and FIELDCHECK_MEASURE_TASKS change the size) and kept for later runs.
// Then: the start-up of serve and of two commands, pages of the review
// queue and the task list under 4 concurrent clients, task reads over HTTP
// and in the store, and an officer's full download.
func TestMeasureScale(t *testing.T) {
	if os.Getenv("FIELDCHECK_MEASURE") == "" {
		t.Skip("set FIELDCHECK_MEASURE=1 to measure (seeds a county of 100,000 targets and 10,000 tasks)")
	}
	dir := os.Getenv("FIELDCHECK_MEASURE_DATA")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fieldcheck-measure-scale")
	}
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		seedScale(t, s)
	}

	// Start-up: serve until /readyz answers; commands that open the store.
	for range 3 {
		d := s.startTimed(10*time.Minute, "serve")
		t.Logf("start-up of serve until /readyz: %v", d.Round(time.Millisecond))
		s.stop()
	}
	for _, args := range [][]string{{"keys", "list"}, {"audit", "verify"}} {
		for range 3 {
			start := time.Now()
			out, err := exec.Command(s.bin, append(args, "--data", dir)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
			t.Logf("fieldcheck %v: %v", args, time.Since(start).Round(time.Millisecond))
		}
	}

	s.startTimed(10*time.Minute, "serve")
	login := func(user string) string {
		var tok struct{ AccessToken string }
		if st := s.api("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": "demo-" + user}, &tok); st != 200 {
			t.Fatalf("login %s: %d", user, st)
		}
		return tok.AccessToken
	}
	reviewer, manager := login("scjg.reviewer"), login("scjg.manager")
	// The first pages after the start, before any task was read.
	for _, first := range []struct{ name, path, token string }{
		{"review queue", "/api/v1/reviews?limit=50", reviewer}, {"task list", "/api/v1/tasks?limit=50", manager},
	} {
		start := time.Now()
		if st, data := s.get(first.path, first.token); st != 200 {
			t.Fatalf("GET %s: %d %s", first.path, st, data)
		}
		t.Logf("first %s page after the start: %v", first.name, time.Since(start).Round(time.Millisecond))
	}

	// The pages to ask for: every page of the review queue, the first 60
	// of the department's task list, and the plans and draws to filter by.
	queue := walk(t, s, reviewer, "/api/v1/reviews?limit=50", 0, func(data []byte) (int, string) {
		var p backend.Page[*planning.ReviewQueueEntry]
		mustJSON(t, data, &p)
		return len(p.Items), p.NextCursor
	})
	var someTasks []backend.Task
	list := walk(t, s, manager, "/api/v1/tasks?limit=50", 60, func(data []byte) (int, string) {
		var p backend.Page[backend.Task]
		mustJSON(t, data, &p)
		someTasks = append(someTasks, p.Items...)
		return len(p.Items), p.NextCursor
	})
	var plans backend.Page[*backend.Plan]
	s.api("GET", "/api/v1/plans?limit=200", manager, nil, &plans)
	var scalePlan, firstDraw string
	for _, p := range plans.Items {
		switch {
		case len(p.Draws) == 0:
		case strings.Contains(p.Name, "演示规模"):
			scalePlan = p.ID
		default:
			firstDraw = p.Draws[0]
		}
	}
	t.Logf("review queue: %d pages of 50; task list: %d pages walked; plan %s, draw %s", len(queue), len(list), scalePlan, firstDraw)

	type scenario struct {
		name, token string
		paths       []string
	}
	scenarios := []scenario{
		{"review queue, first page of 50", reviewer, []string{"/api/v1/reviews?limit=50"}},
		{"review queue, any page of 50", reviewer, queue},
		{"review queue, has_issues (none)", reviewer, []string{"/api/v1/reviews?limit=50&state=has_issues"}},
		{"task list, first page of 50", manager, []string{"/api/v1/tasks?limit=50"}},
		{"task list, any of the first 60 pages", manager, list},
		{"task list, status=submitted", manager, []string{"/api/v1/tasks?limit=50&status=submitted"}},
		{"task list, status=accepted", manager, []string{"/api/v1/tasks?limit=50&status=accepted"}},
		{"task list, plan=P&status=assigned", manager, []string{"/api/v1/tasks?limit=50&status=assigned&plan=" + url.QueryEscape(scalePlan)}},
		{"task list, draw=D (first plan)", manager, []string{"/api/v1/tasks?limit=50&draw=" + url.QueryEscape(firstDraw)}},
	}
	for _, sc := range scenarios {
		r := load(t, s, sc.token, sc.paths, 4, 15*time.Second)
		t.Logf("%-40s %s", sc.name, r)
	}

	// Task reads over HTTP, one client: submitted tasks, the largest.
	var submitted []string
	for _, tk := range someTasks {
		if tk.Status == backend.TaskSubmitted {
			submitted = append(submitted, tk.ID)
		}
	}
	var reads []string
	for _, id := range submitted {
		reads = append(reads, "/api/v1/tasks/"+url.PathEscape(id))
	}
	if len(reads) > 0 {
		t.Logf("%-40s %s", "GET /api/v1/tasks/{id} (submitted)", load(t, s, manager, reads, 1, 10*time.Second))
	}

	// An officer's full download: the first team member of a submitted task.
	if len(submitted) > 0 {
		var tk backend.Task
		s.api("GET", "/api/v1/tasks/"+url.PathEscape(submitted[0]), manager, nil, &tk)
		officer := tk.TeamUsers[0]
		var tok struct{ AccessToken string }
		s.api("POST", "/mobile/v1/auth/login", "", map[string]any{"username": officer, "password": "demo-" + officer,
			"device": map[string]string{"id": "measure-phone", "platform": "android"}}, &tok)
		start, pages, bytesIn, tasks := time.Now(), 0, 0, 0
		cursor := ""
		for {
			st, data := s.get(fcsync.PullPath(cursor, 200), tok.AccessToken)
			if st != 200 {
				t.Fatalf("pull: %d %s", st, data)
			}
			var p struct {
				Cursor string
				More   bool
				Tasks  []json.RawMessage
			}
			mustJSON(t, data, &p)
			pages, bytesIn, tasks = pages+1, bytesIn+len(data), tasks+len(p.Tasks)
			cursor = p.Cursor
			if !p.More || len(p.Tasks) == 0 {
				break
			}
		}
		t.Logf("full download of %s: %d tasks in %d pages, %d bytes, %v", officer, tasks, pages, bytesIn, time.Since(start).Round(time.Millisecond))
	}
	s.stop()

	// Task reads in the store, in process: the server is stopped.
	ctx := context.Background()
	start := time.Now()
	m, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0", Warm: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	t.Logf("app.Open in process: %v", time.Since(start).Round(time.Millisecond))
	for _, which := range []struct {
		name string
		ids  []string
	}{{"submitted", submitted}, {"any of the first pages", taskIDs(someTasks)}} {
		for _, pass := range []string{"first read", "read again"} {
			var ds []time.Duration
			for _, id := range which.ids {
				start := time.Now()
				if _, err := m.Stores.Tasks.FindTaskByID(ctx, id); err != nil {
					t.Fatal(err)
				}
				ds = append(ds, time.Since(start))
			}
			t.Logf("FindTaskByID, %s, %s: %s", which.name, pass, summarize(ds, 0))
		}
	}
	var sizes []int
	for _, id := range submitted {
		raw, err := m.DB.Database.Collection("tasks").FindOne(ctx, map[string]string{"_id": id}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(raw))
	}
	if len(sizes) > 0 {
		slices.Sort(sizes)
		t.Logf("submitted task document: median %d bytes (%d to %d)", sizes[len(sizes)/2], sizes[0], sizes[len(sizes)-1])
	}
}

func taskIDs(ts []backend.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %.300s", err, data)
	}
}

// seedScale seeds the measured county into s.dir with the demo command.
func seedScale(t *testing.T, s *server) {
	targets, tasks := os.Getenv("FIELDCHECK_MEASURE_TARGETS"), os.Getenv("FIELDCHECK_MEASURE_TASKS")
	if targets == "" {
		targets = "100000"
	}
	if tasks == "" {
		tasks = "10000"
	}
	d := s.startTimed(3*time.Hour, "demo", "--targets", targets, "--tasks", tasks)
	t.Logf("demo --targets %s --tasks %s: seeded and serving after %v", targets, tasks, d.Round(time.Second))
	for _, line := range bytes.Split(s.out.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(line, []byte("seeded")) || bytes.HasPrefix(line, []byte("drew")) || bytes.HasPrefix(line, []byte("field work")) || bytes.HasPrefix(line, []byte("added")) {
			t.Logf("  %s", line)
		}
	}
	s.stop()
}

// startTimed runs the binary with args and returns how long it took to
// answer /readyz.
func (s *server) startTimed(limit time.Duration, args ...string) time.Duration {
	s.t.Helper()
	s.out = &bytes.Buffer{}
	s.cmd = exec.Command(s.bin, append(args, "--data", s.dir, "--addr", s.addr)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	cmd := s.cmd
	s.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start)
			}
		}
		if time.Since(start) > limit {
			s.t.Fatalf("server not ready: %v\n%s", err, s.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server as an operator would (SIGINT) and waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	_ = s.cmd.Wait()
}

func (s *server) get(path, token string) (int, []byte) {
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// walk follows a paged list from first, at most max pages (0: all), and
// returns the path of every page.
func walk(t *testing.T, s *server, token, first string, max int, decode func([]byte) (int, string)) []string {
	paths := []string{first}
	for max == 0 || len(paths) < max {
		st, data := s.get(paths[len(paths)-1], token)
		if st != 200 {
			t.Fatalf("GET %s: %d %s", paths[len(paths)-1], st, data)
		}
		n, next := decode(data)
		if next == "" || n == 0 {
			break
		}
		paths = append(paths, first+"&after="+url.QueryEscape(next))
	}
	return paths
}

// load sends GETs of paths (picked at random) from clients goroutines for
// d and summarizes the latencies.
func load(t *testing.T, s *server, token string, paths []string, clients int, d time.Duration) string {
	var (
		mu   sync.Mutex
		all  []time.Duration
		bad  int
		wg   sync.WaitGroup
		stop = time.Now().Add(d)
	)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 1))
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", "http://"+s.addr+paths[r.IntN(len(paths))], nil)
				req.Header.Set("Authorization", "Bearer "+token)
				start := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				mu.Lock()
				all = append(all, took)
				if err != nil || resp.StatusCode != 200 {
					bad++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return summarize(all, d) + fmt.Sprintf(", not 200: %d", bad)
}

func summarize(ds []time.Duration, over time.Duration) string {
	if len(ds) == 0 {
		return "no requests"
	}
	slices.Sort(ds)
	q := func(p int) string {
		return strconv.FormatFloat(float64(ds[min(len(ds)-1, len(ds)*p/100)].Microseconds())/1000, 'f', 2, 64) + " ms"
	}
	out := fmt.Sprintf("n=%d p50 %s p95 %s p99 %s max %s", len(ds), q(50), q(95), q(99), q(100))
	if over > 0 {
		out += fmt.Sprintf(", %.1f req/s", float64(len(ds))/over.Seconds())
	}
	return out
}
