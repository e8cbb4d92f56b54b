package demo_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// The check below is written from GB 32100-2015 on purpose, without calling
// backend: position i (0-based) of the first 17 characters weighs 3^i mod
// 31, characters count by their place in the 31-character alphabet, and the
// check character is the one worth 31 - (sum mod 31), with 31 counting as 0.
const gb32100Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func gb32100Valid(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(gb32100Alphabet, code[i])
		if v < 0 {
			return false
		}
		sum += v * w
		w = w * 3 % 31
	}
	want := (31 - sum%31) % 31
	return strings.IndexByte(gb32100Alphabet, code[17]) == want
}

// gb11714Valid checks the organisation code in positions 9-17 (GB 11714):
// weights 3 7 9 10 5 8 4 2, letters worth 10-35, check = 11 - sum mod 11
// written 0-9, X for 10 and 0 for 11.
func gb11714Valid(org string) bool {
	weights := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		c := org[i]
		switch {
		case c >= '0' && c <= '9':
			sum += int(c-'0') * w
		case c >= 'A' && c <= 'Z':
			sum += int(c-'A'+10) * w
		default:
			return false
		}
	}
	want := "0123456789X0"[11-sum%11]
	return org[8] == want
}

// Codes printed on real business licences.
var publishedUSCCs = []string{
	"91350100M000100Y43",
	"914403001922038216",
	"9144030071526726XG",
	"91330100716105852F",
	"91110108551385082Q",
}

func TestUSCCCheckIndependently(t *testing.T) {
	t.Run("PublishedCodes", func(t *testing.T) {
		for _, code := range publishedUSCCs {
			if !gb32100Valid(code) {
				t.Errorf("%s: the test's own check rejects a published code", code)
			}
			if err := backend.ValidateUSCC(code); err != nil {
				t.Errorf("%s: backend.ValidateUSCC: %v", code, err)
			}
			if !gb11714Valid(code[8:17]) {
				t.Errorf("%s: organisation code %s fails GB 11714", code, code[8:17])
			}
		}
	})
	t.Run("OneWrongCharacterFails", func(t *testing.T) {
		for _, code := range publishedUSCCs {
			for i := 0; i < 18; i++ {
				for _, c := range []byte("0A") {
					if code[i] == c {
						continue
					}
					bad := code[:i] + string(c) + code[i+1:]
					if gb32100Valid(bad) {
						t.Errorf("%s accepted", bad)
					}
					if backend.ValidateUSCC(bad) == nil {
						t.Errorf("backend.ValidateUSCC accepted %s", bad)
					}
				}
			}
		}
	})
}

func TestGeneratedUSCCs(t *testing.T) {
	seen := map[string]bool{}
	regions := map[string]int{}
	orgForms := map[string]int{}
	for _, x := range county.Targets {
		if !x.Kind.HasUSCC() {
			continue
		}
		id := x.ID
		if seen[id] {
			t.Errorf("%s twice", id)
		}
		seen[id] = true
		if !gb32100Valid(id) {
			t.Errorf("%s: wrong GB 32100 check character", id)
		}
		if !gb11714Valid(id[8:17]) {
			t.Errorf("%s: organisation code %s has a wrong GB 11714 check character", id, id[8:17])
		}
		want := map[backend.TargetKind]string{backend.KindEnterprise: "91", backend.KindIndividual: "92", backend.KindCooperative: "93"}[x.Kind]
		if id[:2] != want {
			t.Errorf("%s is a %s: want it to start with %s", id, x.Kind, want)
		}
		regions[id[2:8]]++
		switch {
		case strings.HasPrefix(id[8:], "MA"):
			orgForms["MA"]++
		case id[8] == 'L':
			orgForms["L"]++
		default:
			orgForms["digits"]++
		}
	}
	// Registration authorities: the district now, its two predecessors
	// before 2021, and the city.
	for _, r := range []string{"350404", "350403", "350402", "350400"} {
		if regions[r] == 0 {
			t.Errorf("no code registered by %s (got %v)", r, regions)
		}
	}
	if len(regions) != 4 {
		t.Errorf("registration regions %v, want only 350400, 350402, 350403, 350404", regions)
	}
	for _, f := range []string{"MA", "L", "digits"} {
		if orgForms[f] == 0 {
			t.Errorf("no organisation code of form %s (got %v)", f, orgForms)
		}
	}
	if len(seen) != demo.DefaultTargets {
		t.Errorf("%d codes, want %d", len(seen), demo.DefaultTargets)
	}
}
