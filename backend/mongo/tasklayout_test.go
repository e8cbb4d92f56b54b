package mongo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// counting opens db's database again through a client that counts its
// commands, on the same code path as db.
func counting(t *testing.T, db *mongo.DB) (*mongo.DB, *mongo.Commands) {
	t.Helper()
	c, n, err := mongo.OpenCounting(context.Background(), mongotest.URI(t), db.Database.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if !db.IsFerretDB() {
		mongo.UseMongoDBPath(c)
	}
	c.SingleProcess, c.Now = db.SingleProcess, db.Now
	return c, n
}

func rawDoc(t *testing.T, db *mongo.DB, collection, id string) bson.M {
	t.Helper()
	var m bson.M
	if err := db.Database.Collection(collection).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
		t.Fatalf("%s %s: %v", collection, id, err)
	}
	return m
}

// TestTaskWriteLeavesTheTaskAlone: a task write writes the task document
// once; the feed's mark is its key's, cleared once the feed entries are
// written, without rewriting the task. Task and key carry the schema.
func TestTaskWriteLeavesTheTaskAlone(t *testing.T) {
	onBothPaths(t, func(t *testing.T, base *mongo.DB) {
		ctx := context.Background()
		db, n := counting(t, base)
		s := &mongo.TaskStore{DB: db}
		tk := &backend.Task{ID: "t-1", TargetID: "tg", LeadDepartment: "scjg", Departments: []string{"scjg"}, Status: backend.TaskAssigned,
			TeamUsers: []string{"ana", "bo"}, Items: []string{}}
		if err := s.CreateTasks(ctx, []*backend.Task{tk}); err != nil {
			t.Fatal(err)
		}
		n.Reset()
		tk.Status = backend.TaskAccepted
		if err := s.UpdateTask(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if got := n.Writes("tasks"); got != 1 {
			t.Fatalf("an update wrote the task document %d times, want once", got)
		}
		doc, key := rawDoc(t, db, "tasks", "t-1"), rawDoc(t, db, "task_keys", "t-1")
		if _, ok := doc["feedPending"]; ok {
			t.Fatalf("the task document carries a feed mark: %v", doc)
		}
		if _, marked := key["pending"]; marked || key["status"] != "accepted" {
			t.Fatalf("key after the write: %v, want accepted and no mark", key)
		}
		if doc["schema"] != int32(backend.TaskSchema) || key["schema"] != int32(backend.TaskSchema) {
			t.Fatalf("schema: task %v, key %v; want %d", doc["schema"], key["schema"], backend.TaskSchema)
		}
		es, _, err := (&mongo.FeedStore{DB: db}).ReadFeed(ctx, "bo", 0, 10)
		if err != nil || len(es) != 2 {
			t.Fatalf("bo's feed: %v, %v; want the creation and the update", es, err)
		}
	})
}

// TestTaskIndexStartsFromKeys: the embedded store's index of a new process
// is built from the tasks' keys; only a task whose key is still marked
// (its write may not have been the last) is read, and the answers are
// those of the process that wrote.
func TestTaskIndexStartsFromKeys(t *testing.T) {
	base := mongotest.Open(t)
	if !base.IsFerretDB() {
		t.Skip("the in-memory index is the embedded store's")
	}
	ctx := context.Background()
	s := &mongo.TaskStore{DB: base}
	var ts []*backend.Task
	for i := range 20 {
		ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: fmt.Sprint("tg", i%4), LeadDepartment: "scjg", Departments: []string{"scjg"},
			Status: backend.TaskAssigned, TeamUsers: []string{fmt.Sprint("u", i%3)}, Items: []string{}})
	}
	if err := s.CreateTasks(ctx, ts); err != nil {
		t.Fatal(err)
	}
	ts[4].Status = backend.TaskAccepted
	if err := s.UpdateTask(ctx, ts[4]); err != nil {
		t.Fatal(err)
	}
	// A write that stopped after marking t-07's key, before its task.
	if _, err := base.Database.Collection("task_keys").UpdateOne(ctx, bson.D{{Key: "_id", Value: "t-07"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: "stopped"}, {Key: "pendingAt", Value: time.Now()}, {Key: "status", Value: "cancelled"}, {Key: "version", Value: 2}}}}); err != nil {
		t.Fatal(err)
	}
	// Through queries, and through the fast read of the embedded files.
	fresh, n := counting(t, base)
	if err := fresh.WarmTaskIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got, keys := n.Docs("tasks"), n.Docs("task_keys"); got != 1 || keys != len(ts) {
		t.Fatalf("the start-up read %d tasks and %d keys, want only the task whose key is marked and every key", got, keys)
	}
	fast, n2 := counting(t, base)
	fast.ScanJSON = base.ScanJSON
	if err := fast.WarmTaskIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got, keys := n2.Docs("tasks"), n2.Docs("task_keys"); base.ScanJSON == nil || got != 1 || keys != 0 {
		t.Fatalf("the fast start-up read %d tasks and %d keys through queries, want only the task whose key is marked", got, keys)
	}
	ids := func(s *mongo.TaskStore, f backend.TaskFilter) []string {
		var out []string
		if err := s.ScanTasks(ctx, f, func(t *backend.Task) error { out = append(out, t.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, f := range []backend.TaskFilter{{TeamUser: "u1"}, {TargetID: "tg3"}, {Statuses: []backend.TaskStatus{backend.TaskAccepted}},
		{Statuses: []backend.TaskStatus{backend.TaskAssigned}}, {Statuses: []backend.TaskStatus{backend.TaskCancelled}}} {
		want := ids(s, f)
		if got := ids(&mongo.TaskStore{DB: fresh}, f); !slices.Equal(got, want) {
			t.Fatalf("%+v: %v after a restart, %v before", f, got, want)
		}
		if got := ids(&mongo.TaskStore{DB: fast}, f); !slices.Equal(got, want) {
			t.Fatalf("%+v: %v after a fast restart, %v before", f, got, want)
		}
	}
}

// TestReviewQueueKeyset: the queue comes in pages by (lead department,
// submission time, id) from any position, on both paths; a resubmission
// moves a task to its new time, a task leaving the queue leaves it, and a
// refused write moves nothing.
func TestReviewQueueKeyset(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
		var ts []*backend.Task
		for i := range 12 {
			tk := &backend.Task{ID: fmt.Sprintf("t-%02d", i), PlanID: fmt.Sprint("plan-", i%2), TargetID: "tg", TargetName: "对象",
				LeadDepartment: []string{"yjgl", "scjg", "wsjk"}[i%3], Departments: []string{"scjg"}, Status: backend.TaskSubmitted,
				Team: []string{"ins-1", "ins-2"}, TeamUsers: []string{"u"}, Items: []string{},
				Result: &backend.Result{Code: backend.ResultNoProblem, Label: "未发现问题", EnteredAt: at.Add(time.Duration(12-i) * time.Minute)}}
			if i == 11 {
				tk.Status, tk.Result = backend.TaskAccepted, nil // not submitted
			}
			if i == 5 {
				tk.Reviews = []backend.ReviewNote{{Status: backend.NoteHasIssues, Comment: "照片", Reviewer: "r", At: at}}
			}
			switch i {
			case 3, 7: // joint visits reviewed per part: a part led by zjj
				tk.Departments = []string{tk.LeadDepartment, "zjj"}
				tk.Parts = []backend.TaskPart{{PlanID: "p-a", LeadDepartment: tk.LeadDepartment, Departments: []string{tk.LeadDepartment}, Items: []string{}},
					{PlanID: "p-zjj", LeadDepartment: "zjj", Departments: []string{"zjj"}, Items: []string{}}}
			case 8: // zjj takes part in a plan that wsjk leads: one department reviews it
				tk.Departments = []string{tk.LeadDepartment, "zjj"}
				tk.Parts = []backend.TaskPart{{PlanID: "p-j", LeadDepartment: tk.LeadDepartment, Departments: tk.Departments, Items: []string{}}}
			}
			ts = append(ts, tk)
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			t.Fatal(err)
		}
		want := func(keep func(*backend.Task) bool) []string {
			var qs []*backend.QueuedTask
			for _, tk := range ts {
				if tk.Status == backend.TaskSubmitted && keep(tk) {
					qs = append(qs, tk.Queued())
				}
			}
			slices.SortFunc(qs, func(a, b *backend.QueuedTask) int { return a.Position().Compare(b.Position()) })
			var out []string
			for _, q := range qs {
				out = append(out, q.ID)
			}
			return out
		}
		pages := func(f backend.QueueFilter, limit int) []string {
			t.Helper()
			var out []string
			var after *backend.QueuePosition
			for range 50 {
				page, err := s.FindQueue(ctx, f, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range page {
					out = append(out, q.ID)
				}
				if len(page) < limit {
					return out
				}
				p := page[len(page)-1].Position()
				after = &p
			}
			t.Fatal("the queue never ended")
			return nil
		}
		all := func(*backend.Task) bool { return true }
		tests := []struct {
			name string
			f    backend.QueueFilter
			want []string
		}{
			{"All", backend.QueueFilter{}, want(all)},
			{"TwoLeads", backend.QueueFilter{LeadDepartments: []string{"wsjk", "yjgl"}}, want(func(tk *backend.Task) bool { return tk.LeadDepartment != "scjg" })},
			{"HasIssues", backend.QueueFilter{State: backend.ReviewHasIssues}, []string{"t-05"}},
			{"Received", backend.QueueFilter{State: backend.ReviewReceived}, want(func(tk *backend.Task) bool { return tk.ID != "t-05" })},
			{"Plan", backend.QueueFilter{PlanID: "plan-1"}, want(func(tk *backend.Task) bool { return tk.PlanID == "plan-1" })},
			{"PartsLedByADepartment", backend.QueueFilter{LeadDepartments: []string{"zjj"}, PartDepartments: []string{"zjj"}}, want(func(tk *backend.Task) bool { return tk.ID == "t-03" || tk.ID == "t-07" })},
			{"LeadOrPart", backend.QueueFilter{LeadDepartments: []string{"scjg", "zjj"}, PartDepartments: []string{"scjg", "zjj"}},
				want(func(tk *backend.Task) bool { return tk.LeadDepartment == "scjg" || tk.ID == "t-03" || tk.ID == "t-07" })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, limit := range []int{1, 2, 5, 50} {
					if got := pages(tt.f, limit); !slices.Equal(got, tt.want) {
						t.Fatalf("pages of %d: %v, want %v", limit, got, tt.want)
					}
				}
			})
		}
		if got := pages(backend.QueueFilter{}, 50); got[0] != "t-10" || got[len(got)-1] != "t-00" {
			t.Fatalf("queue %v: want scjg's oldest first and yjgl's newest last", got)
		}
		// t-10 (scjg's oldest) is returned and submitted again later: it
		// goes to the end of scjg's part; t-04 is approved: it leaves.
		t10, _ := s.FindTaskByID(ctx, "t-10")
		stale := *t10
		t10.Status = backend.TaskReturned
		if err := s.UpdateTask(ctx, t10); err != nil {
			t.Fatal(err)
		}
		t10.Status, t10.Result.EnteredAt = backend.TaskSubmitted, at.Add(time.Hour)
		if err := s.UpdateTask(ctx, t10); err != nil {
			t.Fatal(err)
		}
		t04, _ := s.FindTaskByID(ctx, "t-04")
		t04.Status = backend.TaskApproved
		if err := s.UpdateTask(ctx, t04); err != nil {
			t.Fatal(err)
		}
		stale.Status = backend.TaskApproved // on an old version: refused
		if err := s.UpdateTask(ctx, &stale); !backend.IsCode(err, backend.ECONFLICT) {
			t.Fatalf("stale write: %v, want conflict", err)
		}
		if got, want := pages(backend.QueueFilter{LeadDepartments: []string{"scjg"}}, 2), []string{"t-07", "t-01", "t-10"}; !slices.Equal(got, want) {
			t.Fatalf("scjg's queue after the changes: %v, want %v", got, want)
		}
	})
}

// TestOpsLeaveTheTask: a task document keeps the records of its last
// MaxRecentOps operations, whole versions at a time; the older ones are
// found beside it, and FindTaskOp looks there only for an operation made
// on a version below the document's floor.
func TestOpsLeaveTheTask(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		tk := &backend.Task{ID: "t-ops", TargetID: "tg", Status: backend.TaskAccepted, TeamUsers: []string{"u"}, Items: []string{}, Departments: []string{}}
		if err := s.CreateTasks(ctx, []*backend.Task{tk}); err != nil {
			t.Fatal(err)
		}
		const writes = backend.MaxRecentOps + 9
		for i := range writes {
			cur, err := s.FindTaskByID(ctx, "t-ops")
			if err != nil {
				t.Fatal(err)
			}
			n := 1
			if i == writes-1 {
				n = 3 // a batch of three in one write
			}
			for j := range n {
				if err := cur.AddOp(fmt.Sprintf("u/phone/op-%d-%d", i, j), "h"); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.UpdateTask(ctx, cur); err != nil {
				t.Fatal(err)
			}
		}
		cur, _ := s.FindTaskByID(ctx, "t-ops")
		if len(cur.Ops) > backend.MaxRecentOps || len(cur.Ops) < backend.MaxRecentOps-2 || cur.OpCount != writes+2 {
			t.Fatalf("the document holds %d records (count %d), want at most %d of %d", len(cur.Ops), cur.OpCount, backend.MaxRecentOps, writes+2)
		}
		if cur.Ops[0].Version != cur.OpsFloor+1 {
			t.Fatalf("oldest record in the document is of version %d, floor %d", cur.Ops[0].Version, cur.OpsFloor)
		}
		first := "u/phone/op-0-0"
		if _, ok := cur.FindOp(first); ok {
			t.Fatal("the first operation is still in the document")
		}
		rec, err := s.FindOp(ctx, first)
		if err != nil || rec.Version != 2 || rec.TaskID != "t-ops" {
			t.Fatalf("the first operation beside the task: %+v, %v; want version 2", rec, err)
		}
		for _, tt := range []struct {
			name string
			key  string
			base int64
			want bool
		}{
			{"OldOpFromItsBase", first, 1, true},
			{"RecentOp", "u/phone/op-24-2", cur.Version - 1, true},
			{"NewOpOnARecentBase", "u/phone/new", cur.OpsFloor, false},
			{"NewOpOnAnOldBase", "u/phone/new", 1, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, ok, err := backend.FindTaskOp(ctx, s, cur, tt.key, tt.base)
				if err != nil || ok != tt.want {
					t.Fatalf("FindTaskOp=%v, %v; want %v", ok, err, tt.want)
				}
			})
		}
		if rawDoc(t, db, "task_ops", first)["schema"] != int32(backend.TaskSchema) {
			t.Fatal("a record beside its task carries no schema")
		}
	})
}

// TestReadsAreCopies: the embedded store keeps tasks and inspectors it
// read or wrote, and hands out copies: changing what a read returned
// changes nothing stored or read later, every read after a write returns
// what was written, and a refused write leaves the last one.
func TestReadsAreCopies(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.TaskStore{DB: db}
		tk := &backend.Task{ID: "t-c", TargetID: "tg", Status: backend.TaskAccepted, TeamUsers: []string{"u"}, Items: []string{}, Departments: []string{},
			Answers: map[string]backend.Answer{"A/q": {Value: "是"}}, CheckIns: []backend.CheckInSummary{{ID: "c1", Flags: []string{"far"}}}}
		if err := s.CreateTasks(ctx, []*backend.Task{tk}); err != nil {
			t.Fatal(err)
		}
		a, _ := s.FindTaskByID(ctx, "t-c")
		a.Answers["A/q"] = backend.Answer{Value: "否"}
		a.CheckIns[0].Flags[0] = "changed"
		a.TeamUsers[0] = "someone"
		b, _ := s.FindTaskByID(ctx, "t-c")
		if b.Answers["A/q"].Value != "是" || b.CheckIns[0].Flags[0] != "far" || b.TeamUsers[0] != "u" {
			t.Fatalf("a change to one read shows in the next: %+v", b)
		}
		stale := b.Clone()
		b.Status = backend.TaskCheckedIn
		if err := s.UpdateTask(ctx, b); err != nil {
			t.Fatal(err)
		}
		stale.Status = backend.TaskCancelled
		if err := s.UpdateTask(ctx, stale); !backend.IsCode(err, backend.ECONFLICT) {
			t.Fatalf("stale write: %v, want conflict", err)
		}
		if c, _ := s.FindTaskByID(ctx, "t-c"); c.Status != backend.TaskCheckedIn || c.Version != 2 {
			t.Fatalf("after a write and a refused one: %s version %d, want checked_in version 2", c.Status, c.Version)
		}

		ins := &mongo.InspectorStore{DB: db}
		in := &backend.Inspector{ID: "ins-c", Name: "林", DepartmentID: "scjg", CertNo: "CERT-C", Specialties: []string{"食品安全"}, Conflicts: []backend.Conflict{}, Leave: []backend.Period{}, Active: true}
		if err := ins.CreateInspector(ctx, in); err != nil {
			t.Fatal(err)
		}
		r1, _ := ins.FindInspectorByID(ctx, "ins-c")
		r1.Specialties[0] = "changed"
		r1.Name = "陈"
		if err := ins.UpdateInspector(ctx, r1); err != nil {
			t.Fatal(err)
		}
		r1.Specialties[0] = "after the write"
		if r2, _ := ins.FindInspectorByID(ctx, "ins-c"); r2.Name != "陈" || r2.Specialties[0] != "changed" || r2.Version != 2 {
			t.Fatalf("inspector after an update: %+v", r2)
		}
	})
}

// TestTaskCacheBounded: the embedded store keeps at most its bound of
// tasks decoded, and reads beyond it still answer right.
func TestTaskCacheBounded(t *testing.T) {
	db := mongotest.Open(t)
	if !db.IsFerretDB() {
		t.Skip("the task cache is the embedded store's")
	}
	ctx := context.Background()
	const bound = 10
	mongo.LimitTaskCache(db, bound)
	s := &mongo.TaskStore{DB: db}
	var ts []*backend.Task
	for i := range 3 * bound {
		ts = append(ts, &backend.Task{ID: fmt.Sprintf("t-%02d", i), TargetID: fmt.Sprint("tg", i), Status: backend.TaskAssigned, TeamUsers: []string{"u"}, Items: []string{}, Departments: []string{}})
	}
	if err := s.CreateTasks(ctx, ts); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, tk := range ts {
			got, err := s.FindTaskByID(ctx, tk.ID)
			if err != nil || got.TargetID != tk.TargetID {
				t.Fatalf("%s: %+v, %v", tk.ID, got, err)
			}
			if n := mongo.CachedTasks(db); n > bound {
				t.Fatalf("%d tasks cached, the bound is %d", n, bound)
			}
		}
	}
}
