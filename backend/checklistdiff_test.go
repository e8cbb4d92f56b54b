package backend_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func q(id, text string) backend.Question {
	return backend.Question{ID: id, Text: text, Type: backend.QYesNo, Required: true}
}

func TestDiffTemplates(t *testing.T) {
	choice := backend.Question{ID: "c", Text: "许可类别", Type: backend.QSingle, Options: []string{"甲", "乙"}}
	for _, tc := range []struct {
		name     string
		from, to []backend.Question
		want     string
		counts   [4]int // added, removed, changed, unchanged
	}{
		{"Same", []backend.Question{q("a", "甲"), q("b", "乙")}, []backend.Question{q("a", "甲"), q("b", "乙")},
			"unchanged:a unchanged:b", [4]int{0, 0, 0, 2}},
		{"AddedAtEnd", []backend.Question{q("a", "甲")}, []backend.Question{q("a", "甲"), q("b", "乙")},
			"unchanged:a added:b", [4]int{1, 0, 0, 1}},
		{"AddedFirst", []backend.Question{q("a", "甲")}, []backend.Question{q("n", "新"), q("a", "甲")},
			"added:n unchanged:a", [4]int{1, 0, 0, 1}},
		{"RemovedInMiddle", []backend.Question{q("a", "甲"), q("b", "乙"), q("c", "丙")}, []backend.Question{q("a", "甲"), q("c", "丙")},
			"unchanged:a removed:b unchanged:c", [4]int{0, 1, 0, 2}},
		{"RemovedFirstAndLast", []backend.Question{q("a", "甲"), q("b", "乙"), q("c", "丙")}, []backend.Question{q("b", "乙")},
			"removed:a unchanged:b removed:c", [4]int{0, 2, 0, 1}},
		{"AllReplaced", []backend.Question{q("a", "甲")}, []backend.Question{q("b", "乙")},
			"added:b removed:a", [4]int{1, 1, 0, 0}},
		{"TextChanged", []backend.Question{q("a", "甲")}, []backend.Question{q("a", "甲乙")},
			"changed:a[text]", [4]int{0, 0, 1, 0}},
		{"EvidenceAndRequired", []backend.Question{q("a", "甲")},
			[]backend.Question{{ID: "a", Text: "甲", Type: backend.QYesNo, PhotoRequired: true, Basis: "第八条"}},
			"changed:a[required,photoRequired,basis]", [4]int{0, 0, 1, 0}},
		{"TypeAndOptions", []backend.Question{{ID: "c", Text: "许可类别", Type: backend.QText}}, []backend.Question{choice},
			"changed:c[type,options]", [4]int{0, 0, 1, 0}},
		{"OptionsReordered", []backend.Question{choice}, []backend.Question{{ID: "c", Text: "许可类别", Type: backend.QSingle, Options: []string{"乙", "甲"}}},
			"changed:c[options]", [4]int{0, 0, 1, 0}},
		{"Moved", []backend.Question{q("a", "甲"), q("b", "乙"), q("x", "删")}, []backend.Question{q("b", "乙"), q("a", "甲")},
			// a moved after b: the walk places x once past b, its predecessor.
			"unchanged:b unchanged:a removed:x", [4]int{0, 1, 0, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := &backend.ChecklistTemplate{ItemCode: "I", Version: 1, Questions: tc.from, CreatedAt: time.Now()}
			to := &backend.ChecklistTemplate{ItemCode: "I", Version: 2, Questions: tc.to}
			d := backend.DiffTemplates(from, to)
			if got := d.String(); got != tc.want {
				t.Fatalf("diff %q, want %q", got, tc.want)
			}
			if got := [4]int{d.Added, d.Removed, d.Changed, d.Unchanged}; got != tc.counts {
				t.Fatalf("counts (added, removed, changed, unchanged) %v, want %v", got, tc.counts)
			}
			if d.From != 1 || d.To != 2 || d.ItemCode != "I" {
				t.Fatalf("diff of %s %d→%d, want I 1→2", d.ItemCode, d.From, d.To)
			}
			for _, c := range d.Questions {
				if (c.From == nil) != (c.Change == backend.QuestionAdded) || (c.To == nil) != (c.Change == backend.QuestionRemoved) {
					t.Fatalf("%s %s: from %v to %v", c.Change, c.ID, c.From, c.To)
				}
			}
		})
	}
}

func TestCertStateOn(t *testing.T) {
	// 2026-12-07 08:00 in Shanghai; the window ends 30 days later.
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	day, horizon := backend.DateOf(now), backend.CertHorizon(now)
	if horizon != "2027-01-06" {
		t.Fatalf("horizon %s, want 2027-01-06 (%d days)", horizon, backend.CertificateWarningDays)
	}
	for _, tc := range []struct {
		expiry backend.Date
		want   backend.CertState
	}{
		{"2026-12-06", backend.CertExpired},
		{"2026-12-07", backend.CertExpiring}, // its last valid day
		{"2027-01-06", backend.CertExpiring},
		{"2027-01-07", backend.CertValid},
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.expiry, tc.want), func(t *testing.T) {
			in := &backend.Inspector{CertExpiry: tc.expiry}
			if got := in.CertStateOn(day, horizon); got != tc.want {
				t.Fatalf("state %s, want %s", got, tc.want)
			}
		})
	}
}
