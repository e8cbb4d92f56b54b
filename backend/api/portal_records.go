package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// MaxCachedRecordBytes bounds the public records one instance keeps
// decoded (their JSON's size; the decoded form takes about as much again).
const MaxCachedRecordBytes = 32 << 20

// recordCache keeps recently served public records, raw and decoded, by
// their id and SHA-256: the key is the content, so an entry never answers
// differently from the store on any instance, and a record that changes
// (a replacement) has a new key. Reading the stored pieces and decoding
// them is most of a draw page's cost.
type recordCache struct {
	mu    sync.Mutex
	used  int
	order []string // least recently used first
	m     map[string]*cachedRecord
}

type cachedRecord struct {
	raw   []byte
	draw  *draw.Record
	round *draw.RoundRecord
}

func (rc *recordCache) get(key string) *cachedRecord {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e := rc.m[key]
	if e != nil {
		rc.touch(key)
	}
	return e
}

func (rc *recordCache) touch(key string) {
	for i, k := range rc.order {
		if k == key {
			rc.order = append(append(rc.order[:i:i], rc.order[i+1:]...), key)
			return
		}
	}
}

func (rc *recordCache) put(key string, e *cachedRecord) {
	if len(e.raw) > MaxCachedRecordBytes {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.m == nil {
		rc.m = map[string]*cachedRecord{}
	}
	if _, ok := rc.m[key]; ok {
		return
	}
	for rc.used+len(e.raw) > MaxCachedRecordBytes && len(rc.order) > 0 {
		old := rc.order[0]
		rc.order = rc.order[1:]
		rc.used -= len(rc.m[old].raw)
		delete(rc.m, old)
	}
	rc.m[key] = e
	rc.order = append(rc.order, key)
	rc.used += len(e.raw)
}

// cachedRecord returns the record stored under id whose SHA-256 the store
// gives as sha, decoded by decode, from the cache or from load; a record
// whose bytes do not hash to sha (being replaced at this moment) is served
// but not kept.
func (s *Server) cachedRecord(ctx context.Context, kind, id, sha string, load func(context.Context, string) ([]byte, error), decode func([]byte, *cachedRecord) error) (*cachedRecord, error) {
	key := kind + ":" + id + "@" + sha
	if e := s.records.get(key); e != nil {
		return e, nil
	}
	data, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &cachedRecord{raw: data}
	if err := decode(data, e); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "portal " + kind, Err: err}
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) == sha {
		s.records.put(key, e)
	}
	return e, nil
}

// drawRecord is a draw's public record, raw and decoded.
func (s *Server) drawRecord(ctx context.Context, id string) (*cachedRecord, error) {
	if len(id) > 200 {
		return nil, backend.Errorf(backend.EINVALID, "draw id is too long")
	}
	d, err := s.Planning.Draws.FindDrawByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.cachedRecord(ctx, "draw", id, d.RecordSHA, s.Planning.PublicDrawRecord, func(b []byte, e *cachedRecord) error {
		e.draw = new(draw.Record)
		return json.Unmarshal(b, e.draw)
	})
}

// roundRecord is a drawn round's public record, raw and decoded.
func (s *Server) roundRecord(ctx context.Context, id string) (*cachedRecord, error) {
	if len(id) > 200 {
		return nil, backend.Errorf(backend.EINVALID, "round id is too long")
	}
	r, err := s.Planning.Rounds.FindRoundByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.cachedRecord(ctx, "round", id, r.RecordSHA, s.Planning.PublicRoundRecord, func(b []byte, e *cachedRecord) error {
		e.round = new(draw.RoundRecord)
		return json.Unmarshal(b, e.round)
	})
}

// sendRecord answers a record's JSON as it was stored.
func sendRecord(c *fiber.Ctx, e *cachedRecord) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.Send(e.raw)
}

func (s *Server) handleDrawJSON(c *fiber.Ctx) error {
	e, err := s.drawRecord(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendRecord(c, e)
}

func (s *Server) handleRoundJSON(c *fiber.Ctx) error {
	e, err := s.roundRecord(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendRecord(c, e)
}
