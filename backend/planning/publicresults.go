package planning

import (
	"context"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// PublicResultQuery filters the public results list (open data): every
// field optional.
type PublicResultQuery struct {
	Department string             // among the result's departments
	PlanID     string             //
	Code       backend.ResultCode // the current category
	From, To   backend.Date       // the result date, inclusive
}

// PublicResult is one published result as anyone may read it: the
// columns of the national publicity system (检查实施机关, 类型, 日期, 结果)
// with the enterprise, the items, the follow-up and the versions. Never
// who published it, nor the team.
type PublicResult struct {
	ID          string                     `json:"id" doc:"the inspection task's id"`
	ResultDate  backend.Date               `json:"resultDate" doc:"日期: the day the result was produced (approved), Asia/Shanghai"`
	TargetID    string                     `json:"targetId"`
	USCC        string                     `json:"uscc,omitempty" doc:"统一社会信用代码, for market entities"`
	TargetName  string                     `json:"targetName"`
	Authority   string                     `json:"authority" doc:"检查实施机关: the lead department's name"`
	Departments []string                   `json:"departments" doc:"names of every department of the check"`
	Type        string                     `json:"type" doc:"类型: 双随机抽查 (drawn at random) or 其他检查"`
	PlanID      string                     `json:"planId,omitempty"`
	Items       []string                   `json:"items" doc:"names of the items checked"`
	Code        backend.ResultCode         `json:"code"`
	Label       string                     `json:"label" doc:"结果: the official wording of the current version"`
	FollowUp    string                     `json:"followUp,omitempty" doc:"后续处置 as published"`
	Version     int                        `json:"version" doc:"the public version in force, 1 for the first publication"`
	Reason      string                     `json:"reason,omitempty" doc:"why the version in force replaced the one before"`
	PublishedAt time.Time                  `json:"publishedAt" doc:"when the version in force was published"`
	History     []backend.PublishedVersion `json:"history" doc:"the earlier versions, oldest first"`
}

// PublicResults lists published results across targets, newest result
// date first, one keyset page at a time.
func (s *Service) PublicResults(ctx context.Context, q PublicResultQuery, page backend.PageRequest) (*backend.Page[*PublicResult], error) {
	if len(q.Department) > 100 {
		return nil, backend.Errorf(backend.EINVALID, "the department id is too long")
	}
	f, err := filterOf(backend.ViewPublished, q.PlanID, q.Code, q.From, q.To, s.today())
	if err != nil {
		return nil, err
	}
	if q.Department != "" {
		f.Departments = []string{q.Department}
	}
	f.Newest = true
	p, err := s.Register.FindResultEntries(ctx, f, page)
	if err != nil {
		return nil, err
	}
	names := s.namer(ctx)
	out := &backend.Page[*PublicResult]{Items: make([]*PublicResult, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, e := range p.Items {
		r, err := publicResultOf(e, names)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, r)
	}
	return out, nil
}

func publicResultOf(e *backend.ResultEntry, names *namer) (*PublicResult, error) {
	pub := backend.PublishedOf(e)
	r := &PublicResult{ID: e.ID, ResultDate: e.ResultDate, TargetID: e.TargetID, TargetName: e.TargetName, PlanID: e.PlanID,
		Code: pub.Code, Label: pub.Label, FollowUp: pub.FollowUp, Version: pub.Version, Reason: pub.Reason, PublishedAt: pub.PublishedAt,
		History: pub.History, Type: "其他检查", Departments: []string{}, Items: []string{}}
	if r.History == nil {
		r.History = []backend.PublishedVersion{}
	}
	if e.Random {
		r.Type = "双随机抽查"
	}
	if backend.ValidateUSCC(e.TargetID) == nil {
		r.USCC = e.TargetID
	}
	var err error
	if r.Authority, err = names.department(e.LeadDepartment); err != nil {
		return nil, err
	}
	for _, d := range e.Departments {
		n, err := names.department(d)
		if err != nil {
			return nil, err
		}
		r.Departments = append(r.Departments, n)
	}
	for _, code := range e.Items {
		n, err := names.item(code)
		if err != nil {
			return nil, err
		}
		r.Items = append(r.Items, n)
	}
	return r, nil
}

// namer names departments and items, each read once per list.
type namer struct {
	ctx   context.Context
	s     *Service
	depts map[string]string
	items map[string]string
}

func (s *Service) namer(ctx context.Context) *namer {
	return &namer{ctx: ctx, s: s, depts: map[string]string{}, items: map[string]string{}}
}

func (n *namer) department(id string) (string, error) {
	if v, ok := n.depts[id]; ok {
		return v, nil
	}
	d, err := n.s.Departments.FindDepartmentByID(n.ctx, id)
	name := id
	switch {
	case err == nil:
		name = d.Name
	case !backend.IsCode(err, backend.ENOTFOUND):
		return "", err
	}
	n.depts[id] = name
	return name, nil
}

func (n *namer) item(code string) (string, error) {
	if v, ok := n.items[code]; ok {
		return v, nil
	}
	it, err := n.s.Items.FindItemByCode(n.ctx, code)
	name := code
	switch {
	case err == nil:
		name = it.Name
	case !backend.IsCode(err, backend.ENOTFOUND):
		return "", err
	}
	n.items[code] = name
	return name, nil
}
