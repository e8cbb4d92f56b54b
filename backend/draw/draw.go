package draw

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Run validates the input, performs the draw and returns its record.
// Invalid input yields a *backend.Error with code backend.EINVALID.
//
// The record shares in.Population, which can hold millions of candidates,
// instead of copying it: do not modify the population after Run. Everything
// else in the record is its own.
func Run(in Input) (*Record, error) {
	const op = "draw.Run"
	if field, problem := checkEntropySource(&in); problem != "" {
		return nil, invalid(op, "%s: %s", field, problem)
	}
	e, err := newEngine(&in, op, true)
	if err != nil {
		return nil, err
	}
	return e.draw(), nil
}

// checkEntropySource checks a declared source against the entropy and the
// draw date: the entropy must be the source's text for a value in
// canonical form, and the draw not before the day its result came out. It
// returns the field at fault and the problem, or "" when all is well (or
// no source is declared: such records verify as before).
func checkEntropySource(in *Input) (field, problem string) {
	src := in.EntropySource
	if src == nil {
		return "", ""
	}
	if err := src.Validate(); err != nil {
		return "entropySource", backend.ErrorMessage(err)
	}
	if err := src.CheckText(in.PublicEntropy); err != nil {
		return "publicEntropy", backend.ErrorMessage(err)
	}
	if result := backend.DateOf(src.ResultAt()); validDate(in.DrawDate) && in.DrawDate < string(result) {
		return "drawDate", fmt.Sprintf("%s is before %s, the day the result of %s was published", in.DrawDate, result, src)
	}
	return "", ""
}

// ranked is a candidate's place in the global (PRN, id) order.
type ranked struct {
	prn uint64
	idx int32
}

// engine is a validated input with everything derived from it that the
// draw, replacements and reassignments need.
type engine struct {
	in      *Input
	seed    [32]byte
	hashers []*hasher // one per worker

	strata    []Stratum // by key; Rule set, counts filled in
	stratumOf []int32   // candidate index → index in strata
	excluded  []bool    // candidate index → excluded (Candidate.Excluded set)
	order     []ranked  // every candidate by (PRN, id)

	// Inspectors are handled by rank, their position in id byte order, so
	// that "ties by id" is "ties by rank".
	insp      []*Inspector
	rankOf    map[string]int32
	dept      []int32            // rank → index of the department in byte order, -1 when not participating
	ndept     int                // participating departments
	static    []int32            // ranks eligible by department, certificate and leave, ascending
	conflicts map[string][]int32 // target id → ranks that declared a conflict with it
}

func newEngine(in *Input, op string, checkCommitment bool) (*engine, error) {
	if in.Algorithm != Algorithm {
		return nil, invalid(op, "algorithm %q is not %s", in.Algorithm, Algorithm)
	}
	if err := checkID(op, "planId", in.PlanID); err != nil {
		return nil, err
	}
	if in.PlanVersion < 1 {
		return nil, invalid(op, "plan version %d must be at least 1", in.PlanVersion)
	}
	if err := checkSecret(op, in.Secret, in.Commitment, checkCommitment); err != nil {
		return nil, err
	}
	if err := checkText(op, "public entropy", in.PublicEntropy, false); err != nil {
		return nil, err
	}
	if !validDate(in.DrawDate) {
		return nil, invalid(op, "draw date %q must be YYYY-MM-DD", in.DrawDate)
	}
	e, err := prepare(in, Seed(in.Secret, in.PublicEntropy, in.PlanID), op)
	if err != nil {
		return nil, err
	}
	if err := e.preparePopulation(op); err != nil {
		return nil, err
	}
	return e, nil
}

// prepare checks a plan's own inputs (team, departments, strata,
// population, inspectors) and derives what its draw needs but the PRN
// order, with seed as the key of every PRN: fc-draw-1's seed of the plan
// (newEngine then orders the population), or fc-draw-2's of the round the
// plan is drawn in (the round orders the targets of all its plans at once).
func prepare(in *Input, seed [32]byte, op string) (*engine, error) {
	if in.TeamSize < 2 {
		return nil, invalid(op, "team size %d: an on-site check needs at least two officers", in.TeamSize)
	}
	if len(in.Departments) == 0 {
		return nil, invalid(op, "at least one participating department is required")
	}
	depts := slices.Clone(in.Departments)
	slices.Sort(depts)
	for i, d := range depts {
		if err := checkID(op, "department", d); err != nil {
			return nil, err
		}
		if i > 0 && depts[i-1] == d {
			return nil, invalid(op, "department %q is listed twice", d)
		}
	}
	if len(depts) > 1 && in.TeamSize < len(depts) {
		return nil, invalid(op, "team size %d is smaller than the %d departments of the joint plan", in.TeamSize, len(depts))
	}
	if len(in.Population) > math.MaxInt32 {
		return nil, invalid(op, "the population is too large")
	}

	e := &engine{in: in, seed: seed}
	workers := max(1, runtime.GOMAXPROCS(0))
	for range workers {
		e.hashers = append(e.hashers, newHasher(e.seed))
	}
	if err := e.prepareStrata(op); err != nil {
		return nil, err
	}
	if err := e.prepareInspectors(op, depts); err != nil {
		return nil, err
	}
	return e, nil
}

// prepareStrata validates the candidates, finds the strata and their rules
// and counts population and N.
func (e *engine) prepareStrata(op string) error {
	in := e.in
	ruleKeys := make([]string, 0, len(in.Strata))
	for k := range in.Strata {
		ruleKeys = append(ruleKeys, k)
	}
	slices.Sort(ruleKeys)
	for _, k := range ruleKeys {
		if err := checkID(op, "stratum key", k); err != nil {
			return err
		}
		if err := in.Strata[k].validate(op, "rule of stratum "+k); err != nil {
			return err
		}
	}
	if in.Default != nil {
		if err := in.Default.validate(op, "default rule"); err != nil {
			return err
		}
	}

	// Strata get provisional indices in order of appearance, renumbered by
	// key below. Consecutive candidates usually share a stratum, so the last
	// lookup is cached.
	index := map[string]int32{}
	var keys []string
	var population, eligible []int
	e.stratumOf = make([]int32, len(in.Population))
	e.excluded = make([]bool, len(in.Population))
	last, lastIdx := "", int32(-1)
	for i := range in.Population {
		c := &in.Population[i]
		if err := c.validate(op, i); err != nil {
			return err
		}
		s := lastIdx
		if lastIdx < 0 || c.Stratum != last {
			// A plan has a handful of strata: comparing the keys is
			// cheaper than hashing one.
			s = -1
			if len(keys) <= 8 {
				for k, key := range keys {
					if key == c.Stratum {
						s = int32(k)
						break
					}
				}
			} else if k, ok := index[c.Stratum]; ok {
				s = k
			}
			if s < 0 {
				if err := checkID(op, "stratum", c.Stratum); err != nil {
					return invalid(op, "candidate %q: %s", c.ID, backend.ErrorMessage(err))
				}
				s = int32(len(keys))
				index[c.Stratum] = s
				keys = append(keys, c.Stratum)
				population = append(population, 0)
				eligible = append(eligible, 0)
			}
			last, lastIdx = c.Stratum, s
		}
		e.stratumOf[i] = s
		population[s]++
		if c.Excluded == "" {
			eligible[s]++
		} else {
			e.excluded[i] = true
		}
	}
	for _, k := range ruleKeys {
		if _, ok := index[k]; ok {
			continue
		}
		if in.Strata[k].Count != nil {
			return invalid(op, "stratum %q has a count but no candidate of the population is in it", k)
		}
		index[k] = int32(len(keys))
		keys = append(keys, k)
		population = append(population, 0)
		eligible = append(eligible, 0)
	}

	byKey := make([]int32, len(keys))
	for i := range byKey {
		byKey[i] = int32(i)
	}
	slices.SortFunc(byKey, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	renumber := make([]int32, len(keys))
	e.strata = make([]Stratum, len(keys))
	for pos, old := range byKey {
		renumber[old] = int32(pos)
		k := keys[old]
		rule, ok := in.Strata[k]
		if !ok {
			if in.Default == nil {
				return invalid(op, "stratum %q has no rule and the plan gives no default", k)
			}
			rule = *in.Default
		}
		// Copy the rule's value so that the record does not share pointers with the input.
		if rule.Count != nil {
			rule = CountRule(*rule.Count)
		} else {
			rule = RatioRule(*rule.RatioBp)
		}
		e.strata[pos] = Stratum{
			Key:        k,
			Population: population[old],
			Eligible:   eligible[old],
			Rule:       rule,
			N:          rule.size(eligible[old]),
		}
	}
	for i, s := range e.stratumOf {
		e.stratumOf[i] = renumber[s]
	}
	return nil
}

// preparePopulation computes every candidate's PRN and sorts the population
// by (PRN, id), which also brings duplicate ids next to each other.
func (e *engine) preparePopulation(op string) error {
	pop := e.in.Population
	e.order = make([]ranked, len(pop))
	e.parallel(len(pop), len(pop), func(h *hasher, lo, hi int) {
		for i := lo; i < hi; i++ {
			e.order[i] = ranked{prn: h.target(pop[i].ID), idx: int32(i)}
		}
	})
	e.sortOrder()
	for i := 1; i < len(e.order); i++ {
		a, b := e.order[i-1], e.order[i]
		if a.prn == b.prn && pop[a.idx].ID == pop[b.idx].ID {
			return invalid(op, "candidate %q appears twice in the population", pop[a.idx].ID)
		}
	}
	return nil
}

// sortOrder sorts e.order by (PRN, id).
func (e *engine) sortOrder() {
	pop := e.in.Population
	e.order = sortRanked(e.order, func(i int32) string { return pop[i].ID }, len(e.hashers))
}

// sortRanked sorts order by (PRN, id(idx)) with up to workers goroutines
// and returns the sorted slice (order itself when it is small). PRNs are
// uniform, so a counting pass on their top bits splits the work into small
// buckets that are already in order among themselves; the workers then
// sort the buckets.
func sortRanked(order []ranked, id func(int32) string, workers int) []ranked {
	compare := func(a, b ranked) int {
		if c := cmp.Compare(a.prn, b.prn); c != 0 {
			return c
		}
		return strings.Compare(id(a.idx), id(b.idx))
	}
	n := len(order)
	if n < 1<<14 {
		slices.SortFunc(order, compare)
		return order
	}
	bits := min(16, bitsLen(n/256))
	shift := 64 - bits
	start := make([]int, 1<<bits+1)
	for _, r := range order {
		start[r.prn>>shift+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	next := slices.Clone(start[:len(start)-1])
	sorted := make([]ranked, n)
	for _, r := range order {
		b := r.prn >> shift
		sorted[next[b]] = r
		next[b]++
	}
	buckets := 1 << bits
	w := max(1, workers)
	var wg sync.WaitGroup
	for p := range w {
		lo, hi := p*buckets/w, (p+1)*buckets/w
		wg.Go(func() {
			for b := lo; b < hi; b++ {
				slices.SortFunc(sorted[start[b]:start[b+1]], compare)
			}
		})
	}
	wg.Wait()
	return sorted
}

// bitsLen returns the number of bits needed to represent n (0 for 0).
func bitsLen(n int) int {
	k := 0
	for ; n > 0; n >>= 1 {
		k++
	}
	return k
}

func (e *engine) prepareInspectors(op string, depts []string) error {
	in := e.in
	e.insp = make([]*Inspector, len(in.Inspectors))
	for i := range in.Inspectors {
		p := &in.Inspectors[i]
		if err := p.validate(op, i); err != nil {
			return err
		}
		e.insp[i] = p
	}
	slices.SortFunc(e.insp, func(a, b *Inspector) int { return strings.Compare(a.ID, b.ID) })
	e.rankOf = make(map[string]int32, len(e.insp))
	e.dept = make([]int32, len(e.insp))
	e.ndept = len(depts)
	e.conflicts = map[string][]int32{}
	for r, p := range e.insp {
		if r > 0 && e.insp[r-1].ID == p.ID {
			return invalid(op, "inspector %q appears twice in the pool", p.ID)
		}
		rank := int32(r)
		e.rankOf[p.ID] = rank
		d, ok := slices.BinarySearch(depts, p.DepartmentID)
		if !ok {
			d = -1
		}
		e.dept[r] = int32(d)
		if ok && p.eligibleOn(in.DrawDate) {
			e.static = append(e.static, rank)
		}
		for _, t := range p.Conflicts {
			e.conflicts[t] = append(e.conflicts[t], rank)
		}
	}
	return nil
}

// parallel runs fn over [0, n) split among the workers, each with its own
// hasher, when the work (in HMACs) is worth it. The split does not affect
// results: every index is computed alone.
func (e *engine) parallel(n, work int, fn func(h *hasher, lo, hi int)) {
	w := min(len(e.hashers), n)
	if w < 2 || work < 4096 {
		fn(e.hashers[0], 0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range w {
		lo, hi := p*n/w, (p+1)*n/w
		wg.Go(func() { fn(e.hashers[p], lo, hi) })
	}
	wg.Wait()
}

// selection is step 6: the first n eligible candidates of each stratum in
// (PRN, id) order, listed in that order, which is the visit order.
func (e *engine) selection() []ranked {
	k := 0
	return e.selectionOf(func() (ranked, bool) {
		if k == len(e.order) {
			return ranked{}, false
		}
		k++
		return e.order[k-1], true
	})
}

// selectionOf is step 6 over the population in (PRN, id) order as next
// gives it (ok false at its end): next is called only until every stratum
// has its n.
func (e *engine) selectionOf(next func() (r ranked, ok bool)) []ranked {
	total := 0
	for _, s := range e.strata {
		total += s.N
	}
	selected := make([]ranked, 0, total)
	taken := make([]int, len(e.strata))
	for len(selected) < total {
		r, ok := next()
		if !ok {
			break
		}
		s := e.stratumOf[r.idx]
		if e.excluded[r.idx] || taken[s] == e.strata[s].N {
			continue
		}
		taken[s]++
		selected = append(selected, r)
	}
	return selected
}

// draw performs steps 6 and 7 and builds the record.
func (e *engine) draw() *Record {
	in := e.in
	picked := e.selection()
	selected := make([]Selection, len(picked))
	for i, r := range picked {
		c := &in.Population[r.idx]
		selected[i] = Selection{ID: c.ID, Stratum: c.Stratum, PRN: FormatPRN(r.prn), Order: i + 1}
	}
	e.assignAll(selected)
	return &Record{
		Algorithm:     Algorithm,
		PlanID:        in.PlanID,
		PlanVersion:   in.PlanVersion,
		Commitment:    in.Commitment,
		Secret:        in.Secret,
		PublicEntropy: in.PublicEntropy,
		EntropySource: cloneSource(in.EntropySource),
		Seed:          hex.EncodeToString(e.seed[:]),
		DrawDate:      in.DrawDate,
		TeamSize:      in.TeamSize,
		Departments:   slices.Clone(in.Departments),
		Strata:        slices.Clone(e.strata),
		Population:    in.Population, // shared: it can hold millions of entries
		Inspectors:    cloneInspectors(in.Inspectors),
		Selected:      selected,
		Replacements:  []Replacement{},
	}
}

func cloneSource(s *backend.EntropySource) *backend.EntropySource {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

func cloneInspectors(list []Inspector) []Inspector {
	out := slices.Clone(list)
	for i := range out {
		out[i].Leave = slices.Clone(out[i].Leave)
		out[i].Conflicts = slices.Clone(out[i].Conflicts)
	}
	return out
}
