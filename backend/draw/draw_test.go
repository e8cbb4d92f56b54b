package draw_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/draw"
)

const vectorDir = "../../testdata/draw"

// vector is a test vector written by testdata/draw/gen_vectors.py, the
// independent Python implementation of fc-draw-1.
type vector struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Input       json.RawMessage `json:"input"`
	Replace     []struct {
		Target string `json:"target"`
		Reason string `json:"reason"`
	} `json:"replace"`
	Reassign []struct {
		Target      string          `json:"target"`
		Unavailable []string        `json:"unavailable"`
		Expected    json.RawMessage `json:"expected"`
	} `json:"reassign"`
	Expected json.RawMessage `json:"expected"`
}

func vectorNames(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil || len(files) < 3 {
		tb.Fatalf("vectors: %v files, err=%v; want at least 3", len(files), err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	return names
}

func MustVector(tb testing.TB, name string) *vector {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return &v
}

// MustInput returns a fresh copy of a vector's input.
func MustInput(tb testing.TB, name string) draw.Input {
	tb.Helper()
	var in draw.Input
	mustDecode(tb, MustVector(tb, name).Input, &in)
	return in
}

// MustRecord runs a vector's input.
func MustRecord(tb testing.TB, name string) *draw.Record {
	tb.Helper()
	rec, err := draw.Run(MustInput(tb, name))
	if err != nil {
		tb.Fatalf("Run(%s): %v", name, err)
	}
	return rec
}

func mustDecode(tb testing.TB, b []byte, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("decode %T: %v", v, err)
	}
}

// jsonDiff compares the JSON forms of got and want and describes every
// difference by path.
func jsonDiff(tb testing.TB, got any, want []byte) []string {
	tb.Helper()
	gb, err := json.Marshal(got)
	if err != nil {
		tb.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(gb, &g); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		tb.Fatal(err)
	}
	var out []string
	var walk func(path string, g, w any)
	walk = func(path string, g, w any) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s: got %v, want an object", path, g))
				return
			}
			keys := map[string]bool{}
			for k := range wv {
				keys[k] = true
			}
			for k := range gv {
				keys[k] = true
			}
			var sorted []string
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				walk(path+"."+k, gv[k], wv[k])
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				out = append(out, fmt.Sprintf("%s: got %v, want %v", path, g, w))
				return
			}
			for i := range wv {
				walk(fmt.Sprintf("%s[%d]", path, i), gv[i], wv[i])
			}
		default:
			if !reflect.DeepEqual(g, w) {
				out = append(out, fmt.Sprintf("%s: got %v, want %v", path, g, w))
			}
		}
	}
	walk("", g, w)
	return out
}

// TestVectors compares Run, Replace and Reassign with the independent
// Python implementation, byte for byte in the JSON record.
func TestVectors(t *testing.T) {
	for _, name := range vectorNames(t) {
		t.Run(name, func(t *testing.T) {
			v := MustVector(t, name)
			rec := MustRecord(t, name)
			for _, r := range v.Replace {
				if _, err := draw.Replace(rec, r.Target, r.Reason); err != nil {
					t.Fatalf("Replace(%s): %v", r.Target, err)
				}
			}
			for _, d := range jsonDiff(t, rec, v.Expected) {
				t.Errorf("record%s", d)
			}
			if t.Failed() {
				return
			}
			for _, r := range v.Reassign {
				got, err := draw.Reassign(rec, r.Target, r.Unavailable)
				if err != nil {
					t.Fatalf("Reassign(%s, %q): %v", r.Target, r.Unavailable, err)
				}
				for _, d := range jsonDiff(t, got, r.Expected) {
					t.Errorf("Reassign(%s, %q)%s", r.Target, r.Unavailable, d)
				}
			}

			// The Python record verifies as it stands.
			var expected draw.Record
			mustDecode(t, v.Expected, &expected)
			if diffs := draw.Verify(&expected); len(diffs) != 0 {
				t.Errorf("Verify(expected) = %v, want no differences", diffs)
			}
		})
	}
}

func TestPrimitives(t *testing.T) {
	for _, name := range vectorNames(t) {
		t.Run(name, func(t *testing.T) {
			in := MustInput(t, name)
			var rec draw.Record
			mustDecode(t, MustVector(t, name).Expected, &rec)

			secret := mustHex(t, in.Secret)
			if got := draw.Commitment(secret); got != in.Commitment {
				t.Errorf("Commitment=%s, want %s", got, in.Commitment)
			}
			seed := draw.Seed(in.Secret, in.PublicEntropy, in.PlanID)
			if got := fmt.Sprintf("%x", seed); got != rec.Seed {
				t.Errorf("Seed=%s, want %s", got, rec.Seed)
			}
			for _, s := range rec.Selected {
				if got := draw.FormatPRN(draw.TargetPRN(seed, s.ID)); got != s.PRN {
					t.Errorf("TargetPRN(%s)=%s, want %s", s.ID, got, s.PRN)
				}
			}
		})
	}
}

func TestInspectorKeyOrdersTeam(t *testing.T) {
	// In a single-department plan without caps, conflicts or absences the
	// team is the inspectors with the lowest keys.
	in := MustInput(t, "single-department")
	in.Inspectors = []draw.Inspector{
		{ID: "x-1", DepartmentID: "amr", CertExpiry: "2030-01-01"},
		{ID: "x-2", DepartmentID: "amr", CertExpiry: "2030-01-01"},
		{ID: "x-3", DepartmentID: "amr", CertExpiry: "2030-01-01"},
		{ID: "x-4", DepartmentID: "amr", CertExpiry: "2030-01-01"},
	}
	rec, err := draw.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	seed := draw.Seed(in.Secret, in.PublicEntropy, in.PlanID)
	for _, s := range rec.Selected {
		ids := []string{"x-1", "x-2", "x-3", "x-4"}
		slices.SortFunc(ids, func(a, b string) int {
			ka, kb := draw.InspectorKey(seed, s.ID, a), draw.InspectorKey(seed, s.ID, b)
			if ka != kb {
				if ka < kb {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		if want := ids[:2]; !slices.Equal(s.Team, want) {
			t.Errorf("team of %s = %q, want %q", s.ID, s.Team, want)
		}
	}
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestJointTeams(t *testing.T) {
	in := MustInput(t, "joint-plan")
	in.Inspectors = nil
	for _, d := range []string{"amr", "fire", "health"} {
		for i := range 5 {
			in.Inspectors = append(in.Inspectors, draw.Inspector{ID: fmt.Sprintf("%s-%d", d, i), DepartmentID: d, CertExpiry: "2030-01-01"})
		}
	}
	dept := func(id string) string { return id[:strings.IndexByte(id, '-')] }

	t.Run("OneFromEachDepartment", func(t *testing.T) {
		in := in
		in.TeamSize = 4
		rec, err := draw.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rec.Selected {
			if len(s.Team) != 4 {
				t.Fatalf("team of %s = %q, want 4 members", s.ID, s.Team)
			}
			// Department representatives come first, in department id order.
			got := []string{dept(s.Team[0]), dept(s.Team[1]), dept(s.Team[2])}
			if want := []string{"amr", "fire", "health"}; !slices.Equal(got, want) {
				t.Errorf("departments of the team of %s = %q, want %q first", s.ID, s.Team, want)
			}
		}
	})

	t.Run("DepartmentWithoutOfficersSkipped", func(t *testing.T) {
		in := in
		in.Inspectors = slices.Clone(in.Inspectors)
		for i := range in.Inspectors {
			if dept(in.Inspectors[i].ID) == "fire" {
				in.Inspectors[i].Leave = []draw.Period{{From: in.DrawDate, To: in.DrawDate}}
			}
		}
		rec, err := draw.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rec.Selected {
			if len(s.Team) != 3 || s.Short {
				t.Fatalf("team of %s = %q short=%v, want 3 members", s.ID, s.Team, s.Short)
			}
			if dept(s.Team[0]) != "amr" || dept(s.Team[1]) != "health" {
				t.Errorf("team of %s = %q, want an amr then a health officer first", s.ID, s.Team)
			}
			for _, m := range s.Team {
				if dept(m) == "fire" {
					t.Errorf("team of %s = %q has an officer on leave", s.ID, s.Team)
				}
			}
		}
	})
}

func TestUnassignedUsesNoCap(t *testing.T) {
	in := MustInput(t, "single-department")
	in.Inspectors = []draw.Inspector{
		{ID: "a", DepartmentID: "amr", CertExpiry: "2030-01-01", TaskCap: 1},
		{ID: "b", DepartmentID: "amr", CertExpiry: "2030-01-01"},
	}
	rec, err := draw.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	// The first target takes a's only slot; every later one has b alone.
	for i, s := range rec.Selected {
		if i == 0 {
			if s.Unassigned || len(s.Team) != 2 {
				t.Errorf("selected[0] = %+v, want a full team", s)
			}
			continue
		}
		if !s.Unassigned || len(s.Team) != 0 || s.UnassignedReason != draw.ReasonTooFewInspectors || s.EligibleInspectors != 1 {
			t.Errorf("selected[%d] = %+v, want unassigned with 1 eligible inspector", i, s)
		}
	}
	if len(rec.Selected) != 8 {
		t.Errorf("selected %d targets, want 8: unassigned targets stay in the record", len(rec.Selected))
	}
}

// TestWorkersDoNotChangeResult runs a population large enough for the
// parallel sort and key computation with different numbers of workers.
func TestWorkersDoNotChangeResult(t *testing.T) {
	in := benchInput(20_000, 1000, 4)
	var want []byte
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		rec, err := draw.Run(in)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(rec)
		if want == nil {
			want = got
			if diffs := draw.Verify(rec); len(diffs) != 0 {
				t.Fatalf("Verify: %v", diffs[0])
			}
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("GOMAXPROCS=%d: record differs from GOMAXPROCS=1", procs)
		}
	}
}

func TestRecordDoesNotAliasInput(t *testing.T) {
	in := MustInput(t, "single-department")
	rec, err := draw.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Inspectors[1].Conflicts[0] = "changed"
	in.Departments[0] = "changed"
	*in.Strata["B"].Count = 7
	if diffs := draw.Verify(rec); len(diffs) != 0 {
		t.Errorf("Verify after changing the input = %v, want no differences", diffs)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	rec := MustRecord(t, "scarce-inspectors")
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back draw.Record
	mustDecode(t, b, &back)
	if diffs := draw.Verify(&back); len(diffs) != 0 {
		t.Errorf("Verify(decoded) = %v, want no differences", diffs)
	}
	for _, key := range []string{`"prn":"`, `"replacements":[]`, `"team":[]`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("record JSON lacks %s", key)
		}
	}
}
