package planning_test

import (
	"context"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/audittest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// errKilled stands for the process dying at a write: the write is not made
// and nothing after it runs.
var errKilled = backend.Errorf(backend.EUNAVAILABLE, "killed")

// crashing stores fail at the write named at.
type crashDraws struct {
	backend.DrawStore
	at string
}

func (c *crashDraws) CreateDraw(ctx context.Context, d *backend.Draw) error {
	if c.at == "CreateDraw" {
		return errKilled
	}
	return c.DrawStore.CreateDraw(ctx, d)
}

func (c *crashDraws) SaveDrawRecord(ctx context.Context, id string, data []byte) error {
	if c.at == "SaveDrawRecord" {
		return errKilled
	}
	return c.DrawStore.SaveDrawRecord(ctx, id, data)
}

func (c *crashDraws) AddSelections(ctx context.Context, sel []*backend.Selection) error {
	if c.at == "AddSelections" {
		return errKilled
	}
	return c.DrawStore.AddSelections(ctx, sel)
}

type crashTasks struct {
	backend.TaskStore
	at string
}

func (c *crashTasks) CreateTasks(ctx context.Context, ts []*backend.Task) error {
	if c.at == "CreateTasks" {
		// Half of them are in when it dies.
		if err := c.TaskStore.CreateTasks(ctx, ts[:len(ts)/2]); err != nil {
			return err
		}
		return errKilled
	}
	return c.TaskStore.CreateTasks(ctx, ts)
}

func (c *crashTasks) UpdateTask(ctx context.Context, t *backend.Task) error {
	if c.at == "UpdateTask" {
		return errKilled
	}
	return c.TaskStore.UpdateTask(ctx, t)
}

type crashPlans struct {
	backend.PlanStore
	at string
}

func (c *crashPlans) UpdatePlan(ctx context.Context, p *backend.Plan) error {
	if c.at == "UpdatePlan" {
		return errKilled
	}
	return c.PlanStore.UpdatePlan(ctx, p)
}

type crashResults struct {
	backend.PublishedResultStore
	at string
}

func (c *crashResults) AddPublishedResult(ctx context.Context, target string, r backend.PublishedResult) error {
	if c.at == "AddPublishedResult" {
		return errKilled
	}
	return c.PublishedResultStore.AddPublishedResult(ctx, target, r)
}

// withIntents gives f's service intents and published results, and returns
// a copy of it whose stores die at the write named at.
func withIntents(f *fixture, at string) (restarted, crashing *planning.Service) {
	svc := *f.svc
	svc.Results = &mongo.PublishedResultStore{DB: f.db}
	svc.Intents = &backend.Intents{Store: &mongo.IntentStore{DB: f.db}, Audit: svc.Audit, Now: svc.Now}
	svc.RegisterIntents()
	c := svc
	c.Draws = &crashDraws{DrawStore: svc.Draws, at: at}
	c.Tasks = &crashTasks{TaskStore: svc.Tasks, at: at}
	c.Plans = &crashPlans{PlanStore: svc.Plans, at: at}
	c.Results = &crashResults{PublishedResultStore: svc.Results, at: at}
	return &svc, &c
}

// auditActions counts the entries of each action, checking the chain.
func auditActions(t *testing.T, l *backend.AuditLog) map[string]int {
	return audittest.Count(t, l, audittest.ByAction)
}

// TestDrawSurvivesACrash: a draw that dies at any of its writes is, after
// the roll-forward, either complete (its tasks, every selected target's
// annual selections, the plan drawn, one draw.run entry) or, when it died
// before its record was stored, gone, so that the version can be drawn.
func TestDrawSurvivesACrash(t *testing.T) {
	tests := []struct {
		at       string
		complete bool // the roll-forward completes it (else: nothing stays)
	}{
		{"CreateDraw", false},
		{"SaveDrawRecord", false},
		{"AddSelections", true},
		{"CreateTasks", true},
		{"UpdatePlan", true},
	}
	for _, tt := range tests {
		t.Run("OK/KilledAt"+tt.at, func(t *testing.T) {
			f := newFixture(t, 300)
			p := mustPublish(t, f, basePlan())
			svc, crashing := withIntents(f, tt.at)
			if _, err := crashing.Draw(manager, p.ID, planning.DrawRequest{Value: testValue}); err != errKilled {
				t.Fatalf("draw: %v, want it killed", err)
			}
			// The next process.
			if n, err := svc.Intents.RollForward(context.Background(), 0); err != nil || n != 1 {
				t.Fatalf("roll forward: %d, %v; want 1", n, err)
			}
			ctx := context.Background()
			draws := &mongo.DrawStore{DB: f.db}
			id := p.ID + "-v1-d1"
			if !tt.complete {
				if _, err := draws.FindDrawByID(ctx, id); !backend.IsCode(err, backend.ENOTFOUND) {
					t.Fatalf("draw stored after a crash before its record: %v", err)
				}
				// The version can be drawn, by the same service.
				res, err := svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
				if err != nil {
					t.Fatalf("draw again: %v", err)
				}
				if n := auditActions(t, svc.Audit)["draw.run"]; n != 1 || len(res.Tasks) == 0 {
					t.Fatalf("draw.run entries %d, tasks %d", n, len(res.Tasks))
				}
				return
			}
			d, err := draws.FindDrawByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tasks, err := (&mongo.TaskStore{DB: f.db}).FindTasks(ctx, backend.TaskFilter{DrawID: id}, backend.PageRequest{Limit: backend.MaxPageLimit})
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks.Items) != d.Selected {
				t.Fatalf("%d tasks, want %d (one per selected target)", len(tasks.Items), d.Selected)
			}
			selected, err := draws.SelectedTargets(ctx, p.Year, p.Items, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range tasks.Items {
				if !selected[tk.TargetID] {
					t.Fatalf("task %s's target %s has no annual selection: the cap does not hold", tk.ID, tk.TargetID)
				}
			}
			plan, err := svc.Plans.FindPlanByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if plan.State != backend.PlanDrawn || len(plan.Draws) != 1 {
				t.Fatalf("plan %s with draws %v, want drawn with %s", plan.State, plan.Draws, id)
			}
			got := auditActions(t, svc.Audit)
			if got["draw.run"] != 1 || got["intent.draw"] != 1 {
				t.Fatalf("entries %v, want one draw.run and one intent.draw", got)
			}
			if n, err := svc.Intents.RollForward(ctx, 0); err != nil || n != 0 {
				t.Fatalf("second roll forward: %d, %v; want nothing left", n, err)
			}
		})
	}
}

// TestPublicationSurvivesACrash: a publication killed between the task
// write and its public result is completed by the roll-forward: no
// published task is ever without its published result.
func TestPublicationSurvivesACrash(t *testing.T) {
	f := newFixture(t, 300)
	p := mustPublish(t, f, basePlan())
	svc, crashing := withIntents(f, "AddPublishedResult")
	res, err := svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tasks := &mongo.TaskStore{DB: f.db}
	task, err := tasks.FindTaskByID(ctx, res.Tasks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// Approved by the reviewers (the steps before are tested elsewhere).
	task.Status, task.Result = backend.TaskApproved, &backend.Result{Code: "R01", Label: "未发现问题"}
	if err := tasks.UpdateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if _, err := crashing.Transition(manager, task.ID, planning.TransitionRequest{To: backend.TaskPublished, Version: task.Version}); err != errKilled {
		t.Fatalf("publish: %v, want it killed", err)
	}
	results := &mongo.PublishedResultStore{DB: f.db}
	if got, _ := results.PublishedResults(ctx, task.TargetID); len(got) != 0 {
		t.Fatalf("results before the roll-forward: %v", got)
	}
	if n, err := svc.Intents.RollForward(ctx, 0); err != nil || n != 1 {
		t.Fatalf("roll forward: %d, %v; want 1", n, err)
	}
	got, err := results.PublishedResults(ctx, task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TaskID != task.ID {
		t.Fatalf("published results %+v, want the task's", got)
	}
	if n := auditActions(t, svc.Audit)["task.published"]; n != 1 {
		t.Fatalf("%d task.published entries, want 1", n)
	}
}

// TestReplacementSurvivesACrash: a replacement killed at any of its writes
// is completed by the roll-forward: the record replaces the target (and
// matches the draw's digest), the replacement has its task and its annual
// selection, the old task is replaced, and task.replace is recorded once.
func TestReplacementSurvivesACrash(t *testing.T) {
	for _, at := range []string{"SaveDrawRecord", "AddSelections", "CreateTasks", "UpdateTask"} {
		t.Run("OK/KilledAt"+at, func(t *testing.T) {
			f := newFixture(t, 300)
			p := mustPublish(t, f, basePlan())
			svc, crashing := withIntents(f, at)
			res, err := svc.Draw(manager, p.ID, planning.DrawRequest{Value: testValue})
			if err != nil {
				t.Fatal(err)
			}
			old := res.Tasks[0]
			if _, err := crashing.Replace(manager, old.ID, planning.ReplaceRequest{Reason: "已注销，无法检查", Version: old.Version}); err != errKilled {
				t.Fatalf("replace: %v, want it killed", err)
			}
			ctx := context.Background()
			if n, err := svc.Intents.RollForward(ctx, 0); err != nil || n != 1 {
				t.Fatalf("roll forward: %d, %v; want 1", n, err)
			}
			tasks := &mongo.TaskStore{DB: f.db}
			got, err := tasks.FindTaskByID(ctx, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != backend.TaskReplaced || got.ReplacedBy == "" {
				t.Fatalf("old task %s, replaced by %q; want replaced", got.Status, got.ReplacedBy)
			}
			nt, err := tasks.FindTaskByID(ctx, got.ReplacedBy)
			if err != nil {
				t.Fatalf("the replacement's task: %v", err)
			}
			selected, err := svc.Draws.SelectedTargets(ctx, p.Year, p.Items, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !selected[nt.TargetID] {
				t.Fatalf("replacement %s has no annual selection", nt.TargetID)
			}
			// The public record verifies against the draw's digest.
			if _, err := svc.Replace(manager, nt.ID, planning.ReplaceRequest{Reason: "再次替换以验证记录", Version: nt.Version}); err != nil {
				t.Fatalf("the record after the roll-forward does not verify: %v", err)
			}
			if n := auditActions(t, svc.Audit)["task.replace"]; n != 2 {
				t.Fatalf("%d task.replace entries, want 2 (the rolled-forward one and the check's)", n)
			}
		})
	}
}

func (c *crashResults) PutPublishedResult(ctx context.Context, target string, r backend.PublishedResult) error {
	if c.at == "PutPublishedResult" {
		return errKilled
	}
	return c.PublishedResultStore.PutPublishedResult(ctx, target, r)
}
