package backend

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEnumTagsMatchTheRules: the values the API document lists are the
// values the rules accept.
func TestEnumTagsMatchTheRules(t *testing.T) {
	enum := func(v any, field string) []string {
		f, _ := reflect.TypeOf(v).FieldByName(field)
		return strings.Split(f.Tag.Get("enum"), ",")
	}
	codes := enum(ResultInput{}, "Code")
	if len(codes) != len(resultLabels) || strings.Join(codes, ", ") != resultCodesList {
		t.Fatalf("result codes in the document %v, in the messages %q, known %d", codes, resultCodesList, len(resultLabels))
	}
	for _, c := range codes {
		if !ResultCode(c).Valid() {
			t.Errorf("%q is listed but not a result code", c)
		}
	}
	types := enum(EvidenceInput{}, "Type")
	for _, ty := range types {
		if !EvidenceType(ty).Valid() {
			t.Errorf("%q is listed but not an evidence type", ty)
		}
	}
	if strings.Join(types, ", ") != evidenceTypesList || slices.Contains(types, "") {
		t.Fatalf("evidence types %v vs %q", types, evidenceTypesList)
	}
}

// TestMergeAnswersClockSkew: a phone whose clock runs a year ahead does not
// win every later edit: its edit counts as made when the server got it.
func TestMergeAnswersClockSkew(t *testing.T) {
	task := &Task{ID: "t", Status: TaskCheckedIn, Checklist: []ChecklistRef{{Item: "I", Version: 1}}, Form: &Checklist{Sections: []ChecklistSection{{ItemCode: "I", Questions: []Question{{ID: "q"}}}}}}
	received := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	skewed := []AnswerInput{{Question: "I/q", Value: "from the future", EditedAt: received.AddDate(1, 0, 0)}}
	if n, err := task.MergeAnswers(skewed, "a", "phone-a", received); err != nil || n != 1 {
		t.Fatalf("skewed edit: %d %v", n, err)
	}
	if got := task.Answers["I/q"].EditedAt; !got.Equal(received) {
		t.Fatalf("a future edit time was kept: %v, want the receipt %v", got, received)
	}
	later := []AnswerInput{{Question: "I/q", Value: "later", EditedAt: received.Add(time.Minute)}}
	if n, err := task.MergeAnswers(later, "b", "phone-b", received.Add(2*time.Minute)); err != nil || n != 1 {
		t.Fatalf("later edit: %d %v", n, err)
	}
	if task.Answers["I/q"].Value != "later" {
		t.Fatalf("the skewed phone's edit still wins: %+v", task.Answers["I/q"])
	}
	earlier := []AnswerInput{{Question: "I/q", Value: "earlier", EditedAt: received.Add(-time.Hour)}}
	if n, err := task.MergeAnswers(earlier, "a", "phone-a", received.Add(3*time.Minute)); err != nil || n != 0 {
		t.Fatalf("an older edit synced late changed %d answers (%v)", n, err)
	}
}
