package draw_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

func TestRunInvalid(t *testing.T) {
	ptr := func(n int) *int { return &n }
	tests := []struct {
		name   string
		mutate func(in *draw.Input)
		want   string // part of the error message
	}{
		{"Algorithm", func(in *draw.Input) { in.Algorithm = "fc-draw-2" }, "algorithm"},
		{"EmptyAlgorithm", func(in *draw.Input) { in.Algorithm = "" }, "algorithm"},
		{"EmptyPlanID", func(in *draw.Input) { in.PlanID = "" }, "planId is required"},
		{"PlanIDNewline", func(in *draw.Input) { in.PlanID = "plan\n1" }, "control character"},
		{"PlanVersion", func(in *draw.Input) { in.PlanVersion = 0 }, "plan version"},
		{"SecretUpperCase", func(in *draw.Input) { in.Secret = strings.ToUpper(in.Secret) }, "secret"},
		{"SecretShort", func(in *draw.Input) { in.Secret = in.Secret[:62] }, "secret"},
		{"CommitmentMismatch", func(in *draw.Input) { in.Commitment = strings.Repeat("0", 64) }, "does not match the published commitment"},
		{"CommitmentMissing", func(in *draw.Input) { in.Commitment = "" }, "commitment"},
		{"EntropyInvalidUTF8", func(in *draw.Input) { in.PublicEntropy = "\xff" }, "public entropy is not valid UTF-8"},
		{"EntropyTooLong", func(in *draw.Input) { in.PublicEntropy = strings.Repeat("x", 1001) }, "public entropy is longer"},
		{"DrawDate", func(in *draw.Input) { in.DrawDate = "2025-02-30" }, "draw date"},
		{"DrawDateFormat", func(in *draw.Input) { in.DrawDate = "2025-3-20" }, "draw date"},
		{"TeamSizeOne", func(in *draw.Input) { in.TeamSize = 1 }, "at least two officers"},
		{"NoDepartments", func(in *draw.Input) { in.Departments = nil }, "participating department"},
		{"DuplicateDepartment", func(in *draw.Input) { in.Departments = []string{"amr", "health", "amr"} }, `"amr" is listed twice`},
		{"JointTeamTooSmall", func(in *draw.Input) { in.Departments = []string{"amr", "health", "fire"} }, "smaller than the 3 departments"},
		{"RatioNegative", func(in *draw.Input) { in.Strata["A"] = draw.RatioRule(-1) }, "outside 0..10000"},
		{"RatioTooLarge", func(in *draw.Input) { in.Strata["A"] = draw.RatioRule(10001) }, "outside 0..10000"},
		{"CountNegative", func(in *draw.Input) { in.Strata["B"] = draw.CountRule(-1) }, "negative"},
		{"RuleBoth", func(in *draw.Input) { in.Strata["B"] = draw.Rule{Count: ptr(1), RatioBp: ptr(1)} }, "both"},
		{"RuleNeither", func(in *draw.Input) { in.Strata["B"] = draw.Rule{} }, "neither"},
		{"DefaultInvalid", func(in *draw.Input) { in.Default = &draw.Rule{} }, "default rule"},
		{"CountForAbsentStratum", func(in *draw.Input) { in.Strata["X"] = draw.CountRule(2) }, `stratum "X" has a count but no candidate`},
		{"StratumWithoutRule", func(in *draw.Input) { delete(in.Strata, "C") }, `stratum "C" has no rule`},
		{"DuplicateCandidate", func(in *draw.Input) { in.Population[7].ID = in.Population[3].ID }, "appears twice in the population"},
		{"DuplicateCandidateOtherStratum", func(in *draw.Input) { in.Population[20].ID = in.Population[0].ID }, "appears twice in the population"},
		{"DuplicateExcludedCandidate", func(in *draw.Input) { in.Population[4].ID = in.Population[1].ID }, "appears twice in the population"},
		{"EmptyCandidateID", func(in *draw.Input) { in.Population[2].ID = "" }, "population[2]: id is required"},
		{"CandidateIDTooLong", func(in *draw.Input) { in.Population[2].ID = strings.Repeat("9", 257) }, "longer than 256 bytes"},
		{"CandidateIDControl", func(in *draw.Input) { in.Population[2].ID = "91\u0085x" }, "control character"},
		{"CandidateIDInvalidUTF8", func(in *draw.Input) { in.Population[2].ID = "91\xc3" }, "not valid UTF-8"},
		{"EmptyStratum", func(in *draw.Input) { in.Population[2].Stratum = "" }, "stratum is required"},
		{"UnknownExclusion", func(in *draw.Input) { in.Population[2].Excluded = "closed" }, `unknown exclusion code "closed"`},
		{"OperatorWithoutNote", func(in *draw.Input) { in.Population[20].Note = "" }, "note is required"},
		{"NoteOnEligible", func(in *draw.Input) { in.Population[2].Note = "why" }, "only for an excluded candidate"},
		{"NoteInvalidUTF8", func(in *draw.Input) { in.Population[20].Note = "\xfe" }, "not valid UTF-8"},
		{"DuplicateInspector", func(in *draw.Input) { in.Inspectors[3].ID = in.Inspectors[0].ID }, `inspector "amr-01" appears twice`},
		{"EmptyInspectorID", func(in *draw.Input) { in.Inspectors[3].ID = "" }, "inspectors[3].id is required"},
		{"EmptyInspectorDepartment", func(in *draw.Input) { in.Inspectors[3].DepartmentID = "" }, "departmentId is required"},
		{"CertExpiry", func(in *draw.Input) { in.Inspectors[3].CertExpiry = "soon" }, "certificate expiry"},
		{"LeaveReversed", func(in *draw.Input) {
			in.Inspectors[3].Leave = []draw.Period{{From: "2025-03-21", To: "2025-03-20"}}
		}, "not a valid period"},
		{"ConflictEmpty", func(in *draw.Input) { in.Inspectors[3].Conflicts = []string{""} }, "conflict is required"},
		{"OpenTasksNegative", func(in *draw.Input) { in.Inspectors[3].OpenTasks = -1 }, "open tasks"},
		{"TaskCapNegative", func(in *draw.Input) { in.Inspectors[3].TaskCap = -1 }, "task cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := MustInput(t, "single-department")
			tt.mutate(&in)
			rec, err := draw.Run(in)
			if err == nil {
				t.Fatalf("Run: err=nil, record with %d selected; want an error containing %q", len(rec.Selected), tt.want)
			}
			if got := backend.ErrorCode(err); got != backend.EINVALID {
				t.Errorf("code=%q, want %q (err=%v)", got, backend.EINVALID, err)
			}
			if msg := backend.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message=%q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestRunValidEdges(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *draw.Input)
		check  func(t *testing.T, rec *draw.Record)
	}{
		{"RatioForAbsentStratum", func(in *draw.Input) { in.Strata["X"] = draw.RatioRule(5000) }, func(t *testing.T, rec *draw.Record) {
			last := rec.Strata[len(rec.Strata)-1]
			if last.Key != "X" || last.Population != 0 || last.N != 0 {
				t.Errorf("strata[last]=%+v, want X with population 0 and n 0", last)
			}
		}},
		{"DefaultRule", func(in *draw.Input) {
			delete(in.Strata, "C")
			in.Default = &draw.Rule{Count: new(int)}
		}, func(t *testing.T, rec *draw.Record) {
			c := rec.Strata[2]
			if c.Key != "C" || c.Count == nil || *c.Count != 0 || c.N != 0 {
				t.Errorf("strata[2]=%+v, want C with the default count 0", c)
			}
		}},
		{"RatioZeroAndFull", func(in *draw.Input) {
			in.Strata["A"], in.Strata["C"] = draw.RatioRule(0), draw.RatioRule(10000)
		}, func(t *testing.T, rec *draw.Record) {
			if rec.Strata[0].N != 0 || rec.Strata[2].N != rec.Strata[2].Eligible {
				t.Errorf("strata=%+v, want n=0 for ratio 0 and n=N for ratio 10000", rec.Strata)
			}
		}},
		{"RatioRoundsUp", func(in *draw.Input) { in.Strata["A"] = draw.RatioRule(1) }, func(t *testing.T, rec *draw.Record) {
			if rec.Strata[0].N != 1 {
				t.Errorf("n=%d for 1 bp of %d, want 1 (ceiling)", rec.Strata[0].N, rec.Strata[0].Eligible)
			}
		}},
		{"CountAboveN", func(in *draw.Input) { in.Strata["B"] = draw.CountRule(100) }, func(t *testing.T, rec *draw.Record) {
			if rec.Strata[1].N != rec.Strata[1].Eligible {
				t.Errorf("n=%d, want N=%d", rec.Strata[1].N, rec.Strata[1].Eligible)
			}
		}},
		{"EmptyPopulationAndPool", func(in *draw.Input) {
			in.Population, in.Inspectors = nil, nil
			in.Strata = map[string]draw.Rule{"A": draw.RatioRule(100)}
		}, func(t *testing.T, rec *draw.Record) {
			if len(rec.Selected) != 0 || len(rec.Strata) != 1 {
				t.Errorf("selected=%d strata=%d, want 0 and 1", len(rec.Selected), len(rec.Strata))
			}
		}},
		{"NoEligibleInspectors", func(in *draw.Input) { in.Departments = []string{"police"} }, func(t *testing.T, rec *draw.Record) {
			for _, s := range rec.Selected {
				if !s.Unassigned || s.EligibleInspectors != 0 || s.Team == nil {
					t.Errorf("%+v, want unassigned with an empty team", s)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := MustInput(t, "single-department")
			tt.mutate(&in)
			rec, err := draw.Run(in)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			tt.check(t, rec)
			if diffs := draw.Verify(rec); len(diffs) != 0 {
				t.Errorf("Verify=%v, want no differences", diffs)
			}
		})
	}
}
