package fcsync

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Limits of the protocol. Each is checked, with a message naming it.
const (
	MaxPullPage     = 200       // tasks in one pull page (also the default)
	MaxPushBatch    = 500       // mutations in one push
	MaxPushBytes    = 1 << 20   // bytes of one push body (the API's body limit)
	MaxOpIDLength   = 64        // bytes of a client operation id
	MaxCursorLength = 200       // bytes of a cursor
	MaxPayloadBytes = 256 << 10 // bytes of one mutation's payload
)

// PullResponse is one page of changes. Apply Tasks and Removed, store
// Cursor, and pull again at once while More is set; Pending says that
// changes are being written right now and will be there in a few seconds.
type PullResponse struct {
	Cursor     string           `json:"cursor"`
	More       bool             `json:"more"`
	Pending    bool             `json:"pending"`
	Tasks      []*TaskView      `json:"tasks"`
	Removed    []Tombstone      `json:"removed"`
	Keys       *qr.PublicKeySet `json:"keys,omitempty"` // on the first page of a full download
	ServerTime time.Time        `json:"serverTime"`
}

// TaskView is everything a phone needs to work a task offline.
type TaskView struct {
	Task   *backend.Task `json:"task"`
	Target TargetInfo    `json:"target"`
	Team   []Member      `json:"team"`
}

// TargetInfo is the enterprise (or other target) to visit.
type TargetInfo struct {
	ID         string                    `json:"id"`
	Name       string                    `json:"name"`
	Address    string                    `json:"address,omitempty"`
	RegionCode string                    `json:"regionCode"`
	Location   *backend.GeoPoint         `json:"location,omitempty"`
	Status     backend.TargetStatus      `json:"status"`
	Results    []backend.PublishedResult `json:"results"` // earlier published results, newest first
}

// Member is one officer of the team.
type Member struct {
	InspectorID  string       `json:"inspectorId"`
	Name         string       `json:"name"`
	CertNo       string       `json:"certNo"`
	CertExpiry   backend.Date `json:"certExpiry"`
	DepartmentID string       `json:"departmentId"`
	UserID       string       `json:"userId,omitempty"`
}

// Tombstone says a task left the phone's scope: drop it.
type Tombstone struct {
	TaskID string `json:"taskId"`
	Reason string `json:"reason" enum:"reassigned,cancelled,replaced,removed"`
}

// Entities a mutation can change.
const (
	EntityTask     = "task"     // a status move: accepted (or checked_in without a scan)
	EntityCheckIn  = "checkin"  // a check-in with the scanned enterprise code
	EntityAnswers  = "answers"  // checklist answers (drafts)
	EntityResult   = "result"   // the result: submits the task
	EntityEvidence = "evidence" // evidence manifest: files to be uploaded
)

// PushRequest is a batch of mutations from one device, applied in order.
type PushRequest struct {
	Mutations []Mutation `json:"mutations"`
}

// Mutation is one change made on the phone.
type Mutation struct {
	// OpID is chosen by the phone, unique per device: a replay with the
	// same id is answered as the first time, never applied twice.
	OpID        string  `json:"opId"`
	Entity      string  `json:"entity" enum:"task,checkin,answers,result,evidence"`
	TaskID      string  `json:"taskId"`
	BaseVersion int64   `json:"baseVersion"` // the task version the change was made on
	Payload     Payload `json:"payload"`
}

// Payload is a mutation's payload, kept as the JSON that came: it is
// decoded into the entity's payload type when the mutation is applied, so
// that a bad payload refuses only its own mutation.
type Payload []byte

// MarshalJSON writes the payload as it is.
func (p Payload) MarshalJSON() ([]byte, error) {
	if len(p) == 0 {
		return []byte("null"), nil
	}
	return p, nil
}

// UnmarshalJSON keeps a copy of the JSON value.
func (p *Payload) UnmarshalJSON(b []byte) error {
	*p = append((*p)[:0], b...)
	return nil
}

// OpenAPISchema describes the payload as one of the entities' payloads.
func (Payload) OpenAPISchema(ref func(v any) map[string]any) map[string]any {
	return map[string]any{
		"description": "by entity: task → TaskPayload, checkin → CheckInPayload, answers → AnswersPayload, result → ResultInput, evidence → EvidencePayload",
		"oneOf":       []any{ref(TaskPayload{}), ref(CheckInPayload{}), ref(AnswersPayload{}), ref(ResultPayload{}), ref(EvidencePayload{})},
	}
}

// Payloads, one per entity.
type (
	TaskPayload struct {
		To      backend.TaskStatus `json:"to" enum:"accepted,checked_in"`
		Comment string             `json:"comment,omitempty"`
	}
	CheckInPayload struct {
		Code       string                `json:"code"`
		Position   backend.GeoPoint      `json:"position"`
		AccuracyM  float64               `json:"accuracyM"`
		DeviceTime time.Time             `json:"deviceTime"`
		Reason     backend.CheckInReason `json:"reason,omitempty"`
		Reference  string                `json:"reference,omitempty"`
		Note       string                `json:"note,omitempty"`
	}
	AnswersPayload struct {
		Answers []backend.AnswerInput `json:"answers"`
	}
	ResultPayload   = backend.ResultInput
	EvidencePayload struct {
		Files []backend.EvidenceInput `json:"files"`
	}
)

// Outcomes of a mutation.
const (
	Applied   = "applied"
	Duplicate = "duplicate" // applied before: the answer of the first time
	Conflict  = "conflict"  // the task changed since BaseVersion, or the op id came with another body
	Rejected  = "rejected"  // not allowed or not valid: Code and Message say why
)

// PushResponse holds one result per mutation, in order.
type PushResponse struct {
	Results []MutationResult `json:"results"`
}

// MutationResult is what happened to one mutation.
type MutationResult struct {
	OpID    string        `json:"opId"`
	Status  string        `json:"status" enum:"applied,duplicate,conflict,rejected"`
	Version int64         `json:"version,omitempty"` // the task version the change produced (applied, duplicate)
	Code    string        `json:"code,omitempty"`    // error code (conflict, rejected)
	Message string        `json:"message,omitempty"` // for the inspector
	Task    *backend.Task `json:"task,omitempty"`    // the server's current task (conflict)
	// MissingPhotos lists the checklist questions (<itemCode>/<questionId>)
	// a result was rejected for: each requires a photo and the manifest
	// declares none for it.
	MissingPhotos []string         `json:"missingPhotos,omitempty"`
	CheckIn       *backend.CheckIn `json:"checkIn,omitempty"` // the recorded check-in (checkin)
}

// DecodePush reads a push body strictly: unknown fields, trailing data,
// an empty batch, more than MaxPushBatch mutations, duplicate op ids in one
// batch and malformed envelopes are request errors. Payloads are decoded
// per mutation later, so that one bad payload rejects only its mutation.
func DecodePush(body []byte) (*PushRequest, error) {
	if len(body) > MaxPushBytes {
		return nil, &backend.Error{Code: backend.ETOOLARGE, Message: "a push is limited to " + strconv.Itoa(MaxPushBytes) + " bytes: send smaller batches"}
	}
	var req PushRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	switch {
	case len(req.Mutations) == 0:
		return nil, backend.Errorf(backend.EINVALID, "mutations: send at least one")
	case len(req.Mutations) > MaxPushBatch:
		return nil, backend.Errorf(backend.EINVALID, "mutations: at most %d in one push, got %d", MaxPushBatch, len(req.Mutations))
	}
	seen := make(map[string]bool, len(req.Mutations))
	for i, m := range req.Mutations {
		if !validOpID(m.OpID) {
			return nil, backend.Errorf(backend.EINVALID, "mutations[%d].opId must be 1-%d letters, digits, '-', '_' or '.'", i, MaxOpIDLength)
		}
		if seen[m.OpID] {
			return nil, backend.Errorf(backend.EINVALID, "mutations[%d].opId %q appears twice in the batch", i, m.OpID)
		}
		seen[m.OpID] = true
	}
	return &req, nil
}

func validOpID(s string) bool {
	if len(s) == 0 || len(s) > MaxOpIDLength {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func decodeStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return backend.Errorf(backend.EINVALID, "the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return backend.Errorf(backend.EINVALID, "malformed JSON: %s", jsonMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return backend.Errorf(backend.EINVALID, "data after the JSON value")
	}
	return nil
}

func jsonMessage(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "field " + typ.Field + " must be " + typ.Type.String()
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// A cursor is opaque to phones. Inside: the format, the login it belongs
// to, the feed position it stands on, and during a full download the last
// task id sent ("" once the download is complete).
type cursor struct {
	User      string
	Seq       int64
	AfterTask string // full download in progress: tasks after this id follow
	Full      bool   // a full download is in progress
}

const cursorPrefix = "fc1"

func (c cursor) String() string {
	s := cursorPrefix + "\x00" + c.User + "\x00" + strconv.FormatInt(c.Seq, 10)
	if c.Full {
		s += "\x00" + c.AfterTask
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// parseCursor reads a cursor; "" is the start of a full download.
func parseCursor(s, user string) (cursor, error) {
	if s == "" {
		return cursor{User: user, Full: true}, nil
	}
	bad := func(why string) (cursor, error) {
		return cursor{}, backend.Errorf(backend.EINVALID, "malformed cursor (%s): pull from the start with an empty cursor", why)
	}
	if len(s) > MaxCursorLength {
		return bad("too long")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return bad("not base64url")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != cursorPrefix {
		return bad("unknown format")
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != parts[2] {
		return bad("bad position")
	}
	if parts[1] != user {
		return cursor{}, backend.Errorf(backend.EINVALID, "this cursor belongs to another login: pull from the start with an empty cursor")
	}
	c := cursor{User: user, Seq: seq}
	if len(parts) == 4 {
		c.Full, c.AfterTask = true, parts[3]
	}
	if c.String() != s { // line breaks, spare bits: only the form the server writes
		return bad("not as issued")
	}
	return c, nil
}
