package planning

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The review of submitted results (backend/review.go has the states).
// Reviewers of a task's lead department review it; reviewers of its other
// departments and administrators may look. Approving and returning are
// the task's transitions, made by Transition's code; recording issues is a
// note on the task that leaves it submitted. Every action names the task
// version it was decided on.

// ReviewQuery narrows the review queue.
type ReviewQuery struct {
	State  backend.ReviewState // received or has_issues; both when empty
	PlanID string
}

// ReviewQueueEntry is one submitted task waiting for review.
type ReviewQueueEntry struct {
	TaskID           string              `json:"taskId"`
	Version          int64               `json:"version"`
	TargetID         string              `json:"targetId"`
	TargetName       string              `json:"targetName"`
	PlanID           string              `json:"planId,omitempty"` // empty for an ad-hoc task
	LeadDepartment   string              `json:"leadDepartment"`
	Batch            string              `json:"batch"`
	Due              backend.Date        `json:"due"`
	Team             []string            `json:"team"` // the officers' names
	ResultCode       backend.ResultCode  `json:"resultCode" enum:"no-problem,corrected,follow-up,not-disclosed,unreachable,obstructed,no-activity,closed,deregistered"`
	ResultLabel      string              `json:"resultLabel"`
	SubmittedAt      time.Time           `json:"submittedAt"`
	State            backend.ReviewState `json:"state" enum:"received,has_issues"`
	EvidenceDeclared int                 `json:"evidenceDeclared"`
	EvidenceArrived  int                 `json:"evidenceArrived"`
	// Parts: a joint visit reviewed per part, each department's state.
	Parts []backend.PartReview `json:"parts,omitempty"`
}

// queueCursor is the position after an entry: the queue is ordered by
// lead department, then submission time, then task id.
func queueCursor(p backend.QueuePosition) string {
	return p.LeadDepartment + ":" + strconv.FormatInt(p.SubmittedAt.UnixMilli(), 10) + ":" + p.TaskID
}

func parseQueueCursor(s string) (*backend.QueuePosition, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.SplitN(s, ":", 3)
	bad := backend.Errorf(backend.EINVALID, "malformed cursor %q: pass nextCursor as it came", s)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return nil, bad
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, bad
	}
	return &backend.QueuePosition{LeadDepartment: parts[0], SubmittedAt: time.UnixMilli(ms).UTC(), TaskID: parts[2]}, nil
}

// ReviewQueue lists the submitted tasks waiting for review, by lead
// department and, in each, the oldest submission first: reviewers see
// those their departments lead, administrators all. A page is one range
// of the store's queue index, read after the cursor.
func (s *Service) ReviewQueue(ctx context.Context, q ReviewQuery, p backend.PageRequest) (*backend.Page[*ReviewQueueEntry], error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	switch q.State {
	case "", backend.ReviewReceived, backend.ReviewHasIssues:
	default:
		return nil, backend.Errorf(backend.EINVALID, "state %q must be received or has_issues", q.State)
	}
	after, err := parseQueueCursor(p.After)
	if err != nil {
		return nil, err
	}
	page := &backend.Page[*ReviewQueueEntry]{Items: []*ReviewQueueEntry{}}
	f := backend.QueueFilter{PlanID: q.PlanID, State: q.State}
	switch a.Role {
	case backend.RoleAdmin:
	case backend.RoleReviewer:
		if len(a.Departments) == 0 {
			return page, nil // an empty filter would be everyone's
		}
		f.LeadDepartments = a.Departments
		f.PartDepartments = a.Departments // joint visits reviewed per part
	default:
		return nil, backend.Errorf(backend.EFORBIDDEN, "only reviewers and administrators see the review queue")
	}
	waiting, err := s.Tasks.FindQueue(ctx, f, after, p.Limit+1)
	if err != nil {
		return nil, err
	}
	if len(waiting) > p.Limit {
		waiting = waiting[:p.Limit]
		page.NextCursor = queueCursor(waiting[p.Limit-1].Position())
	}
	names := map[string]string{}
	for _, w := range waiting {
		e := &ReviewQueueEntry{
			TaskID: w.ID, Version: w.Version, TargetID: w.TargetID, TargetName: w.TargetName, PlanID: w.PlanID,
			LeadDepartment: w.LeadDepartment, Batch: w.Batch, Due: w.Due, Team: []string{}, ResultCode: w.Result, ResultLabel: w.ResultLabel,
			SubmittedAt: w.SubmittedAt, State: w.Review, EvidenceDeclared: w.EvidenceDeclared, EvidenceArrived: w.EvidenceArrived,
			Parts: w.Parts,
		}
		for _, id := range w.Team {
			name, err := s.officerName(ctx, names, id)
			if err != nil {
				return nil, err
			}
			e.Team = append(e.Team, name)
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}

// officerName returns an inspector's name, read once per call of the
// caller (names); the id stands in for an inspector no longer stored.
func (s *Service) officerName(ctx context.Context, names map[string]string, id string) (string, error) {
	if n, ok := names[id]; ok {
		return n, nil
	}
	in, err := s.Inspectors.FindInspectorByID(ctx, id)
	switch {
	case backend.IsCode(err, backend.ENOTFOUND):
		names[id] = id
	case err != nil:
		return "", err
	default:
		names[id] = in.Name
	}
	return names[id], nil
}

// ReviewView is everything a reviewer needs to decide on one task.
type ReviewView struct {
	TaskID         string              `json:"taskId"`
	Version        int64               `json:"version"` // send it back with an action
	Status         backend.TaskStatus  `json:"status"`
	State          backend.ReviewState `json:"state" enum:"received,has_issues,approved,returned"`
	CanReview      bool                `json:"canReview"` // the caller may record issues, approve or return now
	PlanID         string              `json:"planId,omitempty"`
	Random         bool                `json:"random"`
	Trigger        *backend.Trigger    `json:"trigger,omitempty"`
	Items          []string            `json:"items"`
	Method         backend.CheckMethod `json:"method"`
	LeadDepartment string              `json:"leadDepartment"`
	Departments    []string            `json:"departments"`
	Batch          string              `json:"batch"`
	Due            backend.Date        `json:"due"`
	Target         ReviewTarget        `json:"target"`
	Team           []ReviewOfficer     `json:"team"`
	Result         *backend.Result     `json:"result,omitempty"`
	SubmittedAt    *time.Time          `json:"submittedAt,omitempty"`
	Checklist      []ReviewSection     `json:"checklist"`
	CheckIns       []ReviewCheckIn     `json:"checkIns"`
	Evidence       []ReviewEvidence    `json:"evidence"`
	// EvidenceDeclared and EvidenceArrived count the evidence files: the
	// task is approved only when all declared have arrived.
	EvidenceDeclared int `json:"evidenceDeclared"`
	EvidenceArrived  int `json:"evidenceArrived"`
	// Issues are those recorded in this round of review (state has_issues);
	// a return sends them to the team unless it names others.
	Issues  []backend.ReviewIssue `json:"issues"`
	History []backend.ReviewNote  `json:"history"` // every review note, oldest first
	// Parts: a joint visit whose parts several departments lead is
	// reviewed part by part (docs/draw2.md, "Review per part"): each
	// department's state, with the plans, items and issues of the parts
	// the caller reads; MyPart is the department whose part the caller
	// decides (empty when it decides none).
	Parts  []backend.PartReview `json:"parts,omitempty"`
	MyPart string               `json:"myPart,omitempty"`
}

// ReviewTarget is the inspected target, with its registered location for
// a map of the check-ins.
type ReviewTarget struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Address    string            `json:"address,omitempty"`
	RegionCode string            `json:"regionCode,omitempty"`
	Location   *backend.GeoPoint `json:"location,omitempty"`
}

// ReviewOfficer is a member of the team.
type ReviewOfficer struct {
	InspectorID  string `json:"inspectorId"`
	Name         string `json:"name"`
	CertNo       string `json:"certNo,omitempty"`
	DepartmentID string `json:"departmentId,omitempty"`
	UserID       string `json:"userId,omitempty"`
}

// ReviewSection is one item's part of the checklist, with the answers.
type ReviewSection struct {
	ItemCode     string           `json:"itemCode"`
	ItemName     string           `json:"itemName"`
	DepartmentID string           `json:"departmentId"`
	Questions    []ReviewQuestion `json:"questions"`
}

// ReviewQuestion is a checklist question with the team's answer.
type ReviewQuestion struct {
	Key           string               `json:"key"` // <itemCode>/<questionId>: what an issue names
	ID            string               `json:"id"`
	Text          string               `json:"text"`
	Type          backend.QuestionType `json:"type" enum:"yesno,single,multiple,number,text,photo"`
	Options       []string             `json:"options,omitempty"`
	Required      bool                 `json:"required"`
	PhotoRequired bool                 `json:"photoRequired"`
	Basis         string               `json:"basis,omitempty"`
	Answer        *backend.Answer      `json:"answer,omitempty"` // none when unanswered
	Evidence      []string             `json:"evidence"`         // ids of the evidence slots that support it
}

// ReviewCheckIn is one officer's check-in at the target.
type ReviewCheckIn struct {
	ID          string           `json:"id"`
	InspectorID string           `json:"inspectorId"`
	Officer     string           `json:"officer"` // name
	CertNo      string           `json:"certNo"`
	UserID      string           `json:"userId"`
	DeviceTime  time.Time        `json:"deviceTime"` // as the phone stated
	ServerTime  time.Time        `json:"serverTime"`
	Position    backend.GeoPoint `json:"position"` // (0, 0) with NoPosition
	AccuracyM   float64          `json:"accuracyM"`
	// NoPosition: the phone had no fix; the check-in has no distance (and
	// the flag no-position). ManualUSCC: the USCC was typed in by hand.
	NoPosition bool `json:"noPosition,omitempty"`
	ManualUSCC bool `json:"manualUscc,omitempty"`
	// DistanceM is from the target's registered location (as it is now;
	// as it was at the check-in when it has none any more).
	DistanceM *float64              `json:"distanceM,omitempty"`
	Flags     []string              `json:"flags"`
	Reason    backend.CheckInReason `json:"reason,omitempty"`
	Note      string                `json:"note,omitempty"`
}

// ReviewEvidence is one declared evidence file, where to fetch it and
// whether it has arrived.
type ReviewEvidence struct {
	ID          string                   `json:"id"`
	Type        backend.EvidenceType     `json:"type" enum:"photo,video,audio,document,signature"`
	ContentType string                   `json:"contentType"`
	Caption     string                   `json:"caption,omitempty"`
	Question    string                   `json:"question,omitempty"`
	CapturedAt  time.Time                `json:"capturedAt"`         // as the phone stated
	Position    *backend.GeoPoint        `json:"position,omitempty"` // as the phone stated
	DeclaredBy  string                   `json:"declaredBy"`
	DeviceID    string                   `json:"deviceId"`
	DeclaredAt  time.Time                `json:"declaredAt"`
	Size        int64                    `json:"size"`
	SHA256      string                   `json:"sha256"`
	Uploaded    bool                     `json:"uploaded"`
	Received    *backend.EvidenceReceipt `json:"received,omitempty"`
	URL         string                   `json:"url"`                    // the original file
	Thumbnail   string                   `json:"thumbnailUrl,omitempty"` // uploaded photos and signatures
	Preview     string                   `json:"previewUrl,omitempty"`   // uploaded photos and signatures
}

// reviewVisible reports whether a may look at t's review: administrators
// and the reviewers of its departments, lead or not.
func reviewVisible(a *backend.Actor, t *backend.Task) bool {
	switch a.Role {
	case backend.RoleAdmin:
		return true
	case backend.RoleReviewer:
		return slices.ContainsFunc(t.Departments, a.InDepartment)
	}
	return false
}

// mayReview says whether a may act on t's review: record issues, approve,
// return. The lead department's reviewers do (mayMove's rule); on a joint
// visit reviewed per part, the reviewers of each part's lead department
// (reviewPart).
func mayReview(a *backend.Actor, t *backend.Task) error {
	if t.ReviewParts() != nil {
		_, err := reviewPart(a, t)
		return err
	}
	return mayMove(a, t, backend.TaskReturned)
}

// reviewPart is the department whose part of t, a joint visit reviewed
// per part, a decides: the first of a's departments leading a part that
// has not been approved in this round (else the first leading one). Only
// reviewers who were never on the team decide.
func reviewPart(a *backend.Actor, t *backend.Task) (string, error) {
	if t.WorkedOn(a.UserID) {
		return "", backend.Errorf(backend.EFORBIDDEN, "you are on the team of task %s: its review is decided by someone who did not inspect", t.ID)
	}
	mine := ""
	if a.Role == backend.RoleReviewer {
		for _, p := range t.PartReviews() {
			if a.InDepartment(p.Department) {
				if p.State != backend.ReviewApproved {
					return p.Department, nil
				}
				if mine == "" {
					mine = p.Department
				}
			}
		}
	}
	if mine == "" {
		return "", backend.Errorf(backend.EFORBIDDEN, "联合检查由牵头各部分的部门分别审核：只有这些部门的审核人员可以审核")
	}
	return mine, nil
}

// partState is the state of dept's part of t in this round.
func partState(t *backend.Task, dept string) *backend.PartReview {
	for _, p := range t.PartReviews() {
		if p.Department == dept {
			return &p
		}
	}
	return nil
}

// checkPartIssues checks that issues are about dept's part of t: its
// items' questions, and evidence of those questions or of none.
func checkPartIssues(t *backend.Task, dept string, issues []backend.ReviewIssue) error {
	items := t.PartItemsOf(dept)
	inPart := func(question string) bool {
		item, _, _ := strings.Cut(question, "/")
		return question == "" || slices.Contains(items, item)
	}
	for i, x := range issues {
		ok := inPart(x.Question)
		if x.Evidence != "" {
			if e, found := t.FindEvidence(x.Evidence); found {
				ok = ok && inPart(e.Question)
			}
		}
		if !ok {
			return backend.Errorf(backend.EINVALID, "问题 %d 不属于本部门（%s）审核的部分：只能就本部门的检查事项和证据记录问题", i+1, dept)
		}
	}
	return nil
}

// reviewTask reads a task for its review. Anyone who may not look is told
// it does not exist, so that task ids cannot be probed.
func (s *Service) reviewTask(ctx context.Context, id string) (*backend.Actor, *backend.Task, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	t, err := s.Tasks.FindTaskByID(ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) || err == nil && !reviewVisible(a, t) {
		return nil, nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", id)
	}
	if err != nil {
		return nil, nil, err
	}
	if t.ReviewState() == "" {
		return nil, nil, backend.Errorf(backend.ENOTFOUND, "task %q has not been submitted for review", id)
	}
	return a, t, nil
}

// GetReview returns what a reviewer needs to decide on a task.
func (s *Service) GetReview(ctx context.Context, id string) (*ReviewView, error) {
	a, t, err := s.reviewTask(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.reviewView(ctx, a, t)
}

// IssuesRequest records issues on a submitted task, which stays submitted
// (has_issues) until it is approved or returned.
type IssuesRequest struct {
	Version int64  `json:"version"` // the task's version as read
	Comment string `json:"comment"`
	// Issues replace those recorded before in this round.
	Issues []backend.ReviewIssue `json:"issues,omitempty"`
}

// ApproveRequest approves a submitted task.
type ApproveRequest struct {
	Version int64  `json:"version"`
	Comment string `json:"comment,omitempty"`
}

// ReturnRequest sends a submitted task back to its team.
type ReturnRequest struct {
	Version int64  `json:"version"`
	Comment string `json:"comment"` // required: what the team is to do
	// Issues go to the team with the task; when absent, those recorded in
	// this round do ([] sends none).
	Issues []backend.ReviewIssue `json:"issues,omitempty"`
}

// RecordIssues records a reviewer's issues on a submitted task.
func (s *Service) RecordIssues(ctx context.Context, id string, req IssuesRequest) (*ReviewView, error) {
	const action = "task." + string(backend.NoteHasIssues)
	a, t, err := s.reviewTask(ctx, id)
	if err != nil {
		return nil, err
	}
	deny := func(err error) (*ReviewView, error) {
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "task", ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	if !a.Fresh {
		return deny(backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change"))
	}
	if err := mayReview(a, t); err != nil {
		return deny(err)
	}
	if t.Status != backend.TaskSubmitted {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: issues are recorded on a submitted task", t.ID, t.Status)
	}
	part := ""
	if t.ReviewParts() != nil {
		part, _ = reviewPart(a, t)
		if partState(t, part).State == backend.ReviewApproved {
			return nil, backend.Errorf(backend.EINVALID, "本部门（%s）的部分已审核通过，不能再记录问题", part)
		}
		if err := checkPartIssues(t, part, req.Issues); err != nil {
			return nil, err
		}
	}
	if req.Version != t.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", id)
	}
	if err := backend.CheckReviewComment("the comment", req.Comment, true); err != nil {
		return nil, err
	}
	if err := t.CheckIssues(req.Issues); err != nil {
		return nil, err
	}
	issues := slices.Clone(req.Issues)
	if issues == nil {
		issues = []backend.ReviewIssue{}
	}
	t.Reviews = append(t.Reviews, backend.ReviewNote{
		Status: backend.NoteHasIssues, Comment: req.Comment, Reviewer: a.UserID,
		At: s.Now().UTC().Truncate(time.Millisecond), Issues: issues, Part: part,
	})
	t.Audit = []backend.AuditRecord{change(action, "task", t.ID, t, fmt.Sprintf("%d issues: %s", len(issues), req.Comment))}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		return nil, err
	}
	return s.reviewView(ctx, a, t)
}

// ApproveTask approves a submitted task: Transition's move, refused while
// evidence is missing (CheckMove).
func (s *Service) ApproveTask(ctx context.Context, id string, req ApproveRequest) (*ReviewView, error) {
	a, t, err := s.reviewTask(ctx, id)
	if err != nil {
		return nil, err
	}
	part := ""
	if t.ReviewParts() != nil {
		var last bool
		if part, last, err = s.approvePart(ctx, a, t, req); err != nil || !last {
			if err != nil {
				return nil, err
			}
			return s.reviewView(ctx, a, t)
		}
	}
	t, err = s.transition(ctx, t, TransitionRequest{To: backend.TaskApproved, Version: req.Version, Comment: req.Comment}, func(n *backend.ReviewNote) error {
		n.Part = part
		return backend.CheckReviewComment("the comment", n.Comment, false)
	})
	if err != nil {
		return nil, err
	}
	return s.reviewView(ctx, a, t)
}

// ReturnTask sends a submitted task back to its team with a comment and
// the issues found: Transition's move.
func (s *Service) ReturnTask(ctx context.Context, id string, req ReturnRequest) (*ReviewView, error) {
	a, t, err := s.reviewTask(ctx, id)
	if err != nil {
		return nil, err
	}
	part := ""
	if t.ReviewParts() != nil {
		if part, err = reviewPart(a, t); err == nil && t.Status == backend.TaskSubmitted && partState(t, part).State == backend.ReviewApproved {
			return nil, backend.Errorf(backend.EINVALID, "本部门（%s）的部分已审核通过，不能再退回", part)
		}
	}
	t, err = s.transition(ctx, t, TransitionRequest{To: backend.TaskReturned, Version: req.Version, Comment: req.Comment}, func(n *backend.ReviewNote) error {
		if err := backend.CheckReviewComment("the comment (what the team is to do)", n.Comment, true); err != nil {
			return err
		}
		n.Part = part
		if req.Issues != nil {
			if err := t.CheckIssues(req.Issues); err != nil {
				return err
			}
			if part != "" {
				if err := checkPartIssues(t, part, req.Issues); err != nil {
					return err
				}
			}
			n.Issues = slices.Clone(req.Issues)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reviewView(ctx, a, t)
}

// approvePart approves a's part of t, a joint visit reviewed per part:
// when other parts are still to be approved, a note (NotePartApproved)
// in one write with its audit record, the task staying submitted; when
// it is the last, last is true and the caller approves the task (the
// transition, whose note names the part). Refusals are those of an
// approval: the session, the version, evidence still on its way.
func (s *Service) approvePart(ctx context.Context, a *backend.Actor, t *backend.Task, req ApproveRequest) (part string, last bool, err error) {
	const action = "task." + string(backend.NotePartApproved)
	deny := func(err error) (string, bool, error) {
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: "task", ObjectID: t.ID, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return "", false, err
	}
	if !a.Fresh {
		return deny(backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change"))
	}
	if part, err = reviewPart(a, t); err != nil {
		return deny(err)
	}
	if t.Status != backend.TaskSubmitted {
		return "", false, backend.Errorf(backend.EINVALID, "task %s is %s and cannot become %s", t.ID, t.Status, backend.TaskApproved)
	}
	if partState(t, part).State == backend.ReviewApproved {
		return "", false, backend.Errorf(backend.EINVALID, "本部门（%s）的部分已审核通过，等待其他部门审核", part)
	}
	if req.Version != t.Version {
		return "", false, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else; reload and try again", t.ID)
	}
	if err := backend.CheckReviewComment("the comment", req.Comment, false); err != nil {
		return "", false, err
	}
	if n := t.MissingEvidence(); n > 0 {
		return "", false, backend.Errorf(backend.EINVALID, "%d of %d evidence files have not arrived: approve once they are uploaded", n, len(t.Evidence))
	}
	if err := t.CheckPhotos(); err != nil {
		return "", false, err
	}
	waiting := 0
	for _, p := range t.PartReviews() {
		if p.Department != part && p.State != backend.ReviewApproved {
			waiting++
		}
	}
	if waiting == 0 {
		return part, true, nil
	}
	t.Reviews = append(t.Reviews, backend.ReviewNote{Status: backend.NotePartApproved, Comment: req.Comment, Reviewer: a.UserID,
		At: s.Now().UTC().Truncate(time.Millisecond), Part: part})
	t.Audit = []backend.AuditRecord{change(action, "task", t.ID, t, fmt.Sprintf("part of %s approved, %d parts to go: %s", part, waiting, req.Comment))}
	if err := s.Tasks.UpdateTask(ctx, t); err != nil {
		return "", false, err
	}
	return part, false, nil
}

// reviewView assembles the review of t for a: the target, the team, the
// check-ins and the evidence are read here.
func (s *Service) reviewView(ctx context.Context, a *backend.Actor, t *backend.Task) (*ReviewView, error) {
	whole := t
	t = t.ViewFor(a) // a department reviews only its parts of a joint visit
	canReview := whole.Status == backend.TaskSubmitted && mayReview(a, whole) == nil
	myPart := ""
	if whole.ReviewParts() != nil && canReview {
		myPart, _ = reviewPart(a, whole)
		canReview = partState(whole, myPart).State != backend.ReviewApproved
	}
	v := &ReviewView{
		TaskID: t.ID, Version: t.Version, Status: t.Status, State: whole.ReviewState(),
		CanReview: canReview, Parts: whole.PartReviewsFor(a), MyPart: myPart,
		PlanID: t.PlanID, Random: t.Random, Trigger: t.Trigger, Items: t.Items, Method: t.Method,
		LeadDepartment: t.LeadDepartment, Departments: t.Departments, Batch: t.Batch, Due: t.Due,
		Target: ReviewTarget{ID: t.TargetID, Name: t.TargetName}, Team: []ReviewOfficer{}, Result: t.Result,
		Checklist: []ReviewSection{}, CheckIns: []ReviewCheckIn{}, Evidence: []ReviewEvidence{},
		EvidenceDeclared: len(t.Evidence), EvidenceArrived: len(t.Evidence) - t.MissingEvidence(),
		Issues: t.RecordedIssues(), History: slices.Clone(t.Reviews),
	}
	if v.Parts != nil { // the issues of the parts a reads
		v.Issues = []backend.ReviewIssue{}
		for _, p := range v.Parts {
			v.Issues = append(v.Issues, p.Issues...)
		}
	}
	if v.History == nil {
		v.History = []backend.ReviewNote{}
	}
	if t.Result != nil {
		at := t.Queued().SubmittedAt
		v.SubmittedAt = &at
	}
	tg, err := s.Targets.FindTargetByID(ctx, t.TargetID)
	switch {
	case err == nil:
		v.Target = ReviewTarget{ID: tg.ID, Name: tg.Name, Address: tg.Address, RegionCode: tg.RegionCode, Location: tg.Location}
	case !backend.IsCode(err, backend.ENOTFOUND):
		return nil, err
	}
	names := map[string]string{}
	for _, id := range t.Team {
		in, err := s.Inspectors.FindInspectorByID(ctx, id)
		switch {
		case err == nil:
			names[id] = in.Name
			v.Team = append(v.Team, ReviewOfficer{InspectorID: id, Name: in.Name, CertNo: in.CertNo, DepartmentID: in.DepartmentID, UserID: in.UserID})
		case backend.IsCode(err, backend.ENOTFOUND):
			v.Team = append(v.Team, ReviewOfficer{InspectorID: id, Name: id})
		default:
			return nil, err
		}
	}
	cs, err := s.CheckIns.FindCheckInsOfTask(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(x, y *backend.CheckIn) int {
		return cmp.Or(x.DeviceTime.Compare(y.DeviceTime), strings.Compare(x.ID, y.ID))
	})
	for _, c := range cs {
		officer, err := s.officerName(ctx, names, c.InspectorID)
		if err != nil {
			return nil, err
		}
		d := c.DistanceM
		if v.Target.Location != nil && !c.NoPosition {
			m := math.Round(backend.Distance(c.Position, *v.Target.Location))
			d = &m
		}
		flags := c.Flags
		if flags == nil {
			flags = []string{}
		}
		v.CheckIns = append(v.CheckIns, ReviewCheckIn{
			ID: c.ID, InspectorID: c.InspectorID, Officer: officer, CertNo: c.CertNo, UserID: c.UserID,
			DeviceTime: c.DeviceTime, ServerTime: c.ServerTime, Position: c.Position, AccuracyM: c.AccuracyM,
			NoPosition: c.NoPosition, ManualUSCC: c.ManualUSCC, DistanceM: d, Flags: flags, Reason: c.Reason, Note: c.Note,
		})
	}
	support := map[string][]string{}
	for _, e := range t.Evidence {
		v.Evidence = append(v.Evidence, reviewEvidence(t.ID, e))
		if e.Question != "" {
			support[e.Question] = append(support[e.Question], e.ID)
		}
	}
	if t.Form != nil {
		for _, sec := range t.Form.Sections {
			rs := ReviewSection{ItemCode: sec.ItemCode, ItemName: sec.ItemCode, Questions: []ReviewQuestion{}}
			// The item's name and department as they are now: the form
			// holds only the template's questions.
			switch it, err := s.Items.FindItemByCode(ctx, sec.ItemCode); {
			case err == nil:
				rs.ItemName, rs.DepartmentID = it.Name, it.DepartmentID
			case !backend.IsCode(err, backend.ENOTFOUND):
				return nil, err
			}
			for _, q := range sec.Questions {
				key := backend.AnswerKey(sec.ItemCode, q.ID)
				rq := ReviewQuestion{Key: key, ID: q.ID, Text: q.Text, Type: q.Type, Options: q.Options, Required: q.Required,
					PhotoRequired: q.PhotoRequired, Basis: q.Basis, Evidence: support[key]}
				if ans, ok := t.Answers[key]; ok {
					rq.Answer = &ans
				}
				if rq.Evidence == nil {
					rq.Evidence = []string{}
				}
				rs.Questions = append(rs.Questions, rq)
			}
			v.Checklist = append(v.Checklist, rs)
		}
	}
	return v, nil
}

// reviewEvidence describes a slot with the addresses of its file. Only
// images that have arrived have a thumbnail and a preview.
func reviewEvidence(taskID string, e backend.EvidenceSlot) ReviewEvidence {
	base := "/api/v1/tasks/" + url.PathEscape(taskID) + "/evidence/" + url.PathEscape(e.ID)
	r := ReviewEvidence{
		ID: e.ID, Type: e.Type, ContentType: e.ContentType, Caption: e.Caption, Question: e.Question,
		CapturedAt: e.CapturedAt, Position: e.Position, DeclaredBy: e.DeclaredBy, DeviceID: e.DeviceID, DeclaredAt: e.DeclaredAt,
		Size: e.Size, SHA256: e.SHA256, Uploaded: e.Uploaded, Received: e.Received, URL: base,
	}
	if e.Uploaded && (e.Type == backend.EvidencePhoto || e.Type == backend.EvidenceSignature) {
		r.Thumbnail, r.Preview = base+"/thumbnail", base+"/preview"
	}
	return r
}
