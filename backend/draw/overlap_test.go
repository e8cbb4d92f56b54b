package draw_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// TestRoundTagsVerify changes the tags of the tagged round vector's record
// and expects verification to name the field; the untouched record and
// the vectors of rounds without tags verify.
func TestRoundTagsVerify(t *testing.T) {
	vs := roundVectors(t)
	for _, name := range []string{"round-tags", "round-four-plans", "round-by-hand"} {
		if diffs := draw.VerifyRound(mustRoundRecord(t, vs[name])); len(diffs) > 0 {
			t.Fatalf("%s: %v", name, diffs)
		}
	}
	tests := []struct {
		name, vector string
		edit         func(r *draw.RoundRecord)
		field        string
	}{
		{"CandidateTagNotThePlans", "round-tags", func(r *draw.RoundRecord) { r.Plans[1].Population[0].Tags = []string{"餐饮"} }, "plans[1].population[0].tags"},
		{"CandidateWithoutTag", "round-tags", func(r *draw.RoundRecord) { r.Plans[0].Population[2].Tags = nil }, "plans[0].population[2].tags"},
		{"CandidateTagsUnsorted", "round-tags", func(r *draw.RoundRecord) {
			for i := range r.Plans[0].Population {
				if c := &r.Plans[0].Population[i]; len(c.Tags) == 2 {
					c.Tags[0], c.Tags[1] = c.Tags[1], c.Tags[0]
					return
				}
			}
			t.Fatal("no candidate with two tags")
		}, "plans[0].population["},
		{"PlanTagDropped", "round-tags", func(r *draw.RoundRecord) { r.Plans[2].Tags = r.Plans[2].Tags[:1] }, "plans[2].population["},
		{"PlanTagsRemoved", "round-tags", func(r *draw.RoundRecord) { r.Plans[0].Tags = nil }, "plans[0].population[0].tags"},
		{"TagsAddedToAnUntaggedPlan", "round-four-plans", func(r *draw.RoundRecord) { r.Plans[1].Population[4].Tags = []string{"消防"} }, "plans[1].population[4].tags"},
		{"PlanTagEmpty", "round-tags", func(r *draw.RoundRecord) { r.Plans[1].Tags = append([]string{""}, r.Plans[1].Tags...) }, "plans[1].tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := mustRoundRecord(t, vs[tt.vector])
			tt.edit(rec)
			diffs := draw.VerifyRound(rec)
			if len(diffs) == 0 || !strings.HasPrefix(diffs[0].Field, tt.field) {
				t.Fatalf("differences %v, want one at %s", diffs, tt.field)
			}
			// RunRound refuses the same input.
			in := draw.RoundInput{Algorithm: rec.Algorithm, RoundID: rec.RoundID, Commitment: rec.Commitment, Secret: rec.Secret,
				PublicEntropy: rec.PublicEntropy, EntropySource: rec.EntropySource, DrawDate: rec.DrawDate, Inspectors: rec.Inspectors}
			for _, p := range rec.Plans {
				rules := map[string]draw.Rule{}
				for _, s := range p.Strata {
					rules[s.Key] = s.Rule
				}
				in.Plans = append(in.Plans, draw.RoundPlan{PlanID: p.PlanID, PlanVersion: p.PlanVersion, TeamSize: p.TeamSize,
					Departments: p.Departments, Tags: p.Tags, Strata: rules, Population: p.Population})
			}
			if _, err := draw.RunRound(in); err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("RunRound: %v, want an error naming %s", err, tt.field)
			}
		})
	}
}

// TestRoundOverlap computes the overlap of the tagged vector's plans and
// compares it with counts made directly from the populations, and its
// expected visits with the drawn record's burden figures.
func TestRoundOverlap(t *testing.T) {
	v := roundVectors(t)["round-tags"]
	in := mustRoundInput(t, v)
	o, err := draw.Overlap(in)
	if err != nil {
		t.Fatal(err)
	}
	eligible := make([]map[string]bool, len(in.Plans))
	count := map[string]int{}
	for i, p := range in.Plans {
		eligible[i] = map[string]bool{}
		for _, c := range p.Population {
			if c.Excluded == "" {
				eligible[i][c.ID] = true
				count[c.ID]++
			}
		}
		if o.Plans[i].PlanID != p.PlanID || o.Plans[i].Eligible != len(eligible[i]) || !slices.Equal(o.Plans[i].Tags, p.Tags) {
			t.Fatalf("plan %d: %+v; want %s with %d eligible, tags %v", i, o.Plans[i], p.PlanID, len(eligible[i]), p.Tags)
		}
	}
	k := 0
	for i := range in.Plans {
		for j := i + 1; j < len(in.Plans); j++ {
			both := 0
			for id := range eligible[i] {
				if eligible[j][id] {
					both++
				}
			}
			if got := o.Pairs[k]; got.A != in.Plans[i].PlanID || got.B != in.Plans[j].PlanID || got.Both != both {
				t.Fatalf("pair %d: %+v; want %s, %s: %d", k, got, in.Plans[i].PlanID, in.Plans[j].PlanID, both)
			}
			k++
		}
	}
	if k != len(o.Pairs) {
		t.Fatalf("%d pairs, want %d", len(o.Pairs), k)
	}
	hist := make([]int, len(in.Plans))
	several := 0
	for _, n := range count {
		hist[n-1]++
		if n > 1 {
			several++
		}
	}
	if !slices.Equal(o.InPlans, hist) || o.Several != several || several == 0 {
		t.Fatalf("in plans %v, several %d; want %v, %d (> 0)", o.InPlans, o.Several, hist, several)
	}
	rec := mustRoundRecord(t, v)
	b := rec.Burden()
	if math.Abs(o.Floor-b.Floor) > 1e-9 || math.Abs(o.Independent-b.Independent) > 1e-9 || o.Floor > o.Independent {
		t.Fatalf("floor %.4f, independent %.4f; the record's %.4f, %.4f", o.Floor, o.Independent, b.Floor, b.Independent)
	}
	for i, p := range rec.Plans {
		n := 0
		for _, s := range p.Strata {
			n += s.N
		}
		if o.Plans[i].Selected != n || o.Plans[i].Selected != len(p.Selected) {
			t.Fatalf("plan %s: %d selected in the preview, the draw's strata %d, selection %d", p.PlanID, o.Plans[i].Selected, n, len(p.Selected))
		}
	}
	in.Plans[0].Population[0].Tags = nil
	if _, err := draw.Overlap(in); err == nil {
		t.Fatal("an overlap with a candidate outside the plan's tags was computed")
	}
}
