package draw_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// stratumOrder lists the eligible candidates of a stratum in draw order.
func stratumOrder(rec *draw.Record, stratum string) []string {
	seed := draw.Seed(rec.Secret, rec.PublicEntropy, rec.PlanID)
	var ids []string
	for _, c := range rec.Population {
		if c.Stratum == stratum && c.Excluded == "" {
			ids = append(ids, c.ID)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		pa, pb := draw.TargetPRN(seed, a), draw.TargetPRN(seed, b)
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return ids
}

func TestReplace(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rec := MustRecord(t, "single-department")
		order := stratumOrder(rec, "B") // n = 3 of 7
		var replaced string
		for _, s := range rec.Selected {
			if s.Stratum == "B" {
				replaced = s.ID
				break
			}
		}
		// Replacing walks on through the stratum's draw order, each
		// replacement also being replaceable, until the stratum is exhausted.
		for k, want := range order[3:] {
			r, err := draw.Replace(rec, replaced, "已关闭停业")
			if err != nil {
				t.Fatalf("replacement %d: %v", k, err)
			}
			if r.Replacement != want || r.Replaced != replaced || r.Stratum != "B" {
				t.Fatalf("replacement %d = %+v, want %s replacing %s", k, r, want, replaced)
			}
			if len(rec.Replacements) != k+1 || rec.Replacements[k].Replacement != want {
				t.Fatalf("record has %d replacements, want the new one appended", len(rec.Replacements))
			}
			if r.Unassigned != (len(r.Team) == 0) {
				t.Errorf("replacement %d: team %q unassigned=%v", k, r.Team, r.Unassigned)
			}
			replaced = want
		}
		_, err := draw.Replace(rec, replaced, "已关闭停业")
		if got := backend.ErrorCode(err); got != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), "no eligible target left") {
			t.Errorf("exhausted stratum: code=%q err=%v, want %q and no eligible target left", got, err, backend.EINVALID)
		}

		// The record with its replacements verifies, also after a JSON round trip.
		b, _ := json.Marshal(rec)
		var back draw.Record
		mustDecode(t, b, &back)
		if diffs := draw.Verify(&back); len(diffs) != 0 {
			t.Errorf("Verify=%v, want no differences", diffs)
		}
	})

	t.Run("FreesTheReplacedTeam", func(t *testing.T) {
		in := MustInput(t, "single-department")
		in.Inspectors = []draw.Inspector{
			{ID: "a", DepartmentID: "amr", CertExpiry: "2030-01-01", TaskCap: 1},
			{ID: "b", DepartmentID: "amr", CertExpiry: "2030-01-01", TaskCap: 1},
			{ID: "c", DepartmentID: "amr", CertExpiry: "2030-01-01"},
		}
		rec, err := draw.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		// a and b have one slot each: only the first target gets a full team
		// of two from {a, b, c} and the rest are unassigned or use c.
		first := rec.Selected[0]
		r, err := draw.Replace(rec, first.ID, "无法联系")
		if err != nil {
			t.Fatal(err)
		}
		if r.Unassigned || r.EligibleInspectors < 2 {
			t.Errorf("replacement %+v, want a team: the replaced target's team is freed", r)
		}
	})

	tests := []struct {
		name   string
		target func(rec *draw.Record) string
		reason string
		code   string
		want   string
	}{
		{"ErrNotDrawn", func(rec *draw.Record) string { return "91330100000000999X" }, "x", backend.ENOTFOUND, "was not drawn"},
		{"ErrExcluded", func(rec *draw.Record) string { return rec.Population[1].ID }, "x", backend.ENOTFOUND, "was not drawn"},
		{"ErrAlreadyReplaced", func(rec *draw.Record) string {
			if _, err := draw.Replace(rec, rec.Selected[0].ID, "x"); err != nil {
				t.Fatal(err)
			}
			return rec.Selected[0].ID
		}, "x", backend.ECONFLICT, "already replaced"},
		{"ErrNoReason", func(rec *draw.Record) string { return rec.Selected[0].ID }, "", backend.EINVALID, "reason is required"},
		{"ErrReasonInvalidUTF8", func(rec *draw.Record) string { return rec.Selected[0].ID }, "\xff", backend.EINVALID, "not valid UTF-8"},
		{"ErrNotVerified", func(rec *draw.Record) string {
			rec.Selected[1].PRN = "0000000000000000"
			return rec.Selected[0].ID
		}, "x", backend.EINVALID, "does not verify: selected[1].prn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := MustRecord(t, "single-department")
			target := tt.target(rec)
			before := len(rec.Replacements)
			r, err := draw.Replace(rec, target, tt.reason)
			if err == nil {
				t.Fatalf("Replace=%+v, want an error", r)
			}
			if got := backend.ErrorCode(err); got != tt.code {
				t.Errorf("code=%q, want %q (err=%v)", got, tt.code, err)
			}
			if !strings.Contains(backend.ErrorMessage(err), tt.want) {
				t.Errorf("message=%q, want it to contain %q", backend.ErrorMessage(err), tt.want)
			}
			if len(rec.Replacements) != before {
				t.Errorf("a failed Replace changed the record")
			}
		})
	}
}

func TestReassign(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rec := MustRecord(t, "joint-plan")
		s := rec.Selected[0]
		a, err := draw.Reassign(rec, s.ID, []string{s.Team[2]})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(a.Team, s.Team[2]) || len(a.Team) != len(s.Team) {
			t.Errorf("team %q, want %d members without %s", a.Team, len(s.Team), s.Team[2])
		}
		// The others stay: their keys still rank first.
		if a.Team[0] != s.Team[0] || a.Team[1] != s.Team[1] {
			t.Errorf("team %q, want %q and %q kept", a.Team, s.Team[0], s.Team[1])
		}
		if diffs := draw.Verify(rec); len(diffs) != 0 {
			t.Errorf("Reassign changed the record: %v", diffs)
		}
	})

	t.Run("NobodyLeft", func(t *testing.T) {
		rec := MustRecord(t, "single-department")
		var all []string
		for _, p := range rec.Inspectors {
			all = append(all, p.ID)
		}
		a, err := draw.Reassign(rec, rec.Selected[0].ID, all)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Unassigned || len(a.Team) != 0 || a.UnassignedReason != draw.ReasonTooFewInspectors {
			t.Errorf("assignment %+v, want unassigned", a)
		}
	})

	tests := []struct {
		name        string
		target      func(rec *draw.Record) string
		unavailable []string
		code        string
		want        string
	}{
		{"ErrUnknownInspector", func(rec *draw.Record) string { return rec.Selected[0].ID }, []string{"ghost"}, backend.EINVALID, `"ghost" is not in the draw's pool`},
		{"ErrNotDrawn", func(rec *draw.Record) string { return "nobody" }, nil, backend.ENOTFOUND, "was not drawn"},
		{"ErrReplaced", func(rec *draw.Record) string {
			if _, err := draw.Replace(rec, rec.Selected[0].ID, "x"); err != nil {
				t.Fatal(err)
			}
			return rec.Selected[0].ID
		}, nil, backend.ECONFLICT, "already replaced"},
		{"ErrNotVerified", func(rec *draw.Record) string {
			rec.PublicEntropy = "tampered"
			return rec.Selected[0].ID
		}, nil, backend.EINVALID, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := MustRecord(t, "single-department")
			a, err := draw.Reassign(rec, tt.target(rec), tt.unavailable)
			if err == nil {
				t.Fatalf("Reassign=%+v, want an error", a)
			}
			if got := backend.ErrorCode(err); got != tt.code {
				t.Errorf("code=%q, want %q (err=%v)", got, tt.code, err)
			}
			if !strings.Contains(backend.ErrorMessage(err), tt.want) {
				t.Errorf("message=%q, want it to contain %q", backend.ErrorMessage(err), tt.want)
			}
		})
	}
}
