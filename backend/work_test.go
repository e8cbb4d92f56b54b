package backend

import (
	"fmt"
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

// TestCloneSharesNothing: a clone holds no slice, map or pointer of the
// original (but the form, which nobody changes).
func TestCloneSharesNothing(t *testing.T) {
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	d := 12.0
	task := &Task{ID: "t", Items: []string{"I"}, Departments: []string{"d"}, Team: []string{"ins"}, TeamUsers: []string{"u"}, FeedUsers: []string{"u"},
		Checklist: []ChecklistRef{{Item: "I", Version: 1}}, Trigger: &Trigger{Kind: TriggerComplaint}, Result: &Result{Code: ResultNoProblem}, SubmittedAt: &at,
		Consents: []Consent{{DepartmentID: "x", Officers: []string{"o"}, Items: []string{"I"}, DecidedAt: &at}},
		Answers:  map[string]Answer{"I/q": {Value: "是"}},
		Evidence: []EvidenceSlot{{ID: "e", Position: &GeoPoint{Lat: 1, Lng: 2}, Received: &EvidenceReceipt{By: "u"}}},
		CheckIns: []CheckInSummary{{ID: "c", Flags: []string{"f"}, DistanceM: &d}},
		Reviews:  []ReviewNote{{Status: NoteHasIssues, Issues: []ReviewIssue{{Question: "I/q", Comment: "x"}}}},
		Ops:      []OpRecord{{Key: "k", Version: 2}}, Spilled: []OpRecord{{Key: "old"}}}
	c := task.Clone()
	if !reflect.DeepEqual(c, task) {
		t.Fatalf("clone %+v differs from %+v", c, task)
	}
	var shared []string
	var walk func(path string, a, b reflect.Value)
	walk = func(path string, a, b reflect.Value) {
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return // a value; its location is shared by design
		}
		switch a.Kind() {
		case reflect.Pointer:
			if !a.IsNil() && a.Pointer() == b.Pointer() && path != ".Form" {
				shared = append(shared, path)
			}
			if !a.IsNil() {
				walk(path, a.Elem(), b.Elem())
			}
		case reflect.Slice:
			if a.Len() > 0 && a.Pointer() == b.Pointer() {
				shared = append(shared, path)
			}
			for i := 0; i < a.Len(); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
			}
		case reflect.Map:
			if a.Len() > 0 && a.Pointer() == b.Pointer() {
				shared = append(shared, path)
			}
		case reflect.Struct:
			for i := 0; i < a.NumField(); i++ {
				walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	}
	walk("", reflect.ValueOf(task), reflect.ValueOf(c))
	if len(shared) > 0 {
		t.Fatalf("the clone shares %v with the original", shared)
	}
}
