// Package blobtest checks a backend.BlobStore's behaviour: the same tests
// run against every implementation (backend/blobfs, the GridFS store).
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func hashOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// failingReader yields some bytes, then fails: an upload cut off.
type failingReader struct{ left int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), f.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	f.left -= n
	return n, nil
}

// Run runs the behaviour tests on a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) backend.EvidenceStore) {
	ctx := context.Background()
	data := make([]byte, 3<<20+17) // several GridFS chunks, not a whole number of them
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sha := hashOf(data)

	t.Run("RoundTripAndRanges", func(t *testing.T) {
		s := newStore(t)
		got, size, err := s.Put(ctx, bytes.NewReader(data), sha)
		if err != nil || got != sha || size != int64(len(data)) {
			t.Fatalf("Put: %s %d %v", got, size, err)
		}
		b, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Size() != int64(len(data)) {
			t.Fatalf("size %d", b.Size())
		}
		all, err := io.ReadAll(b)
		if err != nil || !bytes.Equal(all, data) {
			t.Fatalf("read back %d bytes, %v", len(all), err)
		}
		for _, r := range []struct{ off, n int64 }{{0, 10}, {255*1024 - 3, 10}, {int64(len(data)) - 5, 5}, {1 << 20, 300000}} {
			if _, err := b.Seek(r.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			part := make([]byte, r.n)
			if _, err := io.ReadFull(b, part); err != nil || !bytes.Equal(part, data[r.off:r.off+r.n]) {
				t.Fatalf("range %d+%d: %v", r.off, r.n, err)
			}
		}
		if pos, err := b.Seek(-7, io.SeekEnd); err != nil || pos != int64(len(data))-7 {
			t.Fatalf("seek from the end: %d %v", pos, err)
		}
	})

	t.Run("SameBytesStoredOnce", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if got, _, err := s.Put(ctx, bytes.NewReader(data[:1000]), ""); err != nil || got != hashOf(data[:1000]) {
					t.Errorf("Put: %s %v", got, err)
				}
			})
		}
		wg.Wait()
		all := readBlob(t, s, hashOf(data[:1000]))
		if !bytes.Equal(all, data[:1000]) {
			t.Fatal("read back other bytes")
		}
	})

	t.Run("ErrWrongHashKeepsNothing", func(t *testing.T) {
		s := newStore(t)
		other := hashOf([]byte("something else"))
		if _, _, err := s.Put(ctx, bytes.NewReader(data[:500]), other); !backend.IsCode(err, backend.EINVALID) {
			t.Fatalf("a mismatch: %v, want invalid", err)
		}
		for _, k := range []string{other, hashOf(data[:500])} {
			if _, err := s.Open(ctx, k); !backend.IsCode(err, backend.ENOTFOUND) {
				t.Fatalf("after a refused upload, %s: %v, want not found", k[:8], err)
			}
		}
	})

	t.Run("ErrCutOffUploadKeepsNothing", func(t *testing.T) {
		s := newStore(t)
		if _, _, err := s.Put(ctx, &failingReader{left: 600000}, ""); err == nil {
			t.Fatal("a failed read was stored")
		}
		if _, err := s.Open(ctx, hashOf(bytes.Repeat([]byte("x"), 600000))); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("the partial bytes are visible: %v", err)
		}
	})

	t.Run("ErrBadKeys", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"", "../../etc/passwd", sha[:63], sha + "0", "ZZ" + sha[2:]} {
			if _, err := s.Open(ctx, k); !backend.IsCode(err, backend.EINVALID) {
				t.Errorf("Open(%q): %v, want invalid", k, err)
			}
		}
		if _, err := s.Open(ctx, sha); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Errorf("Open of a missing blob: %v, want not found", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		k, _, err := s.Put(ctx, bytes.NewReader(data[:100]), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, k); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("after Delete: %v", err)
		}
		if err := s.Delete(ctx, k); err != nil {
			t.Fatalf("deleting a missing blob: %v", err)
		}
	})

	runStaging(t, newStore, data)
}

// stage writes data to upload id the way the upload service does: pieces
// that never cross a StageChunk boundary, starting at off.
func stage(t *testing.T, s backend.EvidenceStore, id string, off int64, data []byte) {
	t.Helper()
	chunk := int64(s.StageChunk())
	for len(data) > 0 {
		n := min(int64(len(data)), chunk-off%chunk)
		if err := s.WriteStaged(context.Background(), id, off, data[:n]); err != nil {
			t.Fatalf("WriteStaged at %d: %v", off, err)
		}
		off += n
		data = data[n:]
	}
	if err := s.SyncStaged(context.Background(), id); err != nil {
		t.Fatalf("SyncStaged: %v", err)
	}
}

// readBlob reads blob sha whole.
func readBlob(t *testing.T, s backend.BlobStore, sha string) []byte {
	t.Helper()
	b, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	all, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func readStaged(t *testing.T, s backend.EvidenceStore, id string, size int64) []byte {
	t.Helper()
	r, err := s.OpenStaged(context.Background(), id, size)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func runStaging(t *testing.T, newStore func(t *testing.T) backend.EvidenceStore, data []byte) {
	ctx := context.Background()
	sha := hashOf(data)

	t.Run("StagedResumesAndCommits", func(t *testing.T) {
		s := newStore(t)
		id := "upload0000000000000001"
		// An odd cut: the resumption starts inside a chunk.
		cut := int64(len(data))/2 + 7
		stage(t, s, id, 0, data[:cut])
		if _, err := s.Open(ctx, sha); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("staged bytes are visible as a blob: %v", err)
		}
		if got := readStaged(t, s, id, cut); !bytes.Equal(got, data[:cut]) {
			t.Fatalf("staged %d bytes read back as %d other bytes", cut, len(got))
		}
		stage(t, s, id, cut, data[cut:])
		if err := s.CommitStaged(ctx, id, sha, int64(len(data))); err != nil {
			t.Fatal(err)
		}
		all := readBlob(t, s, sha)
		if !bytes.Equal(all, data) {
			t.Fatalf("committed blob: %d bytes, not the %d staged", len(all), len(data))
		}
		if err := s.CommitStaged(ctx, id, sha, int64(len(data))); err != nil {
			t.Fatalf("a repeated commit (its answer lost): %v", err)
		}
		if b, err := s.Open(ctx, sha); err != nil {
			t.Fatalf("after a repeated commit: %v", err)
		} else {
			b.Close()
		}
	})

	t.Run("StagedRewriteAfterLostProgress", func(t *testing.T) {
		// A crash after writing but before recording progress: the upload
		// resumes from the recorded offset and writes other bytes there.
		s := newStore(t)
		id := "upload0000000000000002"
		small := data[:len(data)/2]
		stage(t, s, id, 0, small[:100])                                            // recorded
		stage(t, s, id, 100, bytes.Repeat([]byte("z"), len(small)+s.StageChunk())) // lost, past the end
		stage(t, s, id, 100, small[100:])
		if err := s.CommitStaged(ctx, id, hashOf(small), int64(len(small))); err != nil {
			t.Fatal(err)
		}
		all := readBlob(t, s, hashOf(small))
		if !bytes.Equal(all, small) {
			t.Fatal("the commit kept bytes an earlier attempt wrote past the end")
		}
	})

	t.Run("StagedCommitOfStoredBlob", func(t *testing.T) {
		s := newStore(t)
		small := data[:1000]
		if _, _, err := s.Put(ctx, bytes.NewReader(small), ""); err != nil {
			t.Fatal(err)
		}
		id := "upload0000000000000003"
		stage(t, s, id, 0, small)
		if err := s.CommitStaged(ctx, id, hashOf(small), int64(len(small))); err != nil {
			t.Fatal(err)
		}
		all := readBlob(t, s, hashOf(small))
		if !bytes.Equal(all, small) {
			t.Fatal("the stored blob changed")
		}
	})

	t.Run("StagedDiscard", func(t *testing.T) {
		s := newStore(t)
		id := "upload0000000000000004"
		stage(t, s, id, 0, data[:5000])
		if err := s.DiscardStaged(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.DiscardStaged(ctx, id); err != nil {
			t.Fatalf("discarding twice: %v", err)
		}
		if err := s.CommitStaged(ctx, id, hashOf(data[:5000]), 5000); err == nil {
			t.Fatal("committed discarded bytes")
		}
		if _, err := s.Open(ctx, hashOf(data[:5000])); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("discarded bytes visible: %v", err)
		}
	})

	t.Run("ErrStagedBadIDs", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"", "../../etc", "short", "UPPERCASE0000000000", "has/slash000000000000"} {
			if err := s.WriteStaged(ctx, id, 0, []byte("x")); !backend.IsCode(err, backend.EINVALID) {
				t.Errorf("WriteStaged(%q): %v, want invalid", id, err)
			}
			if err := s.DiscardStaged(ctx, id); !backend.IsCode(err, backend.EINVALID) {
				t.Errorf("DiscardStaged(%q): %v, want invalid", id, err)
			}
			if err := s.SyncStaged(ctx, id); !backend.IsCode(err, backend.EINVALID) {
				t.Errorf("SyncStaged(%q): %v, want invalid", id, err)
			}
		}
	})
}
