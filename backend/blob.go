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

// BlobStager keeps the bytes of uploads under way beside the blobs, so
// that an upload resumes where it stopped — after a restart, or on another
// instance — and finishing it moves no bytes: the staged bytes become the
// blob. Staged bytes are never visible as a blob until CommitStaged.
type BlobStager interface {
	// StageChunk is the size of the pieces WriteStaged takes: a piece
	// never crosses a multiple of it, so callers hold at most this much.
	StageChunk() int
	// WriteStaged stores p at offset off of staged upload id. off is at
	// most the length staged before; bytes staged past off+len(p) by an
	// earlier attempt are undefined until overwritten and are never part
	// of a commit. The bytes are durable once SyncStaged returns.
	WriteStaged(ctx context.Context, id string, off int64, p []byte) error
	// SyncStaged makes the bytes written so far durable: the caller records
	// progress only after it.
	SyncStaged(ctx context.Context, id string) error
	// OpenStaged reads the first size bytes staged for id.
	OpenStaged(ctx context.Context, id string, size int64) (io.ReadCloser, error)
	// CommitStaged makes the first size staged bytes of id the blob sha
	// (the caller has hashed them) and forgets the staging. If the blob is
	// stored already the staged bytes are dropped.
	CommitStaged(ctx context.Context, id, sha string, size int64) error
	// DiscardStaged forgets the staged bytes of id; none is not an error.
	DiscardStaged(ctx context.Context, id string) error
}

// EvidenceStore is where evidence bytes live: finished blobs and uploads
// under way.
type EvidenceStore interface {
	BlobStore
	BlobStager
}

// CheckStageID refuses an upload id that could name anything but one
// staging area: 16-64 lower-case letters and digits.
func CheckStageID(op, id string) error {
	ok := len(id) >= 16 && len(id) <= 64
	for _, c := range []byte(id) {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
	}
	if !ok {
		return &Error{Code: EINVALID, Op: op, Message: "an upload id is 16 to 64 lower-case letters and digits"}
	}
	return nil
}
