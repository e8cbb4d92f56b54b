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

// keys computes the keys of target for every statically eligible inspector.
func (m *matcher) keys(h *hasher, target string, dst []uint64) {
	h.startTarget(target)
	for j, r := range m.e.static {
		dst[j] = h.inspector(m.e.insp[r].ID)
	}
}

// assign builds the team of target from keys (aligned with e.static), with
// the inspectors marked in unavailable (by rank; may be nil) left out, and
// counts its cap use.
func (m *matcher) assign(target string, keys []uint64, unavailable []bool) Assignment {
	e := m.e
	conflicted := e.conflicts[target]
	for _, r := range conflicted {
		m.skip[r] = true
	}
	m.elig = m.elig[:0]
	for j, r := range e.static {
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
	size := min(e.in.TeamSize, len(m.elig))
	a.Short = size < e.in.TeamSize

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

	if len(m.arena) < size {
		m.arena = make([]string, max(m.chunk, size))
	}
	team := m.arena[:0:size]
	m.arena = m.arena[size:]
	repRanks := m.repRanks[:0]
	if e.ndept > 1 {
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
		if len(team) == size {
			break
		}
		if !containsRank(repRanks, s.rank) {
			team = append(team, e.insp[s.rank].ID)
		}
	}
	m.repRanks = repRanks
	a.Team = team
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
	m := e.newMatcher()
	m.chunk = 4096
	n := len(e.static)
	if n == 0 {
		for i := range selected {
			selected[i].Assignment = m.assign(selected[i].ID, nil, nil)
		}
		return
	}
	batch := max(1, min(len(selected), (1<<18)/n))
	keys := make([]uint64, batch*n)
	for lo := 0; lo < len(selected); lo += batch {
		hi := min(lo+batch, len(selected))
		e.parallel(hi-lo, (hi-lo)*n, func(h *hasher, a, b int) {
			for i := a; i < b; i++ {
				m.keys(h, selected[lo+i].ID, keys[i*n:(i+1)*n])
			}
		})
		for i := lo; i < hi; i++ {
			selected[i].Assignment = m.assign(selected[i].ID, keys[(i-lo)*n:(i-lo+1)*n], nil)
		}
	}
}

// assignOne matches a team to one target, as for a replacement or reassignment.
func (m *matcher) assignOne(target string, unavailable []bool) Assignment {
	if cap(m.keysBuf) < len(m.e.static) {
		m.keysBuf = make([]uint64, len(m.e.static))
	}
	keys := m.keysBuf[:len(m.e.static)]
	m.keys(m.e.hashers[0], target, keys)
	return m.assign(target, keys, unavailable)
}
