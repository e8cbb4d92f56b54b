package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

var (
	errFailed = errors.New("fieldsim: FAIL")
	errUsage  = errors.New("fieldsim: usage")
)

var runIDPattern = regexp.MustCompile(`^[a-z0-9]{1,8}$`)

type config struct {
	url            string
	inspectors     int
	tasksPer       int
	duration       time.Duration
	seed           uint64
	dropRate       float64
	replay         bool
	stateDir       string
	offlineTasks   int
	office         string
	passwordFormat string
	killCmd        string
	killAfter      time.Duration
	readyTimeout   time.Duration
	timeout        time.Duration
	verbose        bool
	provision      int
	provisionItem  string
	provisionTasks int
	runID          string
	admin          string
	reportEvery    time.Duration
	metricsToken   string
	slowFile       string
	slowDelay      time.Duration
	slowAfter      time.Duration
	slowFor        time.Duration
	preferDraw     string
	uploads        bool
	photoMax       int64
	uploadChunk    int64
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("fieldsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "", "the server, e.g. http://127.0.0.1:8080 (required)")
	fs.IntVar(&c.inspectors, "inspectors", 10, "simulated inspectors (phones)")
	fs.IntVar(&c.tasksPer, "tasks-per-inspector", 0, "tasks each inspector takes on at most (0: every task of its teams)")
	fs.DurationVar(&c.duration, "duration", 0, "stop starting new tasks after this long (0: work every task taken on); tasks started are finished")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of every random choice (answers, faults, jitter)")
	fs.Float64Var(&c.dropRate, "drop-rate", 0, "share of the phones' requests whose connection breaks, half before and half after the server handled it (0-0.9)")
	fs.BoolVar(&c.replay, "replay", false, "send every push batch a second time")
	fs.StringVar(&c.stateDir, "state", "", "directory of the phones' queues (default: a temporary one, removed afterwards)")
	fs.IntVar(&c.offlineTasks, "offline-tasks", 3, "tasks worked offline between two syncs")
	fs.StringVar(&c.office, "office", "scjg.manager", "back-office login that lists the tasks and prints the codes")
	fs.StringVar(&c.passwordFormat, "password-format", "demo-%s", "password of a login, %s is the username (the demo's)")
	fs.StringVar(&c.killCmd, "kill-server-cmd", "", "shell command run --kill-after into the run to restart the server; fieldsim then waits for /readyz")
	fs.DurationVar(&c.killAfter, "kill-after", 20*time.Second, "when to run --kill-server-cmd")
	fs.DurationVar(&c.readyTimeout, "ready-timeout", 2*time.Minute, "how long to wait for the server to be back after --kill-server-cmd")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Minute, "give up after this long")
	fs.BoolVar(&c.verbose, "v", false, "log each inspector's progress")
	fs.IntVar(&c.provision, "provision", 0, "before the run, add this many inspectors (directory entries with logins) to the office's department and draw a plan that gives them tasks, through the back-office API (0-999)")
	fs.StringVar(&c.provisionItem, "provision-item", "SCJG-03", "the on-site item of the plan --provision draws")
	fs.IntVar(&c.provisionTasks, "provision-tasks", 3, "tasks --provision draws per inspector it adds")
	fs.StringVar(&c.runID, "run-id", strconv.FormatInt(time.Now().Unix(), 36), "names what --provision adds (with --seed); the same seed and run id find what an earlier run added")
	fs.StringVar(&c.admin, "admin", "admin", "administrator login that --provision adds users and inspectors with, and that reads joint visits whole (a manager reads only its department's parts)")
	fs.DurationVar(&c.reportEvery, "report-every", 0, "print the figures so far (requests, failures, p50/p99 per kind in the window, the server's memory and open files) this often; 0: only at the end")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "the server's --metrics-token, to read its memory, open files and goroutines from GET /metrics in the reports")
	fs.StringVar(&c.slowFile, "slow-store-file", "", "the control file of a server built with -tags fieldcheck_faults and run with FIELDCHECK_FAULT_SLOW_STORE=FILE: fieldsim writes --slow-store-delay into it --slow-store-after into the run and removes it --slow-store-for later")
	fs.DurationVar(&c.slowDelay, "slow-store-delay", 200*time.Millisecond, "how long the server's store holds each reply while slowed (1ms-30s)")
	fs.DurationVar(&c.slowAfter, "slow-store-after", time.Minute, "when to slow the store")
	fs.DurationVar(&c.slowFor, "slow-store-for", time.Minute, "how long the store stays slow")
	fs.BoolVar(&c.uploads, "uploads", true, "upload every declared photo's bytes with tus after the sync that declared it (real JPEGs, resumed after a break); false: declare only")
	fs.Int64Var(&c.photoMax, "photo-max", 400_000, "largest photo in bytes (sizes are drawn up to it)")
	fs.Int64Var(&c.uploadChunk, "upload-chunk", 128<<10, "bytes of one tus PATCH")
	fs.StringVar(&c.preferDraw, "prefer-draw", "", "take the open tasks of this draw first (as --provision does with the draw it makes), e.g. the provisioned draw of an earlier run")
	if err := fs.Parse(args); err != nil {
		return c, errUsage
	}
	switch {
	case c.url == "":
		fmt.Fprintln(stderr, "fieldsim: --url is required")
		return c, errUsage
	case c.inspectors < 2:
		fmt.Fprintln(stderr, "fieldsim: --inspectors must be at least 2 (a team has two officers)")
		return c, errUsage
	case c.dropRate < 0 || c.dropRate > 0.9:
		fmt.Fprintln(stderr, "fieldsim: --drop-rate must be from 0 to 0.9")
		return c, errUsage
	case c.offlineTasks < 1 || c.tasksPer < 0:
		fmt.Fprintln(stderr, "fieldsim: --offline-tasks must be at least 1, --tasks-per-inspector at least 0")
		return c, errUsage
	case c.provision < 0 || c.provision > 999 || c.provisionTasks < 1 || c.provisionTasks > 100:
		fmt.Fprintln(stderr, "fieldsim: --provision must be from 0 to 999, --provision-tasks from 1 to 100")
		return c, errUsage
	case c.reportEvery != 0 && c.reportEvery < time.Second:
		fmt.Fprintln(stderr, "fieldsim: --report-every must be at least 1s")
		return c, errUsage
	case c.slowFile != "" && (c.slowDelay < time.Millisecond || c.slowDelay > 30*time.Second || c.slowAfter < 0 || c.slowFor <= 0):
		fmt.Fprintln(stderr, "fieldsim: --slow-store-delay must be from 1ms to 30s, --slow-store-after at least 0, --slow-store-for more than 0")
		return c, errUsage
	case c.photoMax < 1<<10 || c.photoMax > 64<<20 || c.uploadChunk < 1<<10 || c.uploadChunk > 64<<20:
		fmt.Fprintln(stderr, "fieldsim: --photo-max and --upload-chunk must be from 1 KiB to 64 MiB")
		return c, errUsage
	case !runIDPattern.MatchString(c.runID):
		fmt.Fprintln(stderr, "fieldsim: --run-id must be 1-8 lower-case letters or digits")
		return c, errUsage
	}
	c.url = strings.TrimRight(c.url, "/")
	return c, nil
}

// sim is one run.
type sim struct {
	cfg      config
	out, log io.Writer
	office   *office
	// reader reads tasks whole, as an administrator: a department's
	// manager reads only its parts of a joint visit whose parts several
	// departments lead (backend.Task.ViewFor), while the simulation needs
	// every question to answer and every answer to verify.
	reader   *office
	metrics  *metrics
	gate     *gate
	phoneURL string
	deadline time.Time

	tasks       []*simTask
	inspectors  []*inspector
	noCode      int    // open tasks left out: their target has no licence code
	preferDraw  string // the draw --provision made: plan() takes its tasks first
	provisioned *provisionReport

	// Over the run, for the report lines (every phone adds to them).
	queued, answeredOps atomic.Int64
	uploads             uploadStats

	logMu sync.Mutex
}

func (s *sim) logf(format string, args ...any) {
	if !s.cfg.verbose {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	s := &sim{cfg: cfg, out: stdout, log: stderr, metrics: newMetrics(), gate: newGate(), preferDraw: cfg.preferDraw}
	s.office = &office{base: cfg.url, user: cfg.office, password: fmt.Sprintf(cfg.passwordFormat, cfg.office),
		hc: &http.Client{Timeout: time.Minute}, observe: s.metrics.observe}
	if err := s.office.login(ctx); err != nil {
		return err
	}
	s.reader = &office{base: cfg.url, user: cfg.admin, password: fmt.Sprintf(cfg.passwordFormat, cfg.admin),
		hc: &http.Client{Timeout: time.Minute}, observe: s.metrics.observe}
	if err := s.reader.login(ctx); err != nil {
		return fmt.Errorf("--admin %s, who reads joint visits whole: %w", cfg.admin, err)
	}
	if cfg.provision > 0 {
		if err := s.provision(ctx); err != nil {
			return err
		}
	}
	if err := s.plan(ctx); err != nil {
		return err
	}

	s.phoneURL = cfg.url
	var proxy *dropProxy
	if cfg.dropRate > 0 {
		if proxy, err = startProxy(cfg.url, cfg.dropRate, cfg.seed); err != nil {
			return err
		}
		defer proxy.Close()
		s.phoneURL = proxy.url
	}
	stateDir := cfg.stateDir
	if stateDir == "" {
		if stateDir, err = os.MkdirTemp("", "fieldsim-*"); err != nil {
			return err
		}
		defer os.RemoveAll(stateDir)
	}
	if err := s.newInspectors(stateDir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fieldsim: %d inspectors, %d tasks (%d per inspector at most), drop rate %.2f, replay %v, seed %d, server %s\n",
		len(s.inspectors), len(s.tasks), s.maxPer(), cfg.dropRate, cfg.replay, cfg.seed, cfg.url)
	if s.noCode > 0 {
		fmt.Fprintf(stdout, "fieldsim: left out %d open tasks whose target (a product, project or behaviour) has no licence code to check in with\n", s.noCode)
	}

	start := time.Now()
	if cfg.duration > 0 {
		s.deadline = start.Add(cfg.duration)
	}
	var restart restartReport
	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	if cfg.killCmd != "" {
		wg.Go(func() { restart = s.restartServer(workCtx) })
	}
	var slow slowReport
	if cfg.slowFile != "" {
		wg.Go(func() { slow = s.slowStore(workCtx) })
	}
	rep := s.newReporter(start)
	if cfg.reportEvery > 0 {
		wg.Go(func() { rep.every(workCtx, cfg.reportEvery) })
	}
	var iwg sync.WaitGroup
	for _, in := range s.inspectors {
		iwg.Go(func() { in.run(workCtx) })
	}
	iwg.Wait()
	stopWork()
	wg.Wait()
	if cfg.reportEvery > 0 {
		rep.line(ctx) // the last window
	}
	worked := time.Since(start)
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stdout, "fieldsim: stopped after %s: %v\n", worked.Round(time.Millisecond), err)
	}

	// Bring the phones up to date for the check, over the same network.
	vctx, vcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer vcancel()
	for _, in := range s.inspectors {
		for range 30 {
			res, err := in.pullResult(vctx)
			if err != nil {
				in.problem("final pull: %v", err)
			}
			if err != nil || !res.Pending {
				break
			}
		}
	}
	v := s.verify(vctx)
	s.report(worked, proxy, restart, slow, v)
	if !v.pass() {
		return errFailed
	}
	return nil
}

func (s *sim) maxPer() int {
	n := 0
	for _, in := range s.inspectors {
		n = max(n, len(in.tasks))
	}
	return n
}

// plan picks the tasks and the inspectors: open on-site tasks taken in
// order (those of the draw --provision made first) while their whole team
// fits in the number of inspectors, at most --tasks-per-inspector each,
// and prints each enterprise's code.
func (s *sim) plan(ctx context.Context) error {
	open, err := s.office.openTasks(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(open, func(a, b *backend.Task) int {
		if pa, pb := a.DrawID == s.preferDraw && s.preferDraw != "", b.DrawID == s.preferDraw && s.preferDraw != ""; pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	chosen := map[string]bool{}
	load := map[string]int{}
	for _, t := range open {
		if len(t.TeamUsers) < backend.MinOfficers || t.Method == backend.MethodDocument || t.Method == backend.MethodOnline ||
			len(t.CheckIns) > 0 || len(t.Answers) > 0 || len(t.Evidence) > 0 || t.Result != nil || len(t.Checklist) == 0 {
			continue
		}
		if backend.ValidateUSCC(t.TargetID) != nil {
			// A product, project or behaviour has no licence code to scan,
			// so no check-in can be made for it.
			s.noCode++
			continue
		}
		newcomers := 0
		full := false
		for _, u := range t.TeamUsers {
			if !chosen[u] {
				newcomers++
			}
			if s.cfg.tasksPer > 0 && load[u] >= s.cfg.tasksPer {
				full = true
			}
		}
		if full || len(chosen)+newcomers > s.cfg.inspectors {
			continue
		}
		for _, u := range t.TeamUsers {
			chosen[u] = true
			load[u]++
		}
		st := &simTask{id: t.ID, target: t.TargetID, name: t.TargetName, team: slices.Clone(t.TeamUsers), v0: t.Version,
			done: map[string]chan struct{}{}, answers: map[string]expAnswer{}, evidence: map[string]expSlot{}, checkIns: map[string]string{}}
		checklist := t.Checklist
		if len(t.Departments) > 1 {
			whole, err := s.reader.task(ctx, t.ID)
			if err != nil {
				return err
			}
			checklist = whole.Checklist
		}
		for _, r := range checklist {
			tpl, err := s.office.template(ctx, r)
			if err != nil {
				return err
			}
			for _, q := range tpl.Questions {
				st.questions = append(st.questions, question{key: backend.AnswerKey(r.Item, q.ID), q: q})
			}
		}
		for _, u := range st.team {
			st.done[u] = make(chan struct{})
		}
		s.tasks = append(s.tasks, st)
	}
	if len(s.tasks) == 0 {
		return fmt.Errorf("%s sees no open on-site task whose team fits in %d inspectors: seed a fresh demo (fieldcheck demo --data NEWDIR)", s.cfg.office, s.cfg.inspectors)
	}
	// Print the codes a few at a time: hundreds of tasks take a while.
	return parallel(ctx, len(s.tasks), 4, func(i int) error {
		t := s.tasks[i]
		code, err := s.office.enterpriseCode(ctx, t.target)
		t.code = code
		return err
	})
}

func (s *sim) newInspectors(stateDir string) error {
	byUser := map[string]*inspector{}
	var users []string
	for _, t := range s.tasks {
		for _, u := range t.team {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
	}
	retry := fcsync.Retry{Attempts: 12, Base: 100 * time.Millisecond, Max: 5 * time.Second, Budget: s.cfg.readyTimeout + 30*time.Second}
	for i, u := range users {
		dev := fmt.Sprintf("fieldsim-%d-%s", s.cfg.seed, deviceSafe(u))
		q, err := fcsync.OpenQueue(stateDir + string(os.PathSeparator) + dev)
		if err != nil {
			return err
		}
		if r := q.Recovery(); r.Pending > 0 || r.Dropped > 0 {
			s.logf("%s: queue found %d pending, %d dropped (%s)", u, r.Pending, r.Dropped, r.Reason)
		}
		in := &inspector{sim: s, user: u, index: i, ops: map[string]*simOp{},
			rng: newRand(s.cfg.seed, u),
			client: &fcsync.Client{
				BaseURL: s.phoneURL, Username: u, Password: fmt.Sprintf(s.cfg.passwordFormat, u),
				Device: backend.DeviceInfo{ID: dev, Name: "fieldsim phone", Platform: backend.PlatformAndroid},
				Queue:  q, Retry: retry, Replay: s.cfg.replay, Observe: s.metrics.observe,
				PendingWait: 200 * time.Millisecond,
			},
		}
		jr := newRand(s.cfg.seed, "jitter/"+u)
		var jmu sync.Mutex
		in.client.Jitter = func(d time.Duration) time.Duration {
			jmu.Lock()
			defer jmu.Unlock()
			if d <= 0 {
				return 0
			}
			return time.Duration(jr.Int64N(int64(d) + 1))
		}
		byUser[u] = in
		s.inspectors = append(s.inspectors, in)
	}
	for _, t := range s.tasks {
		for _, u := range t.team {
			byUser[u].tasks = append(byUser[u].tasks, t)
		}
	}
	return nil
}

// deviceSafe turns a login into device id characters.
func deviceSafe(u string) string {
	b := []byte(u)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}

// gate holds the phones back while the server restarts.
type gate struct {
	mu   sync.Mutex
	open chan struct{}
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.open
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		g.open = make(chan struct{})
	default:
	}
}

func (g *gate) reopen() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

type restartReport struct {
	ran      bool
	err      error
	downtime time.Duration
}

// restartServer runs --kill-server-cmd after --kill-after, holds new syncs
// back until the server is ready again, and says how long that took.
func (s *sim) restartServer(ctx context.Context) restartReport {
	select {
	case <-ctx.Done():
		return restartReport{}
	case <-time.After(s.cfg.killAfter):
	}
	s.gate.shut()
	defer s.gate.reopen()
	began := time.Now()
	fmt.Fprintf(s.out, "fieldsim: %s in: %s\n", s.cfg.killAfter, s.cfg.killCmd)
	cctx, cancel := context.WithTimeout(context.Background(), s.cfg.readyTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, "sh", "-c", s.cfg.killCmd)
	if f, ok := s.log.(*os.File); ok {
		// A file, not a pipe: the restarted server keeps it open.
		cmd.Stdout, cmd.Stderr = f, f
	}
	r := restartReport{ran: true}
	if err := cmd.Run(); err != nil {
		r.err = fmt.Errorf("--kill-server-cmd: %w", err)
	}
	if err := s.office.ready(context.Background(), s.cfg.readyTimeout); err != nil && r.err == nil {
		r.err = err
	}
	r.downtime = time.Since(began)
	fmt.Fprintf(s.out, "fieldsim: the server answered again after %s\n", r.downtime.Round(time.Millisecond))
	return r
}
