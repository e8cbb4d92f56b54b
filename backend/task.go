package backend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// TaskStatus is where an inspection task stands.
type TaskStatus string

const (
	TaskPending   TaskStatus = "pending"    // ad-hoc, waiting for other departments to accept (Consent)
	TaskAssigned  TaskStatus = "assigned"   // issued to the team
	TaskAccepted  TaskStatus = "accepted"   // the team confirmed it
	TaskCheckedIn TaskStatus = "checked_in" // the team is on site
	TaskSubmitted TaskStatus = "submitted"  // result entered, waiting for review
	TaskApproved  TaskStatus = "approved"   // reviewed and accepted
	TaskReturned  TaskStatus = "returned"   // reviewer sent it back to the team
	TaskPublished TaskStatus = "published"  // result public
	TaskCancelled TaskStatus = "cancelled"
	TaskReplaced  TaskStatus = "replaced" // the target was replaced by another of its stratum
)

// taskTransitions lists the states each state may move to. The backend
// refuses every other move.
var taskTransitions = map[TaskStatus][]TaskStatus{
	TaskPending:   {TaskAssigned, TaskCancelled}, // assigned once every department asked accepted
	TaskAssigned:  {TaskAccepted, TaskCancelled, TaskReplaced},
	TaskAccepted:  {TaskCheckedIn, TaskCancelled, TaskReplaced},
	TaskCheckedIn: {TaskSubmitted, TaskCancelled},
	TaskSubmitted: {TaskApproved, TaskReturned},
	TaskReturned:  {TaskSubmitted},
	TaskApproved:  {TaskPublished},
}

// CanMove reports whether a task may go from s to next.
func (s TaskStatus) CanMove(next TaskStatus) bool { return slices.Contains(taskTransitions[s], next) }

// Open reports whether the task still occupies its team (counts toward task caps).
func (s TaskStatus) Open() bool {
	switch s {
	case TaskAssigned, TaskAccepted, TaskCheckedIn, TaskSubmitted, TaskReturned:
		return true
	}
	return false
}

// TriggerKind is why a task that was not drawn at random exists.
type TriggerKind string

const (
	TriggerComplaint TriggerKind = "complaint" // 投诉举报
	TriggerReferral  TriggerKind = "referral"  // 转办交办
	TriggerCampaign  TriggerKind = "campaign"  // 专项整治
	// TriggerRecheck is a re-check (复查) after 责令改正, created by the
	// system (planning's SetFollowUp); its Reference is the task re-checked.
	TriggerRecheck TriggerKind = "recheck"
)

// Trigger is the recorded reason of an ad-hoc task.
type Trigger struct {
	Kind      TriggerKind `json:"kind" bson:"kind"`
	Reference string      `json:"reference" bson:"reference"` // complaint number, referral document …
	Reason    string      `json:"reason" bson:"reason"`
}

// ConsentState is where a department's answer to an ad-hoc task stands.
type ConsentState string

const (
	ConsentRequested ConsentState = "requested"
	ConsentAccepted  ConsentState = "accepted"
	ConsentDeclined  ConsentState = "declined"
)

// Consent is the answer of one department whose officers or items an
// ad-hoc task of another department uses: a manager dispatches only their
// own department's people and checks, so the task waits (pending, on no
// phone) until each department asked accepts, and is cancelled when one
// declines.
type Consent struct {
	DepartmentID string       `json:"departmentId" bson:"departmentId"`
	Officers     []string     `json:"officers" bson:"officers"` // the department's inspectors on the team
	Items        []string     `json:"items" bson:"items"`       // the department's items in the task
	State        ConsentState `json:"state" bson:"state" enum:"requested,accepted,declined"`
	RequestedBy  string       `json:"requestedBy" bson:"requestedBy"`
	RequestedAt  time.Time    `json:"requestedAt" bson:"requestedAt"`
	DecidedBy    string       `json:"decidedBy,omitempty" bson:"decidedBy,omitempty"`
	DecidedAt    *time.Time   `json:"decidedAt,omitempty" bson:"decidedAt,omitempty"`
	Reason       string       `json:"reason,omitempty" bson:"reason,omitempty"` // the decider's
}

// Task is one visit: one target, one team, every item of the plan (all
// departments' items for a joint plan: 进一次门、查多项事).
type Task struct {
	ID             string      `json:"id" bson:"_id"`
	PlanID         string      `json:"planId,omitempty" bson:"planId,omitempty"`
	PlanVersion    int         `json:"planVersion,omitempty" bson:"planVersion,omitempty"`
	DrawID         string      `json:"drawId,omitempty" bson:"drawId,omitempty"` // the plan's draw, or the round of a round's visit
	Random         bool        `json:"random" bson:"random"`                     // drawn by fc-draw-1 or a round (fc-draw-2); false for ad-hoc tasks
	Trigger        *Trigger    `json:"trigger,omitempty" bson:"trigger,omitempty"`
	TargetID       string      `json:"targetId" bson:"targetId"`
	TargetName     string      `json:"targetName" bson:"targetName"`
	Stratum        string      `json:"stratum,omitempty" bson:"stratum,omitempty"`
	PRN            string      `json:"prn,omitempty" bson:"prn,omitempty"`
	Order          int         `json:"order,omitempty" bson:"order,omitempty"`
	Items          []string    `json:"items" bson:"items"`
	Method         CheckMethod `json:"method" bson:"method"`
	LeadDepartment string      `json:"leadDepartment" bson:"leadDepartment"`
	Departments    []string    `json:"departments" bson:"departments"`
	Team           []string    `json:"team" bson:"team"`           // inspector ids
	TeamUsers      []string    `json:"teamUsers" bson:"teamUsers"` // their login names, for visibility
	Unassigned     bool        `json:"unassigned,omitempty" bson:"unassigned,omitempty"`
	Batch          string      `json:"batch" bson:"batch"`
	Start          Date        `json:"start" bson:"start"`
	End            Date        `json:"end" bson:"end"`
	Due            Date        `json:"due" bson:"due"`
	// Checklist names the template version of each item: the one form
	// (一表通查) of the visit is theirs, merged in this order.
	Checklist []ChecklistRef `json:"checklist" bson:"checklist"`
	// Form is that form, the questions of the templates Checklist names,
	// filled in by the TaskStore on every task it returns or stores (the
	// templates never change, so a store keeps them at hand). It is never
	// stored and never sent: phones receive each template once.
	Form   *Checklist `json:"-" bson:"-"`
	Status TaskStatus `json:"status" bson:"status"`
	// Review and SubmittedAt are derived from the task's work (ReviewState,
	// and when the team entered the result that submitted it) and stored
	// by the TaskStore with every write (SetDerived), so that the review
	// queue is an index range in the store.
	Review      ReviewState `json:"review,omitempty" bson:"review,omitempty"`
	SubmittedAt *time.Time  `json:"submittedAt,omitempty" bson:"submittedAt,omitempty"`
	ReplacedBy  string      `json:"replacedBy,omitempty" bson:"replacedBy,omitempty"`
	Replaces    string      `json:"replaces,omitempty" bson:"replaces,omitempty"`
	// Parts are the plans a round's visit serves (fc-draw-2), in the
	// round's order, the first leading: the items and departments of each,
	// so that the one result of the visit splits back per plan and
	// department for publication. Empty for the task of a single plan.
	Parts []TaskPart `json:"parts,omitempty" bson:"parts,omitempty"`
	// Consents are the other departments' answers to an ad-hoc task that
	// uses their officers or items; while one is requested the task is
	// pending and its team's logins (TeamUsers) are empty.
	Consents []Consent `json:"consents,omitempty" bson:"consents,omitempty"`
	// The team's work (work.go).
	Answers  map[string]Answer `json:"answers" bson:"answers"` // by <itemCode>/<questionId>
	Result   *Result           `json:"result,omitempty" bson:"result,omitempty"`
	Evidence []EvidenceSlot    `json:"evidence" bson:"evidence"`
	CheckIns []CheckInSummary  `json:"checkIns" bson:"checkIns"`
	Reviews  []ReviewNote      `json:"reviews" bson:"reviews"`
	// Ops are the records of the last operations phones applied (at most
	// MaxRecentOps): the mark that makes a replay detectable, written by
	// the write that applies the operation. Older records are in the
	// TaskStore beside the task (FindOp): every operation that produced a
	// version up to OpsFloor, none above it. OpCount counts them all.
	// Spilled holds the records a change moved out of Ops, for the store
	// to keep before it writes the task.
	Ops      []OpRecord `json:"-" bson:"ops"`
	OpsFloor int64      `json:"-" bson:"opsFloor"`
	OpCount  int        `json:"-" bson:"opCount"`
	Spilled  []OpRecord `json:"-" bson:"-"`

	Version   int64     `json:"version" bson:"version"`
	CreatedAt time.Time `json:"createdAt" bson:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt" bson:"updatedAt"`

	// FeedUsers are the logins whose change feeds hear of this task: every
	// team member it ever had, so that one it was taken from learns that.
	FeedUsers []string `json:"-" bson:"feedUsers"`
	// Schema is the layout of the stored document (TaskSchema).
	Schema int `json:"-" bson:"schema"`

	// Audit are the records of the write under way, stated by the service
	// that changes the task; the TaskStore keys them and moves them into
	// AuditPending, the entries the stored task carries until they are in
	// the audit log (outbox.go).
	Audit        []AuditRecord `json:"-" bson:"-"`
	AuditPending []AuditEntry  `json:"-" bson:"auditPending,omitempty"`
}

// TaskPart is one plan's share of a round's joint visit.
type TaskPart struct {
	PlanID string `json:"planId" bson:"planId"`
	// CheckID names the registered check merged into the visit
	// (checkmatch.go) that the part serves instead of a plan.
	CheckID        string   `json:"checkId,omitempty" bson:"checkId,omitempty"`
	PlanVersion    int      `json:"planVersion" bson:"planVersion"`
	LeadDepartment string   `json:"leadDepartment" bson:"leadDepartment"`
	Departments    []string `json:"departments" bson:"departments"`
	Items          []string `json:"items" bson:"items"`
	Stratum        string   `json:"stratum" bson:"stratum"`
}

// TaskSchema is the layout of task documents this code writes: 2 since
// issue 13 (checklists by reference, operation records bounded, review
// fields stored). A store upgrades older documents (its migration).
const TaskSchema = 2

// SetDerived sets the fields derived from the task's work that are stored
// for queries: Review and SubmittedAt.
func (t *Task) SetDerived() {
	t.Review = t.ReviewState()
	t.SubmittedAt = nil
	if t.Result != nil && t.Review != "" {
		at := t.Result.EnteredAt
		t.SubmittedAt = &at
	}
}

// QueuedTask is what the review queue shows of a submitted task (a store
// may keep it beside the task, as the embedded one does in its key).
type QueuedTask struct {
	ID               string      `bson:"id"`
	Version          int64       `bson:"version"`
	TargetID         string      `bson:"targetId"`
	TargetName       string      `bson:"targetName"`
	PlanID           string      `bson:"planId,omitempty"`
	LeadDepartment   string      `bson:"leadDepartment"`
	Batch            string      `bson:"batch"`
	Due              Date        `bson:"due"`
	Team             []string    `bson:"team"` // inspector ids
	Result           ResultCode  `bson:"result,omitempty"`
	ResultLabel      string      `bson:"resultLabel,omitempty"`
	SubmittedAt      time.Time   `bson:"submittedAt"`
	Review           ReviewState `bson:"review"`
	EvidenceDeclared int         `bson:"evidenceDeclared"`
	EvidenceArrived  int         `bson:"evidenceArrived"`
	// Parts: for a joint visit reviewed per part, each department's state
	// (Task.PartReviews, department and state only); not kept in a key.
	Parts []PartReview `bson:"-"`
}

// Queued returns what the review queue shows of t, from its stored
// review fields (SetDerived) when it has them.
func (t *Task) Queued() *QueuedTask {
	q := &QueuedTask{
		ID: t.ID, Version: t.Version, TargetID: t.TargetID, TargetName: t.TargetName, PlanID: t.PlanID,
		LeadDepartment: t.LeadDepartment, Batch: t.Batch, Due: t.Due, Team: slices.Clone(t.Team), Review: t.Review,
		EvidenceDeclared: len(t.Evidence), EvidenceArrived: len(t.Evidence) - t.MissingEvidence(), SubmittedAt: t.UpdatedAt,
	}
	if q.Review == "" {
		q.Review = t.ReviewState()
	}
	if t.Result != nil {
		q.Result, q.ResultLabel, q.SubmittedAt = t.Result.Code, t.Result.Label, t.Result.EnteredAt
	}
	if t.SubmittedAt != nil {
		q.SubmittedAt = *t.SubmittedAt
	}
	if q.Team == nil {
		q.Team = []string{}
	}
	for _, p := range t.PartReviews() {
		q.Parts = append(q.Parts, PartReview{Department: p.Department, State: p.State})
	}
	return q
}

// Admits reports whether f selects q by department: led by one of
// LeadDepartments, or a joint visit reviewed per part with a part led by
// one of PartDepartments; any department when both are empty.
func (f *QueueFilter) Admits(q *QueuedTask) bool {
	if len(f.LeadDepartments) == 0 && len(f.PartDepartments) == 0 || slices.Contains(f.LeadDepartments, q.LeadDepartment) {
		return true
	}
	return slices.ContainsFunc(q.Parts, func(p PartReview) bool { return slices.Contains(f.PartDepartments, p.Department) })
}

// QueueFilter selects the review queue: submitted tasks led by one of
// LeadDepartments or with a part led by one of PartDepartments (every
// department when both are empty, Admits), in a review state (both when
// empty), of a plan (any when empty).
type QueueFilter struct {
	LeadDepartments []string
	// PartDepartments adds the joint visits reviewed per part
	// (Task.ReviewParts) with a part led by one of these.
	PartDepartments []string
	State           ReviewState
	PlanID          string
}

// QueuePosition is a place in the review queue, which is ordered by lead
// department, then submission time, then task id.
type QueuePosition struct {
	LeadDepartment string
	SubmittedAt    time.Time
	TaskID         string
}

// Compare orders positions as the queue does.
func (p QueuePosition) Compare(o QueuePosition) int {
	return cmp.Or(strings.Compare(p.LeadDepartment, o.LeadDepartment), p.SubmittedAt.Compare(o.SubmittedAt), strings.Compare(p.TaskID, o.TaskID))
}

// Position is the task's place in the review queue.
func (q *QueuedTask) Position() QueuePosition {
	return QueuePosition{LeadDepartment: q.LeadDepartment, SubmittedAt: q.SubmittedAt, TaskID: q.ID}
}

// VisibleTo reports whether actor a may see the task: its team members, the
// managers and reviewers of its departments, and administrators.
func (t *Task) VisibleTo(a *Actor) bool {
	switch {
	case a == nil:
		return false
	case a.Role == RoleAdmin:
		return true
	case a.Role == RoleInspector:
		return slices.Contains(t.TeamUsers, a.UserID)
	}
	return slices.ContainsFunc(t.Departments, a.InDepartment)
}

// WorkedOn reports whether the login was ever on the task's team: on it
// now, on it before a reassignment (FeedUsers keeps every team member it
// had), or recorded as having checked in for it or entered its result.
// Such a login never decides the task's review (separation of duties).
func (t *Task) WorkedOn(user string) bool {
	return slices.Contains(t.TeamUsers, user) || slices.Contains(t.FeedUsers, user) ||
		slices.ContainsFunc(t.CheckIns, func(c CheckInSummary) bool { return c.UserID == user }) ||
		t.Result != nil && t.Result.EnteredBy == user
}

// TaskFilter selects tasks.
type TaskFilter struct {
	PlanID          string
	DrawID          string
	TeamUser        string   // tasks whose team includes this login
	Departments     []string // tasks of any of these departments
	LeadDepartments []string // tasks led by any of these departments
	Statuses        []TaskStatus
	TargetID        string
	Batch           string // tasks of the plan batch of this name
	Member          string // tasks whose team includes this inspector id
	Unplanned       bool   // only ad-hoc tasks (not drawn at random)
	DueBefore       Date   // tasks due before this day (the caller narrows Statuses to open ones for "overdue")
	// OrderByDue pages in (due day, id) order instead of id order; the
	// cursor is then "due/<day>/<id>" (DueCursor).
	OrderByDue bool
}

// DueCursor is the cursor after task t in (due day, id) order.
func DueCursor(t *Task) string { return "due/" + string(t.Due) + "/" + t.ID }

// ParseDueCursor reads a DueCursor.
func ParseDueCursor(c string) (Date, string, error) {
	parts := strings.SplitN(c, "/", 3)
	if len(parts) != 3 || parts[0] != "due" || parts[2] == "" {
		return "", "", Errorf(EINVALID, "malformed cursor %q", c)
	}
	return Date(parts[1]), parts[2], nil
}

// TaskStore persists tasks.
type TaskStore interface {
	FindTaskByID(ctx context.Context, id string) (*Task, error)
	FindTasks(ctx context.Context, f TaskFilter, p PageRequest) (*Page[*Task], error)
	ScanTasks(ctx context.Context, f TaskFilter, fn func(*Task) error) error
	CreateTasks(ctx context.Context, ts []*Task) error
	// UpdateTask writes t; t.Version is the expected current version. The
	// records in t.Spilled are kept (FindOp) before the task is written.
	UpdateTask(ctx context.Context, t *Task) error
	// FindOp returns the record of an operation that left its task's
	// document (Task.OpsFloor), or ENOTFOUND.
	FindOp(ctx context.Context, key string) (*OpRecord, error)
	// FindQueue returns up to limit submitted tasks of the review queue
	// after position after (from the start when nil), in queue order.
	FindQueue(ctx context.Context, f QueueFilter, after *QueuePosition, limit int) ([]*QueuedTask, error)
}

// FindTaskOp returns the record of operation key applied to t: in the
// task's recent records, or, when the operation's base version is below
// the floor of those (only then may it have produced a version whose
// records left the task), in the store.
func FindTaskOp(ctx context.Context, store TaskStore, t *Task, key string, base int64) (OpRecord, bool, error) {
	if rec, ok := t.FindOp(key); ok {
		return rec, true, nil
	}
	if base >= t.OpsFloor {
		return OpRecord{}, false, nil
	}
	rec, err := store.FindOp(ctx, key)
	switch {
	case IsCode(err, ENOTFOUND):
		return OpRecord{}, false, nil
	case err != nil:
		return OpRecord{}, false, err
	case rec.TaskID != t.ID:
		return OpRecord{}, false, nil
	}
	return *rec, true, nil
}

// Draw is the stored metadata of one draw; the public record itself is
// kept by DrawStore as JSON.
type Draw struct {
	ID          string `json:"id" bson:"_id"`
	PlanID      string `json:"planId" bson:"planId"`
	PlanVersion int    `json:"planVersion" bson:"planVersion"`
	// Number is 1: a version is drawn once. Draws stored before that rule
	// may have numbers 2.. for redraws of the same version.
	Number int `json:"number" bson:"number"`
	// Redraw is set when the draw supersedes the draws of earlier versions
	// (Supersedes), Reason being the reason published with its version.
	Redraw     bool     `json:"redraw" bson:"redraw"`
	Reason     string   `json:"reason,omitempty" bson:"reason,omitempty"`
	Supersedes []string `json:"supersedes,omitempty" bson:"supersedes,omitempty"`
	// SupersededBy names the draw that replaced this one: its open tasks
	// were cancelled and its selections no longer count toward the annual
	// cap. It is not stored but derived from the later draw's Supersedes
	// (or, for the redraws of one version made before a version was drawn
	// once, from the next number) when the public plan lists its draws.
	SupersededBy string    `json:"supersededBy,omitempty" bson:"-"`
	DrawnBy      string    `json:"drawnBy" bson:"drawnBy"`
	DrawnAt      time.Time `json:"drawnAt" bson:"drawnAt"`
	Selected     int       `json:"selected" bson:"selected"`
	Unassigned   int       `json:"unassigned" bson:"unassigned"`
	RecordSHA    string    `json:"recordSha256" bson:"recordSha256"`
	RecordBytes  int       `json:"recordBytes" bson:"recordBytes"`
	Version      int64     `json:"version" bson:"version"`
}

// Selection marks a target as drawn for an item in a calendar year: the
// annual cap (同一对象同一事项一年一次) is checked against these.
type Selection struct {
	ID       string    `bson:"_id"` // "<year>/<itemCode>/<targetId>"
	Year     int       `bson:"year"`
	ItemCode string    `bson:"itemCode"`
	TargetID string    `bson:"targetId"`
	DrawID   string    `bson:"drawId"` // a plan's draw, or a round
	At       time.Time `bson:"at"`
	// Remote marks a selection for a check made without a visit (by
	// documents or online): it does not count toward the VisitCaps.
	Remote bool `bson:"remote,omitempty"`
}

// DrawStore persists draws, their public records and the annual selections.
type DrawStore interface {
	// CreateDraw stores the draw's metadata; a draw with the same id (plan,
	// version and number) fails with ECONFLICT, which serialises concurrent
	// draws of one plan.
	CreateDraw(ctx context.Context, d *Draw) error
	FindDrawByID(ctx context.Context, id string) (*Draw, error)
	UpdateDraw(ctx context.Context, d *Draw) error
	// SaveDrawRecord stores (or replaces) the record's JSON, in pieces when
	// it is large.
	SaveDrawRecord(ctx context.Context, drawID string, data []byte) error
	LoadDrawRecord(ctx context.Context, drawID string) ([]byte, error)
	// AddSelections records annual selections; existing ones are kept.
	AddSelections(ctx context.Context, s []*Selection) error
	// RemoveSelections deletes the selections of a draw that a redraw
	// superseded.
	RemoveSelections(ctx context.Context, drawID string) error
	// SelectedTargets returns the targets selected in year for any of the
	// items by any draw but those in except.
	SelectedTargets(ctx context.Context, year int, items []string, except map[string]bool) (map[string]bool, error)
	// DeleteDraw removes a draw and the pieces of its record: only the
	// roll-forward of a draw whose record was never stored whole uses it.
	DeleteDraw(ctx context.Context, id string) error
	// VisitCounts returns, per target, how many draws (a plan's or a
	// round's) selected it in year for a visit, not counting remote
	// selections or those of the draws in except.
	VisitCounts(ctx context.Context, year int, except map[string]bool) (map[string]int, error)
}

// maxTaskRetries bounds how often UpdateTaskWith re-reads a task that
// others changed meanwhile.
const maxTaskRetries = 8

// UpdateTaskWith reads task id, lets change modify it, and writes it if
// change says so, starting again from a fresh read when someone else wrote
// the task in between. It returns the task as written (or as read when
// change wanted no write).
func UpdateTaskWith(ctx context.Context, store TaskStore, id string, change func(t *Task) (write bool, err error)) (*Task, error) {
	for range maxTaskRetries {
		t, err := store.FindTaskByID(ctx, id)
		if err != nil {
			return nil, err
		}
		write, err := change(t)
		if err != nil || !write {
			return t, err
		}
		err = store.UpdateTask(ctx, t)
		if !IsCode(err, ECONFLICT) {
			return t, err
		}
	}
	return nil, Errorf(EUNAVAILABLE, "task %s is changing too often; try again", id)
}

// ChangedByOthers reports whether a version of the task after base was
// written by anyone but the device whose operation keys start with
// prefix (OpKey(user, device, "")), check-in notes aside. Versions written
// by a device's own earlier operations are no conflict for its next one:
// a phone offline decides on the version it last saw and goes on. A base
// below OpsFloor counts as changed: the records that would tell have left
// the task (more than MaxRecentOps operations since).
func (t *Task) ChangedByOthers(base int64, prefix string) bool {
	if base < t.OpsFloor {
		return true
	}
	for v := base + 1; v <= t.Version; v++ {
		own := slices.ContainsFunc(t.Ops, func(o OpRecord) bool {
			return o.Version == v && (o.Kind == OpCheckIn || strings.HasPrefix(o.Key, prefix))
		})
		if !own {
			return true
		}
	}
	return false
}

// CloneWork copies the task deeply enough that changing the copy's work
// (answers, result, evidence, check-ins, reviews, operations, status)
// leaves the original as it was.
func (t *Task) CloneWork() *Task {
	c := *t
	if t.Answers != nil {
		c.Answers = make(map[string]Answer, len(t.Answers))
		for k, v := range t.Answers {
			c.Answers[k] = v
		}
	}
	c.Evidence, c.CheckIns, c.Reviews, c.Ops = slices.Clone(t.Evidence), slices.Clone(t.CheckIns), slices.Clone(t.Reviews), slices.Clone(t.Ops)
	c.Spilled = slices.Clone(t.Spilled)
	return &c
}

// Clone copies the task deeply: nothing the copy holds is shared with
// the original but its Form, which nobody changes.
func (t *Task) Clone() *Task {
	c := t.CloneWork()
	c.Items, c.Departments, c.Team, c.TeamUsers, c.FeedUsers = slices.Clone(t.Items), slices.Clone(t.Departments), slices.Clone(t.Team), slices.Clone(t.TeamUsers), slices.Clone(t.FeedUsers)
	c.Checklist = slices.Clone(t.Checklist)
	if t.Trigger != nil {
		tr := *t.Trigger
		c.Trigger = &tr
	}
	if t.Result != nil {
		r := *t.Result
		c.Result = &r
	}
	if t.SubmittedAt != nil {
		at := *t.SubmittedAt
		c.SubmittedAt = &at
	}
	c.Audit, c.AuditPending = slices.Clone(t.Audit), slices.Clone(t.AuditPending)
	c.Consents = slices.Clone(t.Consents)
	for i := range c.Consents {
		x := &c.Consents[i]
		x.Officers, x.Items = slices.Clone(x.Officers), slices.Clone(x.Items)
		if x.DecidedAt != nil {
			at := *x.DecidedAt
			x.DecidedAt = &at
		}
	}
	for i := range c.Evidence {
		e := &c.Evidence[i]
		if e.Position != nil {
			p := *e.Position
			e.Position = &p
		}
		if e.Received != nil {
			r := *e.Received
			e.Received = &r
		}
	}
	for i := range c.CheckIns {
		x := &c.CheckIns[i]
		x.Flags = slices.Clone(x.Flags)
		if x.DistanceM != nil {
			d := *x.DistanceM
			x.DistanceM = &d
		}
	}
	for i := range c.Reviews {
		c.Reviews[i].Issues = slices.Clone(c.Reviews[i].Issues)
	}
	return c
}

// FindOp returns the recorded operation with key k.
func (t *Task) FindOp(k string) (OpRecord, bool) {
	i := slices.IndexFunc(t.Ops, func(o OpRecord) bool { return o.Key == k })
	if i < 0 {
		return OpRecord{}, false
	}
	return t.Ops[i], true
}

// AddOp records that the write about to be made applies operation k with
// body hash h. The version is the one the write will produce.
func (t *Task) AddOp(k, h string) error {
	if t.OpCount >= MaxOpsPerTask {
		return Errorf(EINVALID, "task %s has recorded %d operations, the most it takes", t.ID, MaxOpsPerTask)
	}
	if len(k) > maxOpKeyLength {
		return Errorf(EINVALID, "an operation key is limited to %d bytes", maxOpKeyLength)
	}
	t.addOp(OpRecord{Key: k, Hash: h, Version: t.Version + 1})
	return nil
}

// addOp records an operation (TrimOps).
func (t *Task) addOp(r OpRecord) {
	t.Ops = append(t.Ops, r)
	t.OpCount++
	t.TrimOps()
}

// TrimOps moves the records of the oldest versions out of the task
// (Spilled, raising OpsFloor) while it holds more than MaxRecentOps; those
// of its newest version always stay. Ops are in version order.
func (t *Task) TrimOps() {
	for len(t.Ops) > MaxRecentOps && t.Ops[0].Version < t.Ops[len(t.Ops)-1].Version {
		oldest := t.Ops[0].Version
		n := 0
		for n < len(t.Ops) && t.Ops[n].Version == oldest {
			n++
		}
		for _, o := range t.Ops[:n] {
			o.TaskID = t.ID
			t.Spilled = append(t.Spilled, o)
		}
		t.Ops = slices.Delete(t.Ops, 0, n)
		t.OpsFloor = max(t.OpsFloor, oldest)
	}
}

// hasQuestion checks k names a question of the task's checklist.
func (t *Task) hasQuestion(k string) bool { return t.Form.HasQuestion(k) }

// MergeAnswers merges a phone's edits into the task's answers, field by
// field; an edit stamped later than received is taken as made when
// received. It reports how many fields changed.
func (t *Task) MergeAnswers(in []AnswerInput, user, device string, received time.Time) (int, error) {
	if !t.Status.Editable() {
		return 0, Errorf(EINVALID, "task %s is %s: its answers can no longer change", t.ID, t.Status)
	}
	if len(in) == 0 || len(in) > MaxAnswersPerChange {
		return 0, Errorf(EINVALID, "send 1 to %d answers at a time", MaxAnswersPerChange)
	}
	for _, a := range in {
		switch {
		case !t.hasQuestion(a.Question):
			return 0, Errorf(EINVALID, "%q is not a question of this task's checklist (%s)", a.Question, questionKeyDescribed)
		case len(a.Value) > MaxAnswerLength || len(a.Note) > MaxAnswerLength:
			return 0, Errorf(EINVALID, "answer to %s: value and note are limited to %d bytes each", a.Question, MaxAnswerLength)
		case !utf8.ValidString(a.Value) || !utf8.ValidString(a.Note):
			return 0, Errorf(EINVALID, "answer to %s is not valid UTF-8", a.Question)
		case a.EditedAt.IsZero():
			return 0, Errorf(EINVALID, "answer to %s has no edit time", a.Question)
		}
	}
	if t.Answers == nil {
		t.Answers = map[string]Answer{}
	}
	changed := 0
	for _, a := range in {
		at := a.EditedAt.UTC().Truncate(time.Millisecond)
		if at.After(received) {
			at = received
		}
		next := Answer{Value: a.Value, Note: a.Note, EditedAt: at, EditedBy: user, DeviceID: device}
		if cur, ok := t.Answers[a.Question]; ok && !next.newer(cur) {
			continue
		}
		t.Answers[a.Question] = next
		changed++
	}
	return changed, nil
}

// SetResult validates and records the result entered by user; the task's
// status is the caller's business.
func (t *Task) SetResult(in ResultInput, user string, now time.Time) error {
	switch {
	case !in.Code.Valid():
		return Errorf(EINVALID, "result code %q is not one of: %s", in.Code, resultCodesList)
	case len(in.Findings) > MaxFindingsLength:
		return Errorf(EINVALID, "findings are limited to %d bytes", MaxFindingsLength)
	case len(in.FollowUp) > MaxFollowUpLength:
		return Errorf(EINVALID, "the follow-up action is limited to %d bytes", MaxFollowUpLength)
	case !utf8.ValidString(in.Findings) || !utf8.ValidString(in.FollowUp):
		return Errorf(EINVALID, "findings and follow-up must be UTF-8")
	case in.DeviceTime.IsZero():
		return Errorf(EINVALID, "the result needs the phone's time")
	}
	for _, s := range t.Form.sections() {
		for _, q := range s.Questions {
			if q.Required {
				if _, ok := t.Answers[s.ItemCode+answerKeySeparator+q.ID]; !ok {
					return Errorf(EINVALID, "question %s/%s (%s) is required and has no answer", s.ItemCode, q.ID, q.Text)
				}
			}
		}
	}
	t.Result = &Result{
		Code: in.Code, Label: in.Code.Label(), LabelsVersion: ResultLabelsVersion,
		Findings: in.Findings, FollowUp: in.FollowUp, EnteredBy: user,
		EnteredAt: now.UTC().Truncate(time.Millisecond), DeviceTime: in.DeviceTime.UTC().Truncate(time.Millisecond),
	}
	return nil
}

// DeclareEvidence adds manifest slots. A slot declared again with the same
// file is accepted once; with a different file it is a conflict: a slot is
// immutable. It reports how many slots are new.
func (t *Task) DeclareEvidence(in []EvidenceInput, lim EvidenceLimits, user, device string, now time.Time) (int, error) {
	if !t.Status.Editable() {
		return 0, Errorf(EINVALID, "task %s is %s: its evidence manifest can no longer change", t.ID, t.Status)
	}
	if len(in) == 0 || len(in) > MaxEvidencePerChange {
		return 0, Errorf(EINVALID, "declare 1 to %d files at a time", MaxEvidencePerChange)
	}
	added := 0
	for _, e := range in {
		if err := e.validate(t); err != nil {
			return 0, err
		}
		if err := lim.CheckSize(e.ID, e.Type, e.Size); err != nil {
			return 0, err
		}
		slot := EvidenceSlot{
			ID: e.ID, Type: e.Type, SHA256: e.SHA256, Size: e.Size, ContentType: e.ContentType,
			Question: e.Question, Caption: e.Caption, CapturedAt: e.CapturedAt.UTC().Truncate(time.Millisecond), Position: e.Position,
			DeclaredBy: user, DeviceID: device, DeclaredAt: now.UTC().Truncate(time.Millisecond),
		}
		if i := slices.IndexFunc(t.Evidence, func(x EvidenceSlot) bool { return x.ID == e.ID }); i >= 0 {
			if !t.Evidence[i].sameDeclaration(slot) {
				return 0, Errorf(ECONFLICT, "evidence slot %s is already declared with another file", e.ID)
			}
			continue
		}
		if len(t.Evidence) >= MaxEvidencePerTask {
			return 0, Errorf(EINVALID, "a task takes at most %d pieces of evidence", MaxEvidencePerTask)
		}
		if err := lim.CheckQuota(t, e.Size); err != nil {
			return 0, err
		}
		t.Evidence = append(t.Evidence, slot)
		added++
	}
	return added, nil
}

// WithdrawEvidence takes declared slots back out of the manifest: files
// the phone no longer holds (deleted after the server refused their bytes,
// or before they were sent). Only a slot whose bytes have not been
// accepted can go; one that was received stays, and the whole change is
// refused. A slot that is not declared (withdrawn before, or its
// declaration never arrived) is no error: afterwards none of ids is
// declared, whichever happened first. While the task waits for review
// (submitted) a withdrawal must not take away a photo a question requires:
// the result was accepted with it, so the reviewer returns the task first.
// It returns the slots removed.
func (t *Task) WithdrawEvidence(ids []string) ([]EvidenceSlot, error) {
	if !t.Status.Editable() && t.Status != TaskSubmitted {
		return nil, Errorf(EINVALID, "task %s is %s: its evidence manifest can no longer change", t.ID, t.Status)
	}
	if len(ids) == 0 || len(ids) > MaxEvidencePerChange {
		return nil, Errorf(EINVALID, "withdraw 1 to %d files at a time", MaxEvidencePerChange)
	}
	for _, id := range ids {
		if !validSlotID(id) {
			return nil, Errorf(EINVALID, "evidence %q: the id must be %s", id, slotIDDescribed)
		}
		if e, ok := t.FindEvidence(id); ok && e.Uploaded {
			return nil, Errorf(EINVALID, "evidence %q of task %s was received (SHA-256 %s): a received file cannot be withdrawn", id, t.ID, e.SHA256)
		}
	}
	var removed []EvidenceSlot
	kept := t.Evidence[:0:0]
	for _, e := range t.Evidence {
		if slices.Contains(ids, e.ID) {
			removed = append(removed, e)
			continue
		}
		kept = append(kept, e)
	}
	if t.Status == TaskSubmitted && len(removed) > 0 {
		before := len(t.PhotosMissing())
		all := t.Evidence
		t.Evidence = kept
		after := t.PhotosMissing()
		t.Evidence = all
		if len(after) > before {
			return nil, &Error{Code: EINVALID, Err: &MissingPhotos{Questions: after}, Message: fmt.Sprintf(
				"task %s is submitted and the withdrawal would leave %d checklist questions without the photo they require: %s — ask the reviewer to return the task, then declare another photo",
				t.ID, len(after), strings.Join(after, ", "))}
		}
	}
	if len(removed) > 0 {
		t.Evidence = kept
	}
	return removed, nil
}

// AddCheckIn records a check-in's summary on the task once, with an
// operation record that marks the version it makes as a check-in's.
func (t *Task) AddCheckIn(c *CheckIn) bool {
	if slices.ContainsFunc(t.CheckIns, func(x CheckInSummary) bool { return x.ID == c.ID }) {
		return false
	}
	t.addOp(OpRecord{Key: OpCheckIn + "/" + c.ID, Version: t.Version + 1, Kind: OpCheckIn})
	t.CheckIns = append(t.CheckIns, CheckInSummary{
		ID: c.ID, UserID: c.UserID, InspectorID: c.InspectorID, CertNo: c.CertNo,
		DeviceTime: c.DeviceTime, DistanceM: c.DistanceM, Flags: slices.Clone(c.Flags),
	})
	return true
}

// EvidenceVisibleTo reports whether actor a may see the task's evidence
// files: whoever sees the task but managers (they plan and publish without
// reading evidence) — the team, the reviewers of the task's departments,
// and administrators. Evidence is never public.
func (t *Task) EvidenceVisibleTo(a *Actor) bool {
	return a != nil && a.Role != RoleManager && t.VisibleTo(a)
}

// FindEvidence returns the manifest slot with that id.
func (t *Task) FindEvidence(id string) (*EvidenceSlot, bool) {
	i := slices.IndexFunc(t.Evidence, func(e EvidenceSlot) bool { return e.ID == id })
	if i < 0 {
		return nil, false
	}
	return &t.Evidence[i], true
}

// MissingEvidence counts the declared slots whose bytes have not arrived.
func (t *Task) MissingEvidence() int {
	n := 0
	for _, e := range t.Evidence {
		if !e.Uploaded {
			n++
		}
	}
	return n
}

// PhotosMissing lists, as <itemCode>/<questionId>, the photoRequired
// questions of the task's checklist that no photo supports: a question
// has its photo when the evidence manifest declares a slot of type photo
// for it (the slot's question). Whether the bytes have arrived is not
// asked here: a phone on a poor network submits and uploads afterwards,
// and the approval waits for every declared file (MissingEvidence).
func (t *Task) PhotosMissing() []string {
	var missing []string
	for _, s := range t.Form.sections() {
		for _, q := range s.Questions {
			key := AnswerKey(s.ItemCode, q.ID)
			if q.PhotoRequired && !slices.ContainsFunc(t.Evidence, func(e EvidenceSlot) bool { return e.Type == EvidencePhoto && e.Question == key }) {
				missing = append(missing, key)
			}
		}
	}
	return missing
}

// CheckPhotos refuses a result that lacks a required photo, naming every
// question without one; errors.As finds the list as *MissingPhotos.
func (t *Task) CheckPhotos() error {
	missing := t.PhotosMissing()
	if len(missing) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Err: &MissingPhotos{Questions: missing}, Message: fmt.Sprintf(
		"%d checklist questions need a photo and have none: %s — declare a photo slot for each (evidence with its \"question\") before submitting",
		len(missing), strings.Join(missing, ", "))}
}

// ReviewState returns the task's review state, or "" for a task that was
// never submitted (or is on its way to its first submission).
func (t *Task) ReviewState() ReviewState {
	switch t.Status {
	case TaskSubmitted:
		if parts := t.PartReviews(); parts != nil { // reviewed per part: issues on any part
			if slices.ContainsFunc(parts, func(p PartReview) bool { return p.State == ReviewHasIssues }) {
				return ReviewHasIssues
			}
			return ReviewReceived
		}
		if n := len(t.Reviews); n > 0 && t.Reviews[n-1].Status == NoteHasIssues {
			return ReviewHasIssues
		}
		return ReviewReceived
	case TaskReturned:
		return ReviewReturned
	case TaskApproved, TaskPublished:
		return ReviewApproved
	}
	return ""
}

// RecordedIssues returns the issues recorded on the task in its current
// round of review: those of its last note while it has issues, none
// otherwise.
func (t *Task) RecordedIssues() []ReviewIssue {
	if t.ReviewState() != ReviewHasIssues {
		return []ReviewIssue{}
	}
	if parts := t.PartReviews(); parts != nil { // every part's, in the parts' order
		out := []ReviewIssue{}
		for _, p := range parts {
			out = append(out, p.Issues...)
		}
		return out
	}
	return slices.Clone(t.Reviews[len(t.Reviews)-1].Issues)
}

// HasQuestion reports whether k (<itemCode>/<questionId>) names a question
// of the task's checklist.
func (t *Task) HasQuestion(k string) bool { return t.hasQuestion(k) }

// CheckIssues checks issues a reviewer records on t: at most
// MaxReviewIssues, each about one question of its checklist or one of its
// evidence slots, with a comment.
func (t *Task) CheckIssues(issues []ReviewIssue) error {
	if len(issues) > MaxReviewIssues {
		return Errorf(EINVALID, "at most %d issues may be recorded at a time; this has %d", MaxReviewIssues, len(issues))
	}
	for i, x := range issues {
		n := i + 1
		switch {
		case x.Question == "" && x.Evidence == "":
			return Errorf(EINVALID, "issue %d names neither a question (%s) nor an evidence slot", n, questionKeyDescribed)
		case x.Question != "" && x.Evidence != "":
			return Errorf(EINVALID, "issue %d names a question and an evidence slot: record one issue for each", n)
		case x.Question != "" && !t.hasQuestion(x.Question):
			return Errorf(EINVALID, "issue %d: %q is not a question of this task's checklist (%s)", n, x.Question, questionKeyDescribed)
		case x.Evidence != "":
			if _, ok := t.FindEvidence(x.Evidence); !ok {
				return Errorf(EINVALID, "issue %d: %q is not an evidence slot of this task", n, x.Evidence)
			}
		}
		if err := CheckReviewComment(fmt.Sprintf("the comment of issue %d", n), x.Comment, true); err != nil {
			return err
		}
	}
	return nil
}
