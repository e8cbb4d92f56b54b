// Package audittest reads the audit log in tests.
package audittest

import (
	"context"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Count counts the stored entries of l by what by says of each (an entry
// for which it says "" is not counted), and fails tb unless the chain
// verifies.
func Count(tb testing.TB, l *backend.AuditLog, by func(*backend.AuditEntry) string) map[string]int {
	tb.Helper()
	ctx := context.Background()
	out := map[string]int{}
	if err := l.Store.ScanAudit(ctx, func(e *backend.AuditEntry) error {
		if k := by(e); k != "" {
			out[k]++
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if _, problem, err := l.Verify(ctx); err != nil || problem != nil {
		tb.Fatalf("verify the audit log: problem %v, err %v; want an intact chain", problem, err)
	}
	return out
}

// ByKey and ByAction are what Count counts by.
func ByKey(e *backend.AuditEntry) string    { return e.Key }
func ByAction(e *backend.AuditEntry) string { return e.Action }
