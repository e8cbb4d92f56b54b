package demo

import (
	"context"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// RoundPlans are the plans of the demo's coordination round (综合查一次)
// for the year of now: five departments, each with its own item, filter
// by tags and sampling, over populations that overlap (a restaurant deals
// in food, uses gas, is a public place and may be a fire-safety unit).
// Drawn together, an enterprise several of them select gets one visit.
func RoundPlans(now time.Time) []*backend.Plan {
	ratio := func(bp int) *int { return &bp }
	credit := func(a, b, c, d int) []backend.StratumRule {
		return []backend.StratumRule{{Key: "A", RatioBp: ratio(a)}, {Key: "B", RatioBp: ratio(b)}, {Key: "C", RatioBp: ratio(c)}, {Key: "D", RatioBp: ratio(d)}}
	}
	all := func(bp int) []backend.StratumRule {
		return []backend.StratumRule{{Key: backend.StratumAll, RatioBp: ratio(bp)}}
	}
	plan := func(dept, name, item string, tags []string, key string, strata []backend.StratumRule) *backend.Plan {
		p := demoPlan(name, now)
		p.Items, p.LeadDepartment, p.Departments = []string{item}, dept, []string{dept}
		p.Filter.Tags, p.StratumKey, p.Strata = tags, key, strata
		if key != backend.StratumCredit {
			p.Default = nil
		}
		return p
	}
	return []*backend.Plan{
		plan("scjg", "市场监管部门餐饮食品安全双随机抽查（综合查一次）", "SCJG-04", []string{TagCatering, TagFood}, backend.StratumCredit, credit(300, 500, 1500, 3000)),
		plan("wsjk", "卫生健康部门公共场所卫生双随机抽查（综合查一次）", "WSJK-01", []string{TagPublicPlace, TagCatering}, backend.StratumNone, all(500)),
		plan("yjgl", "应急管理部门消防安全双随机抽查（综合查一次）", "YJGL-05", []string{TagFire, TagGas, TagHazChem}, backend.StratumCredit, credit(200, 400, 1000, 2000)),
		plan("zjj", "住建部门餐饮场所燃气使用安全双随机抽查（综合查一次）", "ZJJ-04", []string{TagGas}, backend.StratumNone, all(800)),
		plan("sthj", "生态环境部门危险废物管理双随机抽查（综合查一次）", "STHJ-03", []string{TagHazWaste, TagPollution, TagHazChem}, backend.StratumNone, all(1000)),
	}
}

// admin acts as the demo's administrator, who coordinates the rounds.
func admin(ctx context.Context) context.Context {
	return backend.WithActor(ctx, &backend.Actor{UserID: "admin", Role: backend.RoleAdmin, ClientAddr: "local", Fresh: true})
}

// DrawRound gives the county a drawn coordination round: it is opened an
// hour before the result of DemoSource(now), each plan of RoundPlans
// published and registered by its department's manager meanwhile, and the
// round drawn at now with DemoValue of its id, as the administrator.
func DrawRound(ctx context.Context, svc *planning.Service, now time.Time) (*planning.RoundDrawResult, error) {
	src := DemoSource(now)
	before := at(svc, src.ResultAt().Add(-demoPublicationLead))
	year := now.In(backend.China).Year()
	r, err := before.OpenRound(admin(ctx), planning.OpenRoundRequest{
		Year: year, Name: "三元区跨部门联合抽查（综合查一次，演示）", Period: "演示轮次", EntropySource: src,
	})
	if err != nil {
		return nil, err
	}
	for _, p := range RoundPlans(now) {
		manager := managerOf(ctx, p.LeadDepartment)
		if err := before.CreatePlan(manager, p); err != nil {
			return nil, err
		}
		if _, err := before.PublishPlan(manager, p.ID, p.Version, src); err != nil {
			return nil, err
		}
		if _, err := before.RegisterPlan(manager, r.ID, p.ID); err != nil {
			return nil, err
		}
	}
	return at(svc, now).DrawRound(admin(ctx), r.ID, planning.RoundDrawRequest{Value: DemoValue(r.ID)})
}
