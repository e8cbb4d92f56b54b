package httpkit_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `"\ud83d\ude00"`, `"\ud83d"`, `"\\ud800"`, "\"\xff\"", `"\u00e9\ude00"`, `"\`, `"\u12`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := httpkit.CheckJSONText(b)
		if err != nil {
			return
		}
		// What passes decodes to exactly the text that was sent: no string
		// gains a U+FFFD that the body did not spell.
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if !strings.Contains(string(b), "\uFFFD") && !strings.Contains(strings.ToLower(string(b)), `\ufffd`) && strings.Contains(fmt.Sprint(v), "\uFFFD") {
			t.Fatalf("CheckJSONText accepted %q, which decodes with a replacement character", b)
		}
	})
}
