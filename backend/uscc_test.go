package backend_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestValidateUSCC runs the cases of testdata/uscc/vectors.json, which the
// phone app's check runs too (mobileapi/app/src/sync/uscc.test.js).
func TestValidateUSCC(t *testing.T) {
	raw, err := os.ReadFile("../testdata/uscc/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name string `json:"name"`
			Code string `json:"code"`
			OK   bool   `json:"ok"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || len(file.Cases) == 0 {
		t.Fatalf("vectors: %v (%d cases)", err, len(file.Cases))
	}
	for _, tt := range file.Cases {
		t.Run(tt.Name, func(t *testing.T) {
			err := backend.ValidateUSCC(tt.Code)
			if (err == nil) != tt.OK {
				t.Fatalf("ValidateUSCC(%q) = %v, want ok=%v", tt.Code, err, tt.OK)
			}
			if err != nil && backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("code=%q, want %q", backend.ErrorCode(err), backend.EINVALID)
			}
		})
	}
}

// TestUSCCCheckCharEveryPosition changes each of the first 17 characters of a
// valid code and expects the check character to catch it: the weights are all
// non-zero modulo 31, so any single substitution changes the sum.
func TestUSCCCheckCharEveryPosition(t *testing.T) {
	const valid = "91440300708461136T"
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for i := 0; i < 17; i++ {
		for _, r := range alphabet {
			if byte(r) == valid[i] {
				continue
			}
			changed := valid[:i] + string(r) + valid[i+1:]
			if got, _ := backend.USCCCheckChar(changed[:17]); got == valid[17] {
				t.Fatalf("substitution at %d (%q) keeps check char %c", i+1, changed, got)
			}
		}
	}
}

func TestUSCCKind(t *testing.T) {
	tests := []struct {
		code string
		want backend.TargetKind
	}{
		{"91440300708461136T", backend.KindEnterprise},
		{"92350402MA2XXXXXXX", backend.KindIndividual},
		{"93350402MA2XXXXXXX", backend.KindCooperative},
		{"12100000400000000X", ""},
		{"9", ""},
	}
	for _, tt := range tests {
		if got := backend.USCCKind(tt.code); got != tt.want {
			t.Errorf("USCCKind(%q)=%q, want %q", tt.code, got, tt.want)
		}
	}
}

// FuzzValidateUSCC checks that validation never panics and that every code
// it accepts is 18 characters whose check character recomputes.
func FuzzValidateUSCC(f *testing.F) {
	for _, s := range []string{"91440300708461136T", "91350100M000100Y43", "", "9144030070846113６T", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if backend.ValidateUSCC(code) != nil {
			return
		}
		if len(code) != 18 {
			t.Fatalf("accepted %q of length %d", code, len(code))
		}
		if c, ok := backend.USCCCheckChar(code[:17]); !ok || c != code[17] {
			t.Fatalf("accepted %q with wrong check char", code)
		}
	})
}
