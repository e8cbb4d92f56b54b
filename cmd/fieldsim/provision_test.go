package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestProvision: --provision adds officers with logins through the
// back-office API, linked to their directory entries, and draws them
// tasks with full teams; plan() takes those tasks first and can reach
// every officer holding one.
func TestProvision(t *testing.T) {
	m, url := startServer(t, 1000)
	ctx := context.Background()
	cfg, err := parseFlags([]string{"--url", url, "--provision", "6", "--seed", "9", "--run-id", "ta", "--inspectors", "100"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &sim{cfg: cfg, out: &out, log: &out, metrics: newMetrics(), gate: newGate()}
	s.office = &office{base: url, user: cfg.office, password: "demo-" + cfg.office, hc: http.DefaultClient, observe: s.metrics.observe}
	if err := s.office.login(ctx); err != nil {
		t.Fatal(err)
	}
	before := s.metrics.total()
	if err := s.provision(ctx); err != nil {
		t.Fatalf("provision: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	if n := s.metrics.total() - before; n != 0 {
		t.Fatalf("provisioning counted %d requests of the run", n)
	}
	for _, want := range []string{"provisioned 6 inspectors of scjg", "(6 new, 0 from an earlier run with run id ta)",
		"scjg.fs9-ta-001 … scjg.fs9-ta-006", "FS9-TA-001 … FS9-TA-006", ": 18 tasks (draw "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the report lacks %q", want)
		}
	}

	today := backend.DateOf(time.Now())
	certs := map[string]bool{}
	for n := 1; n <= 6; n++ {
		login := fmt.Sprintf("scjg.fs9-ta-%03d", n)
		u, err := m.Stores.Users.FindUserByID(ctx, login)
		if err != nil || u.Role != backend.RoleInspector || !slices.Equal(u.Departments, []string{"scjg"}) || !backend.CheckPassword(u.PasswordHash, "demo-"+login) {
			t.Fatalf("login %s: %+v, %v", login, u, err)
		}
		in, err := m.Stores.Inspectors.FindInspectorByUserID(ctx, login)
		if err != nil {
			t.Fatalf("inspector of %s: %v", login, err)
		}
		if in.ID != fmt.Sprintf("ins-scjg-fs9-ta-%03d", n) || in.DepartmentID != "scjg" || !in.Active || len(in.Leave) != 0 || len(in.Conflicts) != 0 ||
			!in.CertValidOn(backend.DateOf(time.Now().AddDate(2, 0, 0))) || in.RegionCode == "" || certs[in.CertNo] {
			t.Fatalf("inspector of %s: %+v", login, in)
		}
		certs[in.CertNo] = true
		if !in.CertValidOn(today) {
			t.Fatalf("certificate of %s expired", login)
		}
	}

	// Every task of the draw has a team of two logins: the new officers'
	// links were in place when it was drawn.
	holding := map[string]bool{}
	var drawn []*backend.Task
	err = m.Stores.Tasks.ScanTasks(ctx, backend.TaskFilter{DrawID: s.provisioned.drawID}, func(task *backend.Task) error {
		drawn = append(drawn, task)
		return nil
	})
	if err != nil || len(drawn) != 18 {
		t.Fatalf("%d tasks in draw %s, %v", len(drawn), s.provisioned.drawID, err)
	}
	for _, task := range drawn {
		if len(task.Team) != 2 || len(task.TeamUsers) != 2 || task.Method != backend.MethodOnSite || task.Status != backend.TaskAssigned {
			t.Fatalf("task %s: team %v, logins %v, %s, %s", task.ID, task.Team, task.TeamUsers, task.Method, task.Status)
		}
		for _, u := range task.TeamUsers {
			if strings.HasPrefix(u, "scjg.fs9-ta-") {
				holding[u] = true
			}
		}
	}
	if len(holding) == 0 {
		t.Fatal("no new officer got a task")
	}

	// plan() takes the draw's tasks first and reaches every officer that
	// holds one.
	if err := s.plan(ctx); err != nil {
		t.Fatal(err)
	}
	for i, task := range s.tasks[:len(drawn)] {
		if !strings.HasPrefix(task.id, s.provisioned.drawID+"-") {
			t.Fatalf("task %d of the run is %s, not of the draw %s", i, task.id, s.provisioned.drawID)
		}
	}
	chosen := map[string]bool{}
	for _, task := range s.tasks {
		for _, u := range task.team {
			chosen[u] = true
		}
		if task.code == "" {
			t.Fatalf("task %s has no code", task.id)
		}
	}
	for u := range holding {
		if !chosen[u] {
			t.Fatalf("%s holds a task but the run does not simulate it", u)
		}
	}

	// Runs end to end, twice with one seed and run id: the second finds
	// the officers the first added and draws them more tasks.
	for i, want := range []string{"(4 new, 0 from an earlier run with run id tb)", "(0 new, 4 from an earlier run with run id tb)"} {
		out.Reset()
		err := run(ctx, []string{"--url", url, "--provision", "4", "--seed", "9", "--run-id", "tb", "--inspectors", "8", "--tasks-per-inspector", "1",
			"--state", t.TempDir()}, &out, &out)
		t.Log(out.String())
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		for _, w := range []string{want, ": 12 tasks (draw ", "PASS: "} {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("run %d: the report lacks %q", i+1, w)
			}
		}
	}
}
