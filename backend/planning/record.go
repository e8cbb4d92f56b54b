package planning

import (
	"cmp"
	"context"
	"io"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/record"
)

// The inspection record (检查记录) of an approved or published task: what
// the review shows, gathered into a record.Record for backend/record to
// render. The staff of the task's departments (managers and reviewers) and
// administrators may have it; anyone else is told the task does not exist.

// Limits of the records. A rendering takes about 50 ms of one core and
// 40 MB of short-lived allocations (fpdf reads the whole embedded font for
// each document), so each instance renders at most RecordSlots at once
// and lets at most RecordQueue wait, each at most RecordMaxWait; more are
// refused at once (429) with a time to come back.
const (
	MaxSignatureBytes = 5 << 20 // the signature image read into a record (the evidence limits allow 5 MiB for a signature by default)
	RecordSlots       = 2
	RecordQueue       = 16
	RecordMaxWait     = 15 * time.Second
	recordTypical     = 100 * time.Millisecond
)

// NewRecordGate is the admission control of record renderings of one
// instance (Service.Records).
func NewRecordGate() *backend.Gate {
	return backend.NewGate(backend.GateConfig{Name: "inspection records", Slots: RecordSlots, Queue: RecordQueue, MaxWait: RecordMaxWait, Typical: recordTypical})
}

var evidenceTypeNames = map[backend.EvidenceType]string{
	backend.EvidencePhoto: "照片", backend.EvidenceVideo: "视频", backend.EvidenceAudio: "录音",
	backend.EvidenceDocument: "文件", backend.EvidenceSignature: "签名",
}

var checkInFlagNames = map[string]string{
	backend.FlagNoTask: "无任务签到", backend.FlagFarAway: "超出距离", backend.FlagNoLocation: "无登记位置",
	backend.FlagClockSkew: "时间偏差", backend.FlagLateSync: "延迟同步", backend.FlagBackfillDue: "待补录任务",
	backend.FlagFrequentVisit: "频繁检查",
}

// recordVisible reports whether a may have t's record.
func recordVisible(a *backend.Actor, t *backend.Task) bool {
	switch a.Role {
	case backend.RoleAdmin:
		return true
	case backend.RoleManager, backend.RoleReviewer:
		return slices.ContainsFunc(t.Departments, a.InDepartment)
	}
	return false
}

// TaskRecord gathers the inspection record of an approved or published
// task.
func (s *Service) TaskRecord(ctx context.Context, id string) (*record.Record, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	t, err := s.Tasks.FindTaskByID(ctx, id)
	if backend.IsCode(err, backend.ENOTFOUND) || err == nil && !recordVisible(a, t) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", id)
	}
	if err != nil {
		return nil, err
	}
	if t.Status != backend.TaskApproved && t.Status != backend.TaskPublished {
		return nil, backend.Errorf(backend.EINVALID, "task %s is %s: its inspection record is made once its result is approved", t.ID, t.Status)
	}
	t = t.ViewFor(a) // a department's record of a joint visit holds its parts until published
	v, err := s.reviewView(ctx, a, t)
	if err != nil {
		return nil, err
	}
	r := &record.Record{
		TaskID: t.ID, Batch: t.Batch, Due: t.Due, Kind: "定向检查",
		Enterprise:  record.Enterprise{Name: v.Target.Name, USCC: v.Target.ID, Address: v.Target.Address},
		GeneratedAt: s.Now(),
	}
	if t.Random {
		r.Kind = "不定向抽查"
	}
	switch {
	case t.PlanID != "":
		p, err := s.Plans.FindPlanByID(ctx, t.PlanID)
		switch {
		case err == nil:
			r.Title = p.Name
		case !backend.IsCode(err, backend.ENOTFOUND):
			return nil, err
		}
	case t.Trigger != nil:
		r.Title = t.Trigger.Reason
	}
	deps := map[string]string{}
	depName := func(id string) (string, error) {
		if n, ok := deps[id]; ok || id == "" {
			return n, nil
		}
		d, err := s.Departments.FindDepartmentByID(ctx, id)
		switch {
		case err == nil:
			deps[id] = d.Name
		case backend.IsCode(err, backend.ENOTFOUND):
			deps[id] = id
		default:
			return "", err
		}
		return deps[id], nil
	}
	for _, id := range t.Departments {
		n, err := depName(id)
		if err != nil {
			return nil, err
		}
		r.Departments = append(r.Departments, n)
	}
	for _, code := range t.Items {
		it := record.Item{Code: code, Name: code}
		switch item, err := s.Items.FindItemByCode(ctx, code); {
		case err == nil:
			it.Name, it.LegalBasis = item.Name, item.LegalBasis
		case !backend.IsCode(err, backend.ENOTFOUND):
			return nil, err
		}
		r.Items = append(r.Items, it)
	}
	people := map[string]string{} // login → name
	for _, o := range v.Team {
		dn, err := depName(o.DepartmentID)
		if err != nil {
			return nil, err
		}
		r.Team = append(r.Team, record.Officer{Name: o.Name, CertNo: o.CertNo, Department: dn})
		if o.UserID != "" {
			people[o.UserID] = o.Name
		}
	}
	for _, c := range v.CheckIns {
		ci := record.CheckIn{Officer: c.Officer, CertNo: c.CertNo, At: c.ServerTime, Position: c.Position, DistanceM: c.DistanceM}
		for _, f := range c.Flags {
			ci.Flags = append(ci.Flags, cmp.Or(checkInFlagNames[f], f))
		}
		r.CheckIns = append(r.CheckIns, ci)
	}
	for _, sec := range v.Checklist {
		rs := record.Section{ItemName: sec.ItemName}
		for _, q := range sec.Questions {
			rq := record.Question{Text: q.Text}
			if q.Answer != nil {
				rq.Answer, rq.Note = q.Answer.Value, q.Answer.Note
			}
			rs.Questions = append(rs.Questions, rq)
		}
		r.Sections = append(r.Sections, rs)
	}
	if res := t.Result; res != nil {
		r.Result = record.Result{
			Label: res.Label, Findings: res.Findings, FollowUp: res.FollowUp,
			EnteredBy: cmp.Or(people[res.EnteredBy], res.EnteredBy), EnteredAt: res.EnteredAt,
			Published: t.Status == backend.TaskPublished,
		}
	}
	for _, n := range slices.Backward(t.Reviews) {
		if n.Status == backend.TaskApproved {
			r.Result.ApprovedBy, r.Result.ApprovedAt = n.Reviewer, n.At
			break
		}
	}
	var sig *backend.EvidenceSlot
	for i, e := range t.Evidence {
		r.Evidence = append(r.Evidence, record.Evidence{
			ID: e.ID, Type: cmp.Or(evidenceTypeNames[e.Type], string(e.Type)), Caption: e.Caption,
			CapturedAt: e.CapturedAt, Size: e.Size, SHA256: e.SHA256,
		})
		if e.Type == backend.EvidenceSignature {
			sig = &t.Evidence[i] // the last one captured stands
		}
	}
	if err := s.recordSignature(ctx, r, sig); err != nil {
		return nil, err
	}
	if s.PublicURL != nil {
		if r.PublicURL, err = s.PublicURL(ctx, t.TargetID); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// recordSignature reads the enterprise's signature from the blob store,
// or notes why the record has none.
func (s *Service) recordSignature(ctx context.Context, r *record.Record, sig *backend.EvidenceSlot) error {
	switch {
	case sig == nil:
		r.SignatureNote = "未采集签名"
		return nil
	case !sig.Uploaded:
		r.SignatureNote = "签名文件尚未上传"
		return nil
	case s.Blobs == nil:
		r.SignatureNote = "签名文件不可读"
		return nil
	case sig.Size > MaxSignatureBytes:
		r.SignatureNote = "签名文件超过 " + backend.FormatBytes(MaxSignatureBytes)
		return nil
	}
	b, err := s.Blobs.Open(ctx, sig.SHA256)
	if backend.IsCode(err, backend.ENOTFOUND) {
		r.SignatureNote = "签名文件缺失"
		return nil
	}
	if err != nil {
		return err
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, MaxSignatureBytes+1))
	if err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "planning.recordSignature", Err: err}
	}
	r.Signature = data
	return nil
}

// WriteTaskRecord writes the inspection record of an approved or
// published task as a PDF.
func (s *Service) WriteTaskRecord(ctx context.Context, id string, w io.Writer) error {
	r, err := s.TaskRecord(ctx, id)
	if err != nil {
		return err
	}
	release, err := s.Records.Enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	return record.Write(w, r)
}
