package draw

import (
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// RoundOverlap is what a round's plans share before the draw: for the
// round's preview, so that the departments see where their populations
// meet (by filter or by tag) and how many visits coordination saves. It
// needs no seed: the counts are those of the populations and strata, not
// of a selection.
type RoundOverlap struct {
	Plans []PlanOverlap `json:"plans"` // in the round's order
	// Pairs are the pairs of plans, (i, j) with i < j in the round's
	// order, and the targets eligible in both.
	Pairs []PlanPair `json:"pairs"`
	// InPlans counts targets by the number of plans they are eligible in:
	// InPlans[k] those eligible in exactly k+1 plans.
	InPlans []int `json:"inPlans"`
	// Several are the targets eligible in two plans or more: where the
	// round may make one visit instead of several.
	Several int `json:"several"`
	// Floor and Independent are the expected visits of the round (about
	// Σ_i max_d π_di) and of independent draws (Σ_i [1 − Π_d(1 − π_di)]),
	// as RoundRecord.Burden computes them.
	Floor       float64 `json:"floor"`
	Independent float64 `json:"independent"`
}

// PlanOverlap is one plan's population in a round's preview.
type PlanOverlap struct {
	PlanID     string    `json:"planId"`
	Tags       []string  `json:"tags,omitempty"`
	Population int       `json:"population"`
	Eligible   int       `json:"eligible"`
	Selected   int       `json:"selected"` // Σ n of its strata
	Strata     []Stratum `json:"strata"`
}

// PlanPair counts the targets eligible in two plans of a round.
type PlanPair struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Both int    `json:"both"`
}

// Overlap computes the overlap of in's plans. Only the plans, their
// strata rules and populations are read (and checked as the draw checks
// them, tags included); the secret, entropy and inspectors are not.
func Overlap(in RoundInput) (*RoundOverlap, error) {
	const op = "draw.Overlap"
	if len(in.Plans) == 0 || len(in.Plans) > MaxRoundPlans {
		return nil, invalid(op, "a round has 1 to %d plans, not %d", MaxRoundPlans, len(in.Plans))
	}
	out := &RoundOverlap{Plans: make([]PlanOverlap, len(in.Plans)), Pairs: []PlanPair{}, InPlans: make([]int, len(in.Plans))}
	rec := &RoundRecord{Plans: make([]PlanDraw, len(in.Plans))}
	// The plans a target is eligible in, as bits (a round has at most 64).
	where := make(map[string]uint64, len(in.Plans[0].Population))
	for i := range in.Plans {
		p := &in.Plans[i]
		if d := checkPlanTags(i, p); d != nil {
			return nil, invalid(op, "%s: %s", d.Field, d.Problem)
		}
		strata, err := Strata(Input{PlanID: p.PlanID, Strata: p.Strata, Default: p.Default, Population: p.Population})
		if err != nil {
			return nil, invalid(op, "plan %q: %s", p.PlanID, backend.ErrorMessage(err))
		}
		po := PlanOverlap{PlanID: p.PlanID, Tags: slices.Clone(p.Tags), Population: len(p.Population), Strata: strata}
		for _, s := range strata {
			po.Selected += s.N
		}
		for _, c := range p.Population {
			if c.Excluded != "" {
				continue
			}
			po.Eligible++
			where[c.ID] |= 1 << i // once per plan, however often it lists the target
		}
		out.Plans[i] = po
		rec.Plans[i] = PlanDraw{Strata: strata, Population: p.Population}
	}
	both := make([][]int, len(in.Plans))
	for i := range both {
		both[i] = make([]int, len(in.Plans))
	}
	var plans []int
	for _, w := range where { // counts: the order of the map does not matter
		plans = plans[:0]
		for i := range in.Plans {
			if w&(1<<i) != 0 {
				plans = append(plans, i)
			}
		}
		out.InPlans[len(plans)-1]++
		if len(plans) > 1 {
			out.Several++
		}
		for x := range plans {
			for y := x + 1; y < len(plans); y++ {
				both[plans[x]][plans[y]]++
			}
		}
	}
	for i := range in.Plans {
		for j := i + 1; j < len(in.Plans); j++ {
			out.Pairs = append(out.Pairs, PlanPair{A: in.Plans[i].PlanID, B: in.Plans[j].PlanID, Both: both[i][j]})
		}
	}
	b := rec.Burden()
	out.Floor, out.Independent = b.Floor, b.Independent
	return out, nil
}
