package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// The goals of issues 15 and 16 at the demo scale, server-side under 4
// concurrent clients.
const (
	consoleGoal = 100 * time.Millisecond
	portalGoal  = 50 * time.Millisecond
)

// TestMeasureLists measures every list the console calls and the public
// portal's pages over HTTP against the real binary, on the data directory
// TestMeasureScale seeds (the same FIELDCHECK_MEASURE_DATA, seeded first
// when empty), with 4 concurrent clients per endpoint:
//
//	FIELDCHECK_MEASURE=1 FIELDCHECK_MEASURE_DATA=/tmp/fc100k go test ./cmd/fieldcheck -run TestMeasureLists -v -timeout 120m
//
// FIELDCHECK_MEASURE_SECONDS sets how long each endpoint is loaded (10 by
// default), FIELDCHECK_MEASURE_ONLY keeps the rows whose name contains it,
// FIELDCHECK_MEASURE_BIN runs that binary instead of building this tree's
// (to measure before a change), FIELDCHECK_MEASURE_RESUME=0 measures a
// store whose field work was cut short as it is.
// Before the server starts, the register is filled up to 20,000 published
// results (issue 16's scale) by inserting them into the store directly:
// entries of the results register and the targets' published results, as
// the planning service writes them, without audit records (measurement
// data only, in a throwaway directory). The portal's rate limit is lifted
// (--portal-limit 1000000/1s): every request comes from one address.
// It logs a table of p50/p95/p99 per endpoint and whether the goal (p95 ≤
// 100 ms console, ≤ 50 ms portal) is met; it asserts no latency.
func TestMeasureLists(t *testing.T) {
	if os.Getenv("FIELDCHECK_MEASURE") == "" {
		t.Skip("set FIELDCHECK_MEASURE=1 to measure (seeds a county of 100,000 targets and 10,000 tasks)")
	}
	dir := os.Getenv("FIELDCHECK_MEASURE_DATA")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fieldcheck-measure-scale")
	}
	each := 10 * time.Second
	if v, err := strconv.Atoi(os.Getenv("FIELDCHECK_MEASURE_SECONDS")); err == nil && v > 0 {
		each = time.Duration(v) * time.Second
	}
	bin := os.Getenv("FIELDCHECK_MEASURE_BIN")
	if bin == "" {
		bin = buildBinary(t)
	}
	s := &server{t: t, bin: bin, addr: freeAddr(t), dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		seedScale(t, s)
	}
	resumeFieldWork(t, dir)
	seedPublishedResults(t, dir, 20000)

	d := s.startTimed(10*time.Minute, "serve", "--portal-limit", "1000000/1s")
	t.Logf("serve ready after %v", d.Round(time.Millisecond))
	rows := listRows(t, s)
	report := measureRows(t, s, rows, each)
	t.Logf("load average at the end: %s", loadAverage())
	t.Log("\n| endpoint | n, p50 / p95 / p99, req/s | server CPU per request | goal |\n|---|---|---|---|\n" + strings.Join(report, "\n"))
	s.stop()
}

// getAs sends one GET as a console client (bearer) or a browser on the
// portal (Accept: text/html).
func (s *server) getAs(path, token string, portal bool) (int, []byte) {
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	setAs(req, token, portal)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func setAs(req *http.Request, token string, portal bool) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if portal && !strings.Contains(req.URL.Path, ".") {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}
}

// loadAs sends GETs of paths (picked at random) from clients goroutines
// for d and returns the latencies and how many were not 200.
func loadAs(s *server, token string, paths []string, portal bool, clients int, d time.Duration) ([]time.Duration, int) {
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
			r := rand.New(rand.NewPCG(uint64(c), 2))
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", "http://"+s.addr+paths[r.IntN(len(paths))], nil)
				setAs(req, token, portal)
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
	slices.Sort(all)
	return all, bad
}

func quantile(ds []time.Duration, p int) time.Duration {
	return ds[min(len(ds)-1, len(ds)*p/100)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func quantiles(ds []time.Duration, bad int, over time.Duration) string {
	if len(ds) == 0 {
		return "no requests"
	}
	out := fmt.Sprintf("n=%d, %s / %s / %s ms, %.0f/s", len(ds), ms(quantile(ds, 50)), ms(quantile(ds, 95)), ms(quantile(ds, 99)), float64(len(ds))/over.Seconds())
	if bad > 0 {
		out += fmt.Sprintf(", %d not 200", bad)
	}
	return out
}

func verdict(ds []time.Duration, goal time.Duration) string {
	if len(ds) > 0 && quantile(ds, 95) <= goal {
		return "met"
	}
	return "**missed**"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

// resumeFieldWork completes a seed whose field work was cut short (a demo
// that stopped after its draws, before the phones' work: none submitted),
// in process, with the demo's own scale-up over the tasks drawn.
func resumeFieldWork(t *testing.T, dir string) {
	ctx := context.Background()
	m, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	counts, err := m.Stores.Tasks.CountTasks(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	total, submitted := 0, 0
	for _, c := range counts {
		total += c.Count
		if c.Status == backend.TaskSubmitted {
			submitted += c.Count
		}
	}
	// The demo submits ScaleSubmittedPercent of its tasks: the rest of
	// them, with accepted ones in the same proportion.
	deficit := total*demo.ScaleSubmittedPercent/100 - submitted
	t.Logf("store: %d tasks, %d submitted", total, submitted)
	if deficit <= total/100 || os.Getenv("FIELDCHECK_MEASURE_RESUME") == "0" {
		return
	}
	start := time.Now()
	sum, err := m.DemoScale(io.Discard).ScaleUp(ctx, deficit*100/demo.ScaleSubmittedPercent, total)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("field work resumed over %d tasks: %d submitted, %d accepted in %v", total, sum.Submitted, sum.Accepted, time.Since(start).Round(time.Second))
}

// seedPublishedResults fills the register of the store in dir up to n
// published results: one entry per target of the directory's first n
// (by id) that has none, published, with its target's public copy, as
// the planning service leaves them after a publication (the same fields,
// backend.PublishedOf for the public copy), inserted directly and without
// audit records. Six departments, twenty plans, result dates over the
// year, a tenth with problems found and corrected.
func seedPublishedResults(t *testing.T, dir string, n int) {
	ctx := context.Background()
	m, err := app.Open(ctx, app.Config{DataDir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db := m.DB.Database
	// Counted by the register (its in-memory index on the embedded store:
	// a filtered count through FerretDB reads every entry, and timed out
	// under load).
	counts, err := m.Stores.Register.CountResultEntries(ctx, nil, backend.DateOf(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	have := int64(counts.Published)
	if have >= int64(n) {
		t.Logf("register: %d published results already", have)
		return
	}
	start := time.Now()
	// The directory's first n targets by id, from its index (a sorted
	// query is a sort of the whole collection on FerretDB).
	type named struct{ ID, Name string }
	var ts []named
	for p := (backend.PageRequest{Limit: backend.MaxPageLimit}); len(ts) < n; {
		page, err := m.Stores.Targets.FindTargets(ctx, backend.TargetFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range page.Items {
			ts = append(ts, named{tg.ID, tg.Name})
		}
		if page.NextCursor == "" {
			break
		}
		p.After = page.NextCursor
	}
	depts := []string{"scjg", "yjgl", "wsjk", "sthj", "zjj", "nync"}
	at := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	var entries, copies []any
	for i, tg := range ts[:min(len(ts), n-int(have))] {
		code, label := backend.ResultNoProblem, "未发现问题"
		if i%10 == 9 {
			code, label = backend.ResultRectified, "发现问题经责令已改正"
		}
		day := at.AddDate(0, 0, i%300)
		e := &backend.ResultEntry{ID: fmt.Sprintf("measure-%06d", i), TargetID: tg.ID, TargetName: tg.Name, PlanID: fmt.Sprintf("measure-plan-%02d", i%20),
			Random: true, LeadDepartment: depts[i%6], Departments: []string{depts[i%6]}, Items: []string{"SCJG-03"}, TeamUsers: []string{"measure.a", "measure.b"},
			Code: code, Label: label, LabelsVersion: 1, ResultDate: backend.Date(day.Format("2006-01-02")), State: backend.ResultPublished,
			Versions: []backend.ResultVersion{{N: 1, Code: code, Label: label, LabelsVersion: 1, PublishedAt: day.AddDate(0, 0, 3), PublishedBy: "measure"}},
			Version:  2, CreatedAt: day, UpdatedAt: day.AddDate(0, 0, 3)}
		e.SetDeadline()
		entries = append(entries, e)
		copies = append(copies, bson.D{{Key: "_id", Value: tg.ID}, {Key: "results", Value: []backend.PublishedResult{backend.PublishedOf(e)}}})
	}
	for i := 0; i < len(entries); i += 1000 {
		if _, err := db.Collection("results").InsertMany(ctx, entries[i:min(i+1000, len(entries))]); err != nil {
			t.Fatal(err)
		}
		// A target that has results already keeps them: those are left out.
		_, _ = db.Collection("target_results").InsertMany(ctx, copies[i:min(i+1000, len(copies))], options.InsertMany().SetOrdered(false))
	}
	t.Logf("register: %d published results inserted in %v", len(entries), time.Since(start).Round(time.Millisecond))
}

// listRow is one endpoint of TestMeasureLists: its paths are asked with
// the bearer token, or as a browser on the portal.
type listRow struct {
	name, token string
	paths       []string
	portal      bool
}

// listRows finds, through the API of the server s, the ids the rows ask
// for and returns every row of the table.
func listRows(t *testing.T, s *server) []listRow {
	login := func(user string) string {
		var tok struct{ AccessToken string }
		if st := s.api("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": "demo-" + user}, &tok); st != 200 {
			t.Fatalf("login %s: %d", user, st)
		}
		return tok.AccessToken
	}
	admin, manager, reviewer, oversight := login("admin"), login("scjg.manager"), login("scjg.reviewer"), login("oversight")

	// What the rows ask for: ids found through the API itself.
	var targets backend.Page[backend.Target]
	s.api("GET", "/api/v1/targets?limit=50&kind=enterprise", manager, nil, &targets)
	if len(targets.Items) < 2 {
		t.Fatalf("targets: %d", len(targets.Items))
	}
	target := targets.Items[len(targets.Items)/2]
	nameQ := []rune(target.Name)
	nameFrag := string(nameQ[:min(2, len(nameQ))]) // a common prefix: many hits
	var plans backend.Page[*backend.Plan]
	s.api("GET", "/api/v1/plans?limit=200", manager, nil, &plans)
	var scalePlan, firstPlan, firstDraw string
	for _, p := range plans.Items {
		switch {
		case len(p.Draws) == 0:
		case strings.Contains(p.Name, "演示规模"):
			scalePlan = p.ID
		case firstDraw == "":
			firstPlan, firstDraw = p.ID, p.Draws[0]
		}
	}
	var tasks, next backend.Page[backend.Task]
	s.api("GET", "/api/v1/tasks?limit=50&status=submitted", manager, nil, &tasks)
	s.api("GET", "/api/v1/tasks?limit=50", manager, nil, &next)
	if len(tasks.Items) == 0 { // a store without field work (the demo's): the review rows ask for an assigned task
		tasks = next
	}
	if len(tasks.Items) == 0 {
		t.Fatal("no task")
	}
	task := tasks.Items[0]
	member := task.Team[0]
	officer := task.TeamUsers[0]
	var published backend.Page[struct{ USCC string }]
	s.api("GET", "/public/results.json?limit=50", "", nil, &published)
	uscc := target.ID
	if len(published.Items) > 0 {
		uscc = published.Items[0].USCC
	}
	t.Logf("target %s (%q, searched %q), plans %s / %s, draw %s, task %s, member %s, officer %s, enterprise page %s",
		target.ID, target.Name, nameFrag, scalePlan, firstPlan, firstDraw, task.ID, member, officer, uscc)

	q := url.QueryEscape
	return []listRow{
		{"审核 queue, first page", reviewer, []string{"/api/v1/reviews?limit=50"}, false},
		{"审核 queue, has_issues", reviewer, []string{"/api/v1/reviews?limit=50&state=has_issues"}, false},
		{"审核 queue, planId", reviewer, []string{"/api/v1/reviews?limit=50&planId=" + q(scalePlan)}, false},
		{"任务, first page", manager, []string{"/api/v1/tasks?limit=50"}, false},
		{"任务, second page", manager, []string{"/api/v1/tasks?limit=50&after=" + q(next.NextCursor)}, false},
		{"任务, status=submitted", manager, []string{"/api/v1/tasks?limit=50&status=submitted"}, false},
		{"任务, plan&status=assigned", manager, []string{"/api/v1/tasks?limit=50&status=assigned&plan=" + q(scalePlan)}, false},
		{"任务, draw", manager, []string{"/api/v1/tasks?limit=50&draw=" + q(firstDraw)}, false},
		{"任务, batch", manager, []string{"/api/v1/tasks?limit=50&batch=" + q("第一批")}, false},
		{"任务, department", manager, []string{"/api/v1/tasks?limit=50&department=scjg"}, false},
		{"任务, member", manager, []string{"/api/v1/tasks?limit=50&member=" + q(member)}, false},
		{"任务, unplanned", manager, []string{"/api/v1/tasks?limit=50&unplanned=true"}, false},
		{"任务, overdue", manager, []string{"/api/v1/tasks?limit=50&overdue=true"}, false},
		{"任务, sort=due", manager, []string{"/api/v1/tasks?limit=50&sort=due"}, false},
		{"任务, admin, first page", admin, []string{"/api/v1/tasks?limit=50"}, false},
		{"名录库, first page", manager, []string{"/api/v1/targets?limit=50"}, false},
		{"名录库, q=name", manager, []string{"/api/v1/targets?limit=50&q=" + q(nameFrag)}, false},
		{"名录库, q=full name", manager, []string{"/api/v1/targets?limit=50&q=" + q(target.Name)}, false},
		{"名录库, q=USCC", manager, []string{"/api/v1/targets?limit=50&q=" + q(target.ID)}, false},
		{"名录库, kind+credit", manager, []string{"/api/v1/targets?limit=50&kind=enterprise&credit=A"}, false},
		{"名录库, region", manager, []string{"/api/v1/targets?limit=50&region=" + q(target.RegionCode)}, false},
		{"名录库, industry", manager, []string{"/api/v1/targets?limit=50&industry=" + q(target.Industry)}, false},
		{"名录库, status+keySupervision", manager, []string{"/api/v1/targets?limit=50&status=active&keySupervision=true"}, false},
		{"名录库, target page", manager, []string{"/api/v1/targets/" + url.PathEscape(target.ID)}, false},
		{"名录库, target's checks", manager, []string{"/api/v1/targets/" + url.PathEscape(target.ID) + "/checks?year=2026"}, false},
		{"inspectors", manager, []string{"/api/v1/inspectors?limit=50"}, false},
		{"items", manager, []string{"/api/v1/items?limit=50"}, false},
		{"抽查计划, plans", manager, []string{"/api/v1/plans?limit=50"}, false},
		{"rounds", manager, []string{"/api/v1/rounds?limit=50"}, false},
		{"draw result", manager, []string{"/api/v1/draws/" + url.PathEscape(firstDraw) + "/result"}, false},
		{"工作台 dashboard", manager, []string{"/api/v1/dashboard"}, false},
		{"工作台 dashboard, admin", admin, []string{"/api/v1/dashboard"}, false},
		{"results register, all", manager, []string{"/api/v1/results?limit=50"}, false},
		{"results register, pending", manager, []string{"/api/v1/results?limit=50&view=pending"}, false},
		{"results register, overdue", manager, []string{"/api/v1/results?limit=50&view=overdue"}, false},
		{"results register, published", manager, []string{"/api/v1/results?limit=50&view=published"}, false},
		{"results register, admin, plan", admin, []string{"/api/v1/results?limit=50&plan=" + q(firstPlan)}, false},
		{"监督 complaints", oversight, []string{"/api/v1/complaints?limit=50"}, false},
		{"监督 ratings", oversight, []string{"/api/v1/ratings?limit=50"}, false},
		{"监督 ratings, flagged", oversight, []string{"/api/v1/ratings?limit=50&flagged=true"}, false},
		{"监督 check-ins outside the list", oversight, []string{"/api/v1/oversight/checkins"}, false},
		{"监督 figures", oversight, []string{"/api/v1/oversight/figures"}, false},
		{"系统 users", admin, []string{"/api/v1/users?limit=50"}, false},
		{"系统 devices of a user", admin, []string{"/api/v1/users/" + url.PathEscape(officer) + "/devices"}, false},
		{"系统 audit of a task", admin, []string{"/api/v1/audit?objectType=task&objectId=" + q(task.ID)}, false},
		{"系统 audit of a target", admin, []string{"/api/v1/audit?objectType=target&objectId=" + q(target.ID)}, false},
		{"系统 keys", admin, []string{"/api/v1/keys"}, false},
		{"系统 login locks", admin, []string{"/api/v1/login-locks?limit=50"}, false},
		{"task page", manager, []string{"/api/v1/tasks/" + url.PathEscape(task.ID)}, false},
		{"task timeline", manager, []string{"/api/v1/tasks/" + url.PathEscape(task.ID) + "/timeline"}, false},
		{"review page", reviewer, []string{"/api/v1/reviews/" + url.PathEscape(task.ID)}, false},

		{"portal home", "", []string{"/public/"}, true},
		{"portal search, name", "", []string{"/public/?q=" + q(nameFrag)}, true},
		{"portal search, full name", "", []string{"/public/?q=" + q(target.Name)}, true},
		{"portal search, USCC", "", []string{"/public/?q=" + q(target.ID)}, true},
		{"portal enterprise page", "", []string{"/public/enterprises/" + url.PathEscape(uscc)}, true},
		{"portal results.json", "", []string{"/public/results.json?limit=50"}, true},
		{"portal results.json, department", "", []string{"/public/results.json?limit=50&department=yjgl"}, true},
		{"portal results.json, plan", "", []string{"/public/results.json?limit=50&plan=" + q(firstPlan)}, true},
		{"portal results.csv, code+period", "", []string{"/public/results.csv?limit=50&code=no-problem&from=2026-03-01&to=2026-06-30"}, true},
		{"portal plans", "", []string{"/public/plans"}, true},
		{"portal plan", "", []string{"/public/plans/" + url.PathEscape(firstPlan)}, true},
		{"portal draw page", "", []string{"/public/draws/" + url.PathEscape(firstDraw)}, true},
	}
}

// cpu is the CPU time (user and system) the server has used so far: the
// process of s.cmd, or this one when the server runs in the test's own
// process (TestProfilePortal: the clients' share counted too); -1 when
// it cannot be read.
func (s *server) cpu() time.Duration {
	if s.cmd == nil || s.cmd.Process == nil {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return -1
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	// The fields after the command's name (in parentheses): utime and
	// stime are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+st) * 10 * time.Millisecond
}

// measureRows loads each row (FIELDCHECK_MEASURE_ONLY: those whose name
// contains it) for each with 4 clients and returns the table's lines.
func measureRows(t *testing.T, s *server, rows []listRow, each time.Duration) []string {
	only := os.Getenv("FIELDCHECK_MEASURE_ONLY")
	var report []string
	for _, r := range rows {
		if only != "" && !strings.Contains(r.name, only) {
			continue
		}
		// One request first: a list's first read after the start builds
		// what it keeps, which is not what this table measures.
		if st, data := s.getAs(r.paths[0], r.token, r.portal); st != 200 {
			t.Errorf("%s: GET %s: %d %.300s", r.name, r.paths[0], st, data)
			continue
		}
		cpu := s.cpu()
		ds, bad := loadAs(s, r.token, r.paths, r.portal, 4, each)
		cpu = s.cpu() - cpu
		goal := consoleGoal
		if r.portal {
			goal = portalGoal
		}
		perReq := "—"
		if cpu >= 0 && len(ds) > 0 {
			perReq = ms(cpu/time.Duration(len(ds))) + " ms"
		}
		line := fmt.Sprintf("| %s | %s | %s | %s |", r.name, quantiles(ds, bad, each), perReq, verdict(ds, goal))
		t.Log(line)
		report = append(report, line)
	}
	return report
}
