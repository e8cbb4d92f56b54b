package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestAnswersAgreeWithTheResult: over every checklist of the demo's items,
// the answers of a task without a finding are all compliant (是, or 否 to
// 是否发现…; a single choice's first option), and those of a task with a
// finding differ from that in exactly one yes/no or single-choice answer;
// numbers parse and fall in their quantity's range.
func TestAnswersAgreeWithTheResult(t *testing.T) {
	_, templates := items()
	for _, tpl := range templates {
		form := &backend.Checklist{Sections: []backend.ChecklistSection{{ItemCode: tpl.ItemCode, Questions: tpl.Questions}}}
		for _, finding := range []bool{false, true} {
			r := rand.New(rand.NewPCG(DefaultSeed, fnv64(tpl.ID)))
			got := answersFor(r, form, finding)
			wrong, choices := 0, 0
			for _, q := range tpl.Questions {
				v := got[backend.AnswerKey(tpl.ItemCode, q.ID)]
				switch q.Type {
				case backend.QYesNo, backend.QSingle:
					choices++
					want := q.Options
					if q.Type == backend.QYesNo {
						want = []string{"是"}
						if strings.HasPrefix(q.Text, "是否发现") {
							want = []string{"否"}
						}
					}
					if v != want[0] {
						wrong++
					}
				case backend.QNumber:
					n, err := strconv.ParseFloat(v, 64)
					if err != nil || n < 0 || (strings.Contains(q.Text, "冷藏") && n > 8) {
						t.Errorf("%s %s: number %q", tpl.ID, q.ID, v)
					}
				}
				if v == "" {
					t.Errorf("%s %s: no answer", tpl.ID, q.ID)
				}
			}
			want := 0
			if finding && choices > 0 {
				want = 1
			}
			if wrong != want {
				t.Errorf("%s, finding %v: %d non-compliant answers, want %d", tpl.ID, finding, wrong, want)
			}
		}
	}
}
