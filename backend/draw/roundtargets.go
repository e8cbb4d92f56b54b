package draw

import (
	"math"
	"slices"
	"strings"
)

// roundTargets are the distinct targets of a round's plans, each once, by
// global index: a target has one PRN in the round, computed once however
// many plans list it, and the round's targets are ordered once by (PRN,
// id) for all its plans.
//
// Plans list their populations in id order (the service does), and then
// the targets are a merge of the sorted lists, with no lookup at all; a
// plan that does not (a hand-written record) switches the round to a map
// from id to index, which gives the same targets and the same draw.
type roundTargets struct {
	plans []*engine
	// index is nil while every plan so far is in strictly increasing id
	// order (so without duplicates).
	index map[string]int32
	ids   []string // global index → id
	// member[p][g] is the index in plan p's population of the target of
	// global index g, -1 when p does not list it (nor any g ≥ len).
	member [][]int32
	global [][]int32 // global[p][j] is the global index of plan p's candidate j
	order  []ranked  // every target by (PRN, id); idx a global index
}

// add takes plan e's population into the round's targets and reports a
// target the plan lists twice; inc says whether the population is in
// strictly increasing id order (scanPlan finds it with the plan's other
// checks, in parallel).
func (t *roundTargets) add(e *engine, inc bool, op string) error {
	t.plans = append(t.plans, e)
	if t.index == nil {
		if inc {
			return nil
		}
		t.index = make(map[string]int32, len(e.in.Population))
		for _, p := range t.plans[:len(t.plans)-1] {
			if err := t.lookUp(p, op); err != nil {
				return err
			}
		}
	}
	return t.lookUp(e, op)
}

// lookUp adds plan e's targets through the map. Looking ids up is
// parallel (the map is only read then); new ones are added in order.
func (t *roundTargets) lookUp(e *engine, op string) error {
	pop := e.in.Population
	found := make([]int32, len(pop))
	e.parallel(len(pop), len(pop)/8, func(_ *hasher, lo, hi int) {
		for j := lo; j < hi; j++ {
			g, ok := t.index[pop[j].ID]
			if !ok {
				g = -1
			}
			found[j] = g
		}
	})
	member := make([]int32, len(t.ids), len(t.ids)+len(pop))
	for g := range member {
		member[g] = -1
	}
	for j, g := range found {
		if g < 0 {
			id := pop[j].ID
			var ok bool
			if g, ok = t.index[id]; !ok { // not listed before in this plan
				if len(t.ids) == math.MaxInt32 {
					return invalid(op, "the round's plans list too many targets")
				}
				g = int32(len(t.ids))
				t.index[id] = g
				t.ids = append(t.ids, id)
				member = append(member, -1)
			}
		}
		if member[g] >= 0 {
			return invalid(op, "candidate %q appears twice in the population", pop[j].ID)
		}
		member[g] = int32(j)
		found[j] = g
	}
	t.member = append(t.member, member)
	t.global = append(t.global, found)
	return nil
}

// merge finds the targets of plans whose populations are all in strictly
// increasing id order: global indices in id order too. The id range is cut
// at ids of the largest population, one piece per worker.
func (t *roundTargets) merge() {
	largest := t.plans[0].in.Population
	for _, e := range t.plans {
		if len(e.in.Population) > len(largest) {
			largest = e.in.Population
		}
	}
	pieces := 1
	if len(largest) >= 1<<14 {
		pieces = len(t.plans[0].hashers)
	}
	// bounds[k][p]: where piece k starts in plan p's population.
	bounds := make([][]int, pieces+1)
	for k := range bounds {
		bounds[k] = make([]int, len(t.plans))
		for p, e := range t.plans {
			pop := e.in.Population
			switch k {
			case 0:
			case pieces:
				bounds[k][p] = len(pop)
			default:
				cut := largest[k*len(largest)/pieces].ID
				bounds[k][p], _ = slices.BinarySearchFunc(pop, cut, func(c Candidate, id string) int { return strings.Compare(c.ID, id) })
			}
		}
	}
	// Each piece merges its ranges and writes, for each candidate of the
	// ranges, the index of its target within the piece (global: the
	// pieces' ranges of a plan do not overlap); the pieces' offsets are
	// then added and member filled, plan by plan, with integers only.
	t.global = make([][]int32, len(t.plans))
	for p, e := range t.plans {
		t.global[p] = make([]int32, len(e.in.Population))
	}
	parts := make([][]string, pieces)
	t.plans[0].parallel(pieces, len(largest), func(_ *hasher, lo, hi int) {
		for k := lo; k < hi; k++ {
			parts[k] = t.mergePiece(bounds[k], bounds[k+1])
		}
	})
	offset := make([]int32, pieces+1)
	for k, part := range parts {
		offset[k+1] = offset[k] + int32(len(part))
	}
	t.ids = slices.Concat(parts...)
	t.member = make([][]int32, len(t.plans))
	t.plans[0].parallel(len(t.plans), len(t.plans)*len(t.ids), func(_ *hasher, lo, hi int) {
		for p := lo; p < hi; p++ {
			member, global := make([]int32, len(t.ids)), t.global[p]
			for g := range member {
				member[g] = -1
			}
			for k := range pieces {
				for j := bounds[k][p]; j < bounds[k+1][p]; j++ {
					g := global[j] + offset[k]
					global[j], member[g] = g, int32(j)
				}
			}
			t.member[p] = member
		}
	})
}

// mergePiece merges the plans' populations from from[p] to to[p].
func (t *roundTargets) mergePiece(from, to []int) []string {
	pos := slices.Clone(from)
	size, sum := 0, 0
	for p := range pos {
		size = max(size, to[p]-from[p])
		sum += to[p] - from[p]
	}
	// The union is at least the largest piece and at most their sum;
	// plans over one county overlap, so half again as many as the
	// largest usually holds it without growing (growing a million ids
	// twice was a third of what a round allocated).
	ids := make([]string, 0, min(sum, size+size/2))
	var heads []int // the plans whose next candidate is the smallest id
	for {
		heads = heads[:0]
		var low string
		for p, e := range t.plans {
			if pos[p] == to[p] {
				continue
			}
			id := e.in.Population[pos[p]].ID
			switch c := strings.Compare(id, low); {
			case len(heads) == 0 || c < 0:
				heads = append(heads[:0], p)
				low = id
			case c == 0:
				heads = append(heads, p)
			}
		}
		if len(heads) == 0 {
			return ids
		}
		for _, p := range heads {
			t.global[p][pos[p]] = int32(len(ids)) // within the piece
			pos[p]++
		}
		ids = append(ids, low)
	}
}

// finish computes the PRN of every target and orders them.
func (t *roundTargets) finish(op string) error {
	if t.index == nil {
		if t.merge(); len(t.ids) > math.MaxInt32 {
			return invalid(op, "the round's plans list too many targets")
		}
	}
	t.index = nil
	e := t.plans[0]
	t.order = make([]ranked, len(t.ids))
	e.parallel(len(t.ids), len(t.ids), func(h *hasher, lo, hi int) {
		for g := lo; g < hi; g++ {
			t.order[g] = ranked{prn: h.target(t.ids[g]), idx: int32(g)}
		}
	})
	t.order = sortRanked(t.order, func(g int32) string { return t.ids[g] }, len(e.hashers))
	return nil
}

// selection is step 6 for plan p: its candidates met in the round's
// order, as ranked by index in its population.
func (t *roundTargets) selection(p int, e *engine) []ranked {
	member, k := t.member[p], 0
	return e.selectionOf(func() (ranked, bool) {
		for ; k < len(t.order); k++ {
			r := t.order[k]
			if int(r.idx) < len(member) && member[r.idx] >= 0 {
				k++
				return ranked{prn: r.prn, idx: member[r.idx]}, true
			}
		}
		return ranked{}, false
	})
}
