package planning

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Credit linkage (docs/credit.md): the 经营异常名录's proposals and
// decisions, the enterprises' objections, repair and removal applications
// and their answers, the credit record.

// Limits of the filings' floods, counted in the store (ThrottleStore) so
// that every instance counts together.
const (
	CreditFilingsPerAddress    = 10 // filings from one client address per CreditAddressWindow
	CreditAddressWindow        = time.Hour
	CreditFilingsPerEnterprise = 5 // filings for one enterprise per CreditEnterpriseWindow
	CreditEnterpriseWindow     = 24 * time.Hour
	maxProposalsScanned        = 200 // published results proposing a listing that one queue reads
)

const intentCreditClass = "credit-class" // a listing's decision, then its target's credit class

// LicenceCodeVerifier verifies an enterprise's licence code (the path and
// query it opened): its USCC and the signing key's id.
type LicenceCodeVerifier interface {
	VerifyEnterpriseCode(ctx context.Context, raw string) (uscc, keyID string, err error)
}

func (s *Service) registerCreditIntents() {
	s.Intents.Handle(intentCreditClass, func(ctx context.Context, in *backend.Intent) error {
		l, err := s.Credit.FindListing(ctx, in.ObjectID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.settleCreditClass(ctx, l)
	})
}

// requireCreditManager lets managers of dept (and administrators) decide.
func (s *Service) requireCreditManager(ctx context.Context, action, objectType, id, dept string) (*backend.Actor, error) {
	a := actorOf(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	}
	if a.Role == backend.RoleAdmin || a.Role == backend.RoleManager && a.InDepartment(dept) {
		return a, nil
	}
	err := backend.Errorf(backend.EFORBIDDEN, "only managers of department %s decide this", dept)
	_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: objectType, ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
	return nil, err
}

// creditDepartments are the departments whose queue the caller reads:
// managers their own, administrators every one (nil).
func creditDepartments(a *backend.Actor) ([]string, error) {
	switch {
	case a == nil:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "sign in to read the credit queue")
	case a.Role == backend.RoleAdmin:
		return nil, nil
	case a.Role == backend.RoleManager:
		return slices.Clone(a.Departments), nil
	}
	return nil, backend.Errorf(backend.EFORBIDDEN, "the credit queue is for managers")
}

// ListingProposal is a published result that proposes a listing, not
// decided yet.
type ListingProposal struct {
	ResultID   string       `json:"resultId"`
	TargetID   string       `json:"targetId"`
	TargetName string       `json:"targetName"`
	Department string       `json:"department"`
	ResultDate backend.Date `json:"resultDate"`
	Label      string       `json:"label"`
}

// QueuedApplication is a filing as the queue shows it on a day.
type QueuedApplication struct {
	*backend.CreditApplication
	KindLabel string `json:"kindLabel"`
	// DaysLeft are the working days from today to the deadline (0 on the
	// day, negative never: Overdue then), when the deadline is known.
	DaysLeft *int `json:"daysLeft,omitempty"`
	Overdue  bool `json:"overdue"`
}

// CreditQueue is what a department has to decide.
type CreditQueue struct {
	Today        backend.Date         `json:"today"`
	Proposals    []ListingProposal    `json:"proposals"`
	Applications []*QueuedApplication `json:"applications"`
	Listed       []*backend.Listing   `json:"listed"`
}

func (s *Service) queued(a *backend.CreditApplication, today backend.Date) *QueuedApplication {
	q := &QueuedApplication{CreditApplication: a, KindLabel: a.Kind.Label()}
	if a.State != backend.ApplicationPending || a.Deadline == "" {
		return q
	}
	if a.Deadline < today {
		q.Overdue = true
		return q
	}
	if n, err := backend.WorkingDaysBetween(today, a.Deadline); err == nil {
		q.DaysLeft = &n
	}
	return q
}

// CreditQueue lists the caller's departments' listing proposals, pending
// filings (earliest filed first, with the working days left) and listed
// enterprises (for their removal).
func (s *Service) CreditQueue(ctx context.Context) (*CreditQueue, error) {
	depts, err := creditDepartments(actorOf(ctx))
	if err != nil {
		return nil, err
	}
	today := s.today()
	q := &CreditQueue{Today: today, Proposals: []ListingProposal{}, Applications: []*QueuedApplication{}, Listed: []*backend.Listing{}}
	entries, err := s.Register.FindResultEntries(ctx, backend.ResultFilter{Departments: depts, States: []backend.ResultState{backend.ResultPublished}, Code: backend.ListingCause},
		backend.PageRequest{Limit: maxProposalsScanned})
	if err != nil {
		return nil, err
	}
	for _, e := range entries.Items {
		if !backend.Proposes(e) || depts != nil && !slices.Contains(depts, e.LeadDepartment) {
			continue
		}
		if _, err := s.Credit.FindListing(ctx, backend.ListingID(e.ID)); err == nil {
			continue
		} else if !backend.IsCode(err, backend.ENOTFOUND) {
			return nil, err
		}
		q.Proposals = append(q.Proposals, ListingProposal{ResultID: e.ID, TargetID: e.TargetID, TargetName: e.TargetName, Department: e.LeadDepartment, ResultDate: e.ResultDate, Label: e.Label})
	}
	apps, err := s.Credit.FindCreditApplications(ctx, backend.CreditFilter{Departments: depts, State: backend.ApplicationPending}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, a := range apps.Items {
		q.Applications = append(q.Applications, s.queued(a, today))
	}
	listed, err := s.Credit.FindListings(ctx, backend.ListingFilter{Departments: depts, State: backend.ListingListed}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	q.Listed = listed.Items
	return q, nil
}

// ListingDecision confirms or rejects a listing proposal.
type ListingDecision struct {
	List   bool   `json:"list" doc:"true: list the enterprise (列入经营异常名录); false: reject the proposal"`
	Reason string `json:"reason" doc:"the decision's reason, 1-1000 characters"`
}

// DecideListing confirms (the enterprise is listed, its credit class
// becomes D) or rejects the listing proposal of a published result; by a
// manager of the result's lead department, once.
func (s *Service) DecideListing(ctx context.Context, resultID string, d ListingDecision) (*backend.Listing, error) {
	if err := backend.CheckCreditReason(d.Reason); err != nil {
		return nil, err
	}
	e, err := s.Register.FindResultEntry(ctx, resultID)
	if err != nil {
		return nil, err
	}
	a, err := s.requireCreditManager(ctx, "listing.decide", "result", resultID, e.LeadDepartment)
	if err != nil {
		return nil, err
	}
	if !backend.Proposes(e) {
		return nil, backend.Errorf(backend.EINVALID, "result %s does not propose a listing: only a published result %s does", resultID, backend.ListingCause.Label())
	}
	t, err := s.Targets.FindTargetByID(ctx, e.TargetID)
	if err != nil {
		return nil, err
	}
	at := s.stamp()
	l := &backend.Listing{ID: backend.ListingID(resultID), TargetID: e.TargetID, TargetName: e.TargetName, Department: e.LeadDepartment, ResultID: resultID,
		Cause: backend.ListingCause, CauseLabel: backend.ListingCause.Label(), ProposedOn: e.ResultDate, DecidedOn: backend.DateOf(at),
		Reason: strings.TrimSpace(d.Reason), DecidedBy: a.UserID, PreviousClass: t.CreditClass,
		History: []backend.ListingEvent{{At: at, Action: "propose", Source: resultID}}}
	l.State, l.History = backend.ListingRejected, append(l.History, backend.ListingEvent{At: at, Action: "reject", Reason: l.Reason, By: a.UserID})
	action := "listing.reject"
	if d.List {
		l.State, l.History[1].Action, action = backend.ListingListed, "list", "listing.list"
	}
	in, err := s.Intents.Begin(ctx, intentCreditClass, l.ID, "listing", l.ID, action)
	if err != nil {
		return nil, err
	}
	l.Record(backend.AuditRecord{Action: action, ObjectType: "listing", ObjectID: l.ID, Change: l, Detail: fmt.Sprintf("%s %s: %s", e.TargetID, l.State, l.Reason)})
	if err := s.Credit.CreateListing(ctx, l); err != nil {
		s.Intents.Done(ctx, in)
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "the listing proposal of result %s is decided already", resultID)
		}
		return nil, err
	}
	if err := s.settleCreditClass(ctx, l); err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, in)
	return l, nil
}

// settleCreditClass gives l's target the credit class its listing's state
// implies (idempotent: the roll-forward calls it again).
func (s *Service) settleCreditClass(ctx context.Context, l *backend.Listing) error {
	for range maxRetries {
		t, err := s.Targets.FindTargetByID(ctx, l.TargetID)
		if err != nil {
			return err
		}
		want := l.ClassAfter(t.CreditClass)
		if want == t.CreditClass {
			return nil
		}
		from := t.CreditClass
		t.CreditClass = want
		t.Record(backend.AuditRecord{Action: "target.credit-class", ObjectType: "target", ObjectID: t.ID, Change: t,
			Detail: fmt.Sprintf("%s -> %s (listing %s %s)", from, want, l.ID, l.State)})
		err = s.Targets.UpdateTarget(ctx, t)
		if !backend.IsCode(err, backend.ECONFLICT) {
			return err
		}
	}
	return backend.Errorf(backend.ECONFLICT, "target %s kept changing; its credit class is set by the roll-forward", l.TargetID)
}

// FormPart is one field of a filing's form as it arrives: a text field
// (FileName empty) or a file.
type FormPart struct {
	Field, FileName string
	Body            io.Reader
}

// CreditFiling is a filing as the licence-code page posts it.
type CreditFiling struct {
	Code       string // the licence code: the page's path and query
	ClientAddr string
	// Next returns the form's next part, io.EOF after the last.
	Next func() (*FormPart, error)
}

// FileCreditApplication records an enterprise's objection, repair or
// removal application, made with its genuine licence code: the
// throttles are taken first (per address and per enterprise, ETOOMANY),
// then the form is read — its text fields bounded, at most
// MaxCreditAttachments files of PDF, JPEG or PNG (by their bytes) of at
// most MaxCreditAttachment bytes each, streamed to spool files and put
// into the blob store only once the filing is accepted, so that a refused
// filing leaves no blob.
func (s *Service) FileCreditApplication(ctx context.Context, f CreditFiling) (*backend.CreditApplication, error) {
	uscc, kid, err := s.LicenceCodes.VerifyEnterpriseCode(ctx, f.Code)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	for _, lim := range []struct {
		key    string
		window time.Duration
		max    int
	}{{"credit-addr:" + f.ClientAddr, CreditAddressWindow, CreditFilingsPerAddress}, {"credit-target:" + uscc, CreditEnterpriseWindow, CreditFilingsPerEnterprise}} {
		n, err := s.Throttle.AddThrottle(ctx, lim.key, lim.window, now, 1)
		if err != nil {
			return nil, err
		}
		if n > lim.max {
			_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: "credit.file.refused", ObjectType: "target", ObjectID: uscc, Outcome: backend.OutcomeDenied, Detail: "rate limit " + lim.key})
			return nil, backend.Errorf(backend.ETOOMANY, "短时间内提交的申请过多，请稍后再试。")
		}
	}
	a := &backend.CreditApplication{TargetID: uscc, ClientAddr: f.ClientAddr, CodeKeyID: kid, State: backend.ApplicationPending, Attachments: []backend.CreditAttachment{}}
	// The files wait in spool files until the filing is accepted: a
	// refused one stores nothing in the blob store.
	var spooled []*os.File
	defer func() {
		for _, sf := range spooled {
			_ = sf.Close()
			_ = os.Remove(sf.Name())
		}
	}()
	if err := s.readFiling(ctx, a, f.Next, &spooled); err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkSubject(ctx, a); err != nil {
		return nil, err
	}
	pending, err := s.Credit.FindCreditApplications(ctx, backend.CreditFilter{TargetID: uscc, State: backend.ApplicationPending}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, p := range pending.Items {
		if p.Kind == a.Kind && p.ResultID == a.ResultID && p.ListingID == a.ListingID {
			return nil, backend.Errorf(backend.ECONFLICT, "已有一份同样的申请正在办理（%s 提交），请等待答复。", p.FiledOn)
		}
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "FileCreditApplication", Err: err}
	}
	for i, sf := range spooled {
		if err := s.storeSpooled(ctx, sf, &a.Attachments[i]); err != nil {
			return nil, err
		}
	}
	a.FiledOn = backend.DateOf(now)
	a.ID = fmt.Sprintf("cr-%s-%s", a.FiledOn, hex.EncodeToString(id))
	a.SetDeadline()
	a.Record(backend.AuditRecord{Action: "credit.file", ObjectType: "credit-application", ObjectID: a.ID, Change: a, Detail: fmt.Sprintf("%s %s %s%s", a.Kind, uscc, a.ResultID, a.ListingID)})
	if err := s.Credit.CreateCreditApplication(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// readFiling reads the form's parts into a, each file into a spool file
// appended to spooled (a.Attachments[i] is spooled[i], without its
// SHA-256 until it is stored).
func (s *Service) readFiling(ctx context.Context, a *backend.CreditApplication, next func() (*FormPart, error), spooled *[]*os.File) error {
	seen := map[string]bool{}
	var subject string
	fields := map[string]*string{"subject": &subject, "text": &a.Text, "contact": &a.Contact}
	for {
		p, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return backend.Errorf(backend.EINVALID, "表单没有完整收到，请重新提交。")
		}
		if p.Field == "attachment" {
			if p.FileName == "" {
				continue // the file input left empty
			}
			if len(a.Attachments) == backend.MaxCreditAttachments {
				return backend.Errorf(backend.EINVALID, "附件最多 %d 个。", backend.MaxCreditAttachments)
			}
			att, sf, err := spoolAttachment(p)
			if sf != nil {
				*spooled = append(*spooled, sf)
			}
			if err != nil {
				return err
			}
			if att != nil {
				a.Attachments = append(a.Attachments, *att)
			}
			continue
		}
		dst, known := fields[p.Field]
		switch {
		case !known || p.FileName != "":
			return backend.Errorf(backend.EINVALID, "表单中有页面上没有的内容（%s），请从页面重新提交。", p.Field)
		case seen[p.Field]:
			return backend.Errorf(backend.EINVALID, "表单中的一项（%s）填写了两次，请从页面重新提交。", p.Field)
		}
		seen[p.Field] = true
		b, err := io.ReadAll(io.LimitReader(p.Body, backend.MaxCreditField+1))
		if err != nil {
			return backend.Errorf(backend.EINVALID, "表单没有完整收到，请重新提交。")
		}
		if len(b) > backend.MaxCreditField {
			return backend.Errorf(backend.EINVALID, "申请说明最多 %d 字。", backend.MaxCreditText)
		}
		*dst = strings.TrimSpace(string(b))
	}
	kind, id, _ := strings.Cut(subject, ":")
	a.Kind = backend.CreditKind(kind)
	if a.Kind == backend.CreditRemoval {
		a.ListingID = id
	} else {
		a.ResultID = id
	}
	return nil
}

// CreditSubject is one thing an enterprise may file about, as the
// licence-code page offers it: Value is "<kind>:<result or listing id>".
type CreditSubject struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// CreditSubjects are what the enterprise may file about: an objection to
// each published result, a repair of each one with a problem, the removal
// of each listing in force. Anyone reads them (all of it is public).
func (s *Service) CreditSubjects(ctx context.Context, targetID string) ([]CreditSubject, error) {
	out := []CreditSubject{}
	if s.Credit == nil || s.Results == nil {
		return out, nil
	}
	rs, err := s.Results.PublishedResults(ctx, targetID)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		// Dated as the page lists the results: by the day of publication.
		when := backend.DateOf(r.PublishedAt)
		out = append(out, CreditSubject{Value: string(backend.CreditObjection) + ":" + r.TaskID, Label: fmt.Sprintf("异议：%s 公示的检查结果", when)})
		if r.Code != backend.ResultNoProblem {
			out = append(out, CreditSubject{Value: string(backend.CreditRepair) + ":" + r.TaskID, Label: fmt.Sprintf("信用修复：%s 公示的检查结果", when)})
		}
	}
	ls, err := s.Credit.FindListings(ctx, backend.ListingFilter{TargetID: targetID, State: backend.ListingListed}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, l := range ls.Items {
		out = append(out, CreditSubject{Value: string(backend.CreditRemoval) + ":" + l.ID, Label: fmt.Sprintf("申请移出经营异常名录（%s 列入）", l.DecidedOn)})
	}
	return out, nil
}

// spoolAttachment streams one file to a spool file (never whole in
// memory) after checking its first bytes and bounding its size; an empty
// file is skipped (nil, nil). The spool file, once made, is returned even
// with an error, for the caller to remove.
func spoolAttachment(p *FormPart) (*backend.CreditAttachment, *os.File, error) {
	head := make([]byte, 8)
	n, err := io.ReadFull(p.Body, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, nil, backend.Errorf(backend.EINVALID, "附件没有完整收到，请重新提交。")
	}
	if n == 0 {
		return nil, nil, nil
	}
	ct := backend.AttachmentType(head[:n])
	if ct == "" {
		return nil, nil, backend.Errorf(backend.EINVALID, "附件“%s”不是 PDF、JPEG 或 PNG 文件。", backend.AttachmentName(p.FileName))
	}
	sf, err := os.CreateTemp("", "fieldcheck-filing-*")
	if err != nil {
		return nil, nil, &backend.Error{Code: backend.EINTERNAL, Op: "FileCreditApplication", Err: err}
	}
	lim := &io.LimitedReader{R: io.MultiReader(bytes.NewReader(head[:n]), p.Body), N: backend.MaxCreditAttachment + 1}
	size, err := io.Copy(sf, lim)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, sf, backend.Errorf(backend.ETIMEOUT, "附件没有按时收到，请重新提交。")
	case err != nil:
		return nil, sf, backend.Errorf(backend.EINVALID, "附件没有完整收到，请重新提交。")
	}
	if size > backend.MaxCreditAttachment {
		return nil, sf, backend.Errorf(backend.EINVALID, "附件“%s”超过 %d MB。", backend.AttachmentName(p.FileName), backend.MaxCreditAttachment>>20)
	}
	return &backend.CreditAttachment{Name: backend.AttachmentName(p.FileName), ContentType: ct, Size: size}, sf, nil
}

// storeSpooled puts an accepted filing's spooled file into the blob store
// and gives its attachment the SHA-256.
func (s *Service) storeSpooled(ctx context.Context, sf *os.File, att *backend.CreditAttachment) error {
	if _, err := sf.Seek(0, io.SeekStart); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "FileCreditApplication", Err: err}
	}
	sha, size, err := s.Blobs.Put(ctx, sf, "")
	if err != nil {
		return err
	}
	if size != att.Size {
		return &backend.Error{Code: backend.EINTERNAL, Op: "FileCreditApplication", Message: fmt.Sprintf("attachment %s: %d bytes stored of %d spooled", att.Name, size, att.Size)}
	}
	att.SHA256 = sha
	return nil
}

// checkSubject checks that what a filing is about is the enterprise's:
// a published result of it (objection, repair: one with a problem), or
// its listing on the list (removal); and sets the department that answers.
func (s *Service) checkSubject(ctx context.Context, a *backend.CreditApplication) error {
	notFound := backend.Errorf(backend.EINVALID, "没有找到申请针对的公示结果或名录记录，请从页面重新选择。")
	if a.Kind == backend.CreditRemoval {
		a.ResultID = ""
		l, err := s.Credit.FindListing(ctx, a.ListingID)
		if backend.IsCode(err, backend.ENOTFOUND) || err == nil && l.TargetID != a.TargetID {
			return notFound
		}
		if err != nil {
			return err
		}
		if l.State != backend.ListingListed {
			return backend.Errorf(backend.EINVALID, "该记录已不在经营异常名录中，无需申请移出。")
		}
		a.Department, a.TargetName = l.Department, l.TargetName
		return nil
	}
	a.ListingID = ""
	e, err := s.Register.FindResultEntry(ctx, a.ResultID)
	if backend.IsCode(err, backend.ENOTFOUND) || err == nil && (e.TargetID != a.TargetID || e.State != backend.ResultPublished) {
		return notFound
	}
	if err != nil {
		return err
	}
	if a.Kind == backend.CreditRepair && e.Code == backend.ResultNoProblem {
		return backend.Errorf(backend.EINVALID, "该结果为“未发现问题”，无需信用修复。")
	}
	a.Department, a.TargetName = e.LeadDepartment, e.TargetName
	return nil
}

// CreditDecision answers a filing.
type CreditDecision struct {
	Version int64                 `json:"version" doc:"the filing's version as read"`
	Outcome backend.CreditOutcome `json:"outcome" enum:"corrected,annotated,upheld,granted,refused" doc:"objection: corrected (更正), annotated (加注), upheld (维持); repair and removal: granted, refused"`
	Reason  string                `json:"reason" doc:"the answer's reason, published with the outcome (1-1000 characters; no personal data)"`
	Code    backend.ResultCode    `json:"code,omitempty" doc:"corrected: the result's new category" enum:"no-problem,corrected,follow-up,not-disclosed,unreachable,obstructed,no-activity,closed,deregistered,rectified"`
}

// DecideCreditApplication answers a pending filing, by a manager of its
// department: an objection corrects the result (a new public version of
// the new category), annotates it (a new version of the same category
// with the note) or upholds it; a granted repair annotates the result; a
// granted removal removes the listing and gives the credit class back.
func (s *Service) DecideCreditApplication(ctx context.Context, id string, d CreditDecision) (*QueuedApplication, error) {
	a, err := s.Credit.FindCreditApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	actor, err := s.requireCreditManager(ctx, "credit.decide", "credit-application", id, a.Department)
	if err != nil {
		return nil, err
	}
	if err := backend.CheckDecision(a.Kind, d.Outcome, d.Reason); err != nil {
		return nil, err
	}
	if a.State != backend.ApplicationPending {
		return nil, backend.Errorf(backend.EINVALID, "filing %s is answered already", id)
	}
	if d.Version != a.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "filing %s was changed by someone else; reload and try again", id)
	}
	reason := strings.TrimSpace(d.Reason)
	switch {
	case a.Kind == backend.CreditRemoval && d.Outcome == backend.OutcomeGranted:
		if err := s.removeListing(ctx, a, reason, actor); err != nil {
			return nil, err
		}
	case d.Outcome == backend.OutcomeCorrected, d.Outcome == backend.OutcomeAnnotated, a.Kind == backend.CreditRepair && d.Outcome == backend.OutcomeGranted:
		n, err := s.versionFor(ctx, a, d, reason)
		if err != nil {
			return nil, err
		}
		a.ResultVersion = n
	}
	at := s.stamp()
	a.State, a.Outcome, a.Reason, a.DecidedOn, a.DecidedBy = backend.ApplicationDecided, d.Outcome, reason, backend.DateOf(at), actor.UserID
	a.Record(backend.AuditRecord{Action: "credit.decide", ObjectType: "credit-application", ObjectID: a.ID, Change: a, Detail: fmt.Sprintf("%s %s: %s", a.Kind, a.Outcome, reason)})
	if err := s.Credit.UpdateCreditApplication(ctx, a); err != nil {
		return nil, err
	}
	return s.queued(a, s.today()), nil
}

// versionFor makes the public version an answer asks for, through the
// register's correction (its permission checks, its intent); a version
// carrying the filing's marker already (an answer that stopped after it)
// is not made twice.
func (s *Service) versionFor(ctx context.Context, a *backend.CreditApplication, d CreditDecision, reason string) (int, error) {
	e, err := s.Register.FindResultEntry(ctx, a.ResultID)
	if err != nil {
		return 0, err
	}
	if cur := e.Current(); cur != nil && strings.Contains(cur.Reason, a.Marker()) {
		return cur.N, nil
	}
	code, text := e.Code, "异议答复（加注）："+reason
	switch {
	case d.Outcome == backend.OutcomeCorrected:
		if !d.Code.Valid() && d.Code != backend.ResultRectified {
			return 0, backend.Errorf(backend.EINVALID, "a correction names the result's new category (code)")
		}
		if d.Code == e.Code {
			return 0, backend.Errorf(backend.EINVALID, "the result is %s already: a correction changes the category (or annotate it)", e.Code)
		}
		code, text = d.Code, "根据企业异议更正："+reason
	case a.Kind == backend.CreditRepair:
		text = "信用修复：" + reason
	}
	r, err := s.CorrectResult(ctx, a.ResultID, EntryChange{Version: e.Version, Code: code, Reason: text + a.Marker()})
	if err != nil {
		return 0, err
	}
	return r.Current().N, nil
}

// removeListing removes a's listing (移出) and gives the credit class back.
func (s *Service) removeListing(ctx context.Context, a *backend.CreditApplication, reason string, actor *backend.Actor) error {
	l, err := s.Credit.FindListing(ctx, a.ListingID)
	if err != nil {
		return err
	}
	if l.State == backend.ListingRemoved && l.RemovalApplication == a.ID {
		return s.settleCreditClass(ctx, l) // an answer that stopped after the removal
	}
	if l.State != backend.ListingListed {
		return backend.Errorf(backend.EINVALID, "listing %s is %s: only a listed enterprise is removed", l.ID, l.State)
	}
	in, err := s.Intents.Begin(ctx, intentCreditClass, l.ID+"/remove", "listing", l.ID, "listing.remove")
	if err != nil {
		return err
	}
	at := s.stamp()
	l.State, l.RemovedOn, l.RemovalReason, l.RemovalApplication = backend.ListingRemoved, backend.DateOf(at), reason, a.ID
	l.History = append(l.History, backend.ListingEvent{At: at, Action: "remove", Reason: reason, By: actor.UserID, Source: a.ID})
	l.Record(backend.AuditRecord{Action: "listing.remove", ObjectType: "listing", ObjectID: l.ID, Change: l, Detail: fmt.Sprintf("%s removed on %s: %s", l.TargetID, a.ID, reason)})
	if err := s.Credit.UpdateListing(ctx, l); err != nil {
		s.Intents.Done(ctx, in)
		return err
	}
	if err := s.settleCreditClass(ctx, l); err != nil {
		return err
	}
	s.Intents.Done(ctx, in)
	return nil
}

// CreditRecord is an enterprise's credit record as staff read it.
type CreditRecord struct {
	TargetID     string                       `json:"targetId"`
	Name         string                       `json:"name"`
	CreditClass  backend.CreditClass          `json:"creditClass,omitempty"`
	Results      []backend.PublishedResult    `json:"results"`
	Listings     []*backend.Listing           `json:"listings"`
	Applications []*backend.CreditApplication `json:"applications"`
}

// TargetCredit is a target's credit record for staff: any signed-in
// staff reads it; an applicant's phone only the managers of the
// department that answers (and administrators).
func (s *Service) TargetCredit(ctx context.Context, targetID string) (*CreditRecord, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "sign in to read a credit record")
	}
	if a.Role == backend.RoleInspector {
		return nil, backend.Errorf(backend.EFORBIDDEN, "credit records are read by managers, reviewers, the oversight office and administrators")
	}
	t, err := s.Targets.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	r := &CreditRecord{TargetID: t.ID, Name: t.Name, CreditClass: t.CreditClass, Results: []backend.PublishedResult{}}
	if s.Results != nil {
		if r.Results, err = s.Results.PublishedResults(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	ls, err := s.Credit.FindListings(ctx, backend.ListingFilter{TargetID: t.ID}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	as, err := s.Credit.FindCreditApplications(ctx, backend.CreditFilter{TargetID: t.ID}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	r.Listings, r.Applications = ls.Items, as.Items
	for _, x := range r.Applications {
		if a.Role != backend.RoleAdmin && !(a.Role == backend.RoleManager && a.InDepartment(x.Department)) {
			x.Contact = ""
		}
	}
	return r, nil
}

// CreditAttachmentBlob opens attachment n (from 0) of a filing, for the
// managers of the department that answers it.
func (s *Service) CreditAttachmentBlob(ctx context.Context, id string, n int) (backend.CreditAttachment, backend.Blob, error) {
	a, err := s.Credit.FindCreditApplication(ctx, id)
	if err != nil {
		return backend.CreditAttachment{}, nil, err
	}
	actor := actorOf(ctx)
	if actor == nil {
		return backend.CreditAttachment{}, nil, backend.Errorf(backend.EUNAUTHENTICATED, "sign in to read a filing")
	}
	if actor.Role != backend.RoleAdmin && !(actor.Role == backend.RoleManager && actor.InDepartment(a.Department)) {
		return backend.CreditAttachment{}, nil, backend.Errorf(backend.EFORBIDDEN, "the filings of department %s are read by its managers", a.Department)
	}
	if n < 0 || n >= len(a.Attachments) {
		return backend.CreditAttachment{}, nil, backend.Errorf(backend.ENOTFOUND, "filing %s has no attachment %d", id, n)
	}
	b, err := s.Blobs.Open(ctx, a.Attachments[n].SHA256)
	return a.Attachments[n], b, err
}

// PublicListing is a listing as the public reads it: no staff, no reason
// of a rejection (a rejected proposal is not public).
type PublicListing struct {
	ID            string               `json:"id"`
	State         backend.ListingState `json:"state" enum:"listed,removed"`
	StateLabel    string               `json:"stateLabel"`
	Cause         string               `json:"cause"`
	Authority     string               `json:"authority"` // the deciding department's name
	ListedOn      backend.Date         `json:"listedOn"`
	RemovedOn     backend.Date         `json:"removedOn,omitempty"`
	RemovalReason string               `json:"removalReason,omitempty"`
}

// PublicAnswer is the published outcome of a filing: what it was about
// and the department's answer, never the enterprise's text, phone or
// files.
type PublicAnswer struct {
	Kind          string       `json:"kind"`
	ResultID      string       `json:"resultId,omitempty"`
	FiledOn       backend.Date `json:"filedOn"`
	Authority     string       `json:"authority"`
	Outcome       string       `json:"outcome"`
	Reason        string       `json:"reason"`
	DecidedOn     backend.Date `json:"decidedOn"`
	ResultVersion int          `json:"resultVersion,omitempty"`
}

// PublicCredit is the public part of a credit record: listings (listed
// or removed) and answered filings.
type PublicCredit struct {
	Listings []PublicListing `json:"listings"`
	Answers  []PublicAnswer  `json:"answers"`
}

// PublicCredit is what the portal and the licence-code page show of an
// enterprise's credit record. Anyone reads it.
func (s *Service) PublicCredit(ctx context.Context, targetID string) (*PublicCredit, error) {
	out := &PublicCredit{Listings: []PublicListing{}, Answers: []PublicAnswer{}}
	if s.Credit == nil {
		return out, nil
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if d, err := s.Departments.FindDepartmentByID(ctx, id); err == nil {
			n = d.Name
		}
		names[id] = n
		return n
	}
	ls, err := s.Credit.FindListings(ctx, backend.ListingFilter{TargetID: targetID}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, l := range ls.Items {
		if l.State == backend.ListingRejected {
			continue
		}
		out.Listings = append(out.Listings, PublicListing{ID: l.ID, State: l.State, StateLabel: l.State.Label(), Cause: l.CauseLabel, Authority: name(l.Department),
			ListedOn: l.DecidedOn, RemovedOn: l.RemovedOn, RemovalReason: l.RemovalReason})
	}
	as, err := s.Credit.FindCreditApplications(ctx, backend.CreditFilter{TargetID: targetID, State: backend.ApplicationDecided}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	for _, a := range as.Items {
		out.Answers = append(out.Answers, PublicAnswer{Kind: a.Kind.Label(), ResultID: a.ResultID, FiledOn: a.FiledOn, Authority: name(a.Department),
			Outcome: a.Outcome.Label(), Reason: a.Reason, DecidedOn: a.DecidedOn, ResultVersion: a.ResultVersion})
	}
	return out, nil
}
