package draw_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// benchInput builds a plan over the first departments of four (a joint plan
// when more than one, with a team of four): candidates in four strata, every
// twentieth excluded (5 %), the given ratio in every stratum, and 200
// inspectors in the four departments, some on leave, some with an expired
// certificate, some with a cap or a conflict.
func benchInput(candidates, ratioBp, departments int) draw.Input {
	secret := "6b1e4f0c5a0d8f1e2a3b4c5d6e7f80912a3b4c5d6e7f8091a2b3c4d5e6f70819"
	secretBytes, _ := hex.DecodeString(secret)
	in := draw.Input{
		Algorithm:     draw.Algorithm,
		PlanID:        "plan-bench",
		PlanVersion:   1,
		Commitment:    draw.Commitment(secretBytes),
		Secret:        secret,
		PublicEntropy: "bench",
		DrawDate:      "2025-05-20",
		TeamSize:      4,
		Departments:   []string{"dept-a", "dept-b", "dept-c", "dept-d"}[:departments],
		Strata:        map[string]draw.Rule{},
		Default:       &draw.Rule{RatioBp: &ratioBp},
		Population:    make([]draw.Candidate, candidates),
	}
	strata := []string{"A", "B", "C", "D"}
	codes := []string{draw.ExcludedInactive, draw.ExcludedWhitelist, draw.ExcludedAnnualCap, draw.ExcludedOperator}
	for i := range in.Population {
		c := &in.Population[i]
		c.ID = fmt.Sprintf("91330100%09dX", i)
		c.Stratum = strata[(i*7)%len(strata)]
		if (i/4)%20 == 19 { // 5 % of every stratum
			c.Excluded = codes[(i/80)%len(codes)]
			if c.Excluded == draw.ExcludedOperator {
				c.Note = "excluded by the operator"
			}
		}
	}
	for i := range 200 {
		p := draw.Inspector{
			ID:           fmt.Sprintf("insp-%03d", i),
			DepartmentID: []string{"dept-a", "dept-b", "dept-c", "dept-d"}[i%4],
			CertExpiry:   "2027-12-31",
		}
		switch i % 25 {
		case 3:
			p.CertExpiry = "2025-05-19"
		case 7:
			p.Leave = []draw.Period{{From: "2025-05-15", To: "2025-05-25"}}
		case 11:
			p.OpenTasks, p.TaskCap = 3, 20
		case 13:
			p.Conflicts = []string{in.Population[i].ID, in.Population[len(in.Population)-1-i].ID}
		}
		in.Inspectors = append(in.Inspectors, p)
	}
	return in
}

func BenchmarkRun(b *testing.B) {
	for _, size := range []struct {
		name        string
		n           int
		departments int
	}{
		{"10k", 10_000, 4},
		{"100k", 100_000, 4},
		{"1M", 1_000_000, 4},
		{"1M-single-department", 1_000_000, 1},
	} {
		b.Run(size.name, func(b *testing.B) {
			in := benchInput(size.n, 300, size.departments)
			rec := timed(b, func() (*draw.Record, error) { return draw.Run(in) })
			b.ReportMetric(float64(len(rec.Selected)), "targets")
		})
	}
}

func BenchmarkVerify1M(b *testing.B) {
	rec, err := draw.Run(benchInput(1_000_000, 300, 4))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if diffs := draw.Verify(rec); len(diffs) != 0 {
			b.Fatal(diffs[0])
		}
	}
}

// benchRound builds a round of plans over targets enterprises: plan k
// belongs to department k of eight, covers the targets whose index is not
// ≡ k (mod 4) (three quarters of the county, overlapping every other
// plan), stratifies them by credit class A–D with its own ratios (100 to
// 800 bp), and has 5 % of them excluded; 200 inspectors, 25 per
// department, some on leave, expired or capped.
func benchRound(targets, plans int) draw.RoundInput {
	secret := "0c5a0d8f1e2a3b4c5d6e7f80912a3b4c5d6e7f8091a2b3c4d5e6f708196b1e4f"
	secretBytes, _ := hex.DecodeString(secret)
	in := draw.RoundInput{
		Algorithm: draw.RoundAlgorithm, RoundID: "round-bench", Commitment: draw.Commitment(secretBytes),
		Secret: secret, PublicEntropy: "bench", DrawDate: "2025-05-20",
	}
	ids := make([]string, targets)
	for i := range ids {
		ids[i] = fmt.Sprintf("91330100%09dX", i)
	}
	strata := []string{"A", "B", "C", "D"}
	for k := range plans {
		p := draw.RoundPlan{
			PlanID: fmt.Sprintf("plan-%d", k), PlanVersion: 1, TeamSize: 2 + k%2,
			Departments: []string{fmt.Sprintf("dept-%d", k)}, Strata: map[string]draw.Rule{},
			Population: make([]draw.Candidate, 0, targets),
		}
		for s, key := range strata {
			p.Strata[key] = draw.RatioRule(100 * (1 + (k+s)%8))
		}
		for i, id := range ids {
			if i%4 == k%4 {
				continue
			}
			c := draw.Candidate{ID: id, Stratum: strata[(i*7)%4]}
			if (i/4+k)%20 == 19 {
				c.Excluded = draw.ExcludedVisitCap
			}
			p.Population = append(p.Population, c)
		}
		in.Plans = append(in.Plans, p)
	}
	for i := range 200 {
		p := draw.Inspector{ID: fmt.Sprintf("insp-%03d", i), DepartmentID: fmt.Sprintf("dept-%d", i%8), CertExpiry: "2027-12-31"}
		switch i % 25 {
		case 3:
			p.CertExpiry = "2025-05-19"
		case 7:
			p.Leave = []draw.Period{{From: "2025-05-15", To: "2025-05-25"}}
		case 11:
			p.OpenTasks, p.TaskCap = 3, 400
		}
		in.Inspectors = append(in.Inspectors, p)
	}
	return in
}

func BenchmarkRunRound(b *testing.B) {
	for _, bc := range []struct {
		name           string
		targets, plans int
	}{
		{"100k/8plans", 100_000, 8},
		{"1M/8plans", 1_000_000, 8},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := benchRound(bc.targets, bc.plans)
			rec := timed(b, func() (*draw.RoundRecord, error) { return draw.RunRound(in) })
			joint := 0
			for _, v := range rec.Visits {
				if v.Joint() {
					joint++
				}
			}
			b.ReportMetric(float64(len(rec.Visits)), "visits")
			b.ReportMetric(float64(joint), "joint")
		})
	}
}

// timed runs draw in the benchmark's loop and reports, besides wall time
// and allocations, the process's CPU time per run (the machine may be
// shared); it returns the last result.
func timed[R any](b *testing.B, draw func() (R, error)) R {
	b.ReportAllocs()
	var rec R
	var cpu int64
	for b.Loop() {
		c0 := cpuTime()
		var err error
		if rec, err = draw(); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	return rec
}

// BenchmarkRoundTags draws the 8-plan round of a million targets with
// every plan targeting tags (each candidate carrying one of them: the
// check of step 4 runs over 5.6 million candidates), and computes its
// preview's overlap.
func BenchmarkRoundTags(b *testing.B) {
	in := benchRound(1_000_000, 8)
	for k := range in.Plans {
		p := &in.Plans[k]
		p.Tags = []string{"危险化学品", "校园周边"}
		for i := range p.Population {
			p.Population[i].Tags = p.Tags[i%2 : i%2+1]
		}
	}
	b.Run("RunRound/1M/8plans", func(b *testing.B) {
		rec := timed(b, func() (*draw.RoundRecord, error) { return draw.RunRound(in) })
		b.ReportMetric(float64(len(rec.Visits)), "visits")
	})
	b.Run("Overlap/1M/8plans", func(b *testing.B) {
		o := timed(b, func() (*draw.RoundOverlap, error) { return draw.Overlap(in) })
		b.ReportMetric(float64(o.Several), "several")
	})
}
