package backend

import (
	"context"
	"io"
)

// Evidence bytes live in a BlobStore, addressed by their content: the key
// of a blob is the lower-case hex SHA-256 of its bytes. A blob never
// changes (the same key cannot name other bytes), storing the same bytes
// twice stores them once, and whoever holds a key can check the bytes they
// read. On MongoDB the bytes are kept in GridFS; the embedded store keeps
// them in a content-addressed directory instead, because FerretDB v1 would
// read every chunk ever stored to find one file's chunks (DESIGN: only _id
// equality is pushed down).

// Blob is an open blob: read it from the start or from any offset (HTTP
// Range), and close it.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}

// BlobStore keeps immutable blobs by their SHA-256.
type BlobStore interface {
	// Put stores what r yields, streaming (never the whole blob in memory),
	// and returns its SHA-256 (lower-case hex) and size. If want is not
	// empty and the bytes hash otherwise, nothing is kept and the error is
	// EINVALID. A blob that is stored already is kept as it is.
	Put(ctx context.Context, r io.Reader, want string) (sha string, size int64, err error)
	// Open returns the blob with that SHA-256, or ENOTFOUND.
	Open(ctx context.Context, sha string) (Blob, error)
	// Delete removes a blob; a missing one is not an error.
	Delete(ctx context.Context, sha string) error
}

// ValidSHA256 reports whether s is a SHA-256 in lower-case hex.
func ValidSHA256(s string) bool { return isLowerHex(s, sha256HexLength) }

// CheckBlobKey refuses a key that is not a SHA-256 in lower-case hex (which
// also keeps keys from naming paths elsewhere).
func CheckBlobKey(op, key string) error {
	if !ValidSHA256(key) {
		return &Error{Code: EINVALID, Op: op, Message: "a blob is named by its SHA-256 in lower-case hex"}
	}
	return nil
}
