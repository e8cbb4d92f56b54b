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
}

// DerivativeStore remembers the derived images (thumbnails, previews)
// made of a blob: key "<sha>/<kind>" → the derivative's own blob SHA-256.
type DerivativeStore interface {
	FindDerivative(ctx context.Context, key string) (string, error) // ENOTFOUND when none
	SaveDerivative(ctx context.Context, key, sha string) error
}
