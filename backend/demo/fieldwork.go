package demo

import (
	"context"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// DrawFirstPlan gives the seeded county field work: the market-supervision
// department's first plan of the year of now (one item, sampling by credit
// class, teams of two, one batch from today to the end of the year) is
// created, published and drawn, as its manager would. Inspectors then find
// tasks on their phones.
func DrawFirstPlan(ctx context.Context, svc *planning.Service, now time.Time) (*planning.DrawResult, error) {
	ratio := func(bp int) *int { return &bp }
	today := backend.DateOf(now)
	end := backend.DateOf(time.Date(now.In(backend.China).Year(), 12, 31, 12, 0, 0, 0, backend.China))
	if end < today {
		end = today
	}
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "市场监管部门双随机抽查计划（演示）", Items: []string{"SCJG-03"},
		LeadDepartment: "scjg", Departments: []string{"scjg"},
		// Market entities only: they hold a licence code to check in with.
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise, backend.KindIndividual, backend.KindCooperative}},
		StratumKey: backend.StratumCredit,
		Strata:     []backend.StratumRule{{Key: "A", RatioBp: ratio(300)}, {Key: "B", RatioBp: ratio(500)}, {Key: "C", RatioBp: ratio(1500)}, {Key: "D", RatioBp: ratio(3000)}},
		Default:    &backend.StratumRule{RatioBp: ratio(500)},
		TeamSize:   2,
		Batches:    []backend.Batch{{Name: "第一批", Start: today, End: end, DueDays: 30}},
		Method:     backend.MethodOnSite,
	}
	manager := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.manager", Role: backend.RoleManager, Departments: []string{"scjg"}, ClientAddr: "local", Fresh: true})
	if err := svc.CreatePlan(manager, p); err != nil {
		return nil, err
	}
	if _, err := svc.PublishPlan(manager, p.ID, 0); err != nil {
		return nil, err
	}
	return svc.Draw(manager, p.ID, planning.DrawRequest{PublicEntropy: "demo " + string(today)})
}
