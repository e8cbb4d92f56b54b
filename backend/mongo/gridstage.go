package mongo

import (
	"bytes"
	"context"
	"io"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// An upload under way is staged in GridFS itself: its chunks are written
// into the bucket's chunk collection as they arrive, under the upload's id
// as files_id, with no file document. Committing writes the file document
// (named by the hash), which is what makes the bytes a blob: the chunks do
// not move. Until then no read finds them, since reads start from a file
// document.

// gridChunk is GridFS's chunk size (the drivers' default, 255 KiB).
const gridChunk = 255 * 1024

var _ backend.EvidenceStore = (*GridFSStore)(nil)

var gridIndexes sync.Map // bucket name → struct{}: indexes ensured

func (s *GridFSStore) name() string {
	if s.Bucket == "" {
		return "evidence"
	}
	return s.Bucket
}

func (s *GridFSStore) chunks() *mongo.Collection {
	return s.DB.Database.Collection(s.name() + ".chunks")
}
func (s *GridFSStore) files() *mongo.Collection { return s.DB.Database.Collection(s.name() + ".files") }

// ensureIndexes creates GridFS's indexes the way the drivers do on a
// bucket's first upload (same keys and options, so either may come first).
func (s *GridFSStore) ensureIndexes(ctx context.Context) error {
	if _, ok := gridIndexes.Load(s.name()); ok {
		return nil
	}
	if _, err := s.chunks().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, Options: options.Index().SetUnique(true),
	}); err != nil {
		return err
	}
	if _, err := s.files().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}},
	}); err != nil {
		return err
	}
	gridIndexes.Store(s.name(), struct{}{})
	return nil
}

func (s *GridFSStore) StageChunk() int { return gridChunk }

type gridChunkDoc struct {
	Data []byte `bson:"data"`
}

func (s *GridFSStore) WriteStaged(ctx context.Context, id string, off int64, p []byte) error {
	const op = "GridFSStore.WriteStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	n, inner := off/gridChunk, int(off%gridChunk)
	if inner+len(p) > gridChunk {
		return &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "a staged piece crosses a chunk"}
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return translate(op, err)
	}
	key := bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}}
	data := p
	if inner > 0 { // resuming inside a chunk: keep its head
		var c gridChunkDoc
		if err := s.chunks().FindOne(ctx, key).Decode(&c); err != nil {
			return translate(op, err)
		}
		if len(c.Data) < inner {
			return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "staged bytes end before the offset written"}
		}
		data = append(c.Data[:inner:inner], p...)
	}
	doc := bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}, {Key: "data", Value: primitive.Binary{Data: data}}}
	_, err := s.chunks().ReplaceOne(ctx, key, doc, options.Replace().SetUpsert(true))
	return translate(op, err)
}

// SyncStaged has nothing to do: each chunk write is acknowledged by the
// store (with the client's write concern) before WriteStaged returns.
func (s *GridFSStore) SyncStaged(ctx context.Context, id string) error {
	return backend.CheckStageID("GridFSStore.SyncStaged", id)
}

// stagedReader reads staged chunks one by one.
type stagedReader struct {
	ctx  context.Context
	s    *GridFSStore
	id   string
	n    int64
	left int64
	buf  *bytes.Reader
}

func (r *stagedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if r.buf == nil || r.buf.Len() == 0 {
		var c gridChunkDoc
		err := r.s.chunks().FindOne(r.ctx, bson.D{{Key: "files_id", Value: r.id}, {Key: "n", Value: r.n}}).Decode(&c)
		if err != nil {
			return 0, translate("GridFSStore.OpenStaged", err)
		}
		r.n++
		r.buf = bytes.NewReader(c.Data)
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	k, _ := r.buf.Read(p)
	r.left -= int64(k)
	return k, nil
}

func (r *stagedReader) Close() error { return nil }

func (s *GridFSStore) OpenStaged(ctx context.Context, id string, size int64) (io.ReadCloser, error) {
	if err := backend.CheckStageID("GridFSStore.OpenStaged", id); err != nil {
		return nil, err
	}
	return &stagedReader{ctx: ctx, s: s, id: id, left: size}, nil
}

func (s *GridFSStore) CommitStaged(ctx context.Context, id, sha string, size int64) error {
	const op = "GridFSStore.CommitStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return err
	}
	b, err := s.bucket()
	if err != nil {
		return translate(op, err)
	}
	existing, err := s.find(ctx, b, sha)
	if err != nil {
		return translate(op, err)
	}
	if existing != nil {
		if existing.ID == id { // this commit ran before (and its answer was lost)
			return nil
		}
		return s.DiscardStaged(ctx, id) // stored already: blobs never change
	}
	count := (size + gridChunk - 1) / gridChunk
	// Chunks past the end are an earlier attempt's: not part of the file.
	if _, err := s.chunks().DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: bson.D{{Key: "$gte", Value: count}}}}); err != nil {
		return translate(op, err)
	}
	if count > 0 {
		var last gridChunkDoc
		if err := s.chunks().FindOne(ctx, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: count - 1}}).Decode(&last); err != nil {
			return translate(op, err)
		}
		if want := size - (count-1)*gridChunk; int64(len(last.Data)) != want {
			return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the staged bytes do not end where the upload does"}
		}
	}
	_, err = s.files().InsertOne(ctx, bson.D{
		{Key: "_id", Value: id}, {Key: "length", Value: size}, {Key: "chunkSize", Value: int32(gridChunk)},
		{Key: "uploadDate", Value: primitive.NewDateTimeFromTime(s.DB.now())}, {Key: "filename", Value: sha},
	})
	return translate(op, err)
}

func (s *GridFSStore) DiscardStaged(ctx context.Context, id string) error {
	const op = "GridFSStore.DiscardStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	_, err := s.chunks().DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}})
	return translate(op, err)
}
