package draw

import (
	"fmt"
	"slices"

	"github.com/fieldcheck/fieldcheck/backend"
)

// RoundReplacement replaces one plan's part of a round's visit: the
// target proved closed or unreachable for that plan, or out of its scope.
// docs/draw2.md ("Replacements") is the normative text.
type RoundReplacement struct {
	Plan        string `json:"plan"`        // the plan whose part is replaced
	Replaced    string `json:"replaced"`    // the target it leaves
	Replacement string `json:"replacement"` // the target it takes instead
	Stratum     string `json:"stratum"`     // in the plan: the replaced's and the replacement's
	PRN         string `json:"prn"`         // the replacement's
	Reason      string `json:"reason"`
	// Joins: the replacement was already visited in the round (by other
	// plans' parts). The plan's part joins that visit, and Team lists the
	// officers added to its team: for each of the plan's departments
	// without a member on it, its best-ranked eligible inspector.
	// Otherwise the replacement is a new visit of the plan alone and
	// Assignment is its team.
	Joins bool `json:"joins,omitempty"`
	Assignment
	// At is when the service made the replacement (RFC 3339, UTC), for
	// the public page: information, not part of what verification redoes
	// (the engine has no clock and leaves it empty).
	At string `json:"at,omitempty"`
}

// ReplaceInRound replaces plan planID's part of the visit of targetID,
// appends the replacement to rec.Replacements and returns it. The record
// must verify. Errors are *backend.Error: EINVALID (record does not
// verify, empty reason, stratum exhausted), ENOTFOUND (no such plan, or
// the plan has no part in a visit of the target), ECONFLICT (that part was
// replaced already).
func ReplaceInRound(rec *RoundRecord, planID, targetID, reason string) (*RoundReplacement, error) {
	const op = "draw.ReplaceInRound"
	r, st, diffs := replayRound(rec)
	if len(diffs) > 0 {
		return nil, notVerified(op, diffs)
	}
	x, err := r.replace(st, planID, targetID, reason, op)
	if err != nil {
		return nil, err
	}
	rec.Replacements = append(rec.Replacements, *x)
	return x, nil
}

// roundState is a round after some replacements: which visits have parts
// left, and their teams.
type roundState struct {
	visits   map[string]*liveVisit // by target: the visits with a part left
	taken    []map[string]bool     // by plan: targets it selected or took as replacements
	replaced []map[string]bool     // by plan: targets whose part it replaced
}

// liveVisit is a visit with parts left.
type liveVisit struct {
	plans []int // indices in the round of the plans with a part in it
	team  []string
}

// stateOf is the round as drawn, before any replacement.
func (r *round) stateOf(rec *RoundRecord) *roundState {
	st := &roundState{visits: make(map[string]*liveVisit, len(rec.Visits))}
	index := r.planIndex()
	for i := range rec.Plans {
		taken := make(map[string]bool, len(rec.Plans[i].Selected))
		for _, x := range rec.Plans[i].Selected {
			taken[x.ID] = true
		}
		st.taken = append(st.taken, taken)
		st.replaced = append(st.replaced, map[string]bool{})
	}
	for i := range rec.Visits {
		v := &rec.Visits[i]
		lv := &liveVisit{team: slices.Clone(v.Team)}
		for _, p := range v.Plans {
			lv.plans = append(lv.plans, index[p])
		}
		st.visits[v.ID] = lv
	}
	return st
}

func (r *round) planIndex() map[string]int {
	index := make(map[string]int, len(r.in.Plans))
	for i := range r.in.Plans {
		index[r.in.Plans[i].PlanID] = i
	}
	return index
}

// apply records replacement x (of plan index p) in the state.
func (st *roundState) apply(p int, x *RoundReplacement) {
	if v := st.visits[x.Replaced]; v != nil {
		v.plans = slices.DeleteFunc(v.plans, func(q int) bool { return q == p })
		if len(v.plans) == 0 {
			delete(st.visits, x.Replaced)
		}
	}
	st.replaced[p][x.Replaced] = true
	st.taken[p][x.Replacement] = true
	if v := st.visits[x.Replacement]; v != nil {
		v.plans = append(v.plans, p)
		v.team = append(v.team, x.Team...)
		return
	}
	st.visits[x.Replacement] = &liveVisit{plans: []int{p}, team: slices.Clone(x.Team)}
}

// replace computes the replacement of plan planID's part of target's
// visit in state st (which it does not change).
func (r *round) replace(st *roundState, planID, target, reason, op string) (*RoundReplacement, error) {
	if err := checkText(op, "reason", reason, true); err != nil {
		return nil, err
	}
	p, ok := r.planIndex()[planID]
	if !ok {
		return nil, &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: fmt.Sprintf("plan %q is not in this round", planID)}
	}
	v := st.visits[target]
	if v == nil || !slices.Contains(v.plans, p) {
		if st.replaced[p][target] {
			return nil, &backend.Error{Code: backend.ECONFLICT, Op: op, Message: fmt.Sprintf("plan %q already replaced its part of the visit of %q", planID, target)}
		}
		return nil, &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: fmt.Sprintf("plan %q has no part in a visit of %q", planID, target)}
	}
	e := r.plans[p]
	pop := e.in.Population
	at := slices.IndexFunc(pop, func(c Candidate) bool { return c.ID == target })
	if at < 0 {
		return nil, invalid(op, "target %q is not in the population of plan %q", target, planID)
	}
	s := e.stratumOf[at]

	// The first eligible candidate of the stratum by (PRN, id) that the
	// plan has not taken.
	h := e.hashers[0]
	best, bestPRN := -1, uint64(0)
	for j := range pop {
		if e.stratumOf[j] != s || e.excluded[j] || st.taken[p][pop[j].ID] {
			continue
		}
		prn := h.target(pop[j].ID)
		if best < 0 || prn < bestPRN || prn == bestPRN && pop[j].ID < pop[best].ID {
			best, bestPRN = j, prn
		}
	}
	if best < 0 {
		return nil, invalid(op, "stratum %q of plan %q has no eligible target left to replace %q", pop[at].Stratum, planID, target)
	}
	c := &pop[best]
	x := &RoundReplacement{Plan: planID, Replaced: target, Replacement: c.ID, Stratum: c.Stratum, PRN: FormatPRN(bestPRN), Reason: reason}

	// Cap use: the teams of the visits with parts left once this part is
	// gone (the replaced visit's still counts when other plans remain).
	m := r.pool.newMatcher()
	for id, lv := range st.visits {
		if id != target || len(lv.plans) > 1 {
			m.count(lv.team)
		}
	}
	depts := slices.Sorted(slices.Values(r.in.Plans[p].Departments))
	if joined := st.visits[c.ID]; joined != nil {
		x.Joins = true
		x.Assignment = r.joinTeam(m, c.ID, joined.team, depts)
		return x, nil
	}
	x.Assignment = m.assignOne(c.ID, r.teamOf(depts, r.in.Plans[p].TeamSize), nil)
	return x, nil
}

// joinTeam is what a plan's part joining a visit adds to its team: for
// each of depts (in byte order) without a member on team, its
// best-ranked eligible inspector for target, by step 5's eligibility and
// key. EligibleInspectors counts the eligible inspectors of those
// departments; Short is set when one of them has none.
func (r *round) joinTeam(m *matcher, target string, team, depts []string) Assignment {
	e := r.pool
	has := func(d string) bool {
		return slices.ContainsFunc(team, func(id string) bool {
			rank, ok := e.rankOf[id]
			return ok && e.insp[rank].DepartmentID == d
		})
	}
	conflicted := e.conflicts[target]
	h := e.hashers[0]
	h.startTarget(target)
	a := Assignment{Team: []string{}}
	for _, d := range depts {
		if has(d) {
			continue
		}
		var best scored
		found := false
		for _, rank := range e.static {
			p := e.insp[rank]
			if p.DepartmentID != d || slices.Contains(conflicted, rank) || slices.Contains(team, p.ID) ||
				p.TaskCap > 0 && m.used[rank] >= p.TaskCap-p.OpenTasks {
				continue
			}
			a.EligibleInspectors++
			s := scored{key: h.inspector(p.ID), rank: rank}
			if !found || s.before(best) {
				best, found = s, true
			}
		}
		if !found {
			a.Short = true
			continue
		}
		a.Team = append(a.Team, e.insp[best.rank].ID)
	}
	return a
}

// replayRound redoes a round from its record, replacements included, and
// returns it with its state after them and every difference found.
func replayRound(rec *RoundRecord) (*round, *roundState, []Difference) {
	const op = "draw.VerifyRound"
	r, want, diffs := redoRound(rec)
	if r == nil || len(diffs) > 0 {
		return r, nil, diffs
	}
	st := r.stateOf(want)
	index := r.planIndex()
	var d differ
	for i := range rec.Replacements {
		got := &rec.Replacements[i]
		f := fmt.Sprintf("replacements[%d]", i)
		w, err := r.replace(st, got.Plan, got.Replaced, got.Reason, op)
		if err != nil {
			d.list = append(d.list, Difference{Field: f, Problem: "cannot be redone: " + backend.ErrorMessage(err)})
			break
		}
		d.str(f+".replacement", got.Replacement, w.Replacement)
		d.str(f+".stratum", got.Stratum, w.Stratum)
		d.str(f+".prn", got.PRN, w.PRN)
		d.bool(f+".joins", got.Joins, w.Joins)
		d.assignment(f, &got.Assignment, &w.Assignment)
		st.apply(index[w.Plan], w)
	}
	return r, st, d.list
}
