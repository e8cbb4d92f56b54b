package planning_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

var (
	leadReviewer  = as("scjg.reviewer", backend.RoleReviewer, "scjg")
	jointReviewer = as("yjgl.reviewer", backend.RoleReviewer, "yjgl")
	otherReviewer = as("wsjk.reviewer", backend.RoleReviewer, "wsjk")
	admin         = as("admin", backend.RoleAdmin)
)

// jointPlan is a plan of market supervision (lead) and emergency
// management: one visit, both departments' items.
func jointPlan() *backend.Plan {
	p := basePlan()
	p.Items, p.Departments = []string{"SCJG-03", "YJGL-01"}, []string{"scjg", "yjgl"}
	return p
}

// mustDraw publishes and draws p as ctx (a manager of its lead department)
// and returns the tasks that have a team.
func mustDraw(t *testing.T, f *fixture, ctx context.Context, p *backend.Plan) []*backend.Task {
	t.Helper()
	res, err := demo.DrawPlan(ctx, f.svc, p, f.now)
	if err != nil {
		t.Fatal(err)
	}
	var out []*backend.Task
	for _, tk := range res.Tasks {
		if !tk.Unassigned {
			out = append(out, tk)
		}
	}
	return out
}

// submitAt makes a task submitted as its team's phone would
// (apptest.MustSubmit).
func submitAt(t *testing.T, f *fixture, id string, at time.Time, evidence ...backend.EvidenceSlot) *backend.Task {
	t.Helper()
	return apptest.MustSubmit(t, f.svc.Tasks, id, at, evidence...)
}

func queueIDs(t *testing.T, page *backend.Page[*planning.ReviewQueueEntry]) []string {
	t.Helper()
	var ids []string
	for _, e := range page.Items {
		ids = append(ids, e.TaskID)
	}
	return ids
}

func TestReviewQueue(t *testing.T) {
	f := newFixture(t, 400)
	joint := mustDraw(t, f, manager, jointPlan())
	yp := basePlan()
	yp.Items, yp.LeadDepartment, yp.Departments = []string{"YJGL-01"}, "yjgl", []string{"yjgl"}
	yjgl := mustDraw(t, f, as("yjgl.manager", backend.RoleManager, "yjgl"), yp)
	if len(joint) < 6 || len(yjgl) < 2 {
		t.Fatalf("drew %d joint and %d yjgl tasks with teams; the test needs 6 and 2", len(joint), len(yjgl))
	}
	// Five joint tasks submitted in the reverse of their id order, the
	// sixth left assigned; two of the emergency management's own plan
	// submitted in between.
	var jointOrder, all []string
	for i := 4; i >= 0; i-- {
		submitAt(t, f, joint[i].ID, today.Add(time.Duration(10*(5-i))*time.Minute))
		jointOrder = append(jointOrder, joint[i].ID)
	}
	submitAt(t, f, yjgl[0].ID, today.Add(5*time.Minute))
	submitAt(t, f, yjgl[1].ID, today.Add(25*time.Minute))
	// The queue is by lead department (scjg leads the joint plan), then
	// oldest submission first.
	all = append(slices.Clone(jointOrder), yjgl[0].ID, yjgl[1].ID)

	// One of them has issues.
	flagged := jointOrder[2]
	cur, _ := f.svc.Tasks.FindTaskByID(context.Background(), flagged)
	if _, err := f.svc.RecordIssues(leadReviewer, flagged, planning.IssuesRequest{Version: cur.Version, Comment: "照片还在上传"}); err != nil {
		t.Fatal(err)
	}
	received := slices.DeleteFunc(slices.Clone(jointOrder), func(id string) bool { return id == flagged })

	tests := []struct {
		name string
		ctx  context.Context
		q    planning.ReviewQuery
		want []string
		code string
	}{
		{"OK/LeadReviewer", leadReviewer, planning.ReviewQuery{}, jointOrder, ""},
		{"OK/JointDepartmentSeesOnlyWhatItLeads", jointReviewer, planning.ReviewQuery{}, []string{yjgl[0].ID, yjgl[1].ID}, ""},
		{"OK/UninvolvedReviewerSeesNothing", otherReviewer, planning.ReviewQuery{}, nil, ""},
		{"OK/ReviewerOfTwoDepartments", as("both", backend.RoleReviewer, "yjgl", "scjg"), planning.ReviewQuery{}, all, ""},
		{"OK/AdminSeesAll", admin, planning.ReviewQuery{}, all, ""},
		{"OK/ReviewerWithoutDepartment", as("nobody", backend.RoleReviewer), planning.ReviewQuery{}, nil, ""},
		{"OK/HasIssues", leadReviewer, planning.ReviewQuery{State: backend.ReviewHasIssues}, []string{flagged}, ""},
		{"OK/Received", leadReviewer, planning.ReviewQuery{State: backend.ReviewReceived}, received, ""},
		{"OK/Plan", admin, planning.ReviewQuery{PlanID: yp.ID}, []string{yjgl[0].ID, yjgl[1].ID}, ""},
		{"ErrState", leadReviewer, planning.ReviewQuery{State: backend.ReviewApproved}, nil, backend.EINVALID},
		{"ErrManager", manager, planning.ReviewQuery{}, nil, backend.EFORBIDDEN},
		{"ErrInspector", as(joint[0].TeamUsers[0], backend.RoleInspector, "scjg"), planning.ReviewQuery{}, nil, backend.EFORBIDDEN},
		{"ErrAnonymous", context.Background(), planning.ReviewQuery{}, nil, backend.EUNAUTHENTICATED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.svc.ReviewQueue(tt.ctx, tt.q, backend.PageRequest{})
			if got := backend.ErrorCode(err); got != tt.code {
				t.Fatalf("ReviewQueue: %v (code %q), want %q", err, got, tt.code)
			}
			if err != nil {
				return
			}
			if got := queueIDs(t, page); !slices.Equal(got, tt.want) || page.NextCursor != "" {
				t.Fatalf("queue=%v (next %q), want %v by lead department, oldest first", got, page.NextCursor, tt.want)
			}
		})
	}

	t.Run("OK/Entry", func(t *testing.T) {
		page, err := f.svc.ReviewQueue(leadReviewer, planning.ReviewQuery{State: backend.ReviewHasIssues}, backend.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		e, tk := page.Items[0], cur
		if e.Version != tk.Version+1 || e.TargetName != tk.TargetName || e.PlanID != tk.PlanID || e.Batch != tk.Batch || e.Due != tk.Due ||
			e.ResultCode != backend.ResultNoProblem || e.ResultLabel != "未发现问题" || !e.SubmittedAt.Equal(tk.Result.EnteredAt) ||
			len(e.Team) != len(tk.Team) || e.Team[0] == tk.Team[0] || e.State != backend.ReviewHasIssues {
			t.Fatalf("entry %+v of task %s", e, tk.ID)
		}
	})

	t.Run("OK/Pages", func(t *testing.T) {
		var got []string
		p := backend.PageRequest{Limit: 2}
		for n := 0; ; n++ {
			page, err := f.svc.ReviewQueue(admin, planning.ReviewQuery{}, p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, queueIDs(t, page)...)
			if n == 0 {
				// A task of the first page leaves the queue: the next page
				// still starts after the cursor, skipping nothing.
				left, _ := f.svc.Tasks.FindTaskByID(context.Background(), all[0])
				if _, err := f.svc.ReturnTask(leadReviewer, left.ID, planning.ReturnRequest{Version: left.Version, Comment: "补充材料"}); err != nil {
					t.Fatal(err)
				}
			}
			if page.NextCursor == "" {
				break
			}
			if len(page.Items) != 2 {
				t.Fatalf("page %d has %d entries and a next cursor", n, len(page.Items))
			}
			p.After = page.NextCursor
		}
		if !slices.Equal(got, all) {
			t.Fatalf("pages=%v, want %v", got, all)
		}
	})

	t.Run("ErrCursor", func(t *testing.T) {
		for _, c := range []string{"x", "12", ":id", "abc:id", "scjg:x:id", ":1:id", "scjg:1:", "scjg::id"} {
			if _, err := f.svc.ReviewQueue(admin, planning.ReviewQuery{}, backend.PageRequest{After: c}); !backend.IsCode(err, backend.EINVALID) {
				t.Fatalf("cursor %q: %v, want invalid", c, err)
			}
		}
	})
}

func TestReviewActions(t *testing.T) {
	f := newFixture(t, 400)
	tasks := mustDraw(t, f, manager, jointPlan())
	ctx := context.Background()
	photo := backend.EvidenceSlot{ID: "p1", Type: backend.EvidencePhoto, SHA256: strings.Repeat("a", 64), Size: 1000, ContentType: "image/jpeg",
		Question: "SCJG-03/licence", CapturedAt: today, Uploaded: true, Received: &backend.EvidenceReceipt{By: "x", At: today, ContentType: "image/jpeg"}}
	doc := backend.EvidenceSlot{ID: "d1", Type: backend.EvidenceDocument, SHA256: strings.Repeat("b", 64), Size: 2000, ContentType: "application/pdf", CapturedAt: today}
	// A task whose target has a registered location, to measure from.
	var tg *backend.Target
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool {
		tg, _ = f.svc.Targets.FindTargetByID(ctx, tk.TargetID)
		return tg != nil && tg.Location != nil
	})
	if i < 0 || len(tasks) < 2 {
		t.Fatalf("no drawn task's target has a location (of %d)", len(tasks))
	}
	task := submitAt(t, f, tasks[i].ID, today, photo, doc)
	never := tasks[(i+1)%len(tasks)]
	for i, id := range task.Team {
		in, _ := f.svc.Inspectors.FindInspectorByID(ctx, id)
		c := &backend.CheckIn{ID: fmt.Sprintf("ci-%d", i), TaskID: task.ID, TargetID: task.TargetID, InspectorID: id, CertNo: in.CertNo, UserID: in.UserID,
			DeviceTime: today.Add(time.Duration(i) * time.Minute), Position: backend.GeoPoint{Lat: 26.2, Lng: 117.6}, Flags: []string{backend.FlagFarAway}}
		if i == 1 { // the second officer's phone had no fix
			c.Position, c.NoPosition, c.Flags = backend.GeoPoint{}, true, []string{backend.FlagNoPosition}
		}
		if err := f.svc.CheckIns.CreateCheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Visibility", func(t *testing.T) {
		team := as(task.TeamUsers[0], backend.RoleInspector, "scjg")
		tests := []struct {
			name      string
			ctx       context.Context
			code      string
			canReview bool
		}{
			{"OK/LeadReviewer", leadReviewer, "", true},
			{"OK/JointReviewerLooks", jointReviewer, "", false},
			{"OK/Admin", admin, "", false},
			{"ErrUninvolvedReviewer", otherReviewer, backend.ENOTFOUND, false},
			{"ErrManager", manager, backend.ENOTFOUND, false},
			{"ErrTeam", team, backend.ENOTFOUND, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				v, err := f.svc.GetReview(tt.ctx, task.ID)
				if got := backend.ErrorCode(err); got != tt.code {
					t.Fatalf("GetReview: %v (code %q), want %q", err, got, tt.code)
				}
				if err == nil && v.CanReview != tt.canReview {
					t.Fatalf("canReview=%v, want %v", v.CanReview, tt.canReview)
				}
			})
		}
		if _, err := f.svc.GetReview(leadReviewer, never.ID); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("review of a task never submitted: %v, want not_found", err)
		}
	})

	t.Run("OK/Detail", func(t *testing.T) {
		v, err := f.svc.GetReview(jointReviewer, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != backend.ReviewReceived || v.Version != task.Version || len(v.Checklist) != 2 || v.EvidenceDeclared != 4 || v.EvidenceArrived != 3 {
			t.Fatalf("review: state %s version %d sections %d evidence %d/%d", v.State, v.Version, len(v.Checklist), v.EvidenceArrived, v.EvidenceDeclared)
		}
		q := v.Checklist[0].Questions[0]
		if q.Key != "SCJG-03/licence" || q.Answer == nil || q.Answer.Value != "是" || !slices.Equal(q.Evidence, []string{"p1"}) {
			t.Fatalf("first question %+v", q)
		}
		base := "/api/v1/tasks/" + task.ID + "/evidence/"
		if e := v.Evidence[0]; e.URL != base+"p1" || e.Thumbnail != base+"p1/thumbnail" || e.Preview != base+"p1/preview" || e.Received == nil || e.SHA256 != photo.SHA256 {
			t.Fatalf("uploaded photo %+v", e)
		}
		if e := v.Evidence[1]; e.URL != base+"d1" || e.Thumbnail != "" || e.Preview != "" || e.Uploaded {
			t.Fatalf("document on its way %+v", e)
		}
		if len(v.CheckIns) != 2 || v.Target.Location == nil || v.CheckIns[0].DistanceM == nil || v.CheckIns[0].Officer == "" || v.CheckIns[0].Officer == task.Team[0] ||
			v.CheckIns[0].Flags[0] != backend.FlagFarAway {
			t.Fatalf("check-ins %+v, target %+v", v.CheckIns, v.Target)
		}
		if c := v.CheckIns[1]; !c.NoPosition || c.DistanceM != nil || !slices.Equal(c.Flags, []string{backend.FlagNoPosition}) {
			t.Fatalf("check-in without a position shown to the reviewer as %+v", c)
		}
		want := backend.Distance(v.CheckIns[0].Position, *tg.Location)
		if d := *v.CheckIns[0].DistanceM; d < want-1 || d > want+1 {
			t.Fatalf("distance %v m, want %v", d, want)
		}
	})

	version := task.Version
	issues := []backend.ReviewIssue{{Question: "YJGL-01/responsibility", Comment: "责任制未公示，需补充照片"}, {Evidence: "d1", Comment: "文件尚未上传"}}
	tests := []struct {
		name string
		ctx  context.Context
		req  planning.IssuesRequest
		code string
	}{
		{"ErrJointReviewer", jointReviewer, planning.IssuesRequest{Version: version, Comment: "x"}, backend.EFORBIDDEN},
		{"ErrStale", leadReviewer, planning.IssuesRequest{Version: version - 1, Comment: "x"}, backend.ECONFLICT},
		{"ErrNoComment", leadReviewer, planning.IssuesRequest{Version: version, Comment: " "}, backend.EINVALID},
		{"ErrLongComment", leadReviewer, planning.IssuesRequest{Version: version, Comment: strings.Repeat("长", 700)}, backend.EINVALID},
		{"ErrUnknownQuestion", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: []backend.ReviewIssue{{Question: "YJGL-01/nope", Comment: "x"}}}, backend.EINVALID},
		{"ErrUnknownSlot", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: []backend.ReviewIssue{{Evidence: "p9", Comment: "x"}}}, backend.EINVALID},
		{"ErrNeither", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: []backend.ReviewIssue{{Comment: "x"}}}, backend.EINVALID},
		{"ErrBoth", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: []backend.ReviewIssue{{Question: "SCJG-03/licence", Evidence: "p1", Comment: "x"}}}, backend.EINVALID},
		{"ErrIssueWithoutComment", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: []backend.ReviewIssue{{Evidence: "p1"}}}, backend.EINVALID},
		{"ErrTooManyIssues", leadReviewer, planning.IssuesRequest{Version: version, Comment: "x", Issues: slices.Repeat(issues[:1], backend.MaxReviewIssues+1)}, backend.EINVALID},
		{"OK", leadReviewer, planning.IssuesRequest{Version: version, Comment: "等待文件上传", Issues: issues}, ""},
	}
	for _, tt := range tests {
		t.Run("Issues/"+tt.name, func(t *testing.T) {
			v, err := f.svc.RecordIssues(tt.ctx, task.ID, tt.req)
			if got := backend.ErrorCode(err); got != tt.code {
				t.Fatalf("RecordIssues: %v (code %q), want %q", err, got, tt.code)
			}
			cur, _ := f.svc.Tasks.FindTaskByID(ctx, task.ID)
			if err != nil && (cur.Version != version || len(cur.Reviews) != 0) {
				t.Fatalf("a refused request changed the task: version %d, %d notes", cur.Version, len(cur.Reviews))
			}
			if err == nil && (v.State != backend.ReviewHasIssues || !slices.Equal(v.Issues, issues) || v.Version != version+1 || len(v.History) != 1) {
				t.Fatalf("after recording issues: %+v", v)
			}
		})
	}
	version++

	// Approval waits for the evidence, whichever way it is asked for.
	if _, err := f.svc.ApproveTask(leadReviewer, task.ID, planning.ApproveRequest{Version: version}); !backend.IsCode(err, backend.EINVALID) || !strings.Contains(backend.ErrorMessage(err), "1 of 4 evidence files have not arrived") {
		t.Fatalf("approve with a file missing: %v", err)
	}
	if _, err := f.svc.Transition(leadReviewer, task.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: version}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("approve by transition with a file missing: %v", err)
	}
	if _, err := f.svc.ApproveTask(jointReviewer, task.ID, planning.ApproveRequest{Version: version}); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("approve by a joint department's reviewer: %v, want forbidden", err)
	}

	// A return needs a comment and takes the recorded issues to the team.
	if _, err := f.svc.ReturnTask(leadReviewer, task.ID, planning.ReturnRequest{Version: version}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("return without a comment: %v, want invalid", err)
	}
	v, err := f.svc.ReturnTask(leadReviewer, task.ID, planning.ReturnRequest{Version: version, Comment: "请补充安全生产责任制照片"})
	if err != nil {
		t.Fatal(err)
	}
	if n := v.History[len(v.History)-1]; v.State != backend.ReviewReturned || v.Status != backend.TaskReturned || v.CanReview ||
		n.Status != backend.TaskReturned || !slices.Equal(n.Issues, issues) || len(v.Issues) != 0 {
		t.Fatalf("returned: state %s status %s, last note %+v, open issues %v", v.State, v.Status, n, v.Issues)
	}

	// Submitted again, it is received again; then the file arrives and it
	// is approved.
	submitAt(t, f, task.ID, today.Add(time.Hour))
	v, err = f.svc.GetReview(leadReviewer, task.ID)
	if err != nil || v.State != backend.ReviewReceived || len(v.Issues) != 0 || !v.CanReview {
		t.Fatalf("resubmitted: %v %+v", err, v)
	}
	if _, err := backend.UpdateTaskWith(ctx, f.svc.Tasks, task.ID, func(tk *backend.Task) (bool, error) {
		slot, _ := tk.FindEvidence("d1")
		slot.Uploaded, slot.Received = true, &backend.EvidenceReceipt{By: tk.TeamUsers[0], At: today, ContentType: "application/pdf"}
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ApproveTask(leadReviewer, task.ID, planning.ApproveRequest{Version: v.Version}); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("approve on the version before the upload: %v, want conflict", err)
	}
	v, err = f.svc.ApproveTask(leadReviewer, task.ID, planning.ApproveRequest{Version: v.Version + 1, Comment: "同意"})
	if err != nil {
		t.Fatal(err)
	}
	if v.State != backend.ReviewApproved || v.Status != backend.TaskApproved || v.EvidenceArrived != 4 || len(v.History) != 3 {
		t.Fatalf("approved: %+v", v)
	}

	// Each step is in the audit log, refusals of a permission included.
	entries, err := f.svc.Audit.Store.FindAuditEntries(ctx, "task", task.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; strings.HasPrefix(e.Action, "task.") {
			got = append(got, e.Action+" "+e.Outcome+" "+e.Actor)
		}
	}
	want := []string{
		"task.has_issues denied yjgl.reviewer",
		"task.has_issues ok scjg.reviewer",
		"task.approved denied yjgl.reviewer",
		"task.returned ok scjg.reviewer",
		"task.approved ok scjg.reviewer",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// BenchmarkReviewQueue: the first page of a reviewer's queue among 10,000
// stored tasks of which 1,000 are submitted (every tenth), on the store in
// use (the embedded FerretDB unless TEST_MONGODB_URI is set).
//
//	go test -run '^$' -bench BenchmarkReviewQueue -benchtime 5x ./backend/planning/
func BenchmarkReviewQueue(b *testing.B) {
	db := mongotest.Open(b)
	seedBench(b, &mongo.TaskStore{DB: db}, 10000)
	svc := &planning.Service{Tasks: &mongo.TaskStore{DB: db}, Inspectors: &mongo.InspectorStore{DB: db}, Now: time.Now}
	b.ResetTimer()
	for range b.N {
		page, err := svc.ReviewQueue(leadReviewer, planning.ReviewQuery{}, backend.PageRequest{})
		if err != nil || len(page.Items) != backend.DefaultPageLimit {
			b.Fatalf("%v: %d entries", err, len(page.Items))
		}
	}
}

func benchID(i int) string { return fmt.Sprintf("task-%05d", i) }

// seedBench stores n tasks of a two-item joint checklist, every tenth
// submitted with its answers, led in turn by scjg and yjgl.
func seedBench(tb testing.TB, store *mongo.TaskStore, n int) {
	tb.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	checklist := &backend.Checklist{}
	for s := range 2 {
		sec := backend.ChecklistSection{ItemCode: fmt.Sprint("ITEM-", s), ItemName: "检查事项", DepartmentID: "scjg", TemplateVersion: 1}
		for q := range 8 {
			sec.Questions = append(sec.Questions, backend.Question{ID: fmt.Sprint("q", q), Text: "是否持有有效食品经营许可证并在经营场所显著位置公示", Type: backend.QYesNo, Required: true})
		}
		checklist.Sections = append(checklist.Sections, sec)
		tpl := &backend.ChecklistTemplate{ID: backend.TemplateID(sec.ItemCode, 1), ItemCode: sec.ItemCode, Version: 1, Questions: sec.Questions, CreatedBy: "bench"}
		if err := (&mongo.ItemStore{DB: store.DB}).CreateTemplate(ctx, tpl); err != nil {
			tb.Fatal(err)
		}
	}
	var batch []*backend.Task
	for i := range n {
		tk := &backend.Task{ID: benchID(i), PlanID: "plan", TargetID: fmt.Sprint("target-", i), TargetName: "三元区测试商贸有限公司",
			Items: []string{"ITEM-0", "ITEM-1"}, Method: backend.MethodOnSite, LeadDepartment: []string{"scjg", "yjgl"}[i%2], Departments: []string{"scjg", "yjgl"},
			Team: []string{"ins-1", "ins-2"}, TeamUsers: []string{"u1", "u2"}, Batch: "第一批", Start: "2026-03-01", End: "2026-06-30", Due: "2026-04-01",
			Checklist: checklist.Refs(), Status: backend.TaskAssigned, Answers: map[string]backend.Answer{}}
		if i%10 == 0 {
			tk.Status = backend.TaskSubmitted
			tk.Result = &backend.Result{Code: backend.ResultNoProblem, Label: backend.ResultNoProblem.Label(), EnteredAt: at.Add(time.Duration(n-i) * time.Second)}
			for _, s := range checklist.Sections {
				for _, q := range s.Questions {
					tk.Answers[backend.AnswerKey(s.ItemCode, q.ID)] = backend.Answer{Value: "是", EditedAt: at}
				}
			}
		}
		if batch = append(batch, tk); len(batch) == 1000 || i == n-1 {
			if err := store.CreateTasks(ctx, batch); err != nil {
				tb.Fatal(err)
			}
			batch = nil
		}
	}
}
