package draw_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// roundVector is a round written by testdata/draw/gen_vectors.py, the
// independent Python implementation of fc-draw-2.
type roundVector struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Input       json.RawMessage `json:"input"`
	// Replace are replacements of plans' parts, made in order after the
	// draw (draw.ReplaceInRound); Expected is the record after them.
	Replace []struct {
		Plan   string `json:"plan"`
		Target string `json:"target"`
		Reason string `json:"reason"`
	} `json:"replace"`
	Expected json.RawMessage `json:"expected"`
}

func roundVectors(tb testing.TB) map[string]*roundVector {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "rounds", "*.json"))
	if err != nil || len(files) < 2 {
		tb.Fatalf("round vectors: %d files, err=%v; want at least 2", len(files), err)
	}
	out := map[string]*roundVector{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var v roundVector
		mustDecode(tb, b, &v)
		out[v.Name] = &v
	}
	return out
}

func mustRoundInput(tb testing.TB, v *roundVector) draw.RoundInput {
	tb.Helper()
	var in draw.RoundInput
	mustDecode(tb, v.Input, &in)
	return in
}

func mustRoundRecord(tb testing.TB, v *roundVector) *draw.RoundRecord {
	tb.Helper()
	var rec draw.RoundRecord
	mustDecode(tb, v.Expected, &rec)
	return &rec
}

func TestRoundVectors(t *testing.T) {
	for name, v := range roundVectors(t) {
		t.Run(name, func(t *testing.T) {
			rec, err := draw.RunRound(mustRoundInput(t, v))
			if err != nil {
				t.Fatalf("RunRound: %v", err)
			}
			for i, x := range v.Replace {
				if _, err := draw.ReplaceInRound(rec, x.Plan, x.Target, x.Reason); err != nil {
					t.Fatalf("replacement %d (%s, %s): %v", i, x.Plan, x.Target, err)
				}
			}
			if diffs := jsonDiff(t, rec, v.Expected); len(diffs) > 0 {
				t.Fatalf("RunRound differs from the Python implementation:\n%s", strings.Join(diffs, "\n"))
			}
			if diffs := draw.VerifyRound(mustRoundRecord(t, v)); len(diffs) > 0 {
				t.Fatalf("VerifyRound of the vector: %v", diffs)
			}
		})
	}
}

// TestRoundPlansAreTheirOwnSamples: a plan's part of a round is exactly
// the fc-draw-1 selection of that plan drawn with the round's PRNs, so
// coordination never changes what one plan draws given its PRNs; and the
// visits are the union of the selections.
func TestRoundPlansAreTheirOwnSamples(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	rec := mustRoundRecord(t, v)
	seed := draw.RoundSeed(rec.Secret, rec.PublicEntropy, rec.RoundID)
	union := map[string][]string{}
	for _, p := range rec.Plans {
		for _, s := range p.Selected {
			if got := draw.FormatPRN(draw.TargetPRN(seed, s.ID)); got != s.PRN {
				t.Errorf("plan %s: %s has PRN %s, want %s", p.PlanID, s.ID, s.PRN, got)
			}
			union[s.ID] = append(union[s.ID], p.PlanID)
		}
		// Alone, without the other plans, the plan selects the same.
		in := mustRoundInput(t, v)
		for _, q := range in.Plans {
			if q.PlanID == p.PlanID {
				in.Plans = []draw.RoundPlan{q}
			}
		}
		alone, err := draw.RunRound(in)
		if err != nil {
			t.Fatal(err)
		}
		if diffs := jsonDiff(t, alone.Plans[0].Selected, mustJSON(t, p.Selected)); len(diffs) > 0 {
			t.Errorf("plan %s drawn alone selects differently: %v", p.PlanID, diffs)
		}
	}
	if len(rec.Visits) != len(union) {
		t.Fatalf("%d visits for %d distinct selected targets", len(rec.Visits), len(union))
	}
	joint := 0
	for _, vis := range rec.Visits {
		if strings.Join(vis.Plans, ",") != strings.Join(union[vis.ID], ",") {
			t.Errorf("visit %s serves %v, selected by %v", vis.ID, vis.Plans, union[vis.ID])
		}
		if vis.Joint() {
			joint++
		}
	}
	if joint == 0 {
		t.Error("no joint visit in the four-plan round")
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestRoundByHand checks the round written out in docs/draw2.md.
func TestRoundByHand(t *testing.T) {
	doc, err := os.ReadFile("../../docs/draw2.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- round-by-hand:begin -->.*?```json\n(.*?)```.*<!-- round-by-hand:end -->").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/draw2.md has no round-by-hand JSON block")
	}
	var hand struct {
		Input    json.RawMessage `json:"input"`
		Expected json.RawMessage `json:"expected"`
	}
	mustDecode(t, m[1], &hand)
	var in draw.RoundInput
	mustDecode(t, hand.Input, &in)
	rec, err := draw.RunRound(in)
	if err != nil {
		t.Fatal(err)
	}
	// The page shows the outcome without the inputs repeated.
	got := map[string]any{"seed": rec.Seed, "visits": rec.Visits, "plans": []any{}}
	for _, p := range rec.Plans {
		got["plans"] = append(got["plans"].([]any), map[string]any{"planId": p.PlanID, "strata": p.Strata, "selected": p.Selected})
	}
	if diffs := jsonDiff(t, got, hand.Expected); len(diffs) > 0 {
		t.Fatalf("the round of docs/draw2.md comes out differently:\n%s", strings.Join(diffs, "\n"))
	}
	// And it is the Python implementation's round-by-hand vector.
	if diffs := jsonDiff(t, rec, roundVectors(t)["round-by-hand"].Expected); len(diffs) > 0 {
		t.Fatalf("docs/draw2.md and testdata/draw/rounds/round-by-hand.json disagree:\n%s", strings.Join(diffs, "\n"))
	}
}

// TestVerifyRoundNamesTheStep changes a round record one field at a time
// and expects the field to be named.
func TestVerifyRoundNamesTheStep(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	tests := []struct {
		name  string
		edit  func(r *draw.RoundRecord)
		field string
	}{
		{"SecretChanged", func(r *draw.RoundRecord) { r.Secret = flipHex(r.Secret) }, "commitment"},
		{"EntropyChanged", func(r *draw.RoundRecord) { r.EntropySource = nil; r.PublicEntropy += "!" }, "seed"},
		{"DeclaredEntropyNotTheSourceText", func(r *draw.RoundRecord) { r.PublicEntropy += " " }, "input"},
		{"RoundIDChanged", func(r *draw.RoundRecord) { r.RoundID += "x" }, "seed"},
		{"StratumCountChanged", func(r *draw.RoundRecord) { r.Plans[1].Strata[0].N++ }, "plans[1].strata[0].n"},
		{"PickPRNChanged", func(r *draw.RoundRecord) { r.Plans[0].Selected[0].PRN = flipHex(r.Plans[0].Selected[0].PRN) }, "plans[0].selected[0].prn"},
		{"PickDropped", func(r *draw.RoundRecord) { r.Plans[2].Selected = r.Plans[2].Selected[1:] }, "plans[2].selected"},
		{"CandidateExcludedAfterwards", func(r *draw.RoundRecord) {
			id := r.Plans[3].Selected[0].ID
			for i := range r.Plans[3].Population {
				if r.Plans[3].Population[i].ID == id {
					r.Plans[3].Population[i].Excluded = draw.ExcludedVisitCap
				}
			}
		}, "plans[3].strata[0].eligible"},
		{"VisitPlansChanged", func(r *draw.RoundRecord) { r.Visits[0].Plans = r.Visits[0].Plans[:0] }, "visits[0].plans"},
		{"VisitTeamSwapped", func(r *draw.RoundRecord) {
			t := r.Visits[1].Team
			t[0], t[1] = t[1], t[0]
		}, "visits[1].team"},
		{"VisitOrderChanged", func(r *draw.RoundRecord) { r.Visits[0], r.Visits[1] = r.Visits[1], r.Visits[0] }, "visits[0].id"},
		{"InspectorPoolGrown", func(r *draw.RoundRecord) {
			r.Inspectors = append(r.Inspectors, draw.Inspector{ID: "amr-00", DepartmentID: "amr", CertExpiry: "2099-12-31"})
		}, "visits["},
		{"VisitDropped", func(r *draw.RoundRecord) { r.Visits = r.Visits[:len(r.Visits)-1] }, "visits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := mustRoundRecord(t, v)
			tt.edit(rec)
			diffs := draw.VerifyRound(rec)
			if len(diffs) == 0 {
				t.Fatal("the changed record verifies")
			}
			for _, d := range diffs {
				if strings.HasPrefix(d.Field, tt.field) {
					return
				}
			}
			t.Fatalf("no difference at %s: %v", tt.field, diffs)
		})
	}
}

func flipHex(s string) string {
	c := "1"
	if s[0] == '1' {
		c = "2"
	}
	return c + s[1:]
}

func TestRoundRefusesBadInput(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	tests := []struct {
		name string
		edit func(in *draw.RoundInput)
		want string
	}{
		{"WrongAlgorithm", func(in *draw.RoundInput) { in.Algorithm = draw.Algorithm }, `algorithm "fc-draw-1" is not fc-draw-2`},
		{"NoPlans", func(in *draw.RoundInput) { in.Plans = nil }, "a round has 1 to 64 plans, not 0"},
		{"TooManyPlans", func(in *draw.RoundInput) {
			for i := len(in.Plans); i <= draw.MaxRoundPlans; i++ {
				p := in.Plans[0]
				p.PlanID = fmt.Sprintf("extra-%d", i)
				in.Plans = append(in.Plans, p)
			}
		}, "a round has 1 to 64 plans, not 65"},
		{"PlanTwice", func(in *draw.RoundInput) { in.Plans[1].PlanID = in.Plans[0].PlanID }, "is in the round twice"},
		{"PlanVersionZero", func(in *draw.RoundInput) { in.Plans[2].PlanVersion = 0 }, "version 0 must be at least 1"},
		{"TeamOfOne", func(in *draw.RoundInput) { in.Plans[0].TeamSize = 1 }, `plan "plan-2026-amr-q1": team size 1`},
		{"DuplicateCandidate", func(in *draw.RoundInput) {
			in.Plans[1].Population = append(in.Plans[1].Population, in.Plans[1].Population[0])
		}, "appears twice in the population"},
		{"DuplicateAdjacent", func(in *draw.RoundInput) {
			pop := in.Plans[2].Population
			in.Plans[2].Population = append([]draw.Candidate{pop[0]}, pop...)
		}, fmt.Sprintf("candidate %q appears twice", mustRoundInput(t, v).Plans[2].Population[0].ID)},
		{"UnknownExclusion", func(in *draw.RoundInput) { in.Plans[0].Population[0].Excluded = "tired" }, `unknown exclusion code "tired"`},
		{"BadCommitment", func(in *draw.RoundInput) { in.Commitment = flipHex(in.Commitment) }, "does not match the published commitment"},
		{"BadRoundID", func(in *draw.RoundInput) { in.RoundID = "a\nb" }, "roundId"},
		{"DrawBeforeResult", func(in *draw.RoundInput) { in.DrawDate = "2026-04-05" }, "drawDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustRoundInput(t, v)
			tt.edit(&in)
			_, err := draw.RunRound(in)
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.want) {
				t.Fatalf("RunRound: %v; want EINVALID saying %q", err, tt.want)
			}
		})
	}
}

// TestRoundPopulationOrder: the draw does not depend on the order in
// which a plan lists its population, whether every plan lists it in id
// order (the targets are merged), none does, or only a later one (the
// round then looks targets up by id).
func TestRoundPopulationOrder(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	want := mustRoundRecord(t, v)
	sorted := func(pop []draw.Candidate) {
		slices.SortFunc(pop, func(a, b draw.Candidate) int { return strings.Compare(a.ID, b.ID) })
	}
	reversed := func(pop []draw.Candidate) { sorted(pop); slices.Reverse(pop) }
	tests := []struct {
		name  string
		order func(plan int, pop []draw.Candidate)
	}{
		{"AllInIDOrder", func(_ int, pop []draw.Candidate) { sorted(pop) }},
		{"NoneInIDOrder", func(_ int, pop []draw.Candidate) { reversed(pop) }},
		{"LastNotInIDOrder", func(plan int, pop []draw.Candidate) {
			if sorted(pop); plan == len(want.Plans)-1 {
				reversed(pop)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustRoundInput(t, v)
			for i := range in.Plans {
				in.Plans[i].Population = slices.Clone(in.Plans[i].Population)
				tt.order(i, in.Plans[i].Population)
			}
			rec, err := draw.RunRound(in)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want.Plans {
				if diffs := jsonDiff(t, rec.Plans[i].Selected, mustJSON(t, want.Plans[i].Selected)); len(diffs) > 0 {
					t.Errorf("plan %s selects differently: %v", want.Plans[i].PlanID, diffs)
				}
			}
			if diffs := jsonDiff(t, rec.Visits, mustJSON(t, want.Visits)); len(diffs) > 0 {
				t.Errorf("visits differ: %v", diffs)
			}
		})
	}
}

// TestRoundInclusionFrequencies draws a round of three overlapping plans
// 2,000 times with fresh secrets: every plan's selection frequency of
// every target stays within 3σ of its inclusion probability n/N (each
// plan is an honest stratified sample), and the round's distinct visits
// come close to the floor Σ_i max_d π_di, far below independent draws.
func TestRoundInclusionFrequencies(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 rounds")
	}
	const rounds = 2000
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%02d", i)
	}
	cands := func(lo, hi int, stratum func(i int) string) []draw.Candidate {
		var out []draw.Candidate
		for i := lo; i < hi; i++ {
			out = append(out, draw.Candidate{ID: ids[i], Stratum: stratum(i)})
		}
		return out
	}
	plans := []draw.RoundPlan{
		{PlanID: "a", PlanVersion: 1, TeamSize: 2, Departments: []string{"a"},
			Strata:     map[string]draw.Rule{"x": draw.CountRule(4), "y": draw.RatioRule(2500)},
			Population: cands(0, 30, func(i int) string { return []string{"x", "y"}[i%2] })},
		{PlanID: "b", PlanVersion: 1, TeamSize: 2, Departments: []string{"b"},
			Strata:     map[string]draw.Rule{"z": draw.CountRule(6)},
			Population: cands(10, 40, func(int) string { return "z" })},
		{PlanID: "c", PlanVersion: 1, TeamSize: 2, Departments: []string{"c"},
			Strata:     map[string]draw.Rule{"u": draw.RatioRule(1000), "v": draw.CountRule(3)},
			Population: cands(0, 40, func(i int) string { return []string{"u", "v"}[i/20] })},
	}
	// π per plan and target, from N and n of the target's stratum.
	pi := map[string]map[string]float64{}
	for _, p := range plans {
		size := map[string]int{}
		for _, c := range p.Population {
			size[c.Stratum]++
		}
		pi[p.PlanID] = map[string]float64{}
		for _, c := range p.Population {
			rule := p.Strata[c.Stratum]
			n := 0
			if rule.Count != nil {
				n = min(*rule.Count, size[c.Stratum])
			} else {
				n = (*rule.RatioBp*size[c.Stratum] + 9999) / 10000
			}
			pi[p.PlanID][c.ID] = float64(n) / float64(size[c.Stratum])
		}
	}
	var inspectors []draw.Inspector
	for _, d := range []string{"a", "b", "c"} {
		for k := range 3 {
			inspectors = append(inspectors, draw.Inspector{ID: fmt.Sprintf("%s-%d", d, k), DepartmentID: d, CertExpiry: "2099-12-31"})
		}
	}
	counts := map[string]map[string]int{"a": {}, "b": {}, "c": {}}
	visits := 0
	var last *draw.RoundRecord
	for r := range rounds {
		secret := sha256.Sum256([]byte(fmt.Sprintf("inclusion round %d", r)))
		in := draw.RoundInput{
			Algorithm: draw.RoundAlgorithm, RoundID: "stat", Secret: hex.EncodeToString(secret[:]),
			PublicEntropy: "", DrawDate: "2026-12-04", Plans: plans, Inspectors: inspectors,
		}
		in.Commitment = draw.Commitment(secret[:])
		rec, err := draw.RunRound(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rec.Plans {
			for _, s := range p.Selected {
				counts[p.PlanID][s.ID]++
			}
		}
		visits += len(rec.Visits)
		last = rec
	}
	for plan, probs := range pi {
		for id, p := range probs {
			sigma := math.Sqrt(p * (1 - p) / rounds)
			got := float64(counts[plan][id]) / rounds
			if math.Abs(got-p) > 3*sigma {
				t.Errorf("plan %s selected %s in %.4f of rounds, π = %.4f (3σ = %.4f)", plan, id, got, p, 3*sigma)
			}
		}
	}
	// The round's strata do not change with the seed: nor do its figures.
	b := last.Burden()
	floor, independent := b.Floor, b.Independent
	mean := float64(visits) / rounds
	t.Logf("distinct visits per round: %.2f; floor Σ max π = %.2f; independent draws Σ 1−Π(1−π) = %.2f", mean, floor, independent)
	if mean > 1.05*floor {
		t.Errorf("%.2f visits per round, more than 1.05 × the floor %.2f", mean, floor)
	}
	if mean >= independent {
		t.Errorf("%.2f visits per round, no fewer than independent draws (%.2f)", mean, independent)
	}
}

// TestRoundBurden works the figures of the round by hand out on paper:
// plan-scjg takes each of its four targets with π = 2/4, plan-wjw each of
// its four with 1/4, three targets being in both.
func TestRoundBurden(t *testing.T) {
	in := mustRoundInput(t, roundVectors(t)["round-by-hand"])
	rec, err := draw.RunRound(in)
	if err != nil {
		t.Fatal(err)
	}
	got := rec.Burden()
	// floor: 4 × 1/2 (…11 … …44) + 1/4 (…55); independent: 1/2 (…11) +
	// 3 × (1 − 1/2 × 3/4) (…22 … …44) + 1/4 (…55).
	want := backend.RoundBurden{Visits: 2, Floor: 2.25, Independent: 2.625}
	if got != want {
		t.Fatalf("Burden() = %+v, want %+v", got, want)
	}

	t.Run("ExcludedCountsZero", func(t *testing.T) {
		in := mustRoundInput(t, roundVectors(t)["round-by-hand"])
		in.Plans[1].Population[3].Excluded = draw.ExcludedVisitCap // …55 leaves plan-wjw: 1 of 3 eligible
		rec, err := draw.RunRound(in)
		if err != nil {
			t.Fatal(err)
		}
		got := rec.Burden()
		// floor: 4 × 1/2; independent: 1/2 + 3 × (1 − 1/2 × 2/3).
		if math.Abs(got.Floor-2) > 1e-12 || math.Abs(got.Independent-2.5) > 1e-12 {
			t.Fatalf("Burden() = %+v, want floor 2 and independent 2.5", got)
		}
	})
}

// TestRoundBurdenGroups: the burden per department counts each
// department's plans alone and the visits it takes part in; per region,
// the regions' figures add up to the round's.
func TestRoundBurdenGroups(t *testing.T) {
	rec := mustRoundRecord(t, roundVectors(t)["round-four-plans"])
	total := rec.Burden()
	for _, g := range rec.BurdenByDepartment() {
		var plans []draw.PlanDraw
		for _, p := range rec.Plans {
			if slices.Contains(p.Departments, g.Key) {
				plans = append(plans, p)
			}
		}
		alone := (&draw.RoundRecord{Plans: plans}).Burden()
		visits := 0
		for _, v := range rec.Visits {
			if slices.Contains(v.Departments, g.Key) {
				visits++
			}
		}
		if g.Floor != alone.Floor || g.Independent != alone.Independent || g.Visits != visits || g.Floor > g.Independent+1e-9 {
			t.Errorf("department %s: %+v, want floor %.4f independent %.4f visits %d", g.Key, g.RoundBurden, alone.Floor, alone.Independent, visits)
		}
	}
	// Regions by the sum of the id's bytes: three groups.
	regionOf := func(id string) string {
		sum := 0
		for i := range len(id) {
			sum += int(id[i])
		}
		return string("abc"[sum%3])
	}
	var sum backend.RoundBurden
	groups := rec.BurdenByRegion(regionOf)
	for _, g := range groups {
		sum.Visits += g.Visits
		sum.Floor += g.Floor
		sum.Independent += g.Independent
	}
	if len(groups) != 3 || sum.Visits != total.Visits || math.Abs(sum.Floor-total.Floor) > 1e-9 || math.Abs(sum.Independent-total.Independent) > 1e-9 {
		t.Fatalf("%d regions adding up to %+v; the round is %+v", len(groups), sum, total)
	}
}
