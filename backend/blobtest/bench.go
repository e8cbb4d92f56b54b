package blobtest

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// BenchmarkRead measures reading one 5 MB blob while FIELDCHECK_BENCH_STORED_MB
// megabytes of other blobs (1 MB each) are stored: the read must cost the
// same however much is stored.
func BenchmarkRead(b *testing.B, s backend.BlobStore) {
	ctx := context.Background()
	other, _ := strconv.Atoi(os.Getenv("FIELDCHECK_BENCH_STORED_MB"))
	chunk := make([]byte, 1<<20)
	for i := range other {
		chunk[0], chunk[1], chunk[2] = byte(i), byte(i>>8), 0xfe
		if _, _, err := s.Put(ctx, bytes.NewReader(chunk), ""); err != nil {
			b.Fatal(err)
		}
	}
	photo := bytes.Repeat([]byte("evidence"), 5<<20/8)
	sha, _, err := s.Put(ctx, bytes.NewReader(photo), "")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(photo)))
	for b.Loop() {
		blob, err := s.Open(ctx, sha)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, blob); err != nil || n != int64(len(photo)) {
			b.Fatalf("%d %v", n, err)
		}
		blob.Close()
	}
}
