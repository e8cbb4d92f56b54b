package draw_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// recordWithReplacement is the single-department draw with one replacement.
func recordWithReplacement(tb testing.TB) *draw.Record {
	tb.Helper()
	rec := MustRecord(tb, "single-department")
	if _, err := draw.Replace(rec, rec.Selected[0].ID, "无法联系"); err != nil {
		tb.Fatal(err)
	}
	return rec
}

// notSelected returns the index in the population of an eligible candidate
// of stratum that was not drawn.
func notSelected(tb testing.TB, rec *draw.Record, stratum string) int {
	tb.Helper()
	for i, c := range rec.Population {
		if c.Stratum == stratum && c.Excluded == "" && !slices.ContainsFunc(rec.Selected, func(s draw.Selection) bool { return s.ID == c.ID }) &&
			!slices.ContainsFunc(rec.Replacements, func(r draw.Replacement) bool { return r.Replacement == c.ID }) {
			return i
		}
	}
	tb.Fatalf("no undrawn candidate in stratum %s", stratum)
	return -1
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(rec *draw.Record)
		want   []string // fields that must be reported; none for OK
	}{
		{"OK", func(rec *draw.Record) {}, nil},
		{"ChangedEntropy", func(rec *draw.Record) { rec.PublicEntropy += " " }, []string{"seed", "selected[0].prn"}},
		{"ChangedSeed", func(rec *draw.Record) { rec.Seed = strings.Repeat("ab", 32) }, []string{"seed"}},
		{"ChangedCommitment", func(rec *draw.Record) { rec.Commitment = strings.Repeat("0", 64) }, []string{"commitment"}},
		{"ChangedSecret", func(rec *draw.Record) { rec.Secret = strings.Repeat("1", 64) }, []string{"commitment", "seed"}},
		{"ChangedPlanID", func(rec *draw.Record) { rec.PlanID = "plan-other" }, []string{"seed"}},
		{"SwappedSelection", func(rec *draw.Record) {
			rec.Selected[1].ID, rec.Selected[2].ID = rec.Selected[2].ID, rec.Selected[1].ID
		}, []string{"selected[1].id", "selected[2].id"}},
		{"SubstitutedTarget", func(rec *draw.Record) {
			rec.Selected[3].ID = rec.Population[notSelected(t, rec, rec.Selected[3].Stratum)].ID
		}, []string{"selected[3].id"}},
		{"ChangedPRN", func(rec *draw.Record) { rec.Selected[2].PRN = "0000000000000000" }, []string{"selected[2].prn"}},
		{"ChangedOrder", func(rec *draw.Record) { rec.Selected[4].Order = 1 }, []string{"selected[4].order"}},
		{"ChangedTeam", func(rec *draw.Record) { rec.Selected[5].Team[0] = "amr-05" }, []string{"selected[5].team"}},
		{"ChangedShort", func(rec *draw.Record) { rec.Selected[5].Short = true }, []string{"selected[5].short"}},
		{"DroppedTarget", func(rec *draw.Record) { rec.Selected = rec.Selected[:len(rec.Selected)-1] }, []string{"selected"}},
		{"ChangedStratumCount", func(rec *draw.Record) { rec.Strata[1].N = 2 }, []string{"strata[1].n"}},
		{"ChangedRule", func(rec *draw.Record) { rec.Strata[1].Rule = draw.CountRule(4) }, []string{"strata[1].n", "selected"}},
		{"RemovedCandidate", func(rec *draw.Record) {
			i := notSelected(t, rec, "A")
			rec.Population = slices.Delete(rec.Population, i, i+1)
		}, []string{"strata[0].population", "strata[0].eligible"}},
		{"RemovedSelectedCandidate", func(rec *draw.Record) {
			i := slices.IndexFunc(rec.Population, func(c draw.Candidate) bool { return c.ID == rec.Selected[2].ID })
			rec.Population = slices.Delete(rec.Population, i, i+1)
		}, []string{"selected[2].id"}},
		{"AddedExclusion", func(rec *draw.Record) {
			i := slices.IndexFunc(rec.Population, func(c draw.Candidate) bool { return c.ID == rec.Selected[6].ID })
			rec.Population[i].Excluded = draw.ExcludedWhitelist
		}, []string{"selected[6].id"}},
		{"RemovedInspector", func(rec *draw.Record) { rec.Inspectors = rec.Inspectors[1:] }, []string{"selected[0].team"}},
		{"ChangedDrawDate", func(rec *draw.Record) { rec.DrawDate = "2025-03-19" }, []string{"selected[0].team"}},
		{"ChangedReplacement", func(rec *draw.Record) {
			rec.Replacements[0].Replacement = rec.Population[notSelected(t, rec, "B")].ID
		}, []string{"replacements[0].replacement"}},
		{"ChangedReplacementTeam", func(rec *draw.Record) {
			rec.Replacements[0].Team = []string{"amr-01"}
		}, []string{"replacements[0].team"}},
		{"ReplacedUnknownTarget", func(rec *draw.Record) { rec.Replacements[0].Replaced = "nobody" }, []string{"replacements[0]"}},
		{"ReplacedTwice", func(rec *draw.Record) {
			rec.Replacements = append(rec.Replacements, rec.Replacements[0])
		}, []string{"replacements[1]"}},
		{"WrongAlgorithm", func(rec *draw.Record) { rec.Algorithm = "fc-draw-0" }, []string{"input"}},
		{"DuplicateStratum", func(rec *draw.Record) { rec.Strata = append(rec.Strata, rec.Strata[0]) }, []string{"strata[3].key"}},
		{"StratumMissing", func(rec *draw.Record) { rec.Strata = rec.Strata[1:] }, []string{"input"}},
		{"StrataOutOfOrder", func(rec *draw.Record) {
			rec.Strata[0], rec.Strata[1] = rec.Strata[1], rec.Strata[0]
		}, []string{"strata[0].key", "strata[1].key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := recordWithReplacement(t)
			tt.tamper(rec)
			diffs := draw.Verify(rec)
			if len(tt.want) == 0 && len(diffs) != 0 {
				t.Fatalf("Verify=%v, want no differences", diffs)
			}
			for _, field := range tt.want {
				if !slices.ContainsFunc(diffs, func(d draw.Difference) bool { return d.Field == field }) {
					t.Errorf("Verify does not report %s; got %v", field, diffs)
				}
			}
			for _, d := range diffs {
				if d.String() == "" || d.Field == "" {
					t.Errorf("difference %#v has no description", d)
				}
			}
		})
	}
}

func TestVerifyNil(t *testing.T) {
	diffs := draw.Verify(nil)
	if len(diffs) != 1 || diffs[0].Field != "record" {
		t.Errorf("Verify(nil)=%v, want one difference on record", diffs)
	}
}

func TestDifferenceString(t *testing.T) {
	rec := MustRecord(t, "joint-plan")
	rec.Selected[0].Team = []string{"x", "y"}
	diffs := draw.Verify(rec)
	if len(diffs) != 1 {
		t.Fatalf("Verify=%v, want one difference", diffs)
	}
	want := `selected[0].team: recorded ["x", "y"], recomputed ["amr-01", "fire-03", "health-03"]`
	if got := diffs[0].String(); got != want {
		t.Errorf("String()=%s, want %s", got, want)
	}
}

// TestVerifyDeclaredSource checks a record that carries the entropy source
// of its plan version: its public entropy must be exactly that source's
// text for a value in canonical form, and its draw date not before the
// result's day. A record that recomputes consistently from free text (the
// seed follows the entropy) is still reported.
func TestVerifyDeclaredSource(t *testing.T) {
	reseed := func(rec *draw.Record) {
		rec.Seed = fmt.Sprintf("%x", draw.Seed(rec.Secret, rec.PublicEntropy, rec.PlanID))
	}
	tests := []struct {
		name   string
		tamper func(rec *draw.Record)
		want   []string
	}{
		{"OK", func(rec *draw.Record) {}, nil},
		{"OK/WithoutSourceAsBefore", func(rec *draw.Record) { rec.EntropySource = nil }, nil},
		{"FreeText", func(rec *draw.Record) {
			rec.PublicEntropy = "福彩双色球 2026050 03 09 15 22 28 31 + 07（更正 42）"
		}, []string{"publicEntropy", "seed"}},
		{"FreeSuffix", func(rec *draw.Record) { rec.PublicEntropy += "（更正 42）" }, []string{"publicEntropy", "seed"}},
		{"WrongForm", func(rec *draw.Record) {
			rec.PublicEntropy = "福彩双色球 第2026050期 2026-05-03 09 03 15 22 28 31 + 07"
		}, []string{"publicEntropy", "seed"}},
		{"OtherIssue", func(rec *draw.Record) { rec.EntropySource.Issue = "2026051" }, []string{"publicEntropy"}},
		{"UnknownSource", func(rec *draw.Record) { rec.EntropySource.Source = "shanghai-index" }, []string{"entropySource"}},
		{"DrawnBeforeResult", func(rec *draw.Record) { rec.DrawDate = "2026-05-02" }, []string{"drawDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := MustRecord(t, "declared-source")
			tt.tamper(rec)
			reseed(rec)
			diffs := draw.Verify(rec)
			if len(tt.want) == 0 && len(diffs) != 0 {
				t.Fatalf("Verify=%v, want no differences", diffs)
			}
			for _, field := range tt.want {
				if field == "seed" {
					continue // reseeded: the seed agrees with the changed entropy
				}
				if !slices.ContainsFunc(diffs, func(d draw.Difference) bool { return d.Field == field && d.Problem != "" }) {
					t.Errorf("Verify does not report %s; got %v", field, diffs)
				}
			}
		})
	}
}

func TestRunDeclaredSource(t *testing.T) {
	tests := []struct {
		name   string
		change func(in *draw.Input)
		msg    string
	}{
		{"OK", func(in *draw.Input) {}, ""},
		{"ErrFreeText", func(in *draw.Input) { in.PublicEntropy = "福彩3D 2026330 1 2 3（更正 42）" }, "publicEntropy"},
		{"ErrValueForm", func(in *draw.Input) {
			in.PublicEntropy = "福彩双色球 第2026050期 2026-05-03 3 9 15 22 28 31 + 7"
		}, "not a result of 福彩双色球"},
		{"ErrBeforeResult", func(in *draw.Input) { in.DrawDate = "2026-05-02" }, "before 2026-05-03"},
		{"ErrBadSource", func(in *draw.Input) { in.EntropySource.Date = "2026-05-04" }, "drawn only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := MustInput(t, "declared-source")
			tt.change(&in)
			_, err := draw.Run(in)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("Run: %v, want invalid containing %q", err, tt.msg)
			}
		})
	}
}
