package backend

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The work of a task travels with the task document: answers, the result,
// the evidence manifest, a summary of the check-ins, the reviewers' notes
// and the records of the phones' last operations. One document means one
// version and one atomic write per change, which is what makes a replayed
// offline operation detectable (its id is written in the same write that
// applies it) without transactions. Only the last MaxRecentOps records
// stay in the document; older ones are kept beside it, and a replay of an
// operation made on a version below the document's floor looks there
// (FindTaskOp).

// Answer is the team's answer to one checklist question. Drafts are merged
// field by field: the latest edit wins, by the time the phone says it was
// made (never later than when the server received it), ties broken by the
// device id, so that the outcome does not depend on which phone synced
// first.
type Answer struct {
	Value    string    `json:"value" bson:"value"`
	Note     string    `json:"note,omitempty" bson:"note,omitempty"`
	EditedAt time.Time `json:"editedAt" bson:"editedAt"`
	EditedBy string    `json:"editedBy" bson:"editedBy"`
	DeviceID string    `json:"deviceId" bson:"deviceId"`
}

// newer reports whether a should replace b.
func (a Answer) newer(b Answer) bool {
	if !a.EditedAt.Equal(b.EditedAt) {
		return a.EditedAt.After(b.EditedAt)
	}
	return a.DeviceID > b.DeviceID
}

// ResultCode is the official category of an inspection result.
type ResultCode string

// The official result categories (抽查结果). The stored code is stable; its
// label is versioned so that a change of wording never rewrites history.
const (
	ResultNoProblem    ResultCode = "no-problem"    // 未发现问题
	ResultCorrected    ResultCode = "corrected"     // 发现问题已责令改正
	ResultFollowUp     ResultCode = "follow-up"     // 发现问题待后续处理
	ResultNotDisclosed ResultCode = "not-disclosed" // 未按规定公示应当公示的信息
	ResultUnreachable  ResultCode = "unreachable"   // 通过登记的住所（经营场所）无法联系
	ResultObstructed   ResultCode = "obstructed"    // 不配合检查情节严重
	ResultNoActivity   ResultCode = "no-activity"   // 未发现开展本次抽查涉及的经营活动
	ResultClosed       ResultCode = "closed"        // 已关闭停业或正在组织清算
	ResultDeregistered ResultCode = "deregistered"  // 已注销/已吊销
)

// ResultLabelsVersion is the version of the result labels below.
const ResultLabelsVersion = 1

// Limits of a task's work. Each is checked, with a message that names it.
const (
	MaxAnswerLength      = 2000      // bytes of an answer's value, and of its note
	MaxFindingsLength    = 4000      // bytes of a result's findings
	MaxFollowUpLength    = 1000      // bytes of a result's follow-up action
	MaxOpsPerTask        = 2000      // operations a task records
	MaxEvidencePerTask   = 200       // manifest slots of a task
	MaxEvidenceSize      = 500 << 20 // bytes of any one declared file
	MaxAnswersPerChange  = 500       // answers in one change
	MaxEvidencePerChange = 50        // slots in one change
	maxOpKeyLength       = 200
	maxContentTypeLength = 100
	maxCaptionLength     = 500
	answerKeySeparator   = "/"
	resultCodesList      = "no-problem, corrected, follow-up, not-disclosed, unreachable, obstructed, no-activity, closed, deregistered"
	evidenceTypesList    = "photo, video, audio, document, signature"
	questionKeyDescribed = "<itemCode>/<questionId>"
	slotIDDescribed      = "1-64 letters, digits, '-' or '_'"
	unknownResultLabel   = "未知结果"
	sha256HexLength      = 64
)

var resultLabels = map[ResultCode]string{
	ResultNoProblem:    "未发现问题",
	ResultCorrected:    "发现问题已责令改正",
	ResultFollowUp:     "发现问题待后续处理",
	ResultNotDisclosed: "未按规定公示应当公示的信息",
	ResultUnreachable:  "通过登记的住所（经营场所）无法联系",
	ResultObstructed:   "不配合检查情节严重",
	ResultNoActivity:   "未发现开展本次抽查涉及的经营活动",
	ResultClosed:       "已关闭停业或正在组织清算",
	ResultDeregistered: "已注销/已吊销",
}

// Label is the official wording of the code.
func (c ResultCode) Label() string {
	if l, ok := resultLabels[c]; ok {
		return l
	}
	return unknownResultLabel
}

// Valid reports whether c is an official category.
func (c ResultCode) Valid() bool { _, ok := resultLabels[c]; return ok }

// Result is what the team found (谁检查、谁录入: entered by the team, with
// who and when).
type Result struct {
	Code          ResultCode `json:"code" bson:"code"`
	Label         string     `json:"label" bson:"label"`
	LabelsVersion int        `json:"labelsVersion" bson:"labelsVersion"`
	Findings      string     `json:"findings,omitempty" bson:"findings,omitempty"`
	FollowUp      string     `json:"followUp,omitempty" bson:"followUp,omitempty"`
	EnteredBy     string     `json:"enteredBy" bson:"enteredBy"`
	EnteredAt     time.Time  `json:"enteredAt" bson:"enteredAt"`   // server time
	DeviceTime    time.Time  `json:"deviceTime" bson:"deviceTime"` // as the phone stated
}

// EvidenceType is the kind of a piece of evidence.
type EvidenceType string

const (
	EvidencePhoto     EvidenceType = "photo"
	EvidenceVideo     EvidenceType = "video"
	EvidenceAudio     EvidenceType = "audio"
	EvidenceDocument  EvidenceType = "document"
	EvidenceSignature EvidenceType = "signature"
)

// Valid reports whether t is a known evidence type.
func (t EvidenceType) Valid() bool {
	switch t {
	case EvidencePhoto, EvidenceVideo, EvidenceAudio, EvidenceDocument, EvidenceSignature:
		return true
	}
	return false
}

// EvidenceSlot is one file the phone has captured and will upload: the
// manifest declares it (hash, size, type) before the bytes arrive, so the
// server knows what to expect and can refuse anything else. A slot is
// immutable once declared.
type EvidenceSlot struct {
	ID          string       `json:"id" bson:"id"` // chosen by the phone, unique in the task
	Type        EvidenceType `json:"type" bson:"type"`
	SHA256      string       `json:"sha256" bson:"sha256"` // lower-case hex
	Size        int64        `json:"size" bson:"size"`
	ContentType string       `json:"contentType" bson:"contentType"`
	Question    string       `json:"question,omitempty" bson:"question,omitempty"` // <itemCode>/<questionId> it supports
	Caption     string       `json:"caption,omitempty" bson:"caption,omitempty"`
	CapturedAt  time.Time    `json:"capturedAt" bson:"capturedAt"` // as the phone stated
	Position    *GeoPoint    `json:"position,omitempty" bson:"position,omitempty"`
	DeclaredBy  string       `json:"declaredBy" bson:"declaredBy"`
	DeviceID    string       `json:"deviceId" bson:"deviceId"`
	DeclaredAt  time.Time    `json:"declaredAt" bson:"declaredAt"` // server time
	Uploaded    bool         `json:"uploaded" bson:"uploaded"`
	// What the server found when the bytes arrived (see Received).
	Received *EvidenceReceipt `json:"received,omitempty" bson:"received,omitempty"`
}

// EvidenceReceipt is the server's record of a slot's bytes arriving: who
// uploaded them from which device, when, and what they are (the type as
// sniffed from the bytes, not as the phone named it). The bytes are the
// blob named by the slot's SHA-256, which the server computed and compared
// with the declaration before accepting them.
type EvidenceReceipt struct {
	By          string    `json:"by" bson:"by"`
	DeviceID    string    `json:"deviceId" bson:"deviceId"`
	At          time.Time `json:"at" bson:"at"`
	ContentType string    `json:"contentType" bson:"contentType"`
	Width       int       `json:"width,omitempty" bson:"width,omitempty"`
	Height      int       `json:"height,omitempty" bson:"height,omitempty"`
	UploadID    string    `json:"uploadId" bson:"uploadId"`
}

// sameDeclaration reports whether two declarations of a slot agree.
func (e EvidenceSlot) sameDeclaration(o EvidenceSlot) bool {
	return e.ID == o.ID && e.Type == o.Type && e.SHA256 == o.SHA256 && e.Size == o.Size && e.ContentType == o.ContentType
}

// CheckInSummary is what the task keeps of each check-in made for it.
type CheckInSummary struct {
	ID          string    `json:"id" bson:"id"`
	UserID      string    `json:"userId" bson:"userId"`
	InspectorID string    `json:"inspectorId" bson:"inspectorId"`
	CertNo      string    `json:"certNo" bson:"certNo"`
	DeviceTime  time.Time `json:"deviceTime" bson:"deviceTime"`
	DistanceM   *float64  `json:"distanceM,omitempty" bson:"distanceM,omitempty"`
	Flags       []string  `json:"flags" bson:"flags"`
}

// ReviewNote is a reviewer's decision with its comment; a returned task
// reopens on the phones with it.
type ReviewNote struct {
	Status   TaskStatus `json:"status" bson:"status"` // approved, returned, has-issues …
	Comment  string     `json:"comment" bson:"comment"`
	Reviewer string     `json:"reviewer" bson:"reviewer"`
	At       time.Time  `json:"at" bson:"at"`
	// Issues are what the reviewer found: recorded on a has_issues note,
	// and sent back to the team with a return.
	Issues []ReviewIssue `json:"issues,omitempty" bson:"issues,omitempty"`
	// Part is the department whose part of a joint visit reviewed per
	// part (Task.ReviewParts) the note decides; empty on a task reviewed
	// whole.
	Part string `json:"part,omitempty" bson:"part,omitempty"`
}

// OpRecord is an operation a phone applied to the task: its key
// (user/device/operation id), a hash of its body, and the task version it
// produced. A replay finds it here and gets the same answer; the same key
// with another body is refused.
type OpRecord struct {
	Key     string `json:"-" bson:"key"`
	Hash    string `json:"-" bson:"hash"`
	Version int64  `json:"-" bson:"version"`
	Kind    string `json:"-" bson:"kind,omitempty"` // OpCheckIn for a check-in's note
	// TaskID is the task's, kept with a record that left the task
	// (Task.Spilled); empty in the task's own list.
	TaskID string `json:"-" bson:"taskId,omitempty"`
}

// MaxRecentOps bounds the operation records a task document holds: a
// push's batch for one task adds a handful, a teammate's check-in one.
// Older records move to the store (Task.Spilled), whole versions at a
// time.
const MaxRecentOps = 16

// OpCheckIn marks the record of a check-in noted on the task: it adds a
// fact and changes no decision, so it is nobody's conflict.
const OpCheckIn = "checkin"

// Editable reports whether the team may still change answers, evidence
// and the result: a submitted result is immutable unless a reviewer
// returns it.
func (s TaskStatus) Editable() bool {
	switch s {
	case TaskAssigned, TaskAccepted, TaskCheckedIn, TaskReturned:
		return true
	}
	return false
}

// AnswerInput is one answered field as a phone sends it.
type AnswerInput struct {
	Question string    `json:"question"` // <itemCode>/<questionId>
	Value    string    `json:"value"`
	Note     string    `json:"note,omitempty"`
	EditedAt time.Time `json:"editedAt"` // device time of the edit
}

// ResultInput is the result as a phone submits it.
type ResultInput struct {
	Code       ResultCode `json:"code" enum:"no-problem,corrected,follow-up,not-disclosed,unreachable,obstructed,no-activity,closed,deregistered"`
	Findings   string     `json:"findings,omitempty"`
	FollowUp   string     `json:"followUp,omitempty"`
	DeviceTime time.Time  `json:"deviceTime"`
}

func (c *Checklist) sections() []ChecklistSection {
	if c == nil {
		return nil
	}
	return c.Sections
}

// EvidenceInput is one slot of a manifest as a phone declares it.
type EvidenceInput struct {
	ID          string       `json:"id"`
	Type        EvidenceType `json:"type" enum:"photo,video,audio,document,signature"`
	SHA256      string       `json:"sha256"`
	Size        int64        `json:"size"`
	ContentType string       `json:"contentType"`
	Question    string       `json:"question,omitempty"`
	Caption     string       `json:"caption,omitempty"`
	CapturedAt  time.Time    `json:"capturedAt"`
	Position    *GeoPoint    `json:"position,omitempty"`
}

func (e EvidenceInput) validate(t *Task) error {
	bad := func(format string, args ...any) error {
		return Errorf(EINVALID, "evidence %q: %s", e.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case !validSlotID(e.ID):
		return bad("the id must be %s", slotIDDescribed)
	case !e.Type.Valid():
		return bad("type %q is not one of: %s", e.Type, evidenceTypesList)
	case !isLowerHex(e.SHA256, sha256HexLength):
		return bad("sha256 must be %d lower-case hex digits", sha256HexLength)
	case e.Size <= 0 || e.Size > MaxEvidenceSize:
		return bad("size must be 1 to %d bytes", int64(MaxEvidenceSize))
	case e.ContentType == "" || len(e.ContentType) > maxContentTypeLength || !strings.Contains(e.ContentType, "/"):
		return bad("contentType must be a media type such as image/jpeg")
	case len(e.Caption) > maxCaptionLength || !utf8.ValidString(e.Caption):
		return bad("the caption is limited to %d bytes of UTF-8", maxCaptionLength)
	case e.Question != "" && !t.hasQuestion(e.Question):
		return bad("%q is not a question of this task's checklist", e.Question)
	case e.CapturedAt.IsZero():
		return bad("capturedAt is required")
	case e.Position != nil && e.Position.Validate() != nil:
		return bad("the position is not a valid latitude and longitude")
	}
	return nil
}

func validSlotID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// OpKey names a phone's operation: operation ids are unique per device,
// devices are bound to a user.
func OpKey(user, device, op string) string { return user + "/" + device + "/" + op }

// PublishedResult is a result made public (一公开), as kept with its
// target: the enterprise page and the phones of later visits show it.
type PublishedResult struct {
	TaskID      string     `json:"taskId" bson:"taskId"`
	PlanID      string     `json:"planId,omitempty" bson:"planId,omitempty"`
	Random      bool       `json:"random" bson:"random"`
	Code        ResultCode `json:"code" bson:"code"`
	Label       string     `json:"label" bson:"label"`
	Items       []string   `json:"items" bson:"items"`
	Departments []string   `json:"departments" bson:"departments"`
	PublishedAt time.Time  `json:"publishedAt" bson:"publishedAt"`
	// Since the results register (result.go): the result date, the public
	// version in force (1 for the first publication; 0 for a result
	// published before the register), why it replaced the one before, the
	// follow-up as published, and the earlier versions, oldest first.
	ResultDate Date               `json:"resultDate,omitempty" bson:"resultDate,omitempty"`
	Version    int                `json:"version,omitempty" bson:"version,omitempty"`
	Reason     string             `json:"reason,omitempty" bson:"reason,omitempty"`
	FollowUp   string             `json:"followUp,omitempty" bson:"followUp,omitempty"`
	History    []PublishedVersion `json:"history,omitempty" bson:"history,omitempty"`
}

// PublishedResultStore keeps each target's published results in one place,
// so that reading them is one lookup by the target's id.
type PublishedResultStore interface {
	// AddPublishedResult records r for targetID once (by task id).
	AddPublishedResult(ctx context.Context, targetID string, r PublishedResult) error
	// PutPublishedResult records r for targetID, replacing the result of
	// its task unless that one's version is r's or later.
	PutPublishedResult(ctx context.Context, targetID string, r PublishedResult) error
	// PublishedResults returns the target's results, newest first.
	PublishedResults(ctx context.Context, targetID string) ([]PublishedResult, error)
	// PublishedResultsOf returns PublishedResults of each target of ids
	// (an empty list for one without results) in as few reads as the
	// store allows: a phone's download page needs those of 200 targets.
	PublishedResultsOf(ctx context.Context, ids []string) (map[string][]PublishedResult, error)
}
