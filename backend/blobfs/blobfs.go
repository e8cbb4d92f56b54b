// Package blobfs is a backend.BlobStore in a directory of the local file
// system, addressed by content: the blob with SHA-256 abcd… is the file
// ab/cd/abcd…. It is what the embedded store keeps evidence bytes in (see
// backend/blob.go for why not GridFS there): reading a blob costs a file
// open whatever else is stored.
//
// A blob is written to a temporary file, synced, and renamed into place
// only when its hash is known (and, if one was declared, matches), so a
// partial or wrong blob is never visible under a key.
package blobfs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Store keeps blobs under Dir.
type Store struct {
	Dir string
}

var _ backend.BlobStore = (*Store)(nil)

func (s *Store) path(sha string) string { return filepath.Join(s.Dir, sha[:2], sha[2:4], sha) }

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (s *Store) Put(ctx context.Context, r io.Reader, want string) (string, int64, error) {
	const op = "blobfs.Put"
	if want != "" {
		if err := backend.CheckBlobKey(op, want); err != nil {
			return "", 0, err
		}
	}
	tmpDir := filepath.Join(s.Dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return "", 0, &backend.Error{Op: op, Err: err}
	}
	var name [12]byte
	_, _ = rand.Read(name[:])
	tmp := filepath.Join(tmpDir, hex.EncodeToString(name[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, &backend.Error{Op: op, Err: err}
	}
	defer os.Remove(tmp) // gone once renamed; cleans up otherwise
	var h hash.Hash = sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, &backend.Error{Op: op, Err: err}
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if want != "" && sha != want {
		return "", 0, &backend.Error{Code: backend.EINVALID, Op: op, Message: "the bytes hash to " + sha + ", not the declared " + want}
	}
	if err := s.place(tmp, sha); err != nil {
		return "", 0, &backend.Error{Op: op, Err: err}
	}
	return sha, size, nil
}

// place moves the synced file at tmp to blob sha's place, unless the blob
// is stored already (blobs never change); either way tmp is gone after.
func (s *Store) place(tmp, sha string) error {
	dst := s.path(sha)
	if _, err := os.Stat(dst); err == nil {
		return os.Remove(tmp)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil { // make the rename durable
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

type fileBlob struct {
	*os.File
	size int64
}

func (b fileBlob) Size() int64 { return b.size }

func (s *Store) Open(ctx context.Context, sha string) (backend.Blob, error) {
	const op = "blobfs.Open"
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: "no blob " + sha}
	}
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, &backend.Error{Op: op, Err: err}
	}
	return fileBlob{f, st.Size()}, nil
}

func (s *Store) Delete(ctx context.Context, sha string) error {
	const op = "blobfs.Delete"
	if err := backend.CheckBlobKey(op, sha); err != nil {
		return err
	}
	if err := os.Remove(s.path(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}
