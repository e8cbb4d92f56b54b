package visit

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// CodeValidity is the shortest an inspection code (检查码) lives: one
// issued late in the evening still lasts this long.
const CodeValidity = 10 * time.Minute

// CodeValidityAt is how long a code issued at now stays valid: for the rest
// of the day in China (Asia/Shanghai), in whole minutes, so that a phone
// that fetched one before going down into a basement can show it offline
// all day, with its expiry; at least CodeValidity. A phone online fetches
// fresh ones, and ending the session (or revoking the device) withdraws
// every code it was given.
func CodeValidityAt(now time.Time) time.Duration {
	left := backend.DayEnd(now).Sub(now).Truncate(time.Minute)
	return max(left, CodeValidity)
}

// IssuedCode is an inspection code: the URL the QR symbol encodes and what
// it says.
type IssuedCode struct {
	TaskID    string    `json:"taskId"`
	Serial    string    `json:"serial"`
	URL       string    `json:"url"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// InspectionCodes signs and verifies inspection codes (the qr package).
type InspectionCodes interface {
	SignInspectionCode(ctx context.Context, taskID string, validity time.Duration) (*IssuedCode, error)
	// VerifyInspectionCode returns the code, or an EINVALID error whose
	// message says why it is not valid (expired, forged, revoked …).
	VerifyInspectionCode(ctx context.Context, raw string) (*IssuedCode, error)
}

// sighting is where the actor's request came from, now.
func (s *Service) sighting(a *backend.Actor) backend.Sighting {
	return backend.Sighting{UserID: a.UserID, DeviceID: a.DeviceID, Network: backend.AddressNetwork(a.ClientAddr), Last: s.Now()}
}

// NoteTeam records on the task's trace that a member of its team worked on
// it from the actor's address and device (sync pushes, check-ins).
func (s *Service) NoteTeam(ctx context.Context, a *backend.Actor, taskID string) error {
	return backend.UpdateTeamTrace(ctx, s.Traces, taskID, func(tr *backend.TeamTrace) bool { return tr.See(s.sighting(a)) })
}

// IssueCode gives a team member a fresh inspection code for an open task.
// The code is recorded with the login and device it goes to before it is
// handed out, and handed out only if the session is still open then: an
// administrator ending the session (or revoking the device) either finds
// the record and withdraws the code, or ended the session before the check
// here, which withdraws it itself.
func (s *Service) IssueCode(ctx context.Context, taskID string) (*IssuedCode, error) {
	const op = "IssueCode"
	a := backend.ActorFrom(ctx)
	if a == nil || !a.Fresh {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if s.Issued == nil || s.Sessions == nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no code issue store or session check configured"}
	}
	t, err := s.Tasks.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if a.Role != backend.RoleInspector || !slices.Contains(t.TeamUsers, a.UserID) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", taskID)
	}
	switch t.Status {
	case backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskReturned:
	default:
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: it has no inspection code", taskID, t.Status)
	}
	code, err := s.Inspection.SignInspectionCode(ctx, t.ID, CodeValidityAt(s.Now()))
	if err != nil {
		return nil, err
	}
	issue := &backend.CodeIssue{Serial: code.Serial, UserID: a.UserID, DeviceID: a.DeviceID, TaskID: t.ID,
		IssuedAt: code.IssuedAt, ExpiresAt: code.ExpiresAt}
	// The record travels with the issue's write (backend/outbox.go).
	issue.Record(backend.AuditRecord{Action: "code.issue", ObjectType: "task", ObjectID: t.ID, Change: code, Detail: "inspection code " + code.Serial})
	if err = s.Issued.RecordCodeIssue(ctx, issue); err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	if err := s.Sessions.CheckSession(ctx, a); err != nil {
		if _, rerr := s.Issued.RevokeIssuedCodes(ctx, a.UserID, a.DeviceID, s.Now().UTC(), "session ended while the code was issued"); rerr != nil {
			return nil, &backend.Error{Op: op, Err: rerr}
		}
		return nil, err
	}
	// From where the holder works: a rating made from there is the team's
	// own (the code's issue record above says whose it is).
	if err := backend.UpdateTeamTrace(ctx, s.Traces, t.ID, func(tr *backend.TeamTrace) bool {
		return tr.See(s.sighting(a))
	}); err != nil {
		return nil, err
	}
	return code, nil
}

// Officer is a team member as the enterprise sees them: the name and the
// enforcement certificate number it may check (亮证执法).
type Officer struct {
	Name   string `json:"name"`
	CertNo string `json:"certNo"`
}

// VisitView is what the enterprise learns by scanning an inspection code.
type VisitView struct {
	Genuine    bool               `json:"genuine"`
	Problem    string             `json:"problem,omitempty"` // why not, for a person to read
	TargetID   string             `json:"targetId,omitempty"`
	TargetName string             `json:"targetName,omitempty"`
	Random     bool               `json:"random"`
	PlanID     string             `json:"planId,omitempty"`
	DrawID     string             `json:"drawId,omitempty"` // the public draw record proves the random selection
	Trigger    *backend.Trigger   `json:"trigger,omitempty"`
	Items      []string           `json:"items,omitempty"` // item names
	Officers   []Officer          `json:"officers,omitempty"`
	Status     backend.TaskStatus `json:"status,omitempty"`
	ExpiresAt  *time.Time         `json:"expiresAt,omitempty"`
	Rating     *RatingStatus      `json:"rating,omitempty"` // whether this code may rate the visit now
}

// ViewCode checks an inspection code for anyone who scanned it. A code that
// is not valid is not an error: the view says why, so that the page can
// tell the enterprise it may refuse the inspection.
func (s *Service) ViewCode(ctx context.Context, raw string) (*VisitView, error) {
	code, err := s.Inspection.VerifyInspectionCode(ctx, raw)
	if err != nil {
		if backend.IsCode(err, backend.EINVALID) {
			return &VisitView{Problem: backend.ErrorMessage(err)}, nil
		}
		return nil, err
	}
	t, err := s.Tasks.FindTaskByID(ctx, code.TaskID)
	if backend.IsCode(err, backend.ENOTFOUND) {
		return &VisitView{Problem: "the code names a task that does not exist"}, nil // the page says it in Chinese (api.page.Problem)
	}
	if err != nil {
		return nil, err
	}
	if t.Status == backend.TaskCancelled || t.Status == backend.TaskReplaced {
		return &VisitView{Problem: "the inspection was cancelled"}, nil
	}
	v := &VisitView{Genuine: true, TargetID: t.TargetID, TargetName: t.TargetName, Random: t.Random, PlanID: t.PlanID,
		DrawID: t.DrawID, Trigger: t.Trigger, Status: t.Status, ExpiresAt: &code.ExpiresAt}
	if v.Items, v.Officers, err = s.describe(ctx, t); err != nil {
		return nil, err
	}
	if v.Rating, err = s.status(ctx, t, backend.RatingByInspectionCode, code.Serial); err != nil {
		return nil, err
	}
	return v, nil
}

// describe names a task's items and officers for the enterprise.
func (s *Service) describe(ctx context.Context, t *backend.Task) ([]string, []Officer, error) {
	var items []string
	var officers []Officer
	for _, c := range t.Items {
		name := c
		if it, err := s.Items.FindItemByCode(ctx, c); err == nil {
			name = it.Name
		}
		items = append(items, name)
	}
	for _, id := range t.Team {
		in, err := s.Inspectors.FindInspectorByID(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		officers = append(officers, Officer{Name: in.Name, CertNo: in.CertNo})
	}
	return items, officers, nil
}

// PublicEnterprise is what anyone may read about a market entity on the page
// its licence code opens and on the portal (一公开).
type PublicEnterprise struct {
	ID      string               `json:"id"`
	Name    string               `json:"name"`
	Address string               `json:"address,omitempty"`
	Status  backend.TargetStatus `json:"status"`
	Results []string             `json:"results"` // published inspections, one line each
	// Published are the same results with their parts, newest first.
	Published []PublicResult `json:"published"`
}

// PublicResult is one published result as the public reads it: names, not
// codes, and no staff user.
type PublicResult struct {
	Date        string             `json:"date"` // of publication, Asia/Shanghai
	Kind        string             `json:"kind"` // 双随机抽查 or 专项检查
	PlanID      string             `json:"planId,omitempty"`
	Code        backend.ResultCode `json:"code"`
	Label       string             `json:"label"`
	Items       []string           `json:"items"`       // item names
	Departments []string           `json:"departments"` // department names (检查实施机关)
}

// Line is the result in one line of Chinese.
func (r PublicResult) Line() string {
	s := r.Date + " " + r.Kind + "（" + strings.Join(r.Items, "、") + "）：" + r.Label
	if len(r.Departments) > 0 {
		s += "（检查实施机关：" + strings.Join(r.Departments, "、") + "）"
	}
	return s
}

// PublicEnterprise returns the public record of a market entity and its
// published results (one lookup: they are kept with the target).
func (s *Service) PublicEnterprise(ctx context.Context, uscc string) (*PublicEnterprise, error) {
	if err := backend.ValidateUSCC(uscc); err != nil {
		return nil, err
	}
	t, err := s.Targets.FindTargetByID(ctx, uscc)
	if err != nil {
		return nil, err
	}
	e := &PublicEnterprise{ID: t.ID, Name: t.Name, Address: t.Address, Status: t.Status, Results: []string{}, Published: []PublicResult{}}
	if s.Results == nil {
		return e, nil
	}
	rs, err := s.Results.PublishedResults(ctx, uscc)
	if err != nil {
		return nil, err
	}
	names := namer{s: s, items: map[string]string{}, depts: map[string]string{}}
	for _, r := range rs {
		kind := "双随机抽查"
		if !r.Random {
			kind = "专项检查"
		}
		pr := PublicResult{Date: backend.DateOf(r.PublishedAt).String(), Kind: kind, PlanID: r.PlanID, Code: r.Code, Label: r.Label,
			Items: make([]string, 0, len(r.Items)), Departments: make([]string, 0, len(r.Departments))}
		for _, c := range r.Items {
			pr.Items = append(pr.Items, names.item(ctx, c))
		}
		for _, d := range r.Departments {
			pr.Departments = append(pr.Departments, names.department(ctx, d))
		}
		e.Published = append(e.Published, pr)
		e.Results = append(e.Results, pr.Line())
	}
	return e, nil
}

// namer names items and departments once per answer. An item or a
// department that can no longer be read keeps its code: a published result
// is never hidden for it.
type namer struct {
	s     *Service
	items map[string]string
	depts map[string]string
}

func (n namer) item(ctx context.Context, code string) string {
	if name, ok := n.items[code]; ok {
		return name
	}
	name := code
	if it, err := n.s.Items.FindItemByCode(ctx, code); err == nil {
		name = it.Name
	}
	n.items[code] = name
	return name
}

func (n namer) department(ctx context.Context, id string) string {
	if name, ok := n.depts[id]; ok {
		return name
	}
	name := id
	if n.s.Departments != nil {
		if d, err := n.s.Departments.FindDepartmentByID(ctx, id); err == nil {
			name = d.Name
		}
	}
	n.depts[id] = name
	return name
}

// Search limits: the words of a search and the matches shown per page.
const (
	MaxSearchRunes = 60
	SearchPage     = 20
)

// EnterpriseHit is one search result: enough to choose the enterprise.
type EnterpriseHit struct {
	ID     string               `json:"id"`
	Name   string               `json:"name"`
	Status backend.TargetStatus `json:"status"`
}

// SearchEnterprises finds market entities for anyone (一公开): by their
// USCC when q is one (one lookup by id), else by a part of their name (the
// directory's index: in memory on the embedded store, a query on MongoDB).
// after pages on by the last id shown.
func (s *Service) SearchEnterprises(ctx context.Context, q, after string) (*backend.Page[EnterpriseHit], error) {
	q = strings.TrimSpace(q)
	out := &backend.Page[EnterpriseHit]{Items: []EnterpriseHit{}}
	switch n := len([]rune(q)); {
	case n == 0:
		return nil, backend.Errorf(backend.EINVALID, "the search is empty")
	case n > MaxSearchRunes:
		return nil, backend.Errorf(backend.EINVALID, "the search is longer than %d characters", MaxSearchRunes)
	}
	if u := strings.ToUpper(q); backend.ValidateUSCC(u) == nil {
		t, err := s.Targets.FindTargetByID(ctx, u)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, EnterpriseHit{ID: t.ID, Name: t.Name, Status: t.Status})
		return out, nil
	}
	f := backend.TargetFilter{NameContains: q}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	p := backend.PageRequest{After: after, Limit: SearchPage}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	page, err := s.Targets.FindTargets(ctx, f, p)
	if err != nil {
		return nil, err
	}
	for _, t := range page.Items {
		out.Items = append(out.Items, EnterpriseHit{ID: t.ID, Name: t.Name, Status: t.Status})
	}
	out.NextCursor = page.NextCursor
	return out, nil
}
