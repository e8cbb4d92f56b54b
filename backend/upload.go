package backend

import (
	"context"
	"time"
)

// Upload is a resumable upload (tus 1.0) of one evidence slot's bytes. It
// is bound to the slot when created: the bytes must be the slot's declared
// size and hash to its declared SHA-256. Its state lives in the store, so
// any instance can resume it; the bytes received so far are staged in the
// evidence store (BlobStager). Offset and HashState move together: the
// SHA-256 state after exactly Offset bytes, so a resumed upload goes on
// hashing without reading back what it has.
type Upload struct {
	ID          string       `bson:"_id"`
	TaskID      string       `bson:"taskId"`
	SlotID      string       `bson:"slotId"`
	Type        EvidenceType `bson:"type"`
	SHA256      string       `bson:"sha256"` // as declared
	Size        int64        `bson:"size"`
	UserID      string       `bson:"userId"`
	DeviceID    string       `bson:"deviceId"`
	Filename    string       `bson:"filename,omitempty"` // as the phone named it
	Offset      int64        `bson:"offset"`
	HashState   []byte       `bson:"hashState"`
	ContentType string       `bson:"contentType,omitempty"` // sniffed from the first bytes
	Done        bool         `bson:"done"`                  // the slot has its bytes
	CreatedAt   time.Time    `bson:"createdAt"`
	UpdatedAt   time.Time    `bson:"updatedAt"`
	ExpiresAt   time.Time    `bson:"expiresAt"`
	// Holder is the request writing the upload now, until LockedUntil: one
	// writer at a time, across instances. A holder that dies leaves a lock
	// that lapses.
	Holder      string    `bson:"holder"`
	LockedUntil time.Time `bson:"lockedUntil"`
	Version     int64     `bson:"version"`
}

// UploadWriters are the uploads of one login being written at once, on
// every instance: a PATCH holds a slot here (one per upload, whoever
// writes it) with a lease it renews while bytes arrive, so that a login's
// writes are bounded across instances and the slots of a writer that died
// lapse on their own.
type UploadWriters struct {
	UserID  string         `bson:"_id"`
	Writers []UploadWriter `bson:"writers"`
	Version int64          `bson:"version"` // 0: not stored yet
}

// UploadWriter is one slot of UploadWriters.
type UploadWriter struct {
	UploadID string    `bson:"uploadId"`
	Holder   string    `bson:"holder"` // the request writing it (Upload.Holder)
	Until    time.Time `bson:"until"`  // lapsed from then on
}

// UploadStore persists uploads.
type UploadStore interface {
	CreateUpload(ctx context.Context, u *Upload) error
	FindUpload(ctx context.Context, id string) (*Upload, error)
	// LockUpload makes holder the upload's writer until until, unless
	// another holder's lock is still running at now (ECONFLICT).
	LockUpload(ctx context.Context, id, holder string, now, until time.Time) (*Upload, error)
	// SaveUpload writes u if holder still holds its lock (ECONFLICT when
	// the lock lapsed and another took it); u.Version moves on.
	SaveUpload(ctx context.Context, u *Upload, holder string) error
	DeleteUpload(ctx context.Context, id string) error
	// ExpiredUploads lists up to limit uploads that expired before now.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*Upload, error)

	// FindUploadWriters returns the write slots of user's uploads (an
	// empty record of Version 0 when there are none).
	FindUploadWriters(ctx context.Context, user string) (*UploadWriters, error)
	// SaveUploadWriters stores w if the stored version is still w.Version
	// (ECONFLICT otherwise) and moves w.Version on.
	SaveUploadWriters(ctx context.Context, w *UploadWriters) error
	// RequestTakeover asks holder, the writer of upload id (on whichever
	// instance), to let go of it; kept until expires. Asking twice is no
	// error.
	RequestTakeover(ctx context.Context, id, holder string, expires time.Time) error
	// TakeoverRequested reports whether someone asked holder to let go of
	// upload id.
	TakeoverRequested(ctx context.Context, id, holder string) (bool, error)
}

// DerivativeStore remembers the derived images (thumbnails, previews)
// made of a blob: key "<sha>/<kind>" → the derivative's own blob SHA-256.
type DerivativeStore interface {
	FindDerivative(ctx context.Context, key string) (string, error) // ENOTFOUND when none
	SaveDerivative(ctx context.Context, key, sha string) error
}
