package draw

import "github.com/fieldcheck/fieldcheck/backend"

// Burden returns what the round costs the enterprises in visits: the
// visits it made, the floor Σ_i max_d π_di and the expectation of
// independent draws Σ_i [1 − Π_d(1 − π_di)], where π_di is n/N (N the
// eligible targets) of target i's stratum in plan d, and 0 when i is
// excluded from d or not in its population. These are figures for people,
// in floating point; nothing in the draw depends on them.
func (r *RoundRecord) Burden() backend.RoundBurden {
	most := map[string]float64{} // max_d π_di
	none := map[string]float64{} // Π_d (1 − π_di)
	var ids []string             // in first-seen order: sums that do not depend on a map's
	for i := range r.Plans {
		p := &r.Plans[i]
		share := make(map[string]float64, len(p.Strata))
		for _, s := range p.Strata {
			if s.Eligible > 0 {
				share[s.Key] = float64(s.N) / float64(s.Eligible)
			}
		}
		for _, c := range p.Population {
			if c.Excluded != "" {
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
	b := backend.RoundBurden{Visits: len(r.Visits)}
	for _, id := range ids {
		b.Floor += most[id]
		b.Independent += 1 - none[id]
	}
	return b
}
