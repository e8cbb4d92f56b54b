package backend

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"
)

// AuditHeadVersion tags the signed bytes of a SignedAuditHead (docs/audit.md
// specifies them).
const AuditHeadVersion = "fc-audit-head-1"

// AuditHeadAlgorithm is the signature algorithm of signed heads.
const AuditHeadAlgorithm = "Ed25519"

// SignedAuditHead is the bureau's signed statement that at Time the audit
// log named Log held Seq entries, the last of which has hash Hash: a
// transparency log's signed tree head. Whoever keeps one can later show
// that the chain was rewritten (entry Seq no longer has that hash) or cut
// short (it is gone), and the bureau cannot disown a head it signed.
type SignedAuditHead struct {
	Version   string    `json:"version" bson:"version"` // AuditHeadVersion
	Log       string    `json:"log" bson:"log"`         // the server's public base URL
	Seq       int64     `json:"seq" bson:"seq"`         // 0: the log was empty
	Hash      string    `json:"hash" bson:"hash"`       // hex SHA-256 of entry Seq ("" when empty)
	Time      time.Time `json:"time" bson:"time"`       // when it was signed; UTC, milliseconds
	KeyID     string    `json:"kid" bson:"kid"`
	Signature string    `json:"signature" bson:"signature"` // base64url, no padding, of the Ed25519 signature of SignedBytes
}

// AuditCheckpoint is the signed head of one day (Asia/Shanghai), the first
// made that day; it is kept for good, keyed by its date.
type AuditCheckpoint struct {
	Date            string `json:"date" bson:"_id"` // YYYY-MM-DD, the day of Time in Asia/Shanghai
	SignedAuditHead `bson:",inline"`
}

// SignedBytes returns the bytes the signature covers: each field as its
// length in bytes (decimal), ':', the field, '\n', like ComputeHash, in
// the order version, log, seq, hash, time, kid.
func (h *SignedAuditHead) SignedBytes() []byte {
	var b []byte
	for _, s := range []string{AuditHeadVersion, h.Log, strconv.FormatInt(h.Seq, 10), h.Hash, h.Time.UTC().Format(auditTimeLayout), h.KeyID} {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		b = append(b, '\n')
	}
	return b
}

const auditTimeLayout = "2006-01-02T15:04:05.000Z"

var auditSigEncoding = base64.RawURLEncoding.Strict()

// Sign fills Version and Signature with key's signature, kid naming it.
func (h *SignedAuditHead) Sign(kid string, key ed25519.PrivateKey) {
	h.Version, h.KeyID = AuditHeadVersion, kid
	h.Time = h.Time.UTC().Truncate(time.Millisecond)
	h.Signature = auditSigEncoding.EncodeToString(ed25519.Sign(key, h.SignedBytes()))
}

var auditHashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Verify checks the head's form and its signature with pub, the public key
// its KeyID names. Every refusal is EINVALID.
func (h *SignedAuditHead) Verify(pub ed25519.PublicKey) error {
	bad := func(format string, args ...any) error {
		return &Error{Code: EINVALID, Op: "SignedAuditHead.Verify", Message: "the signed audit head " + fmt.Sprintf(format, args...)}
	}
	switch {
	case h.Version != AuditHeadVersion:
		return bad("is of version %q, not %s", h.Version, AuditHeadVersion)
	case h.Seq < 0 || (h.Seq == 0) != (h.Hash == ""):
		return bad("has seq %d with hash %q", h.Seq, h.Hash)
	case h.Hash != "" && !auditHashPattern.MatchString(h.Hash):
		return bad("has a hash that is not 64 hex digits")
	case !h.Time.Equal(h.Time.Truncate(time.Millisecond)):
		return bad("has a time finer than milliseconds")
	case len(pub) != ed25519.PublicKeySize:
		return bad("names key %q, which is not an Ed25519 public key", h.KeyID)
	}
	sig, err := auditSigEncoding.DecodeString(h.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return bad("has a signature that is not base64url of %d bytes", ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, h.SignedBytes(), sig) {
		return bad("does not verify with key %s: it was altered or signed by another key", h.KeyID)
	}
	return nil
}

// Verify checks the checkpoint's head and that its date is the day of its
// time. A head saved from /public/audit/head has no date: only the head is
// checked.
func (c *AuditCheckpoint) Verify(pub ed25519.PublicKey) error {
	if err := c.SignedAuditHead.Verify(pub); err != nil {
		return err
	}
	if d := AuditDay(c.Time); c.Date != "" && d != c.Date {
		return &Error{Code: EINVALID, Op: "AuditCheckpoint.Verify", Message: fmt.Sprintf("the checkpoint of %s was signed on %s", c.Date, d)}
	}
	return nil
}

// MaxSavedHeadLen bounds a saved head or checkpoint a verifier reads.
const MaxSavedHeadLen = 64 << 10

// ParseSavedAuditHead reads a head or a checkpoint as published (the JSON
// of /public/audit/head or of one checkpoint). It does not verify it.
func ParseSavedAuditHead(data []byte) (*AuditCheckpoint, error) {
	const op = "ParseSavedAuditHead"
	if len(data) > MaxSavedHeadLen {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("a signed audit head is at most %d bytes", MaxSavedHeadLen)}
	}
	var c AuditCheckpoint
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, &Error{Code: EINVALID, Op: op, Message: "not a signed audit head or checkpoint (JSON as /public/audit/head serves it)", Err: err}
	}
	return &c, nil
}

// AuditDay is the date of t in Asia/Shanghai, the day of a checkpoint.
func AuditDay(t time.Time) string { return t.In(China).Format(time.DateOnly) }

// ValidAuditDay reports whether s is a date as AuditDay writes it.
func ValidAuditDay(s string) bool {
	d, err := time.Parse(time.DateOnly, s)
	return err == nil && d.Format(time.DateOnly) == s
}

// AuditKeys signs heads with the audit key ring and finds the public keys
// that verify them (backend/app implements it with backend/keyring).
type AuditKeys interface {
	// AuditSigner returns the key that signs now and its id.
	AuditSigner(ctx context.Context) (kid string, key ed25519.PrivateKey, err error)
	// AuditPublicKey returns the public key kid to verify what it signed at
	// signedAt: nil when the ring does not know it, or it was retired by
	// then.
	AuditPublicKey(ctx context.Context, kid string, signedAt time.Time) (ed25519.PublicKey, error)
}

// AuditCheckpointStore keeps the daily checkpoints.
type AuditCheckpointStore interface {
	// InsertAuditCheckpoint stores c under its date; a date taken fails
	// with ECONFLICT.
	InsertAuditCheckpoint(ctx context.Context, c *AuditCheckpoint) error
	// FindAuditCheckpoint returns the checkpoint of date, or ENOTFOUND.
	FindAuditCheckpoint(ctx context.Context, date string) (*AuditCheckpoint, error)
	// FindAuditCheckpoints lists the newest limit checkpoints, newest first.
	FindAuditCheckpoints(ctx context.Context, limit int) ([]*AuditCheckpoint, error)
}

// Limits of the checkpoint list.
const (
	DefaultCheckpointList = 31
	MaxCheckpointList     = 366
)

// AuditHeads signs the audit log's head and keeps one signed head a day.
// What it knows lives in the store: several instances sign the same head
// (with the key the ring says signs now) and agree on each day's
// checkpoint, the first stored.
type AuditHeads struct {
	Log         *AuditLog
	Checkpoints AuditCheckpointStore
	Keys        AuditKeys
	// LogID names the log in every head: the server's public base URL.
	LogID string
	Now   func() time.Time

	// made is the last day whose checkpoint this instance knows is stored;
	// a stored checkpoint never changes, so this only saves reads.
	made atomic.Pointer[string]
}

func (h *AuditHeads) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

// Head returns the current head of the log, signed now.
func (h *AuditHeads) Head(ctx context.Context) (*SignedAuditHead, error) {
	const op = "AuditHeads.Head"
	head, err := h.Log.Store.FindAuditHead(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	kid, key, err := h.Keys.AuditSigner(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	s := &SignedAuditHead{Log: h.LogID, Seq: head.Seq, Hash: head.Hash, Time: h.now()}
	s.Sign(kid, key)
	return s, nil
}

// Checkpoint returns today's checkpoint, making it when there is none yet
// (the server's daily job does, and so does the day's first request for a
// head). When two instances make it at once the first stored wins and both
// return it; the winner records it in the audit log, whose next entry thus
// names the head it follows.
func (h *AuditHeads) Checkpoint(ctx context.Context) (*AuditCheckpoint, bool, error) {
	const op = "AuditHeads.Checkpoint"
	day := AuditDay(h.now())
	if c, err := h.Checkpoints.FindAuditCheckpoint(ctx, day); err == nil {
		h.made.Store(&day)
		return c, false, nil
	} else if !IsCode(err, ENOTFOUND) {
		return nil, false, wrap(op, err)
	}
	head, err := h.Head(ctx)
	if err != nil {
		return nil, false, err
	}
	c := &AuditCheckpoint{Date: AuditDay(head.Time), SignedAuditHead: *head}
	err = h.Checkpoints.InsertAuditCheckpoint(ctx, c)
	if IsCode(err, ECONFLICT) {
		won, err := h.Checkpoints.FindAuditCheckpoint(ctx, c.Date)
		if err != nil {
			return nil, false, wrap(op, err)
		}
		h.made.Store(&c.Date)
		return won, false, nil
	}
	if err != nil {
		return nil, false, wrap(op, err)
	}
	h.made.Store(&c.Date)
	rec := AuditRecord{Action: "audit.checkpoint", ObjectType: "audit-checkpoint", ObjectID: c.Date, Change: c,
		Detail: fmt.Sprintf("signed head of entry %d, key %s", c.Seq, c.KeyID)}
	if _, err := h.Log.Append(WithActor(ctx, SystemActor("audit")), rec); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// EnsureCheckpoint makes today's checkpoint unless this instance knows it
// is stored: what the public routes call first, so that a day whose job
// has not run yet still gets its checkpoint at its first request.
func (h *AuditHeads) EnsureCheckpoint(ctx context.Context) error {
	if d := h.made.Load(); d != nil && *d == AuditDay(h.now()) {
		return nil
	}
	_, _, err := h.Checkpoint(ctx)
	return err
}

// FindCheckpoint returns the checkpoint of date (YYYY-MM-DD).
func (h *AuditHeads) FindCheckpoint(ctx context.Context, date string) (*AuditCheckpoint, error) {
	if !ValidAuditDay(date) {
		return nil, Errorf(EINVALID, "date must be YYYY-MM-DD")
	}
	c, err := h.Checkpoints.FindAuditCheckpoint(ctx, date)
	if IsCode(err, ENOTFOUND) {
		return nil, Errorf(ENOTFOUND, "no audit checkpoint of %s", date)
	}
	return c, err
}

// ListCheckpoints returns the newest limit checkpoints (DefaultCheckpointList
// when 0, at most MaxCheckpointList), newest first.
func (h *AuditHeads) ListCheckpoints(ctx context.Context, limit int) ([]*AuditCheckpoint, error) {
	switch {
	case limit == 0:
		limit = DefaultCheckpointList
	case limit < 0 || limit > MaxCheckpointList:
		return nil, Errorf(EINVALID, "limit must be 1-%d", MaxCheckpointList)
	}
	return h.Checkpoints.FindAuditCheckpoints(ctx, limit)
}

// CheckHead verifies a head or checkpoint kept elsewhere: its signature
// with the public key its KeyID names (pub; the ring's key when nil), then
// that the log still holds entry Seq with hash Hash, so that the log up to
// it is as it was signed. A refused signature is an error (EINVALID); a log
// that no longer matches is the problem returned.
func (l *AuditLog) CheckHead(ctx context.Context, h *AuditCheckpoint, keys AuditKeys, pub ed25519.PublicKey) (*AuditProblem, error) {
	if pub == nil {
		var err error
		if pub, err = keys.AuditPublicKey(ctx, h.KeyID, h.Time); err != nil {
			return nil, wrap("AuditLog.CheckHead", err)
		}
		if pub == nil {
			return nil, Errorf(EINVALID, "the signed audit head names key %q, which this server's audit key ring does not know or had retired when the head was signed", h.KeyID)
		}
	}
	if err := h.Verify(pub); err != nil {
		return nil, err
	}
	if h.Seq == 0 {
		return nil, nil // an empty log is a prefix of every log
	}
	return l.CheckEntry(ctx, h.Seq, h.Hash)
}
