package backend_test

import (
	"slices"
	"testing"

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
		{"LeadReadsWhole", backend.TaskSubmitted, staff(backend.RoleReviewer, "scjg"), []string{"SCJG-04", "WSJK-01", "YJGL-05"}, []string{"sig", "w", "y"}, "消防通道堵塞", 3, true},
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
	solo := &backend.Task{ID: "s", Items: []string{"SCJG-01"}, Departments: []string{"scjg"}, LeadDepartment: "scjg"}
	if solo.ViewFor(staff(backend.RoleManager, "wsjk")) != solo {
		t.Fatal("a task of one plan is filtered")
	}
}
