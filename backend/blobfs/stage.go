package blobfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fieldcheck/fieldcheck/backend"
)

var _ backend.EvidenceStore = (*Store)(nil)

// StageChunk is the piece size of staged writes (they are synced to disk
// before the upload's progress is recorded, see SyncStaged).
const StageChunk = 4 << 20

func (s *Store) StageChunk() int { return StageChunk }

// stagePath is where upload id's bytes are staged: a file on the same file
// system as the blobs, so that committing it is a rename.
func (s *Store) stagePath(id string) string { return filepath.Join(s.Dir, "staging", id) }

func (s *Store) WriteStaged(ctx context.Context, id string, off int64, p []byte) error {
	const op = "blobfs.WriteStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path := s.stagePath(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	st, err := f.Stat()
	if err == nil && st.Size() < off {
		err = &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "staged bytes end before the offset written"}
	}
	if err == nil {
		_, err = f.WriteAt(p, off)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

func (s *Store) SyncStaged(ctx context.Context, id string) error {
	const op = "blobfs.SyncStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	f, err := os.OpenFile(s.stagePath(id), os.O_WRONLY, 0)
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

type limitedFile struct {
	io.Reader
	f *os.File
}

func (l limitedFile) Close() error { return l.f.Close() }

func (s *Store) OpenStaged(ctx context.Context, id string, size int64) (io.ReadCloser, error) {
	const op = "blobfs.OpenStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return nil, err
	}
	f, err := os.Open(s.stagePath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: "nothing staged for upload " + id}
	}
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	return limitedFile{io.LimitReader(f, size), f}, nil
}

func (s *Store) CommitStaged(ctx context.Context, id, sha string, size int64) error {
	const op = "blobfs.CommitStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return err
	}
	path := s.stagePath(id)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(s.path(sha)); err == nil {
			return nil // this commit ran before (and its answer was lost)
		}
	}
	if err != nil {
		return &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: "nothing staged for upload " + id, Err: err}
	}
	if st.Size() < size {
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "fewer bytes staged than committed"}
	}
	if st.Size() > size { // an earlier attempt wrote past the end it recorded
		if err := os.Truncate(path, size); err != nil {
			return &backend.Error{Op: op, Err: err}
		}
	}
	if err := s.SyncStaged(ctx, id); err != nil { // the bytes before the name
		return err
	}
	if err := s.place(path, sha); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

func (s *Store) DiscardStaged(ctx context.Context, id string) error {
	const op = "blobfs.DiscardStaged"
	if err := backend.CheckStageID(op, id); err != nil {
		return err
	}
	if err := os.Remove(s.stagePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}
