package evidenceapi_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/evidenceapi"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name       string
		h          string
		size       int64
		start, end int64
		ok, err    bool
	}{
		{"OK/Closed", "bytes=0-99", 1000, 0, 99, true, false},
		{"OK/Open", "bytes=900-", 1000, 900, 999, true, false},
		{"OK/Suffix", "bytes=-100", 1000, 900, 999, true, false},
		{"OK/SuffixLongerThanFile", "bytes=-5000", 1000, 0, 999, true, false},
		{"OK/EndPastFile", "bytes=990-5000", 1000, 990, 999, true, false},
		{"OK/LastByte", "bytes=999-999", 1000, 999, 999, true, false},
		{"IgnoredSeveralRanges", "bytes=0-1,5-6", 1000, 0, 0, false, false},
		{"IgnoredOtherUnit", "items=0-1", 1000, 0, 0, false, false},
		{"IgnoredBackwards", "bytes=50-10", 1000, 0, 0, false, false},
		{"IgnoredGarbage", "bytes=a-b", 1000, 0, 0, false, false},
		{"IgnoredSigned", "bytes=+1-5", 1000, 0, 0, false, false},
		{"ErrStartPastEnd", "bytes=1000-", 1000, 0, 0, false, true},
		{"ErrEmptySuffix", "bytes=-0", 1000, 0, 0, false, true},
		{"ErrEmptyFile", "bytes=0-", 0, 0, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok, err := evidenceapi.ParseRange(tt.h, tt.size)
			if (err != nil) != tt.err || ok != tt.ok || ok && (s != tt.start || e != tt.end) {
				t.Fatalf("ParseRange(%q, %d) = %d %d %v %v", tt.h, tt.size, s, e, ok, err)
			}
		})
	}
}

// FuzzParseRange: a range the parser accepts lies inside the file.
func FuzzParseRange(f *testing.F) {
	f.Add("bytes=0-99", int64(1000))
	f.Add("bytes=-1", int64(1))
	f.Add("bytes=5-", int64(3))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return
		}
		s, e, ok, err := evidenceapi.ParseRange(h, size)
		if ok && (err != nil || s < 0 || s > e || e >= size) {
			t.Fatalf("ParseRange(%q, %d) = %d-%d, outside the file", h, size, s, e)
		}
	})
}
