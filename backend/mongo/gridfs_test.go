package mongo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/blobtest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestGridFSStore runs the blob store's behaviour against GridFS over the
// wire protocol (the embedded FerretDB here: correct, if slower to read
// than on MongoDB).
func TestGridFSStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) backend.EvidenceStore { return &mongo.GridFSStore{DB: mongotest.Open(t)} })
}

func BenchmarkGridFSRead(b *testing.B) {
	blobtest.BenchmarkRead(b, &mongo.GridFSStore{DB: mongotest.Open(b)})
}

// TestGridFSStagedBeforeDerivedIDs: an upload staged by an earlier build,
// whose chunks have ObjectId _ids, resumes (inside a chunk and past it),
// drops what an earlier attempt wrote past its end, and commits into the
// same bytes; and a discard of such an upload leaves none of its chunks.
func TestGridFSStagedBeforeDerivedIDs(t *testing.T) {
	ctx := context.Background()
	const chunk = 255 * 1024
	data := make([]byte, 3*chunk+1000)
	for i := range data {
		data[i] = byte(i*31 + i/chunk)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	db := mongotest.Open(t)
	s := &mongo.GridFSStore{DB: db}
	chunks := db.Database.Collection("evidence.chunks")
	legacy := func(id string, n int64, p []byte) {
		t.Helper()
		if _, err := chunks.InsertOne(ctx, bson.D{{Key: "_id", Value: primitive.NewObjectID()}, {Key: "files_id", Value: id}, {Key: "n", Value: n}, {Key: "data", Value: primitive.Binary{Data: p}}}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(id string) int64 {
		t.Helper()
		n, err := chunks.CountDocuments(ctx, bson.D{{Key: "files_id", Value: id}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	id := "legacyupload00000001"
	legacy(id, 0, data[:chunk])
	legacy(id, 1, data[chunk:chunk+100]) // the progress recorded stops inside chunk 1
	legacy(id, 4, []byte("past the end"))
	off := int64(chunk + 100)
	for off < int64(len(data)) {
		n := min(int64(len(data))-off, chunk-off%chunk)
		if err := s.WriteStaged(ctx, id, off, data[off:off+n]); err != nil {
			t.Fatalf("WriteStaged at %d: %v", off, err)
		}
		off += n
	}
	if err := s.CommitStaged(ctx, id, sha, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	b, err := s.Open(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	b.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d staged", len(got), err, len(data))
	}
	if n := count(id); n != 4 {
		t.Fatalf("%d chunks kept, want 4", n)
	}

	gone := "legacyupload00000002"
	legacy(gone, 0, data[:chunk])
	legacy(gone, 1, data[chunk:2*chunk])
	if err := s.DiscardStaged(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if n := count(gone); n != 0 {
		t.Fatalf("%d chunks left after the discard, want 0", n)
	}
}
