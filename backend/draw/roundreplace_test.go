package draw_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// cloneRound is a deep copy of a record, through its JSON.
func cloneRound(tb testing.TB, rec *draw.RoundRecord) *draw.RoundRecord {
	tb.Helper()
	var c draw.RoundRecord
	mustDecode(tb, mustJSON(tb, rec), &c)
	return &c
}

// TestReplaceInRoundEveryPart replaces, on a copy of the four-plan round,
// each part of each visit in turn and checks the rules of docs/draw2.md:
// the replacement is the first eligible target of the plan's stratum by
// (PRN, id) that the plan has not taken; it joins the visit of a target
// the round already visits (adding an officer only for a department of
// the plan the team lacks), else it is a new visit with the plan's team;
// the record with it verifies.
func TestReplaceInRoundEveryPart(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	base := mustRoundRecord(t, v)
	seed := draw.RoundSeed(base.Secret, base.PublicEntropy, base.RoundID)
	dept := map[string]string{}
	for _, in := range base.Inspectors {
		dept[in.ID] = in.DepartmentID
	}
	joins, alone := 0, 0
	for _, vis := range base.Visits {
		for _, planID := range vis.Plans {
			rec := cloneRound(t, base)
			x, err := draw.ReplaceInRound(rec, planID, vis.ID, "企业已注销")
			if err != nil {
				t.Fatalf("replace %s in %s: %v", vis.ID, planID, err)
			}
			pd := rec.Plans[slices.IndexFunc(rec.Plans, func(p draw.PlanDraw) bool { return p.PlanID == planID })]
			taken := map[string]bool{}
			for _, s := range pd.Selected {
				taken[s.ID] = true
			}
			// The first by (PRN, id) of the stratum's eligible targets not taken.
			var first string
			var firstPRN uint64
			for _, c := range pd.Population {
				if c.Stratum != x.Stratum || c.Excluded != "" || taken[c.ID] {
					continue
				}
				prn := draw.TargetPRN(seed, c.ID)
				if first == "" || prn < firstPRN || prn == firstPRN && c.ID < first {
					first, firstPRN = c.ID, prn
				}
			}
			if x.Replacement != first || x.PRN != draw.FormatPRN(firstPRN) {
				t.Errorf("%s/%s: replacement %s (%s), want %s (%s)", planID, vis.ID, x.Replacement, x.PRN, first, draw.FormatPRN(firstPRN))
			}
			joined := slices.IndexFunc(base.Visits, func(w draw.Visit) bool { return w.ID == x.Replacement })
			if x.Joins != (joined >= 0) {
				t.Errorf("%s/%s: joins=%v, the round visits %s: %v", planID, vis.ID, x.Joins, x.Replacement, joined >= 0)
			}
			if x.Joins {
				joins++
				team := base.Visits[joined].Team
				for _, id := range x.Team {
					if !slices.Contains(pd.Departments, dept[id]) || slices.ContainsFunc(team, func(m string) bool { return dept[m] == dept[id] }) {
						t.Errorf("%s/%s: added %s of %s to a team %v", planID, vis.ID, id, dept[id], team)
					}
				}
			} else {
				alone++
				if len(x.Team) < 2 && !x.Unassigned {
					t.Errorf("%s/%s: a new visit's team %v", planID, vis.ID, x.Team)
				}
				for _, id := range x.Team {
					if !slices.Contains(pd.Departments, dept[id]) {
						t.Errorf("%s/%s: %s of %s on a visit of plan %s alone", planID, vis.ID, id, dept[id], planID)
					}
				}
			}
			if diffs := draw.VerifyRound(rec); len(diffs) > 0 {
				t.Fatalf("%s/%s: the record with its replacement does not verify: %v", planID, vis.ID, diffs)
			}
		}
	}
	if joins == 0 || alone == 0 {
		t.Fatalf("%d replacements joined a visit, %d were new visits: want both", joins, alone)
	}
}

// TestReplaceInRoundVerifies: a replacement changed in the record fails
// verification with the field named; records without replacements keep
// their form (no "replacements" key).
func TestReplaceInRoundVerifies(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	base := mustRoundRecord(t, v)
	if strings.Contains(string(mustJSON(t, base)), `"replacements"`) {
		t.Fatal("a record without replacements writes the key")
	}
	vis := base.Visits[0]
	tests := []struct {
		name  string
		edit  func(x *draw.RoundReplacement)
		field string
	}{
		{"Replacement", func(x *draw.RoundReplacement) { x.Replacement = vis.ID }, "replacements[0].replacement"},
		{"PRN", func(x *draw.RoundReplacement) { x.PRN = flipHex(x.PRN) }, "replacements[0].prn"},
		{"Joins", func(x *draw.RoundReplacement) { x.Joins = !x.Joins }, "replacements[0].joins"},
		{"Team", func(x *draw.RoundReplacement) { x.Team = append(x.Team, "someone") }, "replacements[0].team"},
		{"Plan", func(x *draw.RoundReplacement) { x.Plan = "plan-unknown" }, "replacements[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := cloneRound(t, base)
			if _, err := draw.ReplaceInRound(rec, vis.Plans[0], vis.ID, "无法联系"); err != nil {
				t.Fatal(err)
			}
			tt.edit(&rec.Replacements[0])
			diffs := draw.VerifyRound(rec)
			if len(diffs) == 0 || diffs[0].Field != tt.field {
				t.Fatalf("differences %v; want the first at %s", diffs, tt.field)
			}
		})
	}
}

func TestReplaceInRoundRefuses(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	base := mustRoundRecord(t, v)
	vis := base.Visits[0]
	other := slices.IndexFunc(base.Plans, func(p draw.PlanDraw) bool { return !slices.Contains(vis.Plans, p.PlanID) })
	tests := []struct {
		name           string
		plan, target   string
		reason         string
		before         func(rec *draw.RoundRecord)
		code, contains string
	}{
		{"EmptyReason", vis.Plans[0], vis.ID, "", nil, backend.EINVALID, "reason is required"},
		{"UnknownPlan", "plan-x", vis.ID, "r", nil, backend.ENOTFOUND, `plan "plan-x" is not in this round`},
		{"PlanWithoutPart", base.Plans[other].PlanID, vis.ID, "r", nil, backend.ENOTFOUND, "has no part in a visit of"},
		{"ReplacedTwice", vis.Plans[0], vis.ID, "r", func(rec *draw.RoundRecord) {
			if _, err := draw.ReplaceInRound(rec, vis.Plans[0], vis.ID, "first"); err != nil {
				t.Fatal(err)
			}
		}, backend.ECONFLICT, "already replaced"},
		{"RecordChanged", vis.Plans[0], vis.ID, "r", func(rec *draw.RoundRecord) { rec.Visits[0].Team = nil }, backend.EINVALID, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := cloneRound(t, base)
			if tt.before != nil {
				tt.before(rec)
			}
			n := len(rec.Replacements)
			_, err := draw.ReplaceInRound(rec, tt.plan, tt.target, tt.reason)
			if backend.ErrorCode(err) != tt.code || !strings.Contains(backend.ErrorMessage(err), tt.contains) {
				t.Fatalf("ReplaceInRound: %v; want %s saying %q", err, tt.code, tt.contains)
			}
			if len(rec.Replacements) != n {
				t.Fatalf("a refused replacement was recorded")
			}
		})
	}
}

// TestReplaceInRoundExhaustsTheStratum replaces a plan's part again and
// again (each replacement replaced in turn) until its stratum has no
// eligible target left: then the refusal says so, and every replacement
// made verifies.
func TestReplaceInRoundExhaustsTheStratum(t *testing.T) {
	v := roundVectors(t)["round-four-plans"]
	rec := mustRoundRecord(t, v)
	pd := rec.Plans[0]
	s := pd.Selected[0]
	eligible := 0
	for _, st := range pd.Strata {
		if st.Key == s.Stratum {
			eligible = st.Eligible - st.N // the targets left to replace with
		}
	}
	target := s.ID
	for i := range eligible {
		x, err := draw.ReplaceInRound(rec, pd.PlanID, target, fmt.Sprintf("第%d次", i+1))
		if err != nil {
			t.Fatalf("replacement %d of %d: %v", i+1, eligible, err)
		}
		target = x.Replacement
	}
	_, err := draw.ReplaceInRound(rec, pd.PlanID, target, "again")
	if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), "no eligible target left") {
		t.Fatalf("after %d replacements: %v; want EINVALID, stratum exhausted", eligible, err)
	}
	if diffs := draw.VerifyRound(rec); len(diffs) > 0 {
		t.Fatalf("%d replacements do not verify: %v", len(rec.Replacements), diffs)
	}
	var again draw.RoundRecord
	if err := json.Unmarshal(mustJSON(t, rec), &again); err != nil || len(draw.VerifyRound(&again)) > 0 {
		t.Fatalf("the record read back does not verify: %v", err)
	}
}
