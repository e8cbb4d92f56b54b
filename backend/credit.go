package backend

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Credit linkage (信用联动, docs/credit.md). An enterprise's credit record
// is its published results, their follow-up, its memberships of the
// 经营异常名录 (abnormal operations list) and the answers to what it filed:
// objections (异议) to a published result, applications for credit repair
// (信用修复) and for removal from the list (移出).
//
// A published result "通过登记的住所（经营场所）无法联系" is a listing
// proposal of its lead department until a manager of that department
// confirms it (the enterprise is listed, its credit class becomes D) or
// rejects it with the reason. A listing is never deleted: its removal is a
// new state with its decision, and the credit class it had before comes
// back. Filings are answered within CreditWorkingDays working days.

// ListingCause is why an enterprise is listed: the result code that
// proposes it. Only one result proposes a listing today.
const ListingCause = ResultUnreachable

// ListingCreditClass is the credit class of a listed enterprise.
const ListingCreditClass = CreditD

// CreditWorkingDays is the period within which a department answers an
// objection, a repair or a removal application, the filing day not counted.
const CreditWorkingDays = 15

// Limits of the enterprise's filings. Each is checked and tested.
const (
	MaxCreditText        = 2000              // characters of the statement
	MinCreditText        = 5                 // characters of the statement
	MaxCreditAttachments = 5                 // files of one filing
	MaxCreditAttachment  = 10 << 20          // bytes of one file
	MaxCreditReason      = 1000              // characters of a decision's reason
	MaxCreditField       = 4 * MaxCreditText // bytes of any text field of the form (UTF-8 takes up to 4 a character)
	maxAttachmentName    = 200               // characters of a file's name (longer ones are cut)
)

// ListingState is where a listing stands.
type ListingState string

const (
	ListingListed   ListingState = "listed"   // confirmed: on the list
	ListingRejected ListingState = "rejected" // the proposal was rejected
	ListingRemoved  ListingState = "removed"  // 移出: was listed, removed on the enterprise's application
)

var listingLabels = map[ListingState]string{
	ListingListed: "列入", ListingRejected: "不予列入", ListingRemoved: "已移出",
}

// Label is the state in Chinese.
func (s ListingState) Label() string { return listingLabels[s] }

// ListingEvent is one step of a listing's history.
type ListingEvent struct {
	At     time.Time `json:"at" bson:"at"`
	Action string    `json:"action" bson:"action"` // propose, list, reject, remove
	Reason string    `json:"reason,omitempty" bson:"reason,omitempty"`
	By     string    `json:"by,omitempty" bson:"by,omitempty"` // staff only
	Source string    `json:"source,omitempty" bson:"source,omitempty"`
}

// Listing is a decision on an enterprise's membership of the 经营异常名录,
// _id ListingID(result): one per proposing result, never deleted.
type Listing struct {
	ID         string       `json:"id" bson:"_id"`
	TargetID   string       `json:"targetId" bson:"targetId"`
	TargetName string       `json:"targetName" bson:"targetName"`
	Department string       `json:"department" bson:"department"` // the result's lead department, which decides
	ResultID   string       `json:"resultId" bson:"resultId"`     // the published result that proposed it
	Cause      ResultCode   `json:"cause" bson:"cause"`
	CauseLabel string       `json:"causeLabel" bson:"causeLabel"`
	State      ListingState `json:"state" bson:"state" enum:"listed,rejected,removed"`
	ProposedOn Date         `json:"proposedOn" bson:"proposedOn"` // the result date
	DecidedOn  Date         `json:"decidedOn" bson:"decidedOn"`   // listed or rejected on
	Reason     string       `json:"reason,omitempty" bson:"reason,omitempty"`
	DecidedBy  string       `json:"decidedBy" bson:"decidedBy"` // staff only
	// PreviousClass is the credit class before the listing ("" none), given
	// back at the removal unless someone changed the class meanwhile.
	PreviousClass CreditClass `json:"previousClass,omitempty" bson:"previousClass,omitempty"`
	RemovedOn     Date        `json:"removedOn,omitempty" bson:"removedOn,omitempty"`
	RemovalReason string      `json:"removalReason,omitempty" bson:"removalReason,omitempty"`
	// RemovalApplication is the enterprise's application that removed it.
	RemovalApplication string         `json:"removalApplication,omitempty" bson:"removalApplication,omitempty"`
	History            []ListingEvent `json:"history" bson:"history"`
	Version            int64          `json:"version" bson:"version"`
	CreatedAt          time.Time      `json:"createdAt" bson:"createdAt"`
	UpdatedAt          time.Time      `json:"updatedAt" bson:"updatedAt"`
	Outbox             `json:"-" bson:",inline"`
}

// ListingID is the id of the listing a result proposes.
func ListingID(resultID string) string { return "jyyc-" + resultID }

// Proposes reports whether a register entry is a listing proposal: a
// published result whose category is the listing's cause.
func Proposes(e *ResultEntry) bool {
	return e.State == ResultPublished && e.Code == ListingCause
}

// ClassAfter is the credit class a target takes when its listing reaches
// state: D when listed; at the removal, the class it had before, unless
// the class is no longer the listing's (someone changed it: it stays).
func (l *Listing) ClassAfter(current CreditClass) CreditClass {
	switch {
	case l.State == ListingListed:
		return ListingCreditClass
	case l.State == ListingRemoved && current == ListingCreditClass && l.PreviousClass != "":
		return l.PreviousClass
	}
	return current
}

// CreditKind is what an enterprise files.
type CreditKind string

const (
	CreditObjection CreditKind = "objection" // 异议: against a published result
	CreditRepair    CreditKind = "repair"    // 信用修复: a published result with a problem, since rectified
	CreditRemoval   CreditKind = "removal"   // 移出: leave the 经营异常名录, the cause no longer holds
)

var creditKindLabels = map[CreditKind]string{
	CreditObjection: "异议", CreditRepair: "信用修复", CreditRemoval: "申请移出经营异常名录",
}

// Label is the kind in Chinese.
func (k CreditKind) Label() string { return creditKindLabels[k] }

// Valid reports whether k is a kind of filing.
func (k CreditKind) Valid() bool { _, ok := creditKindLabels[k]; return ok }

// CreditOutcome is a department's answer.
type CreditOutcome string

const (
	OutcomeCorrected CreditOutcome = "corrected" // 更正: the result corrected, a new public version
	OutcomeAnnotated CreditOutcome = "annotated" // 加注: a note added, a new public version of the same category
	OutcomeUpheld    CreditOutcome = "upheld"    // 维持: the result stands
	OutcomeGranted   CreditOutcome = "granted"   // repair annotated, or removed from the list
	OutcomeRefused   CreditOutcome = "refused"   // not granted
)

var creditOutcomeLabels = map[CreditOutcome]string{
	OutcomeCorrected: "更正", OutcomeAnnotated: "加注", OutcomeUpheld: "维持",
	OutcomeGranted: "准予", OutcomeRefused: "不予准许",
}

// Label is the outcome in Chinese.
func (o CreditOutcome) Label() string { return creditOutcomeLabels[o] }

// OutcomesOf are the answers a kind takes.
func OutcomesOf(k CreditKind) []CreditOutcome {
	if k == CreditObjection {
		return []CreditOutcome{OutcomeCorrected, OutcomeAnnotated, OutcomeUpheld}
	}
	return []CreditOutcome{OutcomeGranted, OutcomeRefused}
}

// CreditAttachment is a file of a filing, kept in the evidence blob store
// by its SHA-256.
type CreditAttachment struct {
	Name        string `json:"name" bson:"name"`
	ContentType string `json:"contentType" bson:"contentType"`
	Size        int64  `json:"size" bson:"size"`
	SHA256      string `json:"sha256" bson:"sha256"`
}

// CreditApplicationState is where a filing stands.
type CreditApplicationState string

const (
	ApplicationPending CreditApplicationState = "pending"
	ApplicationDecided CreditApplicationState = "decided"
)

// CreditApplication is an enterprise's objection, repair or removal
// application, filed with its licence code.
type CreditApplication struct {
	ID         string     `json:"id" bson:"_id"`
	Kind       CreditKind `json:"kind" bson:"kind" enum:"objection,repair,removal"`
	TargetID   string     `json:"targetId" bson:"targetId"`
	TargetName string     `json:"targetName" bson:"targetName"`
	Department string     `json:"department" bson:"department"` // who answers
	ResultID   string     `json:"resultId,omitempty" bson:"resultId,omitempty"`
	ListingID  string     `json:"listingId,omitempty" bson:"listingId,omitempty"`
	Text       string     `json:"text" bson:"text"`
	// Contact is the applicant's phone: staff only, never public.
	Contact     string             `json:"contact" bson:"contact"`
	Attachments []CreditAttachment `json:"attachments" bson:"attachments"`
	ClientAddr  string             `json:"-" bson:"clientAddr"`
	CodeKeyID   string             `json:"-" bson:"codeKeyId"`
	FiledOn     Date               `json:"filedOn" bson:"filedOn"`
	// Deadline is the CreditWorkingDays-th working day after FiledOn;
	// empty, with DeadlineError, when the calendar does not cover it.
	Deadline      Date                   `json:"deadline,omitempty" bson:"deadline,omitempty"`
	DeadlineError string                 `json:"deadlineError,omitempty" bson:"deadlineError,omitempty"`
	State         CreditApplicationState `json:"state" bson:"state" enum:"pending,decided"`
	Outcome       CreditOutcome          `json:"outcome,omitempty" bson:"outcome,omitempty" enum:"corrected,annotated,upheld,granted,refused"`
	Reason        string                 `json:"reason,omitempty" bson:"reason,omitempty"`
	DecidedOn     Date                   `json:"decidedOn,omitempty" bson:"decidedOn,omitempty"`
	DecidedBy     string                 `json:"decidedBy,omitempty" bson:"decidedBy,omitempty"`
	// ResultVersion is the public version of the result the answer made
	// (更正, 加注, a granted repair).
	ResultVersion int       `json:"resultVersion,omitempty" bson:"resultVersion,omitempty"`
	Version       int64     `json:"version" bson:"version"`
	CreatedAt     time.Time `json:"createdAt" bson:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt" bson:"updatedAt"`
	Outbox        `json:"-" bson:",inline"`
}

// SetDeadline computes the answer's deadline from the filing day.
func (a *CreditApplication) SetDeadline() {
	d, err := AddWorkingDays(a.FiledOn, CreditWorkingDays)
	if err != nil {
		a.Deadline, a.DeadlineError = "", ErrorMessage(err)
		return
	}
	a.Deadline, a.DeadlineError = d, ""
}

// Marker is the text a public version made by the answer to a carries, so
// that answering again after a stop does not make a second version.
func (a *CreditApplication) Marker() string { return "（" + a.Kind.Label() + " " + a.ID + "）" }

var (
	mobilePattern   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlinePattern = regexp.MustCompile(`^0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}$`)
)

// ValidPhone reports whether s is a mainland mobile number (11 digits,
// 13–19) or a landline with its area code (010-12345678).
func ValidPhone(s string) bool { return mobilePattern.MatchString(s) || landlinePattern.MatchString(s) }

// Validate checks what the enterprise wrote (the subject is checked by
// the service against the store). Messages are the page's, in Chinese.
func (a *CreditApplication) Validate() error {
	if !a.Kind.Valid() {
		return Errorf(EINVALID, "请选择申请的类别（异议、信用修复或申请移出经营异常名录）。")
	}
	if a.Kind == CreditRemoval && a.ListingID == "" || a.Kind != CreditRemoval && a.ResultID == "" {
		return Errorf(EINVALID, "请选择申请针对的公示结果或名录记录。")
	}
	text := strings.TrimSpace(a.Text)
	if n := utf8.RuneCountInString(text); !utf8.ValidString(a.Text) || n < MinCreditText || n > MaxCreditText {
		return Errorf(EINVALID, "请用 %d 至 %d 字说明申请的事实和理由。", MinCreditText, MaxCreditText)
	}
	if checkText("text", text, MinCreditText, MaxCreditText) != nil {
		return Errorf(EINVALID, "申请说明中有不能显示的字符，请删除后重新提交。")
	}
	if !ValidPhone(a.Contact) {
		return Errorf(EINVALID, "请填写正确的联系电话：11 位手机号，或带区号的固定电话（如 0598-8123456）。")
	}
	if len(a.Attachments) > MaxCreditAttachments {
		return Errorf(EINVALID, "附件最多 %d 个。", MaxCreditAttachments)
	}
	a.Text = text
	return nil
}

// AttachmentType is the content type of a file's first bytes when it is
// one a filing takes (PDF, JPEG, PNG), else "". The bytes decide, not the
// name or the type the browser claims.
func AttachmentType(head []byte) string {
	switch {
	case len(head) >= 5 && string(head[:5]) == "%PDF-":
		return "application/pdf"
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return "image/jpeg"
	case len(head) >= 8 && string(head[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	}
	return ""
}

// AttachmentName is a file's name as kept: its last path element, without
// control characters, at most maxAttachmentName characters.
func AttachmentName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > maxAttachmentName {
		name = string(r[:maxAttachmentName])
	}
	if strings.TrimSpace(name) == "" {
		return "附件"
	}
	return name
}

// CheckDecision checks a decision's outcome for the kind, and its reason.
func CheckDecision(k CreditKind, o CreditOutcome, reason string) error {
	ok := false
	for _, x := range OutcomesOf(k) {
		ok = ok || x == o
	}
	if !ok {
		return Errorf(EINVALID, "outcome %q does not answer a %s filing", o, k)
	}
	return CheckCreditReason(reason)
}

// CheckCreditReason checks the reason of a decision (a listing, an
// answer), which is published.
func CheckCreditReason(reason string) error {
	r := strings.TrimSpace(reason)
	if r == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(r) > MaxCreditReason {
		return Errorf(EINVALID, "a decision gives its reason, 1 to %d characters", MaxCreditReason)
	}
	return nil
}

// CreditFilter selects filings.
type CreditFilter struct {
	Departments []string // any of them (empty: every department's)
	TargetID    string
	State       CreditApplicationState
}

// ListingFilter selects listings.
type ListingFilter struct {
	Departments []string
	TargetID    string
	State       ListingState
}

// CreditStore keeps listings and filings. Listings are never deleted.
type CreditStore interface {
	// CreateListing stores l as version 1 (ECONFLICT when its result's
	// listing is decided already).
	CreateListing(ctx context.Context, l *Listing) error
	FindListing(ctx context.Context, id string) (*Listing, error)
	// UpdateListing replaces the listing read as l.Version (ECONFLICT
	// otherwise), with its records.
	UpdateListing(ctx context.Context, l *Listing) error
	FindListings(ctx context.Context, f ListingFilter, p PageRequest) (*Page[*Listing], error)
	CreateCreditApplication(ctx context.Context, a *CreditApplication) error
	FindCreditApplication(ctx context.Context, id string) (*CreditApplication, error)
	UpdateCreditApplication(ctx context.Context, a *CreditApplication) error
	FindCreditApplications(ctx context.Context, f CreditFilter, p PageRequest) (*Page[*CreditApplication], error)
}
