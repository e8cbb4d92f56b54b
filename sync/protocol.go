package fcsync

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
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
	MaxCursorLength = 2048      // bytes of a cursor
	MaxPayloadBytes = 256 << 10 // bytes of one mutation's payload
	// MaxCursorTemplates bounds the templates a cursor remembers having
	// sent (and MaxCursorLength their ids); past it the cursor forgets
	// them all but the last page's, and a later page may send one again
	// (harmless: a template version never changes).
	MaxCursorTemplates = 64
)

// Version is the protocol version this package speaks. Every request of
// the protocol names the version it speaks in the query, v=2; a server
// answers a version it does not speak (or none) with 400 and the versions
// it does speak (SupportedVersions), and names its own in every answer.
const Version = 2

// VersionParam is the query parameter that carries the version.
const VersionParam = "v"

// SupportedVersions are the protocol versions the server speaks.
var SupportedVersions = []int{Version}

// CheckVersion checks the version a request names (the value of
// VersionParam).
func CheckVersion(v string) error {
	n, err := strconv.Atoi(v)
	if err == nil && strconv.Itoa(n) == v && slices.Contains(SupportedVersions, n) {
		return nil
	}
	if v == "" {
		return backend.Errorf(backend.EINVALID, "the request names no sync protocol version: this server speaks %s (send %s=%d)", versionList(), VersionParam, Version)
	}
	return backend.Errorf(backend.EINVALID, "sync protocol version %q is not supported: this server speaks %s (send %s=%d)", v, versionList(), VersionParam, Version)
}

func versionList() string {
	out := make([]string, len(SupportedVersions))
	for i, v := range SupportedVersions {
		out[i] = VersionParam + "=" + strconv.Itoa(v)
	}
	return strings.Join(out, ", ")
}

// PullResponse is one page of changes. Store Templates, apply Tasks and
// Removed, store Cursor, and pull again at once while More is set; Pending
// says that changes are being written right now and will be there in a
// few seconds.
type PullResponse struct {
	Protocol int         `json:"protocol"` // the version of this answer
	Cursor   string      `json:"cursor"`
	More     bool        `json:"more"`
	Pending  bool        `json:"pending"`
	Tasks    []*TaskView `json:"tasks"`
	// Templates are the checklist templates the page's tasks name that
	// were not sent before on this cursor's way from its full download:
	// each (item, version) comes once. Keep every template received.
	Templates  []*Template      `json:"templates"`
	Removed    []Tombstone      `json:"removed"`
	Keys       *qr.PublicKeySet `json:"keys,omitempty"` // on the first page of a full download
	ServerTime time.Time        `json:"serverTime"`
}

// Template is one version of an item's checklist, as a phone keeps it: a
// task's checklist names templates by (item, version), and its form is
// theirs, merged in the task's order. A version never changes.
type Template struct {
	Item         string             `json:"item"`
	Version      int                `json:"version"`
	ItemName     string             `json:"itemName"`     // as the item is named when sent
	DepartmentID string             `json:"departmentId"` // the item's department
	Questions    []backend.Question `json:"questions"`
}

// ID is the template's key: "<item>@<version>".
func (t *Template) ID() string { return backend.TemplateID(t.Item, t.Version) }

// Form merges the templates a task's checklist names, from those held by
// id, into the task's form; a template missing is an error.
func Form(t *backend.Task, held map[string]*Template) (*backend.Checklist, error) {
	cl := &backend.Checklist{Sections: make([]backend.ChecklistSection, 0, len(t.Checklist))}
	for _, r := range t.Checklist {
		tp := held[r.TemplateID()]
		if tp == nil {
			return nil, backend.Errorf(backend.ENOTFOUND, "task %s names checklist template %s, which is not held: pull from the start", t.ID, r.TemplateID())
		}
		cl.Sections = append(cl.Sections, backend.ChecklistSection{ItemCode: tp.Item, ItemName: tp.ItemName, DepartmentID: tp.DepartmentID,
			TemplateVersion: tp.Version, Questions: tp.Questions})
	}
	return cl, nil
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
	// EntityWithdrawal takes declared evidence slots back out of the
	// manifest: files the phone no longer holds and whose bytes the
	// server has not accepted (refused, or never sent).
	EntityWithdrawal = "withdrawal"
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
	Entity      string  `json:"entity" enum:"task,checkin,answers,result,evidence,withdrawal"`
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
		"description": "by entity: task → TaskPayload, checkin → CheckInPayload, answers → AnswersPayload, result → ResultInput, evidence → EvidencePayload, withdrawal → WithdrawalPayload",
		"oneOf":       []any{ref(TaskPayload{}), ref(CheckInPayload{}), ref(AnswersPayload{}), ref(ResultPayload{}), ref(EvidencePayload{}), ref(WithdrawalPayload{})},
	}
}

// Payloads, one per entity.
type (
	TaskPayload struct {
		To      backend.TaskStatus `json:"to" enum:"accepted,checked_in"`
		Comment string             `json:"comment,omitempty"`
	}
	CheckInPayload struct {
		// Code as scanned, or USCC typed in by hand (exactly one; see
		// visit.CheckInRequest).
		Code string `json:"code,omitempty"`
		USCC string `json:"uscc,omitempty"`
		// Position is left out without a fix (the check-in is flagged
		// no-position).
		Position   *backend.GeoPoint     `json:"position,omitempty"`
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
	// WithdrawalPayload names the slots to withdraw. A slot not declared
	// (withdrawn before, or never arrived) is no error; one whose bytes
	// were received refuses the mutation.
	WithdrawalPayload struct {
		Slots []string `json:"slots"`
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
	Protocol int              `json:"protocol"` // the version of this answer
	Results  []MutationResult `json:"results"`
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
// to, the feed position it stands on, during a full download the last
// task id sent ("" once the download is complete), and the templates sent
// on the cursor's way from its full download.
type cursor struct {
	User      string
	Seq       int64
	AfterTask string   // full download in progress: tasks after this id follow
	Full      bool     // a full download is in progress
	Templates []string // template ids sent, sorted
}

const cursorPrefix = "fc2"

func (c cursor) String() string {
	full := ""
	if c.Full {
		full = "1"
	}
	s := strings.Join([]string{cursorPrefix, c.User, strconv.FormatInt(c.Seq, 10), full, c.AfterTask, strings.Join(c.Templates, ",")}, "\x00")
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
	if len(parts) != 6 || parts[0] != cursorPrefix {
		return bad("unknown format")
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != parts[2] {
		return bad("bad position")
	}
	if parts[1] != user {
		return cursor{}, backend.Errorf(backend.EINVALID, "this cursor belongs to another login: pull from the start with an empty cursor")
	}
	c := cursor{User: user, Seq: seq, Full: parts[3] == "1", AfterTask: parts[4]}
	if parts[5] != "" {
		c.Templates = strings.Split(parts[5], ",")
	}
	if len(c.Templates) > MaxCursorTemplates || !slices.IsSorted(c.Templates) {
		return bad("bad templates")
	}
	if c.String() != s { // line breaks, spare bits: only the form the server writes
		return bad("not as issued")
	}
	return c, nil
}

// sent records that ids were sent with a page: the cursor remembers them
// for the pages after it, up to MaxCursorTemplates (then only ids).
func (c *cursor) sent(ids []string) {
	if len(ids) == 0 {
		return
	}
	for _, keep := range [][]string{c.Templates, nil} {
		all := append(slices.Clone(keep), ids...)
		slices.Sort(all)
		c.Templates = slices.Compact(all)
		if len(c.Templates) <= MaxCursorTemplates && len(c.String()) <= MaxCursorLength {
			return
		}
	}
	c.Templates = nil
}

// has reports whether the template was sent on the cursor's way.
func (c *cursor) has(id string) bool {
	_, found := slices.BinarySearch(c.Templates, id)
	return found
}
