package backend_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestTaskViewFor reads a round's joint visit as each kind of reader.
func TestTaskViewFor(t *testing.T) {
	joint := func(status backend.TaskStatus) *backend.Task {
		return &backend.Task{
			ID: "v", Status: status, LeadDepartment: "scjg", Departments: []string{"scjg", "wsjk", "yjgl"},
			Items: []string{"SCJG-04", "WSJK-01", "YJGL-05"}, TeamUsers: []string{"ins-1"},
			Parts: []backend.TaskPart{
				{PlanID: "p-scjg", LeadDepartment: "scjg", Departments: []string{"scjg"}, Items: []string{"SCJG-04"}},
				{PlanID: "p-wsjk", LeadDepartment: "wsjk", Departments: []string{"wsjk"}, Items: []string{"WSJK-01"}},
				{PlanID: "p-yjgl", LeadDepartment: "yjgl", Departments: []string{"yjgl"}, Items: []string{"YJGL-05"}},
			},
			Checklist: []backend.ChecklistRef{{Item: "SCJG-04", Version: 1}, {Item: "WSJK-01", Version: 1}, {Item: "YJGL-05", Version: 1}},
			Answers:   map[string]backend.Answer{"SCJG-04/a": {Value: "是"}, "WSJK-01/a": {Value: "否"}, "YJGL-05/a": {Value: "是"}},
			Evidence:  []backend.EvidenceSlot{{ID: "sig"}, {ID: "w", Question: "WSJK-01/a"}, {ID: "y", Question: "YJGL-05/a"}},
			Result:    &backend.Result{Code: backend.ResultCorrected, Findings: "消防通道堵塞", FollowUp: "责令改正"},
			Reviews:   []backend.ReviewNote{{Issues: []backend.ReviewIssue{{Question: "YJGL-05/a", Comment: "x"}, {Evidence: "w", Comment: "y"}, {Comment: "z"}}}},
		}
	}
	staff := func(role backend.Role, dept string) *backend.Actor {
		return &backend.Actor{UserID: dept + "." + string(role), Role: role, Departments: []string{dept}}
	}
	tests := []struct {
		name      string
		status    backend.TaskStatus
		actor     *backend.Actor
		items     []string
		evidence  []string
		findings  string
		issues    int
		sameValue bool // the task itself is returned
	}{
		// Several departments lead parts: each reviews its own, and the lead reads only its own too.
		// (It keeps the visit's findings: its entry and re-check are the visit's.)
		{"LeadReadsItsPart", backend.TaskSubmitted, staff(backend.RoleReviewer, "scjg"), []string{"SCJG-04"}, []string{"sig"}, "消防通道堵塞", 1, false},
		{"AdminReadsWhole", backend.TaskSubmitted, &backend.Actor{UserID: "admin", Role: backend.RoleAdmin}, []string{"SCJG-04", "WSJK-01", "YJGL-05"}, []string{"sig", "w", "y"}, "消防通道堵塞", 3, true},
		{"TeamReadsWhole", backend.TaskSubmitted, &backend.Actor{UserID: "ins-1", Role: backend.RoleInspector, Departments: []string{"wsjk"}}, []string{"SCJG-04", "WSJK-01", "YJGL-05"}, []string{"sig", "w", "y"}, "消防通道堵塞", 3, true},
		{"OtherDepartmentReadsItsPart", backend.TaskSubmitted, staff(backend.RoleReviewer, "wsjk"), []string{"WSJK-01"}, []string{"sig", "w"}, "", 2, false},
		{"OtherManagerReadsItsPart", backend.TaskApproved, staff(backend.RoleManager, "yjgl"), []string{"YJGL-05"}, []string{"sig", "y"}, "", 2, false},
		{"PublishedIsWhole", backend.TaskPublished, staff(backend.RoleReviewer, "wsjk"), []string{"SCJG-04", "WSJK-01", "YJGL-05"}, []string{"sig", "w", "y"}, "消防通道堵塞", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := joint(tt.status)
			v := tk.ViewFor(tt.actor)
			if (v == tk) != tt.sameValue {
				t.Fatalf("same task returned: %v, want %v", v == tk, tt.sameValue)
			}
			var ev, refs []string
			for _, e := range v.Evidence {
				ev = append(ev, e.ID)
			}
			for _, r := range v.Checklist {
				refs = append(refs, r.Item)
			}
			if !slices.Equal(v.Items, tt.items) || !slices.Equal(refs, tt.items) || !slices.Equal(ev, tt.evidence) || len(v.Answers) != len(tt.items) ||
				v.Result.Findings != tt.findings || v.Result.Code != backend.ResultCorrected || len(v.Reviews[0].Issues) != tt.issues {
				t.Fatalf("items %v, checklist %v, evidence %v, %d answers, result %+v, %d issues; want %v, %v, %q, %d issues",
					v.Items, refs, ev, len(v.Answers), v.Result, len(v.Reviews[0].Issues), tt.items, tt.evidence, tt.findings, tt.issues)
			}
			if fresh := joint(tt.status); len(tk.Answers) != len(fresh.Answers) || tk.Result.Findings != fresh.Result.Findings || len(tk.Reviews[0].Issues) != 3 || len(tk.Evidence) != 3 {
				t.Fatal("the view changed the task")
			}
		})
	}
	one := joint(backend.TaskSubmitted) // the lead leads every part: it reads the visit whole
	for i := range one.Parts {
		one.Parts[i].LeadDepartment = "scjg"
	}
	if one.ViewFor(staff(backend.RoleReviewer, "scjg")) != one || one.ReviewParts() != nil {
		t.Fatal("the lead of every part does not read the visit whole, or it is reviewed per part")
	}
	solo := &backend.Task{ID: "s", Items: []string{"SCJG-01"}, Departments: []string{"scjg"}, LeadDepartment: "scjg"}
	if solo.ViewFor(staff(backend.RoleManager, "wsjk")) != solo {
		t.Fatal("a task of one plan is filtered")
	}
}

// TestTaskPartReviews: the state of each department's part of a joint
// visit reviewed per part follows its own notes in the current round; a
// return ends the round, so after the next submission every part is
// received again.
func TestTaskPartReviews(t *testing.T) {
	at := time.Date(2026, 3, 20, 2, 0, 0, 0, time.UTC)
	note := func(st backend.TaskStatus, part string, issues ...backend.ReviewIssue) backend.ReviewNote {
		return backend.ReviewNote{Status: st, Part: part, Reviewer: part + ".reviewer", At: at, Issues: issues}
	}
	issue := backend.ReviewIssue{Question: "WSJK-01/a", Comment: "照片不清"}
	tests := []struct {
		name   string
		status backend.TaskStatus
		notes  []backend.ReviewNote
		want   []backend.ReviewState // scjg, wsjk, yjgl
		task   backend.ReviewState
		issues int
	}{
		{"Received", backend.TaskSubmitted, nil, []backend.ReviewState{"received", "received", "received"}, "received", 0},
		{"OnePartHasIssues", backend.TaskSubmitted, []backend.ReviewNote{note(backend.NoteHasIssues, "wsjk", issue)},
			[]backend.ReviewState{"received", "has_issues", "received"}, "has_issues", 1},
		{"PartsApproved", backend.TaskSubmitted, []backend.ReviewNote{note(backend.NoteHasIssues, "wsjk", issue), note(backend.NotePartApproved, "wsjk"), note(backend.NotePartApproved, "scjg")},
			[]backend.ReviewState{"approved", "approved", "received"}, "received", 0},
		{"Returned", backend.TaskReturned, []backend.ReviewNote{note(backend.NotePartApproved, "scjg"), note(backend.TaskReturned, "yjgl")},
			[]backend.ReviewState{"approved", "received", "returned"}, "returned", 0},
		{"SubmittedAgainAfterAReturn", backend.TaskSubmitted, []backend.ReviewNote{note(backend.NotePartApproved, "scjg"), note(backend.TaskReturned, "yjgl")},
			[]backend.ReviewState{"received", "received", "received"}, "received", 0},
		{"Approved", backend.TaskApproved, []backend.ReviewNote{note(backend.NotePartApproved, "scjg"), note(backend.NotePartApproved, "yjgl"), note(backend.TaskApproved, "wsjk")},
			[]backend.ReviewState{"approved", "approved", "approved"}, "approved", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := &backend.Task{ID: "v", Status: tt.status, LeadDepartment: "scjg", Reviews: tt.notes, Parts: []backend.TaskPart{
				{PlanID: "p-scjg", LeadDepartment: "scjg", Items: []string{"SCJG-04"}},
				{PlanID: "p-wsjk", LeadDepartment: "wsjk", Items: []string{"WSJK-01"}},
				{PlanID: "p-yjgl", LeadDepartment: "yjgl", Items: []string{"YJGL-05"}},
			}}
			var got []backend.ReviewState
			for _, p := range tk.PartReviews() {
				got = append(got, p.State)
			}
			if !slices.Equal(got, tt.want) || tk.ReviewState() != tt.task || len(tk.RecordedIssues()) != tt.issues {
				t.Fatalf("parts %v, task %s, %d issues; want %v, %s, %d", got, tk.ReviewState(), len(tk.RecordedIssues()), tt.want, tt.task, tt.issues)
			}
			// Another department reads of the scjg part only its state.
			for _, p := range tk.PartReviewsFor(&backend.Actor{UserID: "w", Role: backend.RoleReviewer, Departments: []string{"wsjk"}}) {
				if (p.Department == "wsjk") != (len(p.Items) > 0) {
					t.Fatalf("the wsjk reviewer reads part %s with items %v", p.Department, p.Items)
				}
			}
		})
	}
}
