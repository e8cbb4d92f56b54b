package planning

import (
	"context"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// PlanPreview is what a draw of the plan would take if it ran now on the
// directories as they are: the population its filter selects, the targets
// excluded and why, and each stratum's N and n. It is computed by the
// draw's own input builder and stratum counts, without the secret: the
// selection itself depends on the secret and the public entropy, and only
// the draw makes it.
type PlanPreview struct {
	PlanID     string              `json:"planId"`
	Version    int64               `json:"version"` // of the plan as previewed
	Population int                 `json:"population"`
	Eligible   int                 `json:"eligible"`
	Exclusions []PreviewExclusion  `json:"exclusions"` // by reason, in the order of draw's codes
	Strata     []draw.Stratum      `json:"strata"`
	Selected   int                 `json:"selected"` // Σ n: the tasks the draw would create
	Inspectors []PreviewDepartment `json:"inspectors"`
	// Problems are what would make the draw refuse (a count above a
	// general item's cap, no eligible target); empty when it would run.
	Problems []string `json:"problems"`
}

// PreviewExclusion counts the population's targets excluded for one reason.
type PreviewExclusion struct {
	Reason string `json:"reason" enum:"inactive,whitelist,annual-cap,operator,visit-cap"`
	Count  int    `json:"count"`
}

// PreviewDepartment counts a participating department's inspectors in the
// pool, and those available on the day (certificate valid, not on leave).
type PreviewDepartment struct {
	DepartmentID string `json:"departmentId"`
	Pool         int    `json:"pool"`
	Available    int    `json:"available"`
}

// exclusionOrder is the order in which a preview lists the reasons.
var exclusionOrder = []string{draw.ExcludedInactive, draw.ExcludedWhitelist, draw.ExcludedAnnualCap, draw.ExcludedOperator, draw.ExcludedVisitCap}

// PreviewPlan computes the preview of a plan, a draft or a published
// version, for the managers of its lead department and administrators:
// the people who publish and draw it. It reads the whole directory (as
// the draw does) and changes nothing.
func (s *Service) PreviewPlan(ctx context.Context, id string) (*PlanPreview, error) {
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, "plan.preview", p, true); err != nil {
		return nil, err
	}
	items, err := s.checkRules(ctx, p)
	if err != nil {
		return nil, err
	}
	// As the draw would: selections of the plan's earlier versions do not
	// count toward the annual cap.
	earlier, _, err := s.earlierDraws(ctx, p)
	if err != nil {
		return nil, err
	}
	except := map[string]bool{}
	for _, d := range earlier {
		except[d] = true
	}
	in, _, err := s.buildInput(ctx, p, "", nil, "", s.Now(), except)
	out := &PlanPreview{PlanID: p.ID, Version: p.Version, Exclusions: []PreviewExclusion{}, Strata: []draw.Stratum{}, Inspectors: []PreviewDepartment{}, Problems: []string{}}
	if backend.IsCode(err, backend.EINVALID) {
		out.Problems = append(out.Problems, backend.ErrorMessage(err)) // no target matches the filter
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	strata, err := draw.Strata(*in)
	if err != nil {
		return nil, err
	}
	out.Strata = strata
	out.Population = len(in.Population)
	counts := map[string]int{}
	for _, c := range in.Population {
		if c.Excluded == "" {
			out.Eligible++
		} else {
			counts[c.Excluded]++
		}
	}
	for _, r := range exclusionOrder {
		if counts[r] > 0 {
			out.Exclusions = append(out.Exclusions, PreviewExclusion{Reason: r, Count: counts[r]})
		}
	}
	for _, st := range strata {
		out.Selected += st.N
	}
	for _, d := range p.Departments {
		pd := PreviewDepartment{DepartmentID: d}
		for _, x := range in.Inspectors {
			if x.DepartmentID != d {
				continue
			}
			pd.Pool++
			if x.CertExpiry >= in.DrawDate && len(x.Leave) == 0 && (x.TaskCap == 0 || x.OpenTasks < x.TaskCap) {
				pd.Available++
			}
		}
		out.Inspectors = append(out.Inspectors, pd)
	}
	if err := checkCountCaps(strata, items); err != nil {
		out.Problems = append(out.Problems, backend.ErrorMessage(err))
	}
	if out.Selected == 0 {
		out.Problems = append(out.Problems, "the draw would select no target: the plan has no eligible target")
	}
	slices.Sort(out.Problems)
	return out, nil
}
