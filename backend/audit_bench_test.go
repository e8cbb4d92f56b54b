package backend_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// BenchmarkAuditAppendParallel is many requests recording changes at once
// (100 goroutines on the 2 cores), on the embedded store: what the chain
// costs each of them.
func BenchmarkAuditAppendParallel(b *testing.B) {
	l, _ := newAuditLogTB(b)
	ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "alice", Role: backend.RoleManager, ClientAddr: "10.0.0.1"})
	var n atomic.Int64
	b.SetParallelism(50)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := l.Append(ctx, backend.AuditRecord{Action: "target.update", ObjectType: "target", ObjectID: fmt.Sprint("t", i), Change: map[string]int64{"i": i}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if c, problem, err := l.Check(context.Background()); err != nil || problem != nil || c.Entries != n.Load() {
		b.Fatalf("after the run: %d entries, %v, %v; want %d intact", c.Entries, problem, err, n.Load())
	}
}
