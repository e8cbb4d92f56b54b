package blobfs_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/blobtest"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) backend.EvidenceStore { return &blobfs.Store{Dir: t.TempDir()} })
}

func BenchmarkRead(b *testing.B) { blobtest.BenchmarkRead(b, &blobfs.Store{Dir: b.TempDir()}) }
