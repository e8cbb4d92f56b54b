package qr_test

import (
	"context"
	"io"
	"testing"

	"github.com/fieldcheck/fieldcheck/qr"
)

// BenchmarkSignAndRenderPNG256: what GET /api/v1/enterprises/{uscc}/qr.png
// costs besides HTTP: sign one enterprise code and render a 256 px PNG.
func BenchmarkSignAndRenderPNG256(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c, err := e.Ring.SignEnterpriseCode(ctx, uscc(b, i))
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WritePNG(io.Discard, 256); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkZIP10000: the batch for printing, 10,000 codes signed and
// rendered at 256 px into a streamed ZIP. Peak RSS (docs/benchmarks.md):
// go test -c -o /tmp/qr.test ./qr && /usr/bin/time -v /tmp/qr.test
// -test.run '^$' -test.bench 'ZIP10000$' -test.benchtime 1x
func BenchmarkZIP10000(b *testing.B) { benchmarkZIP(b, 10000) }

// BenchmarkZIP1000 is the same at a tenth of the size: with flat memory,
// its peak RSS equals BenchmarkZIP10000's.
func BenchmarkZIP1000(b *testing.B) { benchmarkZIP(b, 1000) }

func benchmarkZIP(b *testing.B, n int) {
	e := newEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := qr.WriteZIP(io.Discard, signed(b, e.Ring, n), qr.ZIPOptions{Size: 256}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e3, "µs/code")
}
