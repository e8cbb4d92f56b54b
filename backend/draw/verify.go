package draw

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Difference is one way in which a record disagrees with the draw recomputed
// from its own inputs.
type Difference struct {
	Field      string `json:"field"` // path in the record, e.g. "selected[3].team"
	Recorded   string `json:"recorded,omitempty"`
	Recomputed string `json:"recomputed,omitempty"`
	// Problem is set instead of Recorded and Recomputed when the field cannot
	// be recomputed at all (malformed input, impossible replacement).
	Problem string `json:"problem,omitempty"`
}

func (d Difference) String() string {
	if d.Problem != "" {
		return d.Field + ": " + d.Problem
	}
	return fmt.Sprintf("%s: recorded %s, recomputed %s", d.Field, d.Recorded, d.Recomputed)
}

// Verify redoes the draw from the record's own inputs (secret, public
// entropy, plan id, draw date, team size, departments, strata rules,
// population and inspector pool) and replays its replacements, and lists
// every recorded value that differs from the recomputed one: commitment,
// seed, stratum counts, selection, PRNs, visit order, teams, replacements.
// An empty list means the record is a faithful fc-draw-1 draw.
func Verify(rec *Record) []Difference {
	_, _, diffs := replay(rec)
	return diffs
}

// replay recomputes rec and compares. It returns the engine and the
// recomputed record (replacements included) when the record's inputs are
// valid, and the differences found.
func replay(rec *Record) (*engine, *Record, []Difference) {
	const op = "draw.Verify"
	if rec == nil {
		return nil, nil, []Difference{{Field: "record", Problem: "no record"}}
	}
	in := &Input{
		Algorithm:     rec.Algorithm,
		PlanID:        rec.PlanID,
		PlanVersion:   rec.PlanVersion,
		Commitment:    rec.Commitment,
		Secret:        rec.Secret,
		PublicEntropy: rec.PublicEntropy,
		EntropySource: rec.EntropySource,
		DrawDate:      rec.DrawDate,
		TeamSize:      rec.TeamSize,
		Departments:   rec.Departments,
		Strata:        make(map[string]Rule, len(rec.Strata)),
		Population:    rec.Population,
		Inspectors:    rec.Inspectors,
	}
	for i, s := range rec.Strata {
		if _, dup := in.Strata[s.Key]; dup {
			return nil, nil, []Difference{{Field: fmt.Sprintf("strata[%d].key", i), Problem: fmt.Sprintf("stratum %q is listed twice", s.Key)}}
		}
		in.Strata[s.Key] = s.Rule
	}
	e, err := newEngine(in, op, false)
	if err != nil {
		return nil, nil, []Difference{{Field: "input", Problem: backend.ErrorMessage(err)}}
	}
	want := e.draw()
	secret, _ := hex.DecodeString(rec.Secret)

	var d differ
	if field, problem := checkEntropySource(in); problem != "" {
		d.list = append(d.list, Difference{Field: field, Problem: problem})
	}
	d.str("commitment", rec.Commitment, Commitment(secret))
	d.str("seed", rec.Seed, want.Seed)

	d.strata("strata", rec.Strata, want.Strata)

	d.count("selected", len(rec.Selected), len(want.Selected))
	for i := range min(len(rec.Selected), len(want.Selected)) {
		got, w := &rec.Selected[i], &want.Selected[i]
		if got.ID == w.ID && got.Stratum == w.Stratum && got.PRN == w.PRN && got.Order == w.Order && got.Assignment.equal(&w.Assignment) {
			continue // the common case, without building field names
		}
		f := fmt.Sprintf("selected[%d]", i)
		d.str(f+".id", got.ID, w.ID)
		d.str(f+".stratum", got.Stratum, w.Stratum)
		d.str(f+".prn", got.PRN, w.PRN)
		d.int(f+".order", got.Order, w.Order)
		d.assignment(f, &got.Assignment, &w.Assignment)
	}

	for i := range rec.Replacements {
		got := &rec.Replacements[i]
		f := fmt.Sprintf("replacements[%d]", i)
		w, err := e.replace(want.Selected, want.Replacements, got.Replaced, got.Reason, op)
		if err != nil {
			d.list = append(d.list, Difference{Field: f, Problem: "cannot be redone: " + backend.ErrorMessage(err)})
			break
		}
		d.str(f+".replacement", got.Replacement, w.Replacement)
		d.str(f+".stratum", got.Stratum, w.Stratum)
		d.str(f+".prn", got.PRN, w.PRN)
		d.assignment(f, &got.Assignment, &w.Assignment)
		want.Replacements = append(want.Replacements, *w)
	}
	return e, want, d.list
}

type differ struct{ list []Difference }

func (d *differ) str(field, got, want string) {
	if got != want {
		d.list = append(d.list, Difference{Field: field, Recorded: strconv.Quote(got), Recomputed: strconv.Quote(want)})
	}
}

func (d *differ) int(field string, got, want int) {
	if got != want {
		d.list = append(d.list, Difference{Field: field, Recorded: strconv.Itoa(got), Recomputed: strconv.Itoa(want)})
	}
}

func (d *differ) bool(field string, got, want bool) {
	if got != want {
		d.list = append(d.list, Difference{Field: field, Recorded: strconv.FormatBool(got), Recomputed: strconv.FormatBool(want)})
	}
}

func (d *differ) count(field string, got, want int) {
	if got != want {
		d.list = append(d.list, Difference{Field: field, Recorded: fmt.Sprintf("%d entries", got), Recomputed: fmt.Sprintf("%d entries", want)})
	}
}

// strata compares the recorded strata with the recomputed ones, field
// (a path in the record) naming the list.
func (d *differ) strata(field string, got, want []Stratum) {
	d.count(field, len(got), len(want))
	for i := range min(len(got), len(want)) {
		g, w := &got[i], &want[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		d.str(f+".key", g.Key, w.Key)
		d.int(f+".population", g.Population, w.Population)
		d.int(f+".eligible", g.Eligible, w.Eligible)
		d.int(f+".n", g.N, w.N)
	}
}

func (d *differ) assignment(field string, got, want *Assignment) {
	if !slices.Equal(got.Team, want.Team) {
		d.list = append(d.list, Difference{Field: field + ".team", Recorded: quoteList(got.Team), Recomputed: quoteList(want.Team)})
	}
	d.int(field+".eligibleInspectors", got.EligibleInspectors, want.EligibleInspectors)
	d.bool(field+".short", got.Short, want.Short)
	d.bool(field+".unassigned", got.Unassigned, want.Unassigned)
	d.str(field+".unassignedReason", got.UnassignedReason, want.UnassignedReason)
}

func (a *Assignment) equal(b *Assignment) bool {
	return slices.Equal(a.Team, b.Team) && a.EligibleInspectors == b.EligibleInspectors &&
		a.Short == b.Short && a.Unassigned == b.Unassigned && a.UnassignedReason == b.UnassignedReason
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// notVerified is the error of Replace and Reassign for a record that does not verify.
func notVerified(op string, diffs []Difference) error {
	msg := "the record does not verify: " + diffs[0].String()
	if len(diffs) > 1 {
		msg += fmt.Sprintf(" (and %d more differences)", len(diffs)-1)
	}
	return &backend.Error{Code: backend.EINVALID, Op: op, Message: msg}
}
