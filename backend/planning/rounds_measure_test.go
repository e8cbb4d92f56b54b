package planning_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// TestMeasureDemoRound measures the coordination round on the demo county
// as the demo command seeds and draws it (docs/benchmarks.md,
// "Coordinated rounds on the demo county"): the round's visits against the
// floor Σ_i max_d π_di and independent draws Σ_i [1 − Π_d(1 − π_di)], and,
// over FIELDCHECK_MEASURE_ROUNDS rounds (at least 2,000) redrawn from its
// record with fresh secrets, each plan's selection frequency of each
// target against its π_di. Run with
//
//	FIELDCHECK_MEASURE_ROUNDS=2000 go test -count=1 -run TestMeasureDemoRound -v ./backend/planning/
func TestMeasureDemoRound(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("FIELDCHECK_MEASURE_ROUNDS"))
	if rounds == 0 {
		t.Skip("set FIELDCHECK_MEASURE_ROUNDS (at least 2000) to measure")
	}
	if rounds < 2000 {
		t.Fatalf("FIELDCHECK_MEASURE_ROUNDS=%d: at least 2000 rounds", rounds)
	}
	f := newFixture(t, demo.DefaultTargets)
	// Ids and secrets from a fixed stream: the same figures every run.
	f.svc.Rand = rand.NewChaCha8([32]byte{'r', 'o', 'u', 'n', 'd'})
	ctx := context.Background()
	// As the demo command does: the first plan, then the round.
	if _, err := demo.DrawFirstPlan(ctx, f.svc, f.now); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	res, err := demo.DrawRound(ctx, f.svc, f.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo.DrawRound (open, 5 plans created, published and registered, drawn with %d tasks created): %v", len(res.Tasks), time.Since(began).Round(time.Millisecond))
	rec := loadRoundRecord(t, f, res.Round.ID)
	b := rec.Burden()
	t.Logf("demo round: %d plans, %d visits (%d joint); floor %.2f, independent %.2f; visits/floor %.3f", len(rec.Plans), b.Visits, res.Round.JointVisits, b.Floor, b.Independent, float64(b.Visits)/b.Floor)
	for _, p := range rec.Plans {
		eligible, n := 0, 0
		for _, s := range p.Strata {
			eligible += s.Eligible
			n += s.N
		}
		t.Logf("  plan %s (%v): population %d, eligible %d, selected %d", p.PlanID, p.Departments, len(p.Population), eligible, n)
	}

	// The round redrawn from its record, with a fresh secret each time.
	in := draw.RoundInput{Algorithm: draw.RoundAlgorithm, RoundID: rec.RoundID, PublicEntropy: rec.PublicEntropy,
		EntropySource: rec.EntropySource, DrawDate: rec.DrawDate, Inspectors: rec.Inspectors}
	pi := make([]map[string]float64, len(rec.Plans))
	for i, p := range rec.Plans {
		rp := draw.RoundPlan{PlanID: p.PlanID, PlanVersion: p.PlanVersion, TeamSize: p.TeamSize, Departments: p.Departments,
			Strata: map[string]draw.Rule{}, Population: p.Population}
		share := map[string]float64{}
		for _, s := range p.Strata {
			rp.Strata[s.Key] = s.Rule
			if s.Eligible > 0 {
				share[s.Key] = float64(s.N) / float64(s.Eligible)
			}
		}
		pi[i] = map[string]float64{}
		for _, c := range p.Population {
			if c.Excluded == "" {
				pi[i][c.ID] = share[c.Stratum]
			}
		}
		in.Plans = append(in.Plans, rp)
	}
	counts := make([]map[string]int, len(rec.Plans))
	for i := range counts {
		counts[i] = map[string]int{}
	}
	visits := 0
	start := time.Now()
	for k := range rounds {
		secret := sha256.Sum256([]byte(fmt.Sprintf("demo round %d", k)))
		in.Secret, in.Commitment = hex.EncodeToString(secret[:]), draw.Commitment(secret[:])
		r, err := draw.RunRound(in)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range r.Plans {
			for _, s := range p.Selected {
				counts[i][s.ID]++
			}
		}
		visits += len(r.Visits)
	}
	elapsed := time.Since(start)
	pairs, outside, worst, expected := 0, 0, 0.0, 0.0
	tails := map[float64]float64{}
	for i, probs := range pi {
		for id, p := range probs {
			got := float64(counts[i][id]) / float64(rounds)
			if p == 0 || p == 1 {
				if got != p {
					t.Errorf("plan %s: target %s selected in %.4f of rounds, π = %v", rec.Plans[i].PlanID, id, got, p)
				}
				continue
			}
			pairs++
			if _, ok := tails[p]; !ok {
				tails[p] = beyond3Sigma(rounds, p)
			}
			expected += tails[p]
			z := math.Abs(got-p) / math.Sqrt(p*(1-p)/float64(rounds))
			worst = math.Max(worst, z)
			if z > 3 {
				outside++
			}
		}
		for id := range counts[i] {
			if _, ok := probs[id]; !ok {
				t.Errorf("plan %s selected %s, which is not eligible in it", rec.Plans[i].PlanID, id)
			}
		}
	}
	mean := float64(visits) / float64(rounds)
	t.Logf("%d rounds in %v (%.1f ms each): mean visits %.2f = %.4f × floor %.2f (independent %.2f); %d (plan, target) pairs, %d beyond 3σ (%.2f%%), %.1f expected of honest samples (binomial tails), largest |z| %.2f",
		rounds, elapsed.Round(time.Millisecond), float64(elapsed.Milliseconds())/float64(rounds), mean, mean/b.Floor, b.Floor, b.Independent, pairs, outside, 100*float64(outside)/float64(pairs), expected, worst)
	if mean > 1.05*b.Floor {
		t.Errorf("mean visits %.2f, more than 1.05 × the floor %.2f", mean, b.Floor)
	}
	// Honest samples put some pairs beyond 3σ by chance (the binomial's
	// tails, more than the normal's 0.27% for small π): a bias shows as
	// far more than expected.
	if limit := expected + 5*math.Sqrt(expected); float64(outside) > limit {
		t.Errorf("%d of %d (plan, target) pairs beyond 3σ, %.1f expected: more than %.1f", outside, pairs, expected, limit)
	}
}

// beyond3Sigma is the probability that a Binomial(n, p) count divided by
// n lies more than 3σ = 3√(p(1−p)/n) from p.
func beyond3Sigma(n int, p float64) float64 {
	sigma := math.Sqrt(p * (1 - p) / float64(n))
	lgn, _ := math.Lgamma(float64(n + 1))
	sum := 0.0
	for k := 0; k <= n; k++ {
		if math.Abs(float64(k)/float64(n)-p) <= 3*sigma {
			continue
		}
		lk, _ := math.Lgamma(float64(k + 1))
		lnk, _ := math.Lgamma(float64(n - k + 1))
		sum += math.Exp(lgn - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
	}
	return sum
}
