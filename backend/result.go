package backend

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The result life cycle (一公开, docs/results.md). An approved task's result
// becomes an entry of its lead department's results register, dated by its
// result date: the day (Asia/Shanghai) the reviewers approved it, when the
// result is final and so "produced". It is due for publication on the
// PublicationWorkingDays-th working day after that day (the day itself not
// counted). A manager publishes it (a public version), or proposes to
// withhold it (依法不予公开, with the reason) and a second person of the
// department confirms. A correction after publication is a new public
// version with its reason; the earlier versions stay public. The follow-up
// (后续处置) is entered by the team that checked; 责令改正 creates a re-check
// task (复查) whose approved result closes the follow-up.

// PublicationWorkingDays is the period within which a result is published
// (睢县 2020: 自检查结果产生之日起20个工作日内).
const PublicationWorkingDays = 20

// ResultState is where a register entry stands.
type ResultState string

const (
	ResultPending          ResultState = "pending"           // approved, not yet public
	ResultWithholdProposed ResultState = "withhold-proposed" // a manager proposes 依法不予公开
	ResultWithheld         ResultState = "withheld"          // 依法不予公开, confirmed by a second person
	ResultPublished        ResultState = "published"         // public
)

// RegisterView is a part of the register: the states, with pending split
// by the deadline.
type RegisterView string

const (
	ViewPending          RegisterView = "pending"           // pending, deadline not passed (or not known)
	ViewOverdue          RegisterView = "overdue"           // pending, deadline passed
	ViewWithholdProposed RegisterView = "withhold-proposed" // waiting for the second person
	ViewWithheld         RegisterView = "withheld"
	ViewPublished        RegisterView = "published"
)

// Valid reports whether v is a view of the register.
func (v RegisterView) Valid() bool {
	switch v {
	case ViewPending, ViewOverdue, ViewWithholdProposed, ViewWithheld, ViewPublished:
		return true
	}
	return false
}

// ResultRectified is the result of a 责令改正 whose re-check found the
// problem corrected: not a category the team enters, but the one the
// published entry takes when the re-check closes its follow-up.
const ResultRectified ResultCode = "rectified" // 发现问题经责令已改正

// PublicLabel is the wording of a code as published, the derived
// categories included.
func (c ResultCode) PublicLabel() string {
	if c == ResultRectified {
		return "发现问题经责令已改正"
	}
	return c.Label()
}

// FollowUpAction is an official follow-up action (后续处置).
type FollowUpAction string

const (
	FollowUpNone     FollowUpAction = "none"     // 无需后续处置
	FollowUpRectify  FollowUpAction = "rectify"  // 责令改正: a rectification deadline, then a re-check
	FollowUpReferral FollowUpAction = "referral" // 发现案件线索: referred to a named department
	FollowUpNotify   FollowUpAction = "notify"   // 抄告相关部门: a named department is informed
	FollowUpOther    FollowUpAction = "other"    // 其他: described in the note
)

var followUpLabels = map[FollowUpAction]string{
	FollowUpNone:     "无需后续处置",
	FollowUpRectify:  "责令改正",
	FollowUpReferral: "发现案件线索",
	FollowUpNotify:   "抄告相关部门",
	FollowUpOther:    "其他",
}

// Label is the official wording of the action.
func (a FollowUpAction) Label() string {
	if l, ok := followUpLabels[a]; ok {
		return l
	}
	return "未知处置"
}

// Limits of the register's inputs.
const (
	MaxResultReason       = 1000 // bytes of a withholding's or a correction's reason
	MaxFollowUpNote       = MaxFollowUpLength
	MaxRectifyWorkingDays = 120 // a rectification deadline at most this many working days after the result date
	MaxBulkPublish        = 100 // entries one bulk publication takes
	MaxResultVersions     = 20  // public versions of one entry
	maxDepartmentName     = 100
)

// FollowUp is the follow-up of a result, entered by the team that checked.
type FollowUp struct {
	Action FollowUpAction `json:"action" bson:"action" enum:"none,rectify,referral,notify,other"`
	Label  string         `json:"label" bson:"label"`
	// Deadline is the rectification deadline (责令改正).
	Deadline Date `json:"deadline,omitempty" bson:"deadline,omitempty"`
	// Department is the department a case is referred to (发现案件线索) or
	// informed (抄告相关部门), by name.
	Department string    `json:"department,omitempty" bson:"department,omitempty"`
	Note       string    `json:"note,omitempty" bson:"note,omitempty"`
	EnteredBy  string    `json:"enteredBy" bson:"enteredBy"`
	EnteredAt  time.Time `json:"enteredAt" bson:"enteredAt"`
	// RecheckTaskID is the re-check task (复查) a 责令改正 created.
	RecheckTaskID string `json:"recheckTaskId,omitempty" bson:"recheckTaskId,omitempty"`
	// Outcome is the re-check's result once it is approved; Closed then.
	Outcome  ResultCode `json:"outcome,omitempty" bson:"outcome,omitempty"`
	ClosedAt *time.Time `json:"closedAt,omitempty" bson:"closedAt,omitempty"`
}

// FollowUpInput is a follow-up as the team enters it.
type FollowUpInput struct {
	Action     FollowUpAction `json:"action" enum:"none,rectify,referral,notify,other"`
	Deadline   Date           `json:"deadline,omitempty" doc:"required for rectify: the rectification deadline (YYYY-MM-DD), after the result date"`
	Department string         `json:"department,omitempty" doc:"required for referral and notify: the department's name"`
	Note       string         `json:"note,omitempty" doc:"required for other"`
}

// Validate checks the input against the entry's result date.
func (in FollowUpInput) Validate(resultDate Date) error {
	if _, ok := followUpLabels[in.Action]; !ok {
		return Errorf(EINVALID, "follow-up action %q is not one of: none, rectify, referral, notify, other", in.Action)
	}
	if len(in.Note) > MaxFollowUpNote || !utf8.ValidString(in.Note) {
		return Errorf(EINVALID, "the note is limited to %d bytes of UTF-8", MaxFollowUpNote)
	}
	dept := strings.TrimSpace(in.Department)
	if len(dept) > maxDepartmentName || !utf8.ValidString(dept) {
		return Errorf(EINVALID, "the department's name is limited to %d bytes of UTF-8", maxDepartmentName)
	}
	switch in.Action {
	case FollowUpRectify:
		if !in.Deadline.Valid() {
			return Errorf(EINVALID, "责令改正 needs a rectification deadline (YYYY-MM-DD)")
		}
		if in.Deadline <= resultDate {
			return Errorf(EINVALID, "the rectification deadline %s must be after the result date %s", in.Deadline, resultDate)
		}
		last, err := AddWorkingDays(resultDate, MaxRectifyWorkingDays)
		if err != nil {
			return err
		}
		if in.Deadline > last {
			return Errorf(EINVALID, "the rectification deadline %s is more than %d working days after the result date (%s)", in.Deadline, MaxRectifyWorkingDays, last)
		}
	case FollowUpReferral, FollowUpNotify:
		if dept == "" {
			return Errorf(EINVALID, "%s names the department: give its name in department", in.Action.Label())
		}
	case FollowUpOther:
		if strings.TrimSpace(in.Note) == "" {
			return Errorf(EINVALID, "其他 is described: give the description in note")
		}
	}
	if in.Action != FollowUpRectify && in.Deadline != "" {
		return Errorf(EINVALID, "a deadline belongs to 责令改正 only")
	}
	return nil
}

// Withholding is a proposal not to publish (依法不予公开) and its
// confirmation by a second person.
type Withholding struct {
	Reason      string     `json:"reason" bson:"reason"`
	ProposedBy  string     `json:"proposedBy" bson:"proposedBy"`
	ProposedAt  time.Time  `json:"proposedAt" bson:"proposedAt"`
	ConfirmedBy string     `json:"confirmedBy,omitempty" bson:"confirmedBy,omitempty"`
	ConfirmedAt *time.Time `json:"confirmedAt,omitempty" bson:"confirmedAt,omitempty"`
}

// ResultVersion is one public version of a result: the first publication,
// then each correction with its reason.
type ResultVersion struct {
	N             int        `json:"n" bson:"n"`
	Code          ResultCode `json:"code" bson:"code"`
	Label         string     `json:"label" bson:"label"`
	LabelsVersion int        `json:"labelsVersion" bson:"labelsVersion"`
	FollowUp      string     `json:"followUp,omitempty" bson:"followUp,omitempty"` // the follow-up's label as published
	Reason        string     `json:"reason,omitempty" bson:"reason,omitempty"`     // why this version replaced the one before
	PublishedAt   time.Time  `json:"publishedAt" bson:"publishedAt"`
	PublishedBy   string     `json:"publishedBy" bson:"publishedBy"` // staff only: never in a public answer
}

// ResultEntry is a task's entry in the results register, _id the task's
// id. It is written by the planning service only, each change audited
// through the outbox (Audit, AuditPending) in the same write.
type ResultEntry struct {
	ID         string `json:"id" bson:"_id"`
	TargetID   string `json:"targetId" bson:"targetId"`
	TargetName string `json:"targetName" bson:"targetName"`
	PlanID     string `json:"planId,omitempty" bson:"planId,omitempty"`
	Random     bool   `json:"random" bson:"random"`
	RecheckOf  string `json:"recheckOf,omitempty" bson:"recheckOf,omitempty"` // the entry whose 复查 this task is
	// PartOf is the joint visit (a round's task with parts of several
	// departments) whose part this entry is: a department other than the
	// visit's lead publishes its own parts' result under its own entry,
	// PartEntryID(task, department).
	PartOf         string     `json:"partOf,omitempty" bson:"partOf,omitempty"`
	LeadDepartment string     `json:"leadDepartment" bson:"leadDepartment"`
	Departments    []string   `json:"departments" bson:"departments"`
	Items          []string   `json:"items" bson:"items"`
	TeamUsers      []string   `json:"teamUsers" bson:"teamUsers"`
	Code           ResultCode `json:"code" bson:"code"`
	Label          string     `json:"label" bson:"label"`
	LabelsVersion  int        `json:"labelsVersion" bson:"labelsVersion"`
	// ResultDate is the day the result was produced: the day of its
	// approval, Asia/Shanghai.
	ResultDate Date `json:"resultDate" bson:"resultDate"`
	// Deadline is the PublicationWorkingDays-th working day after
	// ResultDate; empty, with DeadlineError saying why, when the calendar
	// does not cover the days it runs through.
	Deadline      Date         `json:"deadline,omitempty" bson:"deadline,omitempty"`
	DeadlineError string       `json:"deadlineError,omitempty" bson:"deadlineError,omitempty"`
	State         ResultState  `json:"state" bson:"state"`
	Withholding   *Withholding `json:"withholding,omitempty" bson:"withholding,omitempty"`
	FollowUp      *FollowUp    `json:"followUp,omitempty" bson:"followUp,omitempty"`
	// Versions are the public versions, oldest first: empty until it is
	// published.
	Versions  []ResultVersion `json:"versions" bson:"versions"`
	Version   int64           `json:"version" bson:"version"`
	CreatedAt time.Time       `json:"createdAt" bson:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt" bson:"updatedAt"`
	// The records of the write being made and those it carries
	// (backend/outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// TaskID is the id of the task whose result e is: the joint visit for a
// department's part, else the entry's own.
func (e *ResultEntry) TaskID() string {
	if e.PartOf != "" {
		return e.PartOf
	}
	return e.ID
}

// PartEntryID is the id of department dept's entry of the joint visit
// taskID: the task's id and the department's, joined by "~" (a character
// neither has).
func PartEntryID(taskID, dept string) string { return taskID + "~" + dept }

// Current is the public version in force, nil before publication.
func (e *ResultEntry) Current() *ResultVersion {
	if len(e.Versions) == 0 {
		return nil
	}
	return &e.Versions[len(e.Versions)-1]
}

// SetDeadline computes the publication deadline from the result date.
func (e *ResultEntry) SetDeadline() {
	d, err := AddWorkingDays(e.ResultDate, PublicationWorkingDays)
	if err != nil {
		e.Deadline, e.DeadlineError = "", ErrorMessage(err)
		return
	}
	e.Deadline, e.DeadlineError = d, ""
}

// ResultDateOf is the result date of a task approved at approvedAt.
func ResultDateOf(approvedAt time.Time) Date { return DateOf(approvedAt) }

// View is the part of the register the entry is in on day today.
func (e *ResultEntry) View(today Date) RegisterView {
	switch e.State {
	case ResultPublished:
		return ViewPublished
	case ResultWithheld:
		return ViewWithheld
	case ResultWithholdProposed:
		return ViewWithholdProposed
	}
	if e.Deadline != "" && e.Deadline < today {
		return ViewOverdue
	}
	return ViewPending
}

// ResultFilter selects entries of the register, and of the public list.
type ResultFilter struct {
	// Departments: entries with any of them among their departments
	// (empty: every department's).
	Departments []string
	// States: entries in any of them (empty: every state).
	States []ResultState
	// DeadlineBefore / DeadlineFrom split pending entries by the deadline:
	// a deadline before (overdue), or from (not overdue, or not known).
	DeadlineBefore Date
	DeadlineFrom   Date
	// NoDeadline: only the entries whose deadline the calendar could not
	// compute (RecomputeDeadlines looks for them).
	NoDeadline bool
	PlanID     string
	Code       ResultCode
	// From and To bound the result date (inclusive).
	From, To Date
	// Newest lists newest result date first (the public list); otherwise
	// oldest first, which is also earliest deadline first (the register).
	Newest bool
}

// Matches applies f to e the way a store's query does.
func (f *ResultFilter) Matches(e *ResultEntry) bool {
	if len(f.Departments) > 0 && !anyOf(e.Departments, f.Departments) {
		return false
	}
	if len(f.States) > 0 && !anyOf([]ResultState{e.State}, f.States) {
		return false
	}
	switch {
	case f.DeadlineBefore != "" && (e.Deadline == "" || e.Deadline >= f.DeadlineBefore),
		f.DeadlineFrom != "" && e.Deadline != "" && e.Deadline < f.DeadlineFrom,
		f.NoDeadline && e.Deadline != "",
		f.PlanID != "" && e.PlanID != f.PlanID,
		f.Code != "" && e.Code != f.Code,
		f.From != "" && e.ResultDate < f.From,
		f.To != "" && e.ResultDate > f.To:
		return false
	}
	return true
}

func anyOf[T comparable](have, want []T) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// ResultCursor is the keyset position of an entry in the register's order
// (result date, id): "<resultDate>|<id>".
func ResultCursor(e *ResultEntry) string { return string(e.ResultDate) + "|" + e.ID }

// ParseResultCursor splits a cursor.
func ParseResultCursor(s string) (Date, string, error) {
	d, id, ok := strings.Cut(s, "|")
	if !ok || !Date(d).Valid() || id == "" {
		return "", "", Errorf(EINVALID, "malformed cursor %q", s)
	}
	return Date(d), id, nil
}

// ResultCounts are a register's counts by view.
type ResultCounts struct {
	Pending          int `json:"pending"`
	Overdue          int `json:"overdue"`
	WithholdProposed int `json:"withholdProposed"`
	Withheld         int `json:"withheld"`
	Published        int `json:"published"`
}

// Add counts e, as of today.
func (c *ResultCounts) Add(e *ResultEntry, today Date) {
	switch e.View(today) {
	case ViewPending:
		c.Pending++
	case ViewOverdue:
		c.Overdue++
	case ViewWithholdProposed:
		c.WithholdProposed++
	case ViewWithheld:
		c.Withheld++
	case ViewPublished:
		c.Published++
	}
}

// ResultStore keeps the results register.
type ResultStore interface {
	// CreateResultEntry stores e as version 1; one with its id stored
	// fails with ECONFLICT.
	CreateResultEntry(ctx context.Context, e *ResultEntry) error
	FindResultEntry(ctx context.Context, id string) (*ResultEntry, error)
	// UpdateResultEntry replaces the entry read as e.Version (ECONFLICT
	// otherwise) with its records (e.Audit) in the same write.
	UpdateResultEntry(ctx context.Context, e *ResultEntry) error
	// FindResultEntries pages through the entries f selects, in f's order;
	// the cursor is ResultCursor of the last entry.
	FindResultEntries(ctx context.Context, f ResultFilter, p PageRequest) (*Page[*ResultEntry], error)
	// CountResultEntries counts the entries of the departments (every
	// department's when empty) by view, as of today.
	CountResultEntries(ctx context.Context, departments []string, today Date) (ResultCounts, error)
}

// CheckReason checks a withholding's or a correction's reason.
func CheckReason(reason string) error {
	r := strings.TrimSpace(reason)
	switch {
	case r == "":
		return Errorf(EINVALID, "a reason must be given")
	case len(reason) > MaxResultReason || !utf8.ValidString(reason):
		return Errorf(EINVALID, "the reason is limited to %d bytes of UTF-8", MaxResultReason)
	}
	return nil
}

// PublishedOf is the public result of an entry's current version, as kept
// with its target: the history holds the versions before.
func PublishedOf(e *ResultEntry) PublishedResult {
	cur := e.Current()
	r := PublishedResult{TaskID: e.ID, PlanID: e.PlanID, Random: e.Random, Items: e.Items, Departments: e.Departments, ResultDate: e.ResultDate}
	if cur == nil {
		return r
	}
	r.Code, r.Label, r.PublishedAt, r.Version, r.Reason, r.FollowUp = cur.Code, cur.Label, cur.PublishedAt, cur.N, cur.Reason, cur.FollowUp
	for _, v := range e.Versions[:len(e.Versions)-1] {
		r.History = append(r.History, PublishedVersion{N: v.N, Code: v.Code, Label: v.Label, FollowUp: v.FollowUp, Reason: v.Reason, PublishedAt: v.PublishedAt})
	}
	return r
}

// PublishedVersion is an earlier public version of a result, without who
// published it.
type PublishedVersion struct {
	N           int        `json:"n" bson:"n"`
	Code        ResultCode `json:"code" bson:"code"`
	Label       string     `json:"label" bson:"label"`
	FollowUp    string     `json:"followUp,omitempty" bson:"followUp,omitempty"`
	Reason      string     `json:"reason,omitempty" bson:"reason,omitempty"`
	PublishedAt time.Time  `json:"publishedAt" bson:"publishedAt"`
}

// followUpText is how a follow-up reads in a public version.
func followUpText(f *FollowUp) string {
	if f == nil {
		return ""
	}
	s := f.Action.Label()
	switch {
	case f.Action == FollowUpRectify && f.ClosedAt != nil:
		s += fmt.Sprintf("（限期 %s，已复查）", f.Deadline)
	case f.Action == FollowUpRectify:
		s += fmt.Sprintf("（限期 %s）", f.Deadline)
	case f.Department != "":
		s += "（" + f.Department + "）"
	}
	return s
}

// FollowUpText is the follow-up as published.
func (e *ResultEntry) FollowUpText() string { return followUpText(e.FollowUp) }
