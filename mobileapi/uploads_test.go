package mobileapi_test

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/mobileapi"
)

func TestParseUploadMetadata(t *testing.T) {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"OK/Empty", "", map[string]string{}},
		{"OK/Pairs", "taskId " + b("t-1") + ",slotId " + b("p1"), map[string]string{"taskId": "t-1", "slotId": "p1"}},
		{"OK/KeyWithoutValue", "is_confidential,filename " + b("现场照片.jpg"), map[string]string{"is_confidential": "", "filename": "现场照片.jpg"}},
		{"OK/Spaces", " taskId " + b("t") + " , slotId " + b("s"), map[string]string{"taskId": "t", "slotId": "s"}},
		{"ErrNotBase64", "taskId !!!", nil},
		{"ErrNotUTF8", "taskId " + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}), nil},
		{"ErrDuplicateKey", "a " + b("1") + ",a " + b("2"), nil},
		{"ErrEmptyKey", "," + b("x"), nil},
		{"ErrTooLong", "k " + b(strings.Repeat("x", 5000)), nil},
		{"ErrUnpaddedBase64", "k " + strings.TrimRight(b("ab"), "="), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mobileapi.ParseUploadMetadata(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed %q as %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Fatalf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
}

// FuzzParseUploadMetadata: whatever a client sends, the parser does not
// panic, and what it accepts writes back to the same pairs.
func FuzzParseUploadMetadata(f *testing.F) {
	f.Add("taskId dC0x,slotId cDE=")
	f.Add("a,b,c")
	f.Add("k  ")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := mobileapi.ParseUploadMetadata(in)
		if err != nil {
			return
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(m[k])))
		}
		again, err := mobileapi.ParseUploadMetadata(strings.Join(parts, ","))
		if err != nil || !maps.Equal(m, again) {
			t.Fatalf("%q parsed to %v, which writes back to %v (%v)", in, m, again, err)
		}
	})
}
