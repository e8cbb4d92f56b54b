package draw

import (
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// fc-draw-2: coordinated rounds. docs/draw2.md is the normative text; in
// short, every plan of a round is drawn with the round's one seed, so a
// target has one PRN in the round, each plan takes the n smallest PRNs of
// each of its strata (alone, exactly the stratified sample fc-draw-1 would
// draw), and a target that several plans select is one visit with one team.

// RoundAlgorithm is the name and version of the coordinated draw.
const RoundAlgorithm = "fc-draw-2"

// MaxRoundPlans bounds the plans of one round: a county's departments
// register a handful per period; 64 keeps a record readable.
const MaxRoundPlans = 64

// RoundSeed returns SHA-256("fc-draw-2\n" + secretHex + "\n" + publicEntropy + "\n" + roundID).
func RoundSeed(secretHex, publicEntropy, roundID string) [32]byte {
	return seedOf(RoundAlgorithm, secretHex, publicEntropy, roundID)
}

// RoundPlan is one plan of a round: its own departments, team size,
// strata and population (its filter applied, its exclusions decided).
type RoundPlan struct {
	PlanID      string          `json:"planId"`
	PlanVersion int             `json:"planVersion"`
	TeamSize    int             `json:"teamSize"`
	Departments []string        `json:"departments"`
	Strata      map[string]Rule `json:"strata"`
	Default     *Rule           `json:"default,omitempty"`
	// Tags are the tags the plan targets (any of them), in byte order:
	// then each candidate of its population carries those of them it has
	// (Candidate.Tags), at least one, so that the record shows why a
	// target is in the population. Empty for a plan that targets none.
	Tags       []string    `json:"tags,omitempty"`
	Population []Candidate `json:"population"`
}

// RoundInput is everything a round's draw depends on.
type RoundInput struct {
	Algorithm     string                 `json:"algorithm"` // must be RoundAlgorithm
	RoundID       string                 `json:"roundId"`
	Commitment    string                 `json:"commitment"` // published when the round opened
	Secret        string                 `json:"secret"`
	PublicEntropy string                 `json:"publicEntropy"`
	EntropySource *backend.EntropySource `json:"entropySource,omitempty"`
	DrawDate      string                 `json:"drawDate"`
	Plans         []RoundPlan            `json:"plans"`
	Inspectors    []Inspector            `json:"inspectors"` // one pool for every plan
}

// RoundRecord is the public record of a round: its inputs and outcome,
// enough for anyone to redo it (VerifyRound).
type RoundRecord struct {
	Algorithm     string                 `json:"algorithm"`
	RoundID       string                 `json:"roundId"`
	Commitment    string                 `json:"commitment"`
	Secret        string                 `json:"secret"`
	PublicEntropy string                 `json:"publicEntropy"`
	EntropySource *backend.EntropySource `json:"entropySource,omitempty"`
	Seed          string                 `json:"seed"`
	DrawDate      string                 `json:"drawDate"`
	Plans         []PlanDraw             `json:"plans"`
	Inspectors    []Inspector            `json:"inspectors"`
	Visits        []Visit                `json:"visits"`
	// Replacements of plans' parts of visits, in the order they were
	// made (roundreplace.go); absent until the first.
	Replacements []RoundReplacement `json:"replacements,omitempty"`
}

// PlanDraw is one plan's part of a round record.
type PlanDraw struct {
	PlanID      string      `json:"planId"`
	PlanVersion int         `json:"planVersion"`
	TeamSize    int         `json:"teamSize"`
	Departments []string    `json:"departments"`
	Tags        []string    `json:"tags,omitempty"` // as RoundPlan.Tags
	Strata      []Stratum   `json:"strata"`
	Population  []Candidate `json:"population"`
	Selected    []Pick      `json:"selected"` // in (PRN, id) order
}

// Pick is a target a plan selected.
type Pick struct {
	ID      string `json:"id"`
	Stratum string `json:"stratum"`
	PRN     string `json:"prn"`
}

// Visit is one visit of a round: a target selected by one or more plans,
// with one team for all of them.
type Visit struct {
	ID          string   `json:"id"`
	PRN         string   `json:"prn"`
	Order       int      `json:"order"`       // visit order, from 1
	Plans       []string `json:"plans"`       // the plans that selected it, in the round's order
	Departments []string `json:"departments"` // their departments, in byte order
	TeamSize    int      `json:"teamSize"`    // the largest team size of those plans
	Assignment
}

// Joint reports whether the visit serves several plans.
func (v *Visit) Joint() bool { return len(v.Plans) > 1 }

// RunRound validates the input, draws the round and returns its record.
// Invalid input yields a *backend.Error with code backend.EINVALID. The
// record shares the plans' populations; do not modify them afterwards.
func RunRound(in RoundInput) (*RoundRecord, error) {
	r, err := newRound(&in, "draw.RunRound", true)
	if err != nil {
		return nil, err
	}
	return r.draw(), nil
}

// round is a validated round input with one engine per plan and one for
// the inspector pool.
type round struct {
	in    *RoundInput
	seed  [32]byte
	plans []*engine
	pool  *engine // the inspectors, their departments being every plan's

	// The targets of all plans, each once, by global index: a target has
	// one PRN in the round, computed once however many plans list it.
	targets *roundTargets
}

func newRound(in *RoundInput, op string, checkCommitment bool) (*round, error) {
	if in.Algorithm != RoundAlgorithm {
		return nil, invalid(op, "algorithm %q is not %s", in.Algorithm, RoundAlgorithm)
	}
	if err := checkID(op, "roundId", in.RoundID); err != nil {
		return nil, err
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
	if field, problem := checkEntropySource(&Input{EntropySource: in.EntropySource, PublicEntropy: in.PublicEntropy, DrawDate: in.DrawDate}); problem != "" {
		return nil, invalid(op, "%s: %s", field, problem)
	}
	if len(in.Plans) == 0 || len(in.Plans) > MaxRoundPlans {
		return nil, invalid(op, "a round has 1 to %d plans, not %d", MaxRoundPlans, len(in.Plans))
	}
	r := &round{in: in, seed: RoundSeed(in.Secret, in.PublicEntropy, in.RoundID)}
	r.targets = &roundTargets{}
	// The plans' own checks and strata are independent of one another:
	// they run in parallel; errors are then reported in the plans' order,
	// as one pass would meet them.
	type prepared struct {
		tags       *Difference
		e          *engine
		err        error
		increasing bool // the population is in strictly increasing id order
	}
	ready := make([]prepared, len(in.Plans))
	var wg sync.WaitGroup
	workers := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i := range in.Plans {
		wg.Go(func() {
			workers <- struct{}{}
			defer func() { <-workers }()
			p := &in.Plans[i]
			var inc bool
			if ready[i].tags, inc = scanPlan(i, p); ready[i].tags != nil {
				return
			}
			ready[i].e, ready[i].err = prepare(&Input{
				PlanID: p.PlanID, PlanVersion: p.PlanVersion, DrawDate: in.DrawDate, TeamSize: p.TeamSize,
				Departments: p.Departments, Strata: p.Strata, Default: p.Default, Population: p.Population,
				Inspectors: in.Inspectors,
			}, r.seed, op)
			ready[i].increasing = inc
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	var depts []string
	for i := range in.Plans {
		p := &in.Plans[i]
		if err := checkID(op, fmt.Sprintf("plans[%d].planId", i), p.PlanID); err != nil {
			return nil, err
		}
		if seen[p.PlanID] {
			return nil, invalid(op, "plan %q is in the round twice", p.PlanID)
		}
		seen[p.PlanID] = true
		if p.PlanVersion < 1 {
			return nil, invalid(op, "plan %q: version %d must be at least 1", p.PlanID, p.PlanVersion)
		}
		if d := ready[i].tags; d != nil {
			return nil, invalid(op, "%s: %s", d.Field, d.Problem)
		}
		e, err := ready[i].e, ready[i].err
		if err == nil {
			err = r.targets.add(e, ready[i].increasing, op)
		}
		if err != nil {
			return nil, invalid(op, "plan %q: %s", p.PlanID, backend.ErrorMessage(err))
		}
		r.plans = append(r.plans, e)
		depts = append(depts, p.Departments...)
	}
	if err := r.targets.finish(op); err != nil {
		return nil, err
	}
	slices.Sort(depts)
	depts = slices.Compact(depts)
	r.pool = &engine{in: &Input{DrawDate: in.DrawDate, Inspectors: in.Inspectors}, seed: r.seed, hashers: r.plans[0].hashers}
	if err := r.pool.prepareInspectors(op, depts); err != nil {
		return nil, err
	}
	return r, nil
}

// MaxPlanTags bounds the tags a plan targets (the plan's filter allows as many).
const MaxPlanTags = 32

// checkPlanTags checks plan i's tags (step 4 of docs/draw2.md): the
// plan's, sorted, unique, non-empty and at most MaxPlanTags; each
// candidate's, when the plan has tags, a non-empty sorted unique subset of
// them; when it has none, none.
func checkPlanTags(i int, p *RoundPlan) *Difference {
	d, _ := scanPlan(i, p)
	return d
}

// scanPlan is checkPlanTags, and reports whether the plan's population is
// in strictly increasing id order (increasing): one pass over a
// population of a million candidates costs more in memory reads than in
// the checks.
func scanPlan(i int, p *RoundPlan) (*Difference, bool) {
	f := fmt.Sprintf("plans[%d]", i)
	if len(p.Tags) > MaxPlanTags {
		return &Difference{Field: f + ".tags", Problem: fmt.Sprintf("%d tags: at most %d", len(p.Tags), MaxPlanTags)}, false
	}
	if problem := sortedTags(p.Tags); problem != "" {
		return &Difference{Field: f + ".tags", Problem: problem}, false
	}
	// Runs once per candidate of every plan: the field's name is built
	// only for a candidate at fault.
	inc := true
	for j := range p.Population {
		c := &p.Population[j]
		if j > 0 && inc && p.Population[j-1].ID >= c.ID {
			inc = false
		}
		var problem string
		switch {
		case len(p.Tags) == 0 && len(c.Tags) > 0:
			problem = fmt.Sprintf("target %q carries tags but the plan targets none", c.ID)
		case len(p.Tags) > 0 && len(c.Tags) == 0:
			problem = fmt.Sprintf("target %q carries none of the tags the plan targets: it is not in its population", c.ID)
		default:
			problem = sortedTags(c.Tags)
		}
		for _, tag := range c.Tags {
			if problem != "" {
				break
			}
			if _, ok := slices.BinarySearch(p.Tags, tag); !ok {
				problem = fmt.Sprintf("target %q: tag %q is not one the plan targets", c.ID, tag)
			}
		}
		if problem != "" {
			return &Difference{Field: fmt.Sprintf("%s.population[%d].tags", f, j), Problem: problem}, false
		}
	}
	return nil, inc
}

// sortedTags says what is wrong with a list of tags that must be
// non-empty strings in strictly increasing byte order.
func sortedTags(tags []string) string {
	for k, tag := range tags {
		switch {
		case tag == "":
			return "a tag is empty"
		case k > 0 && tags[k-1] >= tag:
			return fmt.Sprintf("tags %q, %q are not in increasing byte order", tags[k-1], tag)
		}
	}
	return ""
}

// checkSecret checks the secret's form and, when asked, that it is the
// committed one.
func checkSecret(op, secretHex, commitment string, checkCommitment bool) error {
	if !isLowerHex(secretHex, 64) {
		return invalid(op, "secret must be 64 lower-case hex digits")
	}
	if !checkCommitment {
		return nil
	}
	if !isLowerHex(commitment, 64) {
		return invalid(op, "commitment must be 64 lower-case hex digits")
	}
	secret, _ := hex.DecodeString(secretHex)
	if Commitment(secret) != commitment {
		return invalid(op, "the secret does not match the published commitment")
	}
	return nil
}

// visitDraft is a visit before its team: its target and the plans (by
// index in the round) that selected it, as bits (a round has at most 64).
type visitDraft struct {
	prn   uint64
	g     int32  // the target's global index
	hex   string // FormatPRN(prn), for the visit and every plan's pick
	id    string
	plans uint64
}

// visitShape is what the visits of one set of plans share.
type visitShape struct {
	plans, depts []string
	size         int
	team         team
}

func (r *round) draw() *RoundRecord {
	in := r.in
	rec := &RoundRecord{
		Algorithm: RoundAlgorithm, RoundID: in.RoundID, Commitment: in.Commitment, Secret: in.Secret,
		PublicEntropy: in.PublicEntropy, EntropySource: cloneSource(in.EntropySource),
		Seed: hex.EncodeToString(r.seed[:]), DrawDate: in.DrawDate,
		Inspectors: cloneInspectors(in.Inspectors),
	}
	t := r.targets
	draftOf := make([]int32, len(t.ids)) // global index → 1 + index in drafts, 0 for none
	var drafts []visitDraft
	// The plans select independently of one another (in parallel); their
	// picks become visits, marked here in the plans' order (integers only),
	// then ordered by (PRN, id), and the records' strings are filled in
	// parallel.
	picks := make([][]ranked, len(r.plans))
	r.plans[0].parallel(len(r.plans), len(t.order), func(_ *hasher, lo, hi int) {
		for pi := lo; pi < hi; pi++ {
			picks[pi] = t.selection(pi, r.plans[pi])
		}
	})
	for pi, picked := range picks {
		global := t.global[pi]
		for _, x := range picked {
			g := global[x.idx]
			if draftOf[g] == 0 {
				drafts = append(drafts, visitDraft{prn: x.prn, g: g})
				draftOf[g] = int32(len(drafts))
			}
			drafts[draftOf[g]-1].plans |= 1 << pi
		}
	}
	slices.SortFunc(drafts, func(a, b visitDraft) int {
		if a.prn != b.prn {
			if a.prn < b.prn {
				return -1
			}
			return 1
		}
		return strings.Compare(t.ids[a.g], t.ids[b.g])
	})
	r.plans[0].parallel(len(drafts), len(drafts), func(_ *hasher, lo, hi int) {
		for i := lo; i < hi; i++ {
			v := &drafts[i]
			v.hex, v.id = FormatPRN(v.prn), t.ids[v.g]
			draftOf[v.g] = int32(i + 1)
		}
	})
	rec.Plans = make([]PlanDraw, len(r.plans))
	r.plans[0].parallel(len(r.plans), len(drafts), func(_ *hasher, lo, hi int) {
		for pi := lo; pi < hi; pi++ {
			e, p, picked := r.plans[pi], &in.Plans[pi], picks[pi]
			pd := PlanDraw{
				PlanID: p.PlanID, PlanVersion: p.PlanVersion, TeamSize: p.TeamSize,
				Departments: slices.Clone(p.Departments), Tags: slices.Clone(p.Tags), Strata: slices.Clone(e.strata),
				Population: p.Population, Selected: make([]Pick, len(picked)),
			}
			for i, x := range picked {
				c := &p.Population[x.idx]
				pd.Selected[i] = Pick{ID: c.ID, Stratum: c.Stratum, PRN: drafts[draftOf[t.global[pi][x.idx]]-1].hex}
			}
			rec.Plans[pi] = pd
		}
	})

	// Visits of the same plans share their team shape and their lists of
	// plans and departments (one slice each, not one per visit).
	shapes := map[uint64]*visitShape{}
	visits := make([]Visit, len(drafts))
	teams := make([]team, len(drafts))
	for i := range drafts {
		v := &drafts[i]
		sh := shapes[v.plans]
		if sh == nil {
			sh = &visitShape{}
			for pi := range in.Plans {
				if v.plans&(1<<pi) == 0 {
					continue
				}
				p := &in.Plans[pi]
				sh.plans = append(sh.plans, p.PlanID)
				sh.depts = append(sh.depts, p.Departments...)
				sh.size = max(sh.size, p.TeamSize)
			}
			slices.Sort(sh.depts)
			sh.depts = slices.Compact(sh.depts)
			sh.team = r.teamOf(sh.depts, sh.size)
			shapes[v.plans] = sh
		}
		teams[i] = sh.team
		visits[i] = Visit{ID: v.id, PRN: v.hex, Order: i + 1, Plans: sh.plans, Departments: sh.depts, TeamSize: sh.size}
	}
	r.pool.assignEach(len(visits), func(i int) (string, team) { return visits[i].ID, teams[i] },
		func(i int, a Assignment) { visits[i].Assignment = a })
	if visits == nil {
		visits = []Visit{}
	}
	rec.Visits = visits
	return rec
}

// teamOf is the team shape of a visit by depts: the inspectors of those
// departments eligible on the draw day, size members, joint when the
// visit involves several departments.
func (r *round) teamOf(depts []string, size int) team {
	e := r.pool
	var pool []int32
	for _, rank := range e.static {
		if _, ok := slices.BinarySearch(depts, e.insp[rank].DepartmentID); ok {
			pool = append(pool, rank)
		}
	}
	return team{pool: pool, size: size, joint: len(depts) > 1}
}

// VerifyRound redoes a round from its record's own inputs and lists every
// recorded value that differs from the recomputed one. An empty list
// means the record is a faithful fc-draw-2 round.
func VerifyRound(rec *RoundRecord) []Difference {
	_, _, diffs := replayRound(rec)
	return diffs
}

// redoRound redoes a round's draw from its record's inputs and lists the
// recorded values of the draw (not its replacements) that differ; the
// round is nil when the record's inputs are invalid.
func redoRound(rec *RoundRecord) (*round, *RoundRecord, []Difference) {
	const op = "draw.VerifyRound"
	if rec == nil {
		return nil, nil, []Difference{{Field: "record", Problem: "no record"}}
	}
	in := &RoundInput{
		Algorithm: rec.Algorithm, RoundID: rec.RoundID, Commitment: rec.Commitment, Secret: rec.Secret,
		PublicEntropy: rec.PublicEntropy, EntropySource: rec.EntropySource, DrawDate: rec.DrawDate,
		Inspectors: rec.Inspectors,
	}
	for i, p := range rec.Plans {
		rp := RoundPlan{PlanID: p.PlanID, PlanVersion: p.PlanVersion, TeamSize: p.TeamSize, Departments: p.Departments,
			Tags: p.Tags, Strata: make(map[string]Rule, len(p.Strata)), Population: p.Population}
		if d := checkPlanTags(i, &rp); d != nil {
			return nil, nil, []Difference{*d}
		}
		for j, s := range p.Strata {
			if _, dup := rp.Strata[s.Key]; dup {
				return nil, nil, []Difference{{Field: fmt.Sprintf("plans[%d].strata[%d].key", i, j), Problem: fmt.Sprintf("stratum %q is listed twice", s.Key)}}
			}
			rp.Strata[s.Key] = s.Rule
		}
		in.Plans = append(in.Plans, rp)
	}
	r, err := newRound(in, op, false)
	if err != nil {
		return nil, nil, []Difference{{Field: "input", Problem: backend.ErrorMessage(err)}}
	}
	want := r.draw()
	var d differ
	secret, _ := hex.DecodeString(rec.Secret)
	d.str("commitment", rec.Commitment, Commitment(secret))
	d.str("seed", rec.Seed, want.Seed)
	for i := range rec.Plans {
		got, w := &rec.Plans[i], &want.Plans[i]
		f := fmt.Sprintf("plans[%d]", i)
		d.strata(f+".strata", got.Strata, w.Strata)
		d.count(f+".selected", len(got.Selected), len(w.Selected))
		for j := range min(len(got.Selected), len(w.Selected)) {
			if got.Selected[j] != w.Selected[j] {
				sf := fmt.Sprintf("%s.selected[%d]", f, j)
				d.str(sf+".id", got.Selected[j].ID, w.Selected[j].ID)
				d.str(sf+".stratum", got.Selected[j].Stratum, w.Selected[j].Stratum)
				d.str(sf+".prn", got.Selected[j].PRN, w.Selected[j].PRN)
			}
		}
	}
	d.count("visits", len(rec.Visits), len(want.Visits))
	for i := range min(len(rec.Visits), len(want.Visits)) {
		got, w := &rec.Visits[i], &want.Visits[i]
		if got.ID == w.ID && got.PRN == w.PRN && got.Order == w.Order && slices.Equal(got.Plans, w.Plans) &&
			slices.Equal(got.Departments, w.Departments) && got.TeamSize == w.TeamSize && got.Assignment.equal(&w.Assignment) {
			continue
		}
		f := fmt.Sprintf("visits[%d]", i)
		d.str(f+".id", got.ID, w.ID)
		d.str(f+".prn", got.PRN, w.PRN)
		d.int(f+".order", got.Order, w.Order)
		if !slices.Equal(got.Plans, w.Plans) {
			d.list = append(d.list, Difference{Field: f + ".plans", Recorded: quoteList(got.Plans), Recomputed: quoteList(w.Plans)})
		}
		if !slices.Equal(got.Departments, w.Departments) {
			d.list = append(d.list, Difference{Field: f + ".departments", Recorded: quoteList(got.Departments), Recomputed: quoteList(w.Departments)})
		}
		d.int(f+".teamSize", got.TeamSize, w.TeamSize)
		d.assignment(f, &got.Assignment, &w.Assignment)
	}
	return r, want, d.list
}
