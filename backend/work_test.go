package backend

import (
	"reflect"
	"slices"
	"strings"
	"testing"
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
