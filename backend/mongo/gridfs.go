package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// GridFSStore implements backend.BlobStore in GridFS, the layout MongoDB
// deployments keep evidence in: a blob is a GridFS file whose name is its
// SHA-256. A file is uploaded under a pending name and renamed to its hash
// once the hash is known (and matches the declared one), so a partial or
// wrong upload is never found under a key. Reads use GridFS's own indexes
// ({filename, uploadDate} and {files_id, n}), so a read costs the blob's
// chunks on MongoDB. (On FerretDB v1 the chunk lookup scans every chunk
// stored: the embedded store uses backend/blobfs.)
type GridFSStore struct {
	DB     *DB
	Bucket string // "evidence" when empty
}

var _ backend.BlobStore = (*GridFSStore)(nil)

const pendingBlobName = "pending"

func (s *GridFSStore) bucket() (*gridfs.Bucket, error) {
	return gridfs.NewBucket(s.DB.Database, options.GridFSBucket().SetName(s.name()))
}

func (s *GridFSStore) find(ctx context.Context, b *gridfs.Bucket, sha string) (*gridfs.File, error) {
	cur, err := b.FindContext(ctx, bson.D{{Key: "filename", Value: sha}}, options.GridFSFind().SetLimit(1))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	if !cur.Next(ctx) {
		return nil, cur.Err()
	}
	var f gridfs.File
	if err := cur.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

func (s *GridFSStore) Put(ctx context.Context, r io.Reader, want string) (string, int64, error) {
	const op = "GridFSStore.Put"
	if want != "" {
		if err := backend.CheckBlobKey(op, want); err != nil {
			return "", 0, err
		}
	}
	b, err := s.bucket()
	if err != nil {
		return "", 0, translate(op, err)
	}
	id := primitive.NewObjectID()
	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(r, h)}
	if err := b.UploadFromStreamWithID(id, pendingBlobName, counted); err != nil {
		_ = b.Delete(id)
		return "", 0, translate(op, err)
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if want != "" && sha != want {
		_ = b.Delete(id)
		return "", 0, &backend.Error{Code: backend.EINVALID, Op: op, Message: "the bytes hash to " + sha + ", not the declared " + want}
	}
	existing, err := s.find(ctx, b, sha)
	if err != nil {
		_ = b.Delete(id)
		return "", 0, translate(op, err)
	}
	if existing != nil {
		_ = b.Delete(id) // stored already: blobs never change
		return sha, counted.n, nil
	}
	if err := b.RenameContext(ctx, id, sha); err != nil {
		_ = b.Delete(id)
		return "", 0, translate(op, err)
	}
	return sha, counted.n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gridBlob reads a GridFS file; seeking reopens the stream and skips.
type gridBlob struct {
	b      *gridfs.Bucket
	id     any
	size   int64
	pos    int64
	stream *gridfs.DownloadStream
}

func (g *gridBlob) Size() int64 { return g.size }

func (g *gridBlob) Read(p []byte) (int, error) {
	if g.stream == nil {
		ds, err := g.b.OpenDownloadStream(g.id)
		if err != nil {
			return 0, err
		}
		if _, err := ds.Skip(g.pos); err != nil {
			_ = ds.Close()
			return 0, err
		}
		g.stream = ds
	}
	n, err := g.stream.Read(p)
	g.pos += int64(n)
	return n, err
}

func (g *gridBlob) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += g.pos
	case io.SeekEnd:
		offset += g.size
	}
	if offset < 0 {
		return 0, errors.New("gridBlob.Seek: negative position")
	}
	if offset != g.pos && g.stream != nil {
		_ = g.stream.Close()
		g.stream = nil
	}
	g.pos = offset
	return offset, nil
}

func (g *gridBlob) Close() error {
	if g.stream != nil {
		return g.stream.Close()
	}
	return nil
}

func (s *GridFSStore) Open(ctx context.Context, sha string) (backend.Blob, error) {
	const op = "GridFSStore.Open"
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return nil, err
	}
	b, err := s.bucket()
	if err != nil {
		return nil, translate(op, err)
	}
	f, err := s.find(ctx, b, sha)
	if err != nil {
		return nil, translate(op, err)
	}
	if f == nil {
		return nil, &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: "no blob " + sha}
	}
	return &gridBlob{b: b, id: f.ID, size: f.Length}, nil
}

func (s *GridFSStore) Delete(ctx context.Context, sha string) error {
	const op = "GridFSStore.Delete"
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return err
	}
	b, err := s.bucket()
	if err != nil {
		return translate(op, err)
	}
	for {
		f, err := s.find(ctx, b, sha)
		if err != nil {
			return translate(op, err)
		}
		if f == nil {
			return nil
		}
		if err := b.DeleteContext(ctx, f.ID); err != nil && !errors.Is(err, gridfs.ErrFileNotFound) {
			return translate(op, err)
		}
	}
}
