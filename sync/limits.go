package fcsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/fieldcheck/fieldcheck/backend"
)

// LimitsPath serves the limits the server enforces, so that a phone
// refuses before it asks what the server would refuse (a file over its
// kind's cap, a push over its size) and learns of a server configured
// otherwise (--evidence-limits) without an update of the app.
const LimitsPath = "/mobile/v1/limits"

// Limits are the server's limits as a phone honours them: the very values
// the sync service checks a declaration and a push against.
type Limits struct {
	Evidence backend.EvidenceLimits `json:"evidence" doc:"size cap per kind of evidence file (bytes, by type: photo, video, audio, document, signature) and the quota of one task's declared files (bytes); checked when a slot is declared and when its upload begins"`
	Push     PushLimits             `json:"push"`
	Uploads  UploadLimits           `json:"uploads"`
}

// PushLimits bound one push of the sync protocol (docs/sync.md).
type PushLimits struct {
	MaxMutations    int `json:"maxMutations" doc:"mutations in one push"`
	MaxBytes        int `json:"maxBytes" doc:"bytes of one push body"`
	MaxPayloadBytes int `json:"maxPayloadBytes" doc:"bytes of one mutation's payload"`
}

// UploadLimits say how to send evidence bytes (docs/evidence.md).
type UploadLimits struct {
	ChunkBytes int64 `json:"chunkBytes" doc:"bytes one tus PATCH should carry (a multiple of the piece the server stages bytes in, at most 4 MiB): a PATCH of another size is taken, but costs the server more"`
}

// LimitsOf are the limits a sync service with evidence limits l enforces,
// and the PATCH size chunk its evidence service advises.
func LimitsOf(l backend.EvidenceLimits, chunk int64) Limits {
	return Limits{
		Evidence: l.OrDefault(),
		Push:     PushLimits{MaxMutations: MaxPushBatch, MaxBytes: MaxPushBytes, MaxPayloadBytes: MaxPayloadBytes},
		Uploads:  UploadLimits{ChunkBytes: chunk},
	}
}

// orDefault fills what a server left out (an older one, or a value that
// cannot be honoured) with this package's defaults, value by value.
func (l Limits) orDefault() Limits {
	d := LimitsOf(backend.EvidenceLimits{}, DefaultUploadChunk)
	out := Limits{Evidence: l.Evidence.OrDefault(), Push: l.Push, Uploads: l.Uploads}
	if out.Push.MaxMutations <= 0 {
		out.Push.MaxMutations = d.Push.MaxMutations
	}
	if out.Push.MaxBytes <= 0 {
		out.Push.MaxBytes = d.Push.MaxBytes
	}
	if out.Push.MaxPayloadBytes <= 0 {
		out.Push.MaxPayloadBytes = d.Push.MaxPayloadBytes
	}
	if out.Uploads.ChunkBytes <= 0 {
		out.Uploads.ChunkBytes = d.Uploads.ChunkBytes
	}
	return out
}

// Limits returns the limits the client honours: the server's as last
// fetched (kept in the local state, so they hold offline and after a
// restart), this package's defaults before the first answer.
func (c *Client) Limits() Limits {
	if l := c.Queue.State().Limits; l != nil {
		return l.orDefault()
	}
	return Limits{}.orDefault()
}

// FetchLimits asks the server for its limits (GET /mobile/v1/limits) and
// keeps them in the local state. Push does it once per Client before its
// first batch; call it to learn of a server reconfigured since. A server
// without the route (404) leaves the defaults.
func (c *Client) FetchLimits(ctx context.Context) (Limits, error) {
	data, err := c.call(ctx, KindLimits, http.MethodGet, LimitsPath, nil, true)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusNotFound {
			c.mu.Lock()
			c.limitsFetched = true
			c.mu.Unlock()
			return c.Limits(), nil
		}
		return c.Limits(), err
	}
	var l Limits
	if err := json.Unmarshal(data, &l); err != nil {
		return c.Limits(), &backend.Error{Code: backend.EINTERNAL, Op: "fcsync.Client.FetchLimits", Message: "the server's answer is not its limits", Err: err}
	}
	st := c.Queue.State()
	st.Limits = &l
	if err := c.Queue.SaveState(st); err != nil {
		return c.Limits(), err
	}
	c.mu.Lock()
	c.limitsFetched = true
	c.mu.Unlock()
	return c.Limits(), nil
}

// ensureLimits fetches the server's limits once per Client.
func (c *Client) ensureLimits(ctx context.Context) error {
	c.mu.Lock()
	done := c.limitsFetched
	c.mu.Unlock()
	if done {
		return nil
	}
	_, err := c.FetchLimits(ctx)
	return err
}

// checkLimits refuses, before it is queued, a mutation the server would
// refuse by its limits: a payload over its size, an evidence file over its
// kind's cap or over the task's quota (counted against the task as last
// pulled). The server remains the authority: it checks again.
func (c *Client) checkLimits(m Mutation) error {
	const op = "fcsync.Client.Enqueue"
	l := c.Limits()
	if len(m.Payload) > l.Push.MaxPayloadBytes {
		return &backend.Error{Code: backend.ETOOLARGE, Op: op, Message: fmt.Sprintf("the payload is %d bytes; this server takes at most %d in a mutation", len(m.Payload), l.Push.MaxPayloadBytes)}
	}
	if m.Entity != EntityEvidence {
		return nil
	}
	var p EvidencePayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return backend.Errorf(backend.EINVALID, "payload of evidence: %v", err)
	}
	var held *backend.Task
	if v := c.Task(m.TaskID); v != nil && v.Task != nil {
		held = v.Task.CloneWork()
	}
	for _, f := range p.Files {
		if err := l.Evidence.CheckSize(f.ID, f.Type, f.Size); err != nil {
			return err
		}
		if held == nil {
			continue
		}
		if _, ok := held.FindEvidence(f.ID); ok {
			continue // declared already: the server takes the same slot again
		}
		if err := l.Evidence.CheckQuota(held, f.Size); err != nil {
			return err
		}
		held.Evidence = append(held.Evidence, backend.EvidenceSlot{ID: f.ID, Type: f.Type, Size: f.Size})
	}
	return nil
}
