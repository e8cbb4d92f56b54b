package draw

// scored is an eligible inspector with its key for the current target.
type scored struct {
	key  uint64
	rank int32
}

// before is the ranking of step 7: key ascending, then inspector id (rank).
func (a scored) before(b scored) bool {
	return a.key < b.key || (a.key == b.key && a.rank < b.rank)
}

// matcher builds teams one target at a time and counts cap use. Its scratch
// space is reused from target to target.
type matcher struct {
	e        *engine
	used     []int    // by rank: teams of this draw the inspector is on
	skip     []bool   // by rank: ineligible for the current target
	elig     []scored // eligible for the current target
	best     []scored // the m best of elig, in ranking order
	reps     []scored // by department: its best eligible inspector
	hasRep   []bool
	repRanks []int32
	arena    []string // backing store of teams, to avoid one allocation per team
	chunk    int      // size of a new arena; 0 for exactly one team
	keysBuf  []uint64
}

func (e *engine) newMatcher() *matcher {
	return &matcher{
		e:      e,
		used:   make([]int, len(e.insp)),
		skip:   make([]bool, len(e.insp)),
		reps:   make([]scored, e.ndept),
		hasRep: make([]bool, e.ndept),
	}
}

// count adds a team of a target that stays active to the cap use.
func (m *matcher) count(team []string) {
	for _, id := range team {
		if r, ok := m.e.rankOf[id]; ok {
			m.used[r]++
		}
	}
}

// keys computes the keys of target for every inspector of pool.
func (m *matcher) keys(h *hasher, target string, pool []int32, dst []uint64) {
	h.startTarget(target)
	for j, r := range pool {
		dst[j] = h.inspector(m.e.insp[r].ID)
	}
}

// team is what step 7 needs to know of one target besides the inspectors:
// who may be on it and how many it asks for.
type team struct {
	pool []int32 // ranks eligible by department, certificate and leave, ascending
	size int     // team size asked
	// joint: the team takes first the best inspector of each department
	// of its pool (a joint plan; a joint visit of a round).
	joint bool
}

// planTeam is the team of every target of an fc-draw-1 plan.
func (e *engine) planTeam() team {
	return team{pool: e.static, size: e.in.TeamSize, joint: e.ndept > 1}
}

// assign builds the team of target from keys (aligned with t.pool), with
// the inspectors marked in unavailable (by rank; may be nil) left out, and
// counts its cap use.
func (m *matcher) assign(target string, t team, keys []uint64, unavailable []bool) Assignment {
	e := m.e
	conflicted := e.conflicts[target]
	for _, r := range conflicted {
		m.skip[r] = true
	}
	m.elig = m.elig[:0]
	for j, r := range t.pool {
		if m.skip[r] || (unavailable != nil && unavailable[r]) {
			continue
		}
		if p := e.insp[r]; p.TaskCap > 0 && m.used[r] >= p.TaskCap-p.OpenTasks {
			continue
		}
		m.elig = append(m.elig, scored{key: keys[j], rank: r})
	}
	for _, r := range conflicted {
		m.skip[r] = false
	}

	a := Assignment{EligibleInspectors: len(m.elig)}
	if len(m.elig) < 2 {
		a.Team = []string{}
		a.Unassigned = true
		a.UnassignedReason = ReasonTooFewInspectors
		return a
	}
	size := min(t.size, len(m.elig))

	// The size best, kept sorted by insertion: size is small and few
	// inspectors beat the current last one.
	m.best = m.best[:0]
	for _, s := range m.elig {
		if len(m.best) == size && !s.before(m.best[size-1]) {
			continue
		}
		if len(m.best) < size {
			m.best = append(m.best, s)
		}
		i := len(m.best) - 1
		for i > 0 && s.before(m.best[i-1]) {
			m.best[i] = m.best[i-1]
			i--
		}
		m.best[i] = s
	}

	// A joint visit of a round may hold more departments than its team
	// size: each still sends one officer.
	room := size
	if t.joint {
		room = max(size, e.ndept)
	}
	if len(m.arena) < room {
		m.arena = make([]string, max(m.chunk, room))
	}
	team := m.arena[:0:room]
	repRanks := m.repRanks[:0]
	if t.joint {
		clear(m.hasRep)
		for _, s := range m.elig {
			d := e.dept[s.rank]
			if !m.hasRep[d] || s.before(m.reps[d]) {
				m.reps[d], m.hasRep[d] = s, true
			}
		}
		for d, ok := range m.hasRep {
			if ok {
				repRanks = append(repRanks, m.reps[d].rank)
				team = append(team, e.insp[m.reps[d].rank].ID)
			}
		}
	}
	for _, s := range m.best {
		if len(team) >= size {
			break
		}
		if !containsRank(repRanks, s.rank) {
			team = append(team, e.insp[s.rank].ID)
		}
	}
	m.arena = m.arena[len(team):]
	m.repRanks = repRanks
	a.Team = team
	a.Short = len(team) < t.size
	m.count(team)
	return a
}

func containsRank(list []int32, r int32) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
}

// assignAll matches teams to the selected targets in visit order. Keys are
// computed in parallel a batch of targets at a time; the matching itself is
// sequential because each team uses up caps.
func (e *engine) assignAll(selected []Selection) {
	t := e.planTeam()
	e.assignEach(len(selected), func(i int) (string, team) { return selected[i].ID, t }, func(i int, a Assignment) { selected[i].Assignment = a })
}

// assignEach matches teams to n targets in order: target(i) names the
// i-th and its team, done(i, a) receives its assignment. Keys are
// computed in parallel a batch of targets at a time; the matching itself
// is sequential because each team uses up caps.
func (e *engine) assignEach(n int, target func(int) (string, team), done func(int, Assignment)) {
	m := e.newMatcher()
	m.chunk = 4096
	const batchKeys = 1 << 18 // keys computed before matching; 2 MB
	offsets := []int{0}
	var keys []uint64
	for lo := 0; lo < n; {
		// A batch of targets whose keys fit in batchKeys (at least one).
		hi, total := lo, 0
		offsets = offsets[:1]
		for hi < n {
			_, t := target(hi)
			if hi > lo && total+len(t.pool) > batchKeys {
				break
			}
			total += len(t.pool)
			offsets = append(offsets, total)
			hi++
		}
		if cap(keys) < total {
			keys = make([]uint64, total)
		}
		keys = keys[:total]
		e.parallel(hi-lo, total, func(h *hasher, a, b int) {
			for i := a; i < b; i++ {
				id, t := target(lo + i)
				m.keys(h, id, t.pool, keys[offsets[i]:offsets[i+1]])
			}
		})
		for i := lo; i < hi; i++ {
			id, t := target(i)
			done(i, m.assign(id, t, keys[offsets[i-lo]:offsets[i-lo+1]], nil))
		}
		lo = hi
	}
}

// assignOne matches a team to one target, as for a replacement or reassignment.
func (m *matcher) assignOne(target string, t team, unavailable []bool) Assignment {
	if cap(m.keysBuf) < len(t.pool) {
		m.keysBuf = make([]uint64, len(t.pool))
	}
	keys := m.keysBuf[:len(t.pool)]
	m.keys(m.e.hashers[0], target, t.pool, keys)
	return m.assign(target, t, keys, unavailable)
}
