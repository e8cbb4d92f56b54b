package demo

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// The demo's plans are published an hour before their entropy source's
// result and drawn at the as-of instant: the planning service runs on
// clocks of its own for them, so that a freshly seeded county already has
// a drawn plan and a plan whose source's result is out, awaiting its draw.
// Their sources are synthetic: the 福彩3D issue of the last evening before
// now, numbered by the day of the year (real issue numbers skip the
// Spring Festival break), and the drawn plan's "result" is made up from
// its id. They are not 福彩3D's results.
const demoPublicationLead = time.Hour

// DemoSource returns the synthetic entropy source the demo declares for a
// plan drawn at now: the 福彩3D issue of the last day whose 21:15 draw came
// before now.
func DemoSource(now time.Time) *backend.EntropySource {
	day := now.In(backend.China)
	src := fc3dOf(day)
	if !src.ResultAt().Before(now) {
		src = fc3dOf(day.AddDate(0, 0, -1))
	}
	return src
}

func fc3dOf(day time.Time) *backend.EntropySource {
	return &backend.EntropySource{Source: "fc-3d", Issue: fmt.Sprintf("%d%03d", day.Year(), day.YearDay()), Date: backend.DateOf(day)}
}

// DemoValue makes up a 福彩3D result for a demo plan: three digits taken
// from a hash of its id.
func DemoValue(planID string) string {
	sum := sha256.Sum256([]byte("fieldcheck demo entropy\n" + planID))
	d := make([]string, 3)
	for i := range d {
		d[i] = fmt.Sprint(sum[i] % 10)
	}
	return strings.Join(d, " ")
}

// demoPlan is the market-supervision department's plan of the year of now:
// one item, sampling by credit class, teams of two, one batch from today to
// the end of the year.
func demoPlan(name string, now time.Time) *backend.Plan {
	ratio := func(bp int) *int { return &bp }
	today := backend.DateOf(now)
	end := backend.DateOf(time.Date(now.In(backend.China).Year(), 12, 31, 12, 0, 0, 0, backend.China))
	if end < today {
		end = today
	}
	return &backend.Plan{
		Year: now.In(backend.China).Year(), Name: name, Items: []string{"SCJG-03"},
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
}

// managerOf acts as the demo manager of a department.
func managerOf(ctx context.Context, dept string) context.Context {
	return backend.WithActor(ctx, &backend.Actor{UserID: dept + ".manager", Role: backend.RoleManager, Departments: []string{dept}, ClientAddr: "local", Fresh: true})
}

// at returns a copy of svc whose clock stands still at t.
func at(svc *planning.Service, t time.Time) *planning.Service {
	c := *svc
	c.Now = func() time.Time { return t }
	return &c
}

// PublishPlan creates p and publishes it as the manager of its lead
// department an hour before the result of DemoSource(now), declaring that
// source: at now the plan can be drawn.
func PublishPlan(ctx context.Context, svc *planning.Service, p *backend.Plan, now time.Time) (*backend.Plan, error) {
	src := DemoSource(now)
	publisher := at(svc, src.ResultAt().Add(-demoPublicationLead))
	manager := managerOf(ctx, p.LeadDepartment)
	if err := publisher.CreatePlan(manager, p); err != nil {
		return nil, err
	}
	return publisher.PublishPlan(manager, p.ID, p.Version, src)
}

// DrawPlan publishes p (PublishPlan) and draws it at now with DemoValue as
// the source's result.
func DrawPlan(ctx context.Context, svc *planning.Service, p *backend.Plan, now time.Time) (*planning.DrawResult, error) {
	if _, err := PublishPlan(ctx, svc, p, now); err != nil {
		return nil, err
	}
	return at(svc, now).Draw(managerOf(ctx, p.LeadDepartment), p.ID, planning.DrawRequest{Value: DemoValue(p.ID)})
}

// DrawFirstPlan gives the seeded county field work: the market-supervision
// department's first plan of the year of now is created, published and
// drawn (DrawPlan), as its manager would. Inspectors then find tasks on
// their phones.
func DrawFirstPlan(ctx context.Context, svc *planning.Service, now time.Time) (*planning.DrawResult, error) {
	return DrawPlan(ctx, svc, demoPlan("市场监管部门双随机抽查计划（演示）", now), now)
}

// PublishSecondPlan publishes the department's second plan (PublishPlan)
// and leaves it awaiting its draw: the README draws it.
func PublishSecondPlan(ctx context.Context, svc *planning.Service, now time.Time) (*backend.Plan, error) {
	return PublishPlan(ctx, svc, demoPlan("市场监管部门双随机抽查计划（演示，第二批）", now), now)
}
