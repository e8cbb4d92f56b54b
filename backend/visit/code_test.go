package visit_test

import (
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

// TestCodeValidityAt: an inspection code lasts the rest of the day in
// Asia/Shanghai, so that the phone can show it offline until then; one
// fetched a few minutes before midnight still lasts CodeValidity.
func TestCodeValidityAt(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		expires time.Time // in China
	}{
		{"Morning", time.Date(2026, 5, 6, 8, 30, 0, 0, backend.China), time.Date(2026, 5, 7, 0, 0, 0, 0, backend.China)},
		{"SecondsCut", time.Date(2026, 5, 6, 14, 0, 30, 0, backend.China), time.Date(2026, 5, 6, 23, 59, 30, 0, backend.China)},
		// 23:30 UTC is 07:30 of the next day in China.
		{"UTCEvening", time.Date(2026, 5, 6, 23, 30, 0, 0, time.UTC), time.Date(2026, 5, 8, 0, 0, 0, 0, backend.China)},
		{"LateEvening", time.Date(2026, 5, 6, 23, 55, 0, 0, backend.China), time.Date(2026, 5, 7, 0, 5, 0, 0, backend.China)},
		{"Midnight", time.Date(2026, 5, 7, 0, 0, 0, 0, backend.China), time.Date(2026, 5, 8, 0, 0, 0, 0, backend.China)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := visit.CodeValidityAt(tt.now)
			if got := tt.now.Add(v); !got.Equal(tt.expires) || v%time.Minute != 0 || v < visit.CodeValidity || v > 24*time.Hour {
				t.Fatalf("validity %v: expires %v, want %v", v, got.In(backend.China), tt.expires)
			}
		})
	}
}
