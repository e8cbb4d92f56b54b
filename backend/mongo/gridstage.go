package mongo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
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
//
// Writing a chunk inserts it, and only a rewrite (a resume inside a chunk,
// or over bytes whose progress was lost) looks for the chunk there is. The
// reason is the embedded engine: FerretDB v1 on SQLite answers every query
// by reading the whole collection — a filter on {files_id, n} in Go, and
// even {_id} in SQLite, whose _id index is on another expression than the
// one its queries use (measured: the CPU goes to SQLite parsing each
// stored chunk's JSON) — while an insert only updates the indexes. An
// upsert per 255 KiB therefore read every chunk stored: a 4 MiB PATCH took
// 2 s at the start of an upload and a minute after 20 MiB
// (docs/benchmarks.md, BenchmarkUploadPatch), which is why a 500 MiB video
// never finished. On MongoDB both are index lookups.
//
// A staged chunk's _id is derived from its place, "<upload id>.<n>"
// (stagedChunkID), so that a chunk read or deleted alone is named by _id.
// GridFS readers find chunks by files_id and n, never by _id, so the file
// is a GridFS file like any other. Chunks staged before this layout (an
// ObjectId _id) are still found by {files_id, n}: an upload under way
// across the upgrade resumes.

// gridChunk is GridFS's chunk size (the drivers' default, 255 KiB).
const gridChunk = 255 * 1024

var _ backend.EvidenceStore = (*GridFSStore)(nil)

// gridIndexes remembers the buckets whose indexes were ensured, by
// database and bucket: the unique {files_id, n} is what makes a chunk
// staged under an ObjectId answer a write by derived _id with a duplicate
// key (WriteStaged), so every database needs it, not only the first one a
// process opens (tests open many).
var gridIndexes sync.Map // "<database>/<bucket>" → struct{}

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
	key := s.DB.Database.Name() + "/" + s.name()
	if _, ok := gridIndexes.Load(key); ok {
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
	gridIndexes.Store(key, struct{}{})
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
	data := p
	if inner > 0 { // resuming inside a chunk: keep its head
		c, err := s.stagedChunk(ctx, id, n)
		if err != nil {
			return translate(op, err)
		}
		if len(c.Data) < inner {
			return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "staged bytes end before the offset written"}
		}
		data = append(c.Data[:inner:inner], p...)
	}
	doc := bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}, {Key: "data", Value: primitive.Binary{Data: data}}}
	_, err := s.chunks().InsertOne(ctx, append(bson.D{{Key: "_id", Value: stagedChunkID(id, n)}}, doc...))
	if mongo.IsDuplicateKeyError(err) {
		// A rewrite: the chunk is there (under its derived _id, or under
		// an ObjectId from before it). The unique {files_id, n} finds it
		// either way; the replacement keeps its _id.
		_, err = s.chunks().ReplaceOne(ctx, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}}, doc)
	}
	return translate(op, err)
}

// stagedChunkID is the _id of chunk n of staged upload id.
func stagedChunkID(id string, n int64) string { return id + "." + strconv.FormatInt(n, 10) }

// stagedChunk reads chunk n of staged upload id by its _id, or by
// {files_id, n} when it was staged before the _id was derived.
func (s *GridFSStore) stagedChunk(ctx context.Context, id string, n int64) (*gridChunkDoc, error) {
	var c gridChunkDoc
	err := s.chunks().FindOne(ctx, bson.D{{Key: "_id", Value: stagedChunkID(id, n)}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		err = s.chunks().FindOne(ctx, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: n}}).Decode(&c)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
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
		c, err := r.s.stagedChunk(r.ctx, r.id, r.n)
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
	if err := s.dropPastEnd(ctx, id, count); err != nil {
		return translate(op, err)
	}
	if count > 0 {
		last, err := s.stagedChunk(ctx, id, count-1)
		if err != nil {
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

// dropPastEnd deletes the chunks of staged upload id from n = count on: an
// earlier attempt's, not part of the file. Staged chunks run without a gap
// from 0 (a write starts at most where the staged bytes end), so they go
// one by one by _id until one is missing. An upload begun before
// stagedChunkID (its chunk 0 has an ObjectId: chunk 0 is written first and
// a rewrite keeps the _id) may hold chunks found only by {files_id, n}: for
// it alone the chunks go by that filter, a scan of the chunk collection on
// the embedded engine.
func (s *GridFSStore) dropPastEnd(ctx context.Context, id string, count int64) error {
	err := s.chunks().FindOne(ctx, bson.D{{Key: "_id", Value: stagedChunkID(id, 0)}}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		_, err = s.chunks().DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}, {Key: "n", Value: bson.D{{Key: "$gte", Value: count}}}})
		return err
	}
	if err != nil {
		return err
	}
	return s.deleteFrom(ctx, id, count)
}

// deleteFrom deletes the chunks of staged upload id from n on, by _id,
// until one is missing.
func (s *GridFSStore) deleteFrom(ctx context.Context, id string, n int64) error {
	for ; ; n++ {
		r, err := s.chunks().DeleteOne(ctx, bson.D{{Key: "_id", Value: stagedChunkID(id, n)}})
		if err != nil || r.DeletedCount == 0 {
			return err
		}
	}
}

func (s *GridFSStore) DiscardStaged(ctx context.Context, id string) error {
	const op = "GridFSStore.DiscardStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	r, err := s.chunks().DeleteOne(ctx, bson.D{{Key: "_id", Value: stagedChunkID(id, 0)}})
	switch {
	case err != nil:
		return translate(op, err)
	case r.DeletedCount == 0:
		// Nothing staged, or staged under ObjectIds (see dropPastEnd).
		_, err = s.chunks().DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}})
	default:
		err = s.deleteFrom(ctx, id, 1)
	}
	return translate(op, err)
}
