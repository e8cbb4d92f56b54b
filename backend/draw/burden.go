package draw

import (
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Burden returns what the round costs the enterprises in visits: the
// visits it made, the floor Σ_i max_d π_di and the expectation of
// independent draws Σ_i [1 − Π_d(1 − π_di)], where π_di is n/N (N the
// eligible targets) of target i's stratum in plan d, and 0 when i is
// excluded from d or not in its population. These are figures for people,
// in floating point; nothing in the draw depends on them.
func (r *RoundRecord) Burden() backend.RoundBurden {
	b := r.burdenOf(nil, nil)
	b.Visits = len(r.Visits)
	return b
}

// GroupBurden is a round's burden on one group of enterprises or seen
// from one department.
type GroupBurden struct {
	Key string `json:"key"` // the department's id or the region's code
	backend.RoundBurden
}

// BurdenByDepartment is the round's burden seen from each department of
// its plans, in byte order: the floor and independent draws' figure over
// that department's plans alone, and the visits it takes part in.
func (r *RoundRecord) BurdenByDepartment() []GroupBurden {
	var depts []string
	for i := range r.Plans {
		depts = append(depts, r.Plans[i].Departments...)
	}
	slices.Sort(depts)
	depts = slices.Compact(depts)
	out := make([]GroupBurden, len(depts))
	for k, d := range depts {
		out[k] = GroupBurden{Key: d, RoundBurden: r.burdenOf(func(p *PlanDraw) bool { return slices.Contains(p.Departments, d) }, nil)}
		for i := range r.Visits {
			if slices.Contains(r.Visits[i].Departments, d) {
				out[k].Visits++
			}
		}
	}
	return out
}

// BurdenByRegion is the round's burden on the enterprises of each region,
// regionOf giving a target's region ("" for none known), in byte order of
// region: every plan's probabilities, the targets of that region only.
func (r *RoundRecord) BurdenByRegion(regionOf func(target string) string) []GroupBurden {
	seen := map[string]bool{}
	var regions []string
	for i := range r.Plans {
		for _, c := range r.Plans[i].Population {
			if reg := regionOf(c.ID); !seen[reg] {
				seen[reg] = true
				regions = append(regions, reg)
			}
		}
	}
	slices.Sort(regions)
	out := make([]GroupBurden, len(regions))
	for k, reg := range regions {
		out[k] = GroupBurden{Key: reg, RoundBurden: r.burdenOf(nil, func(id string) bool { return regionOf(id) == reg })}
		for i := range r.Visits {
			if regionOf(r.Visits[i].ID) == reg {
				out[k].Visits++
			}
		}
	}
	return out
}

// burdenOf is the floor and independent draws' figure over the plans
// that plan accepts and the targets that target accepts (nil: all).
func (r *RoundRecord) burdenOf(plan func(*PlanDraw) bool, target func(string) bool) backend.RoundBurden {
	most := map[string]float64{} // max_d π_di
	none := map[string]float64{} // Π_d (1 − π_di)
	var ids []string             // in first-seen order: sums that do not depend on a map's
	for i := range r.Plans {
		p := &r.Plans[i]
		if plan != nil && !plan(p) {
			continue
		}
		share := make(map[string]float64, len(p.Strata))
		for _, s := range p.Strata {
			if s.Eligible > 0 {
				share[s.Key] = float64(s.N) / float64(s.Eligible)
			}
		}
		for _, c := range p.Population {
			if c.Excluded != "" || target != nil && !target(c.ID) {
				continue
			}
			pi := share[c.Stratum]
			if _, ok := none[c.ID]; !ok {
				none[c.ID] = 1
				ids = append(ids, c.ID)
			}
			most[c.ID] = max(most[c.ID], pi)
			none[c.ID] *= 1 - pi
		}
	}
	var b backend.RoundBurden
	for _, id := range ids {
		b.Floor += most[id]
		b.Independent += 1 - none[id]
	}
	return b
}
