package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestKillLoop is issue 13's crash test: `fieldcheck serve` on the
// embedded store is killed (SIGKILL) at random moments while phones push,
// a manager publishes results and draws a plan, and `fieldcheck import`
// is killed in the middle of imports. In the end every acknowledged change
// and every task's last version has its audit entry, no published task
// lacks its public result, no target is drawn twice for an item in a year,
// every imported target is audited, no intent is left and `fieldcheck
// audit verify` passes.
//
// FIELDCHECK_KILLS sets the number of kills (default 5; the issue's
// figure is 20 or more: FIELDCHECK_KILLS=25 go test ./cmd/fieldcheck -run
// TestKillLoop -v), FIELDCHECK_KILL_SEED the seed of the moments (printed).
func TestKillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	kills := 5
	if v := os.Getenv("FIELDCHECK_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("FIELDCHECK_KILLS=%q", v)
		}
		kills = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("FIELDCHECK_KILL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("FIELDCHECK_KILL_SEED=%q", v)
		}
		seed = n
	}
	t.Logf("kills %d, seed %d (FIELDCHECK_KILL_SEED=%d repeats the moments)", kills, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 13))

	dir := t.TempDir()
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: dir}
	k := &killLoop{t: t, s: s, acked: map[string][]int64{}, touched: map[string]bool{}}

	// The demo county, its first plan drawn and the second awaiting its
	// draw; then some tasks approved, for the manager to publish.
	s.start("demo", "--targets", "300")
	s.stop()
	k.setUp()
	var imports []string // a file of new enterprises per import round

	for round := 1; round <= kills; round++ {
		if rng.IntN(2) == 0 {
			// An import, killed after a random moment (or finished): of
			// new enterprises, or (every other time) of the last file's
			// enterprises renamed, which updates them.
			file := k.writeImport(len(imports), importRows, 0)
			if len(imports) > 0 && rng.IntN(2) == 0 {
				file = k.writeImport(len(imports)-1, importRows, round)
			} else {
				imports = append(imports, file)
			}
			d := time.Duration(rng.IntN(900)) * time.Millisecond
			finished := k.importKilledAfter(file, d)
			t.Logf("round %d: import %s", round, map[bool]string{true: "finished", false: "killed after " + d.String()}[finished])
		}
		s.start("serve")
		d := time.Duration(300+rng.IntN(3000)) * time.Millisecond
		k.work(d, time.Duration(rng.Int64N(int64(d))))
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_ = s.cmd.Wait()
		t.Logf("round %d: serve killed after %v of work (%d changes acknowledged so far, draw answered %d)", round, d, k.ackCount(), k.drawn)
	}
	// Each import once more to its end, and a last start, which
	// completes what the last kill cut short.
	for _, file := range imports {
		if !k.importKilledAfter(file, time.Hour) {
			t.Fatal("the last import did not finish")
		}
	}
	s.start("serve")
	s.stop()
	if k.pushed == 0 {
		t.Fatal("no push was acknowledged: the loop tested nothing of the phones")
	}
	k.check(imports)
	if out, err := exec.Command(s.bin, "audit", "verify", "--data", dir).CombinedOutput(); err != nil {
		t.Fatalf("fieldcheck audit verify: %v\n%s", err, out)
	}
}

type killLoop struct {
	t        *testing.T
	s        *server
	phones   []*killPhone
	approved []string // tasks the manager publishes
	plan     string   // the plan awaiting its draw
	token    string   // the manager's
	drawn    int      // the status of the last draw request

	mu       sync.Mutex
	acked    map[string][]int64 // task → versions the server acknowledged
	pushed   int                // of them, pushes
	touched  map[string]bool    // tasks the workload changed
	experts  int                // experts the manager asked to add
	expertOK []string           // of them, those answered 201
}

type killPhone struct {
	c    *fcsync.Client
	task string
	n    int
}

func (k *killLoop) open() *app.Main {
	k.t.Helper()
	m, err := app.Open(context.Background(), app.Config{DataDir: k.s.dir, Now: time.Now})
	if err != nil {
		k.t.Fatal(err)
	}
	return m
}

// setUp picks the phones' tasks and approves tasks to publish, in the
// store (the steps before approval are tested elsewhere).
func (k *killLoop) setUp() {
	t := k.t
	ctx := context.Background()
	m := k.open()
	defer m.Close()
	tasks := allTasks(t, m)
	users := map[string]bool{}
	for _, x := range tasks {
		switch {
		case len(k.phones) < 3 && len(x.TeamUsers) > 0 && !users[x.TeamUsers[0]] && x.Status == backend.TaskAssigned:
			u := x.TeamUsers[0]
			users[u] = true
			q, err := fcsync.OpenQueue(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.Close() })
			c := &fcsync.Client{BaseURL: "http://" + k.s.addr, Username: u, Password: demo.DemoPassword(u),
				Device: backend.DeviceInfo{ID: fmt.Sprint("kill-loop-phone-", len(k.phones)), Name: "test phone", Platform: backend.PlatformAndroid},
				Queue:  q, Retry: fcsync.Retry{Attempts: 3, Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, Budget: time.Second},
				PendingWait: 10 * time.Millisecond, PendingTries: 3}
			k.phones = append(k.phones, &killPhone{c: c, task: x.ID})
		case len(k.approved) < 12 && x.Status == backend.TaskAssigned:
			x.Status, x.Result = backend.TaskApproved, &backend.Result{Code: "R01", Label: "未发现问题"}
			if err := m.Stores.Tasks.UpdateTask(ctx, x); err != nil {
				t.Fatal(err)
			}
			k.approved = append(k.approved, x.ID)
		}
	}
	if len(k.phones) < 3 || len(k.approved) < 12 {
		t.Fatalf("%d phones and %d approved tasks, want 3 and 12", len(k.phones), len(k.approved))
	}
	plans, err := m.Stores.Plans.FindPlans(ctx, backend.PlanFilterQuery{}, backend.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans.Items {
		if p.State == backend.PlanPublished {
			k.plan = p.ID
		}
	}
	if k.plan == "" {
		t.Fatal("no plan awaits its draw")
	}
}

// importRows is the size of one import file: two batches.
const importRows = 1200

// writeImport writes file number i, of n new enterprises; with edit > 0,
// the same enterprises renamed (edit names the edit).
func (k *killLoop) writeImport(i, n, edit int) string {
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称,类型,行政区划,地址,行业,信用风险分类,登记状态\n")
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	r := rand.New(rand.NewPCG(7, uint64(i)))
	for row := 0; row < n; row++ {
		code := []byte("91350403")
		for len(code) < 17 {
			code = append(code, alphabet[r.IntN(len(alphabet))])
		}
		c, _ := backend.USCCCheckChar(string(code))
		fmt.Fprintf(&b, "%s%c,三元区测试企业%d-%04d有限公司%s,企业,350403,三明市三元区测试路%d号,F5211,B,存续\n", code, c, i, row, strings.Repeat("新", edit), row)
	}
	path := filepath.Join(k.t.TempDir(), fmt.Sprintf("enterprises-%d-%d.csv", i, edit))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		k.t.Fatal(err)
	}
	return path
}

// importKilledAfter runs `fieldcheck import enterprises` and kills it
// after d unless it ends first; it reports whether it ended on its own.
func (k *killLoop) importKilledAfter(file string, d time.Duration) bool {
	cmd := exec.Command(k.s.bin, "import", "enterprises", file, "--data", k.s.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			k.t.Fatalf("import: %v\n%s", err, out.String())
		}
		return true
	case <-time.After(d):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return false
	}
}

func (k *killLoop) ack(task string, version int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.acked[task] = append(k.acked[task], version)
	k.touched[task] = true
}

func (k *killLoop) ackCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ackCountLocked()
}

// work runs the phones, the publications and (from drawAfter on) the draw
// for d, and returns at once after: the server is then killed under
// whatever is running.
func (k *killLoop) work(d, drawAfter time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for _, p := range k.phones {
		go k.pushes(ctx, p)
	}
	go k.publish(ctx)
	go k.addExperts(ctx)
	go func() {
		select {
		case <-time.After(drawAfter):
			k.draw(ctx)
		case <-ctx.Done():
		}
	}()
	<-ctx.Done()
}

// pushes has the phone change its task's answers, one push after another.
func (k *killLoop) pushes(ctx context.Context, p *killPhone) {
	c := p.c
	if _, err := c.Pull(ctx); err != nil {
		return
	}
	for ctx.Err() == nil {
		// What is still queued (sent before a kill, unanswered) goes first.
		if len(c.Queue.Pending()) == 0 {
			view := c.Task(p.task)
			form, err := c.Form(p.task)
			if view == nil || err != nil {
				return
			}
			p.n++
			var ans fcsync.AnswersPayload
			for _, s := range form.Sections {
				for _, q := range s.Questions {
					v := fmt.Sprint("第", p.n, "次")
					if len(q.Options) > 0 {
						v = q.Options[p.n%len(q.Options)]
					}
					ans.Answers = append(ans.Answers, backend.AnswerInput{Question: s.ItemCode + "/" + q.ID, Value: v, EditedAt: time.Now()})
				}
			}
			m, err := fcsync.NewMutation(fcsync.EntityAnswers, p.task, view.Task.Version, ans)
			if err != nil {
				k.t.Error(err)
				return
			}
			if _, err := c.Enqueue(m); err != nil {
				k.t.Error(err)
				return
			}
		}
		byOp := map[string]string{}
		for _, m := range c.Queue.Pending() {
			byOp[m.OpID] = m.TaskID
		}
		res, err := c.Push(ctx)
		for _, r := range res {
			if r.Status == fcsync.Applied || r.Status == fcsync.Duplicate {
				k.ack(byOp[r.OpID], r.Version)
				k.mu.Lock()
				k.pushed++
				k.mu.Unlock()
			}
		}
		if err != nil {
			return
		}
	}
}

// call sends one back-office request; it returns 0 when the server is gone.
func (k *killLoop) call(ctx context.Context, method, path, token string, body, out any) int {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(ctx, method, "http://"+k.s.addr+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		_ = json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

// login returns the manager's token, logging in the first time (a token
// outlives the kills: its keys are in the store).
func (k *killLoop) login(ctx context.Context) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.token != "" {
		return k.token
	}
	var tok struct{ AccessToken string }
	if st := k.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"username": "scjg.manager", "password": demo.DemoPassword("scjg.manager")}, &tok); st != 200 {
		return ""
	}
	k.token = tok.AccessToken
	return k.token
}

// publish has the manager publish the approved tasks, one by one.
func (k *killLoop) publish(ctx context.Context) {
	token := k.login(ctx)
	if token == "" {
		return
	}
	for _, id := range k.approved {
		var task backend.Task
		if st := k.call(ctx, "GET", "/api/v1/tasks/"+id, token, nil, &task); st != 200 {
			return
		}
		if task.Status != backend.TaskApproved {
			continue
		}
		var got backend.Task
		switch st := k.call(ctx, "POST", "/api/v1/tasks/"+id+"/transitions", token, map[string]any{"to": backend.TaskPublished, "version": task.Version}, &got); st {
		case 200:
			k.ack(id, got.Version)
		case 0:
			return
		default:
			k.t.Errorf("publish %s: status %d", id, st)
			return
		}
	}
}

// addExperts has the manager add experts to the directory, one after
// another, at most 20 a round (so as not to crowd out the publications):
// back-office writes of a kind other than tasks, whose records travel in
// the outbox too.
func (k *killLoop) addExperts(ctx context.Context) {
	token := k.login(ctx)
	if token == "" {
		return
	}
	for range 20 {
		k.mu.Lock()
		k.experts++
		id := fmt.Sprintf("kl-expert-%d", k.experts)
		k.mu.Unlock()
		body := map[string]any{"id": id, "name": "专家" + id, "organisation": "市场监管局", "specialties": []string{"食品"}, "conflicts": []any{}, "active": true}
		switch st := k.call(ctx, "POST", "/api/v1/experts", token, body, nil); st {
		case 201:
			k.mu.Lock()
			k.expertOK = append(k.expertOK, id)
			k.mu.Unlock()
		case 0:
			return
		default:
			k.t.Errorf("add expert %s: status %d", id, st)
			return
		}
	}
}

// draw draws the plan awaiting its draw, until it is drawn.
func (k *killLoop) draw(ctx context.Context) {
	token := k.login(ctx)
	if token == "" {
		return
	}
	st := k.call(ctx, "POST", "/api/v1/plans/"+k.plan+"/draws", token, map[string]string{"value": "3 0 7"}, nil)
	switch st {
	case 0, 200, 201, 409: // gone, drawn, drawn already
	default:
		k.t.Errorf("draw: status %d", st)
	}
	k.mu.Lock()
	k.drawn = st
	k.mu.Unlock()
}

var newRows = regexp.MustCompile(`(\d+) (?:of \d+ )?new`)

// check opens the store as the next process would and checks what the
// test promises.
func (k *killLoop) check(imports []string) {
	t := k.t
	ctx := context.Background()
	m := k.open()
	defer m.Close()

	keys := map[string]int{}
	imported := 0 // new rows the batches' entries count
	drawRuns := 0
	if err := m.Audit.Store.ScanAudit(ctx, func(e *backend.AuditEntry) error {
		if e.Key != "" {
			keys[e.Key]++
		}
		if e.Action == "import.targets" && e.ObjectType == "import" {
			for _, g := range newRows.FindAllStringSubmatch(e.Detail, -1) {
				n, _ := strconv.Atoi(g[1])
				imported += n
			}
		}
		if e.Action == "draw.run" && e.ObjectID == k.plan {
			drawRuns++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for key, n := range keys {
		if n > 1 {
			t.Errorf("audit key %s chained %d times", key, n)
		}
	}
	// Every acknowledged change, and the last version of every task the
	// workload changed, is audited.
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, vs := range k.acked {
		for _, v := range vs {
			if keys[backend.AuditKey("task", id, v)] == 0 {
				t.Errorf("task %s version %d was acknowledged and is not audited", id, v)
			}
		}
	}
	for id := range k.touched {
		task, err := m.Stores.Tasks.FindTaskByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if keys[backend.AuditKey("task", id, task.Version)] == 0 {
			t.Errorf("task %s is stored at version %d, which is not audited", id, task.Version)
		}
	}
	// Every expert the manager was told was added, and every one stored
	// (some answers were cut by a kill), has its record.
	for _, id := range k.expertOK {
		if keys[backend.AuditKey("expert", id, 1)] == 0 {
			t.Errorf("expert %s was acknowledged and is not audited", id)
		}
	}
	stored := 0
	for n := 1; n <= k.experts; n++ {
		id := fmt.Sprintf("kl-expert-%d", n)
		if _, err := m.Stores.Inspectors.FindExpertByID(ctx, id); err != nil {
			continue
		}
		stored++
		if keys[backend.AuditKey("expert", id, 1)] == 0 {
			t.Errorf("expert %s is stored and is not audited", id)
		}
	}
	t.Logf("experts: %d asked, %d acknowledged, %d stored", k.experts, len(k.expertOK), stored)
	// No published task without its public result; the annual cap holds.
	years := map[string]int{}
	seen := map[string]string{}
	published := 0
	for _, x := range allTasks(t, m) {
		if x.Status == backend.TaskPublished {
			published++
			rs, err := m.Stores.Results.PublishedResults(ctx, x.TargetID)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range rs {
				found = found || r.TaskID == x.ID
			}
			if !found {
				t.Errorf("task %s is published without its public result", x.ID)
			}
		}
		if !x.Random || x.Status == backend.TaskCancelled || x.Status == backend.TaskReplaced {
			continue
		}
		year, ok := years[x.PlanID]
		if !ok {
			p, err := m.Stores.Plans.FindPlanByID(ctx, x.PlanID)
			if err != nil {
				t.Fatal(err)
			}
			year, years[x.PlanID] = p.Year, p.Year
		}
		selected, err := m.Stores.Draws.SelectedTargets(ctx, year, x.Items, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !selected[x.TargetID] {
			t.Errorf("task %s of draw %s has no annual selection of its target %s", x.ID, x.DrawID, x.TargetID)
		}
		for _, item := range x.Items {
			key := fmt.Sprint(year, "/", item, "/", x.TargetID)
			if other := seen[key]; other != "" {
				t.Errorf("target %s drawn twice for item %s in %d: tasks %s and %s", x.TargetID, item, year, other, x.ID)
			}
			seen[key] = x.ID
		}
	}
	// Every imported target is audited: the batches' counts of new rows
	// add up, and every update (a renaming import) has its entry.
	stored, updated := 0, 0
	for _, file := range imports {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			id, _, ok := strings.Cut(line, ",")
			if !ok {
				continue
			}
			tg, err := m.Stores.Targets.FindTargetByID(ctx, id)
			if err != nil {
				continue
			}
			stored++
			if tg.Version > 1 {
				updated++
				if keys[backend.AuditKey("target", id, tg.Version)] == 0 {
					t.Errorf("target %s is stored at version %d, which is not audited", id, tg.Version)
				}
			}
		}
	}
	if stored != importRows*len(imports) || imported != stored {
		t.Errorf("%d imported targets stored, %d recorded as new by the batches' entries; want %d each", stored, imported, importRows*len(imports))
	}
	intents, err := m.Intents.Store.FindIntents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(intents) != 0 {
		t.Errorf("intents left: %+v", intents)
	}
	p, err := m.Stores.Plans.FindPlanByID(ctx, k.plan)
	if err != nil {
		t.Fatal(err)
	}
	if p.State == backend.PlanDrawn && drawRuns != 1 {
		t.Errorf("plan %s is drawn with %d draw.run entries, want 1", k.plan, drawRuns)
	}
	t.Logf("checked: %d acknowledged changes of %d tasks, %d published tasks, plan %s %s, %d import files, %d targets updated by imports, %d audit keys", k.ackCountLocked(), len(k.touched), published, k.plan, p.State, len(imports), updated, len(keys))
}

// allTasks reads every stored task.
func allTasks(t *testing.T, m *app.Main) []*backend.Task {
	t.Helper()
	var out []*backend.Task
	if err := m.Stores.Tasks.ScanTasks(context.Background(), backend.TaskFilter{}, func(x *backend.Task) error {
		out = append(out, x)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (k *killLoop) ackCountLocked() int {
	n := 0
	for _, vs := range k.acked {
		n += len(vs)
	}
	return n
}
