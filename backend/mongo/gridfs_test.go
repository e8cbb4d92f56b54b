package mongo_test

import (
	"testing"

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
