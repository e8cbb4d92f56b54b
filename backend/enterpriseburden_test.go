package backend_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestSourceOf(t *testing.T) {
	tests := []struct {
		name string
		task backend.Task
		want backend.VisitSource
	}{
		{"Random", backend.Task{Random: true, Departments: []string{"scjg"}}, backend.SourceRandom},
		{"RoundVisitOfOnePlan", backend.Task{Random: true, Departments: []string{"scjg"}, Parts: []backend.TaskPart{{PlanID: "p"}}}, backend.SourceRandom},
		{"JointPlan", backend.Task{Random: true, Departments: []string{"scjg", "yjgl"}}, backend.SourceJoint},
		{"RoundJointVisit", backend.Task{Random: true, Departments: []string{"scjg"}, Parts: []backend.TaskPart{{PlanID: "p"}, {PlanID: "q"}}}, backend.SourceJoint},
		{"Complaint", backend.Task{Trigger: &backend.Trigger{Kind: backend.TriggerComplaint}, Departments: []string{"scjg", "yjgl"}}, backend.SourceAdHoc},
		{"Campaign", backend.Task{Trigger: &backend.Trigger{Kind: backend.TriggerCampaign}}, backend.SourceAdHoc},
		{"Recheck", backend.Task{Trigger: &backend.Trigger{Kind: "recheck"}}, backend.SourceRecheck},
	}
	var b backend.EnterpriseBurden
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backend.SourceOf(&tt.task); got != tt.want {
				t.Fatalf("SourceOf = %s, want %s", got, tt.want)
			}
		})
		b.Add(backend.SourceOf(&tt.task))
	}
	b.Add(backend.SourceUnplanned)
	if want := (backend.EnterpriseBurden{Total: 8, Random: 2, Joint: 2, AdHoc: 2, Recheck: 1, Unplanned: 1}); b != want {
		t.Fatalf("burden %+v, want %+v", b, want)
	}
}
