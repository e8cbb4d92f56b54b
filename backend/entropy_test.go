package backend_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestEntropySourceValidate(t *testing.T) {
	tests := []struct {
		name string
		src  backend.EntropySource
		msg  string // "" = valid
	}{
		{"OK/FC3D", backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-05-04"}, ""},
		{"OK/PL5", backend.EntropySource{Source: "tc-pl5", Issue: "26124", Date: "2026-05-04"}, ""},
		{"OK/SSQOnSunday", backend.EntropySource{Source: "fc-ssq", Issue: "2026050", Date: "2026-05-03"}, ""},
		{"OK/DLTOnMonday", backend.EntropySource{Source: "tc-dlt", Issue: "26051", Date: "2026-05-04"}, ""},
		{"OK/Drand", backend.EntropySource{Source: "drand-quicknet", Round: 27946612}, ""},
		{"ErrUnknownSource", backend.EntropySource{Source: "shanghai-index", Issue: "2026124", Date: "2026-05-04"}, "not supported"},
		{"ErrNoSource", backend.EntropySource{}, "not supported"},
		{"ErrSSQOnMonday", backend.EntropySource{Source: "fc-ssq", Issue: "2026050", Date: "2026-05-04"}, "drawn only"},
		{"ErrDLTOnSunday", backend.EntropySource{Source: "tc-dlt", Issue: "26051", Date: "2026-05-03"}, "drawn only"},
		{"ErrBadDate", backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-02-30"}, "YYYY-MM-DD"},
		{"ErrNoDate", backend.EntropySource{Source: "fc-3d", Issue: "2026124"}, "YYYY-MM-DD"},
		{"ErrIssueOfOtherYear", backend.EntropySource{Source: "fc-3d", Issue: "2025124", Date: "2026-05-04"}, "2026 followed"},
		{"ErrIssueZero", backend.EntropySource{Source: "fc-3d", Issue: "2026000", Date: "2026-05-04"}, "issue"},
		{"ErrIssueTooShort", backend.EntropySource{Source: "fc-3d", Issue: "26124", Date: "2026-05-04"}, "7 digits"},
		{"ErrSportsIssueLong", backend.EntropySource{Source: "tc-pl5", Issue: "2026124", Date: "2026-05-04"}, "5 digits, 26 followed"},
		{"ErrIssueNotDigits", backend.EntropySource{Source: "fc-3d", Issue: "2026l24", Date: "2026-05-04"}, "issue"},
		{"ErrLotteryRound", backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-05-04", Round: 5}, "not a round"},
		{"ErrBeaconIssue", backend.EntropySource{Source: "drand-quicknet", Round: 5, Issue: "2026124"}, "not an issue"},
		{"ErrBeaconRoundZero", backend.EntropySource{Source: "drand-quicknet"}, "round 0"},
		{"ErrBeaconRoundHuge", backend.EntropySource{Source: "drand-quicknet", Round: 1 << 62}, "between 1 and"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.Validate()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.src, err)
				}
				return
			}
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("Validate(%+v) = %v, want invalid containing %q", tt.src, err, tt.msg)
			}
		})
	}
}

func TestEntropyResultAt(t *testing.T) {
	tests := []struct {
		name string
		src  backend.EntropySource
		want time.Time
	}{
		{"FC3DAt2115", backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-05-04"}, time.Date(2026, 5, 4, 21, 15, 0, 0, backend.China)},
		{"SSQAt2115", backend.EntropySource{Source: "fc-ssq", Issue: "2026050", Date: "2026-05-03"}, time.Date(2026, 5, 3, 21, 15, 0, 0, backend.China)},
		{"PL5At2125", backend.EntropySource{Source: "tc-pl5", Issue: "26124", Date: "2026-05-04"}, time.Date(2026, 5, 4, 21, 25, 0, 0, backend.China)},
		{"DLTAt2125", backend.EntropySource{Source: "tc-dlt", Issue: "26051", Date: "2026-05-04"}, time.Date(2026, 5, 4, 21, 25, 0, 0, backend.China)},
		// drand quicknet: round 1 at genesis 1692803367, then every 3 s.
		{"DrandRound1", backend.EntropySource{Source: "drand-quicknet", Round: 1}, time.Unix(1692803367, 0)},
		{"DrandRound27946612", backend.EntropySource{Source: "drand-quicknet", Round: 27946612}, time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.src.ResultAt(); !got.Equal(tt.want) {
				t.Fatalf("ResultAt=%s, want %s", got, tt.want)
			}
		})
	}
}

func TestFirstRoundFrom(t *testing.T) {
	k, _ := backend.LookupEntropyKind("drand-quicknet")
	round1 := time.Unix(k.Genesis, 0)
	tests := []struct {
		name string
		at   time.Time
		want int64
	}{
		{"BeforeGenesis", round1.Add(-time.Hour), 1},
		{"AtGenesis", round1, 1},
		{"JustAfterGenesis", round1.Add(time.Nanosecond), 2},
		{"AtRound2", round1.Add(3 * time.Second), 2},
		{"BetweenRounds", time.Date(2026, 4, 19, 23, 59, 58, 0, time.UTC), 27946612},
		{"AtRound27946612", time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC), 27946612},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := k.FirstRoundFrom(tt.at)
			if got != tt.want {
				t.Fatalf("FirstRoundFrom(%s)=%d, want %d", tt.at, got, tt.want)
			}
			if at := (&backend.EntropySource{Source: k.Code, Round: got}).ResultAt(); at.Before(tt.at) {
				t.Fatalf("round %d is published at %s, before %s", got, at, tt.at)
			}
		})
	}
	if lottery, _ := backend.LookupEntropyKind("fc-3d"); lottery.FirstRoundFrom(round1) != 0 {
		t.Fatal("a lottery has rounds")
	}
}

func TestEntropyCheckFuture(t *testing.T) {
	src := backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-05-04"}
	result := src.ResultAt()
	tests := []struct {
		name string
		now  time.Time
		msg  string
	}{
		{"OK/SecondBefore", result.Add(-time.Second), ""},
		{"OK/AtTheLimit", result.Add(-backend.MaxEntropyLead), ""},
		{"ErrAtResult", result, "public since 2026-05-04 21:15:00"},
		{"ErrAfterResult", result.Add(time.Hour), "public since"},
		{"ErrTooFarAhead", result.Add(-backend.MaxEntropyLead - time.Second), "more than 366 days ahead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := src.CheckFuture(tt.now)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("CheckFuture(%s) = %v, want nil", tt.now, err)
				}
				return
			}
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("CheckFuture(%s) = %v, want invalid containing %q", tt.now, err, tt.msg)
			}
		})
	}
	if err := (&backend.EntropySource{Source: "fc-3d"}).CheckFuture(result.Add(-time.Hour)); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("CheckFuture of a malformed source = %v, want invalid", err)
	}
}

// entropyCase is one case of testdata/draw/entropy/values.json, written by
// the independent Python implementation (testdata/draw/gen_vectors.py).
type entropyCase struct {
	EntropySource backend.EntropySource `json:"entropySource"`
	Value         string                `json:"value"`
	PublicEntropy string                `json:"publicEntropy"`
	Refused       bool                  `json:"refused"`
}

func TestEntropyTextVectors(t *testing.T) {
	b, err := os.ReadFile("../testdata/draw/entropy/values.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []entropyCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("%d cases, want the generator's", len(cases))
	}
	for i, c := range cases {
		t.Run(strconv.Itoa(i)+"/"+c.EntropySource.Source, func(t *testing.T) {
			got, err := c.EntropySource.Text(c.Value)
			if c.Refused {
				if err == nil || backend.ErrorCode(err) != backend.EINVALID {
					t.Fatalf("Text(%+v, %q) = %q, %v; want refused", c.EntropySource, c.Value, got, err)
				}
				return
			}
			if err != nil || got != c.PublicEntropy {
				t.Fatalf("Text(%+v, %q) = %q, %v; want %q", c.EntropySource, c.Value, got, err, c.PublicEntropy)
			}
			if err := c.EntropySource.CheckText(got); err != nil {
				t.Fatalf("CheckText(%q) = %v, want nil", got, err)
			}
		})
	}
}

func TestEntropyCheckText(t *testing.T) {
	src := backend.EntropySource{Source: "fc-3d", Issue: "2026124", Date: "2026-05-04"}
	tests := []struct {
		name, text, msg string
	}{
		{"OK", "福彩3D 第2026124期 2026-05-04 5 8 2", ""},
		{"ErrFreeText", "福彩3D 2026330 1 2 3（更正 42）", "does not start with"},
		{"ErrOtherIssue", "福彩3D 第2026125期 2026-05-05 5 8 2", "does not start with"},
		{"ErrSuffix", "福彩3D 第2026124期 2026-05-04 5 8 2（更正 42）", "not a result of 福彩3D"},
		{"ErrEmpty", "", "does not start with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := src.CheckText(tt.text)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("CheckText(%q) = %v, want nil", tt.text, err)
				}
				return
			}
			if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(backend.ErrorMessage(err), tt.msg) {
				t.Fatalf("CheckText(%q) = %v, want invalid containing %q", tt.text, err, tt.msg)
			}
		})
	}
}

func TestEntropyKindsTable(t *testing.T) {
	f, _ := reflect.TypeOf(backend.EntropySource{}).FieldByName("Source")
	var codes []string
	for _, k := range backend.EntropyKinds() {
		codes = append(codes, k.Code)
		if k.Name == "" || k.Value == "" || k.Identifier() == "" || k.Schedule() == "" {
			t.Errorf("kind %s lacks its description", k.Code)
		}
		src := backend.EntropySource{Source: k.Code, Round: 1}
		if !k.Beacon() {
			src = backend.EntropySource{Source: k.Code, Issue: "2026050", Date: "2026-05-03"}
			if k.IssueDigits == 5 {
				src.Issue = "26050"
			}
			if k.Weekdays != nil && !slices.Contains(k.Weekdays, time.Sunday) {
				src.Date = "2026-05-04"
			}
		}
		if _, err := src.Text(k.Example); err != nil {
			t.Errorf("the example of %s is refused: %v", k.Code, err)
		}
	}
	if got := strings.Join(codes, ","); got != f.Tag.Get("enum") {
		t.Fatalf("EntropySource.Source enum tag %q, want the table's codes %q", f.Tag.Get("enum"), got)
	}
	if got := backend.EntropyCodes(); got != strings.Join(codes, ", ") {
		t.Fatalf("EntropyCodes()=%q, want %q", got, strings.Join(codes, ", "))
	}
}

// FuzzEntropyValue feeds arbitrary values to every source: Text never
// panics, and a value it accepts is in canonical form (single spaces, no
// other character than digits, lower-case hex and " + "), and its text
// passes CheckText. Seeds are in testdata/fuzz/FuzzEntropyValue.
func FuzzEntropyValue(f *testing.F) {
	sources := map[string]backend.EntropySource{
		"fc-3d":          {Source: "fc-3d", Issue: "2026124", Date: "2026-05-04"},
		"tc-pl5":         {Source: "tc-pl5", Issue: "26124", Date: "2026-05-04"},
		"fc-ssq":         {Source: "fc-ssq", Issue: "2026050", Date: "2026-05-03"},
		"tc-dlt":         {Source: "tc-dlt", Issue: "26051", Date: "2026-05-04"},
		"drand-quicknet": {Source: "drand-quicknet", Round: 27946612},
	}
	f.Fuzz(func(t *testing.T, code, value string) {
		src, ok := sources[code]
		if !ok {
			src = backend.EntropySource{Source: code, Issue: "2026124", Date: "2026-05-04"}
		}
		text, err := src.Text(value)
		if err != nil {
			if backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("Text(%q, %q): code %q, want invalid", code, value, backend.ErrorCode(err))
			}
			return
		}
		if !ok {
			t.Fatalf("Text accepted unknown source %q", code)
		}
		if strings.Join(strings.Fields(value), " ") != value || strings.Trim(value, "0123456789abcdef +") != "" {
			t.Fatalf("Text(%q, %q) accepted a value not in canonical form", code, value)
		}
		if err := src.CheckText(text); err != nil || text != src.String()+" "+value {
			t.Fatalf("CheckText(%q) = %v for an accepted value", text, err)
		}
	})
}
