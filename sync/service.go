package fcsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Service answers phones' pulls and pushes. Rules come from backend and
// its services (planning for status moves, visit for check-ins); this
// service adds the protocol: scopes, cursors, idempotency.
type Service struct {
	Tasks      backend.TaskStore
	Feed       backend.FeedStore
	Targets    backend.TargetStore
	Inspectors backend.InspectorStore
	Results    backend.PublishedResultStore
	Items      backend.ItemStore // the templates pulls send
	Planning   *planning.Service
	Visit      *visit.Service
	Keys       func(ctx context.Context) (*qr.PublicKeySet, error) // for offline verification
	Audit      *backend.AuditLog
	Now        func() time.Time
	// Evidence bounds declared files (the defaults when zero).
	Evidence backend.EvidenceLimits
	// Pushes admits pushes (NewPushGate); nil admits every one.
	Pushes *backend.Gate
	// Observe, when set, hears the status of every mutation a push
	// applied or refused (applied, duplicate, conflict, rejected): the
	// metrics.
	Observe func(status string)
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// inspector returns the calling inspector: phones sync for inspectors only.
func inspector(ctx context.Context, write bool) (*backend.Actor, error) {
	a := backend.ActorFrom(ctx)
	switch {
	case a == nil:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case write && !a.Fresh:
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	case a.Role != backend.RoleInspector:
		return nil, backend.Errorf(backend.EFORBIDDEN, "only enforcement officers sync tasks to a phone")
	}
	return a, nil
}

// inScope reports whether the task belongs on the user's phone, and if not
// why (the tombstone's reason).
func inScope(t *backend.Task, user string) (bool, string) {
	switch {
	case t.Status == backend.TaskCancelled:
		return false, "cancelled"
	case t.Status == backend.TaskReplaced:
		return false, "replaced"
	case !slices.Contains(t.TeamUsers, user):
		return false, "reassigned"
	}
	return true, ""
}

// Pull returns the next page of changes in the caller's scope after the
// cursor ("" for a full download), at most limit tasks (0 or more than
// MaxPullPage means MaxPullPage).
func (s *Service) Pull(ctx context.Context, rawCursor string, limit int) (*PullResponse, error) {
	a, err := inspector(ctx, false)
	if err != nil {
		return nil, err
	}
	c, err := parseCursor(rawCursor, a.UserID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxPullPage {
		limit = MaxPullPage
	}
	if c.Full {
		return s.pullFull(ctx, a, c, limit)
	}
	return s.pullChanges(ctx, a, c, limit)
}

// pullFull sends every task in scope, a page at a time, in the store's
// page order; the cursor carries the store's page cursor. The feed position is taken before the first page: whatever changes during
// the download is in the feed after it, and follows.
func (s *Service) pullFull(ctx context.Context, a *backend.Actor, c cursor, limit int) (*PullResponse, error) {
	resp := newPull(s.now())
	if c.AfterTask == "" && c.Seq == 0 {
		head, err := s.Feed.FeedHead(ctx, a.UserID)
		if err != nil {
			return nil, err
		}
		c.Seq = head
		if s.Keys != nil {
			if resp.Keys, err = s.Keys(ctx); err != nil {
				return nil, err
			}
		}
	}
	// The store's own paging (the login's tasks, in-scope statuses): a page
	// reads its own tasks, not the whole scope again.
	page, err := s.Tasks.FindTasks(ctx, backend.TaskFilter{TeamUser: a.UserID, Statuses: scopeStatuses},
		backend.PageRequest{After: c.AfterTask, Limit: limit})
	if err != nil {
		return nil, err
	}
	c.AfterTask = page.NextCursor
	c.Full = page.NextCursor != ""
	resp.More = true // the next page, or the changes made during the download
	if resp.Tasks, err = s.views(ctx, page.Items); err != nil {
		return nil, err
	}
	if resp.Templates, err = s.templates(ctx, &c, resp.Tasks); err != nil {
		return nil, err
	}
	resp.Cursor = c.String()
	return resp, nil
}

func newPull(now time.Time) *PullResponse {
	return &PullResponse{Protocol: Version, Tasks: []*TaskView{}, Templates: []*Template{}, Removed: []Tombstone{}, ServerTime: now}
}

// templates returns the templates the views' tasks name that the cursor
// has not sent yet, and records them in the cursor.
func (s *Service) templates(ctx context.Context, c *cursor, views []*TaskView) ([]*Template, error) {
	out := []*Template{}
	var ids []string
	for _, v := range views {
		for _, r := range v.Task.Checklist {
			id := r.TemplateID()
			if c.has(id) || slices.Contains(ids, id) {
				continue
			}
			tp, err := s.Items.FindTemplate(ctx, r.Item, r.Version)
			if err != nil {
				return nil, err
			}
			t := &Template{Item: tp.ItemCode, Version: tp.Version, ItemName: tp.ItemCode, Questions: tp.Questions}
			switch it, err := s.Items.FindItemByCode(ctx, r.Item); {
			case err == nil:
				t.ItemName, t.DepartmentID = it.Name, it.DepartmentID
			case !backend.IsCode(err, backend.ENOTFOUND):
				return nil, err
			}
			out = append(out, t)
			ids = append(ids, id)
		}
	}
	c.sent(ids)
	return out, nil
}

// scopeStatuses are the statuses of the tasks a phone holds (inScope).
var scopeStatuses = []backend.TaskStatus{
	backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted,
	backend.TaskReturned, backend.TaskApproved, backend.TaskPublished,
}

// pullChanges reads the feed after the cursor and answers each task named
// there with its current state, or a tombstone if it left the scope.
func (s *Service) pullChanges(ctx context.Context, a *backend.Actor, c cursor, limit int) (*PullResponse, error) {
	resp := newPull(s.now())
	entries, head, err := s.Feed.ReadFeed(ctx, a.UserID, c.Seq, limit)
	if err != nil {
		return nil, err
	}
	if c.Seq > head {
		return nil, backend.Errorf(backend.ECONFLICT, "this cursor is ahead of the server (was the store restored from a backup?): pull from the start with an empty cursor")
	}
	var order []string
	seen := map[string]bool{}
	for _, e := range entries {
		c.Seq = e.Seq
		if e.TaskID != "" && !seen[e.TaskID] {
			seen[e.TaskID] = true
			order = append(order, e.TaskID)
		}
	}
	var live []*backend.Task
	for _, id := range order {
		t, err := s.Tasks.FindTaskByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			resp.Removed = append(resp.Removed, Tombstone{TaskID: id, Reason: "removed"})
			continue
		}
		if err != nil {
			return nil, err
		}
		if ok, why := inScope(t, a.UserID); !ok {
			resp.Removed = append(resp.Removed, Tombstone{TaskID: id, Reason: why})
			continue
		}
		live = append(live, t)
	}
	if resp.Tasks, err = s.views(ctx, live); err != nil {
		return nil, err
	}
	if resp.Templates, err = s.templates(ctx, &c, resp.Tasks); err != nil {
		return nil, err
	}
	resp.More = c.Seq < head && len(entries) == limit
	resp.Pending = c.Seq < head && len(entries) < limit
	resp.Cursor = c.String()
	return resp, nil
}

// views adds to each task what the phone needs offline. Targets, officers
// and results are read by id, once per page.
func (s *Service) views(ctx context.Context, tasks []*backend.Task) ([]*TaskView, error) {
	out := make([]*TaskView, 0, len(tasks))
	members := map[string]Member{}
	// The published results of the page's targets in one read: one per
	// task made a first download of 500 tasks take half a minute on a
	// store 50 ms away.
	var results map[string][]backend.PublishedResult
	if s.Results != nil && len(tasks) > 0 {
		ids := make([]string, len(tasks))
		for i, t := range tasks {
			ids[i] = t.TargetID
		}
		var err error
		if results, err = s.Results.PublishedResultsOf(ctx, ids); err != nil {
			return nil, err
		}
	}
	for _, t := range tasks {
		v := &TaskView{Task: t, Team: []Member{}}
		tg, err := s.Targets.FindTargetByID(ctx, t.TargetID)
		switch {
		case err == nil:
			v.Target = TargetInfo{ID: tg.ID, Name: tg.Name, Address: tg.Address, RegionCode: tg.RegionCode, Location: tg.Location, Status: tg.Status}
		case backend.IsCode(err, backend.ENOTFOUND):
			v.Target = TargetInfo{ID: t.TargetID, Name: t.TargetName}
		default:
			return nil, err
		}
		v.Target.Results = []backend.PublishedResult{}
		if rs := results[t.TargetID]; rs != nil {
			v.Target.Results = rs
		}
		for _, id := range t.Team {
			m, ok := members[id]
			if !ok {
				in, err := s.Inspectors.FindInspectorByID(ctx, id)
				if backend.IsCode(err, backend.ENOTFOUND) {
					continue
				}
				if err != nil {
					return nil, err
				}
				m = Member{InspectorID: in.ID, Name: in.Name, CertNo: in.CertNo, CertExpiry: in.CertExpiry, DepartmentID: in.DepartmentID, UserID: in.UserID}
				members[id] = m
			}
			v.Team = append(v.Team, m)
		}
		out = append(out, v)
	}
	return out, nil
}

// Push applies a batch of mutations in order, each on its own: one that is
// refused does not stop the others. Consecutive mutations of one task
// (what a phone sends after a visit) are applied in one write of the task,
// each still answered on its own: a day's batch costs a write per task
// visited, not per tap.
func (s *Service) Push(ctx context.Context, req *PushRequest) (*PushResponse, error) {
	release, err := s.Admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.PushAdmitted(ctx, req)
}

// Admit takes a slot of the push gate for the caller's push, or refuses it
// (429 or 503 with a time to come back); release gives the slot back. The
// HTTP route takes it before it decodes the body, so that a busy server
// spends no CPU on a push it refuses.
func (s *Service) Admit(ctx context.Context) (release func(), err error) {
	a, err := inspector(ctx, true)
	if err != nil {
		return nil, err
	}
	if a.DeviceID == "" {
		return nil, backend.Errorf(backend.EFORBIDDEN, "this session is not bound to a device: log in on the phone again")
	}
	return s.Pushes.Enter(ctx)
}

// PushAdmitted is Push for a caller that holds a slot of the push gate
// (Admit).
func (s *Service) PushAdmitted(ctx context.Context, req *PushRequest) (*PushResponse, error) {
	a, err := inspector(ctx, true)
	if err != nil {
		return nil, err
	}
	ms := req.Mutations
	resp := &PushResponse{Protocol: Version, Results: make([]MutationResult, len(ms))}
	for i := 0; i < len(ms); {
		j := i + 1
		if ms[i].Entity != EntityCheckIn {
			for j < len(ms) && ms[j].TaskID == ms[i].TaskID && ms[j].Entity != EntityCheckIn {
				j++
			}
		}
		if err := s.applyRun(ctx, a, ms[i:j], resp.Results[i:j]); err != nil {
			// The store failed: stop here. What was applied is recorded;
			// the phone resends the rest.
			return nil, err
		}
		i = j
	}
	if s.Observe != nil {
		for _, r := range resp.Results {
			s.Observe(r.Status)
		}
	}
	return resp, nil
}

// applyRun applies mutations of one task (or one check-in) and fills out.
// It returns an error only when the store failed.
func (s *Service) applyRun(ctx context.Context, a *backend.Actor, ms []Mutation, out []MutationResult) error {
	fatal := func(err error) bool {
		code := backend.ErrorCode(err)
		return code == backend.EUNAVAILABLE || code == backend.EINTERNAL
	}
	if ms[0].Entity == EntityCheckIn {
		r, err := s.checkIn(ctx, a, ms[0])
		if err != nil {
			if fatal(err) {
				return err
			}
			r = refused(ms[0].OpID, err)
		}
		out[0] = r
		return nil
	}
	ps := make([]*prepared, len(ms))
	for i, m := range ms {
		p, err := s.prepare(ctx, a, m)
		if err != nil {
			out[i] = refused(m.OpID, err)
			continue
		}
		ps[i] = p
	}
	if !slices.ContainsFunc(ps, func(p *prepared) bool { return p != nil }) {
		return nil
	}
	prefix := backend.OpKey(a.UserID, a.DeviceID, "")
	var details []string
	t, err := backend.UpdateTaskWith(ctx, s.Tasks, ms[0].TaskID, func(t *backend.Task) (bool, error) {
		if !slices.Contains(t.TeamUsers, a.UserID) {
			return false, backend.Errorf(backend.ENOTFOUND, "task %q is not one of yours", t.ID)
		}
		stored := t.CloneWork() // what a conflict shows
		details = details[:0]
		write := false
		for i, p := range ps {
			if p == nil {
				continue
			}
			r, detail, err := s.applyOne(ctx, t, stored, p, a.UserID, prefix)
			if err != nil {
				return false, err
			}
			out[i] = r
			if r.Status == Applied {
				write = true
				details = append(details, p.m.OpID+" "+detail)
			}
		}
		// The record travels with the write (backend/outbox.go): a resend,
		// answered as a duplicate, finds the change recorded or on its way.
		t.Audit = []backend.AuditRecord{{Action: "sync.push", ObjectType: "task", ObjectID: t.ID, Change: t,
			Detail: fmt.Sprintf("device %s: %s", a.DeviceID, strings.Join(details, "; "))}}
		return write, nil
	})
	if err != nil {
		if fatal(err) {
			return err
		}
		for i, p := range ps {
			if p != nil {
				out[i] = refused(p.m.OpID, err)
			}
		}
		return nil
	}
	if len(details) == 0 {
		return nil
	}
	for i := range out {
		if out[i].Status == Applied {
			out[i].Version = t.Version
		}
	}
	// Where the team works from, for the oversight of ratings: a hint, so
	// a failure to note it does not undo the push's answer.
	_ = s.Visit.NoteTeam(ctx, a, t.ID)
	return nil
}

// onSite ranks the statuses a phone moves a task through.
var onSite = map[backend.TaskStatus]int{backend.TaskAccepted: 1, backend.TaskCheckedIn: 2}

// prepared is a decoded mutation ready to apply to its task.
type prepared struct {
	m      Mutation
	key    string
	hash   string
	strict bool // a status move or a result: refused if others changed the task since its base
	apply  func(t *backend.Task, now time.Time) (string, error)
}

func refused(op string, err error) MutationResult {
	r := MutationResult{OpID: op, Status: Rejected, Code: backend.ErrorCode(err), Message: backend.ErrorMessage(err)}
	if r.Code == backend.ECONFLICT {
		r.Status = Conflict
	}
	if mp := (*backend.MissingPhotos)(nil); errors.As(err, &mp) {
		r.MissingPhotos = mp.Questions
	}
	return r
}

// opHash fingerprints a mutation's meaning: the decoded payload, encoded
// again, so that the same change sent twice matches byte for byte.
func opHash(m Mutation, payload any) string {
	b, _ := json.Marshal(struct {
		Entity  string `json:"e"`
		TaskID  string `json:"t"`
		Base    int64  `json:"b"`
		Payload any    `json:"p"`
	}{m.Entity, m.TaskID, m.BaseVersion, payload})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// decodePayload decodes a mutation's payload into its entity's type,
// strictly and within MaxPayloadBytes.
func decodePayload(m Mutation, v any) error {
	if len(m.Payload) > MaxPayloadBytes {
		return &backend.Error{Code: backend.ETOOLARGE, Message: fmt.Sprintf("a payload is limited to %d bytes", MaxPayloadBytes)}
	}
	if err := decodeStrict(m.Payload, v); err != nil {
		return backend.Errorf(backend.EINVALID, "payload of %s: %s", m.Entity, backend.ErrorMessage(err))
	}
	return nil
}

// prepare checks a mutation's envelope and decodes its payload.
func (s *Service) prepare(ctx context.Context, a *backend.Actor, m Mutation) (*prepared, error) {
	if m.TaskID == "" || len(m.TaskID) > 100 {
		return nil, backend.Errorf(backend.EINVALID, "taskId is required (1-100 bytes)")
	}
	if m.BaseVersion < 0 {
		return nil, backend.Errorf(backend.EINVALID, "baseVersion cannot be negative")
	}
	p := &prepared{m: m, key: backend.OpKey(a.UserID, a.DeviceID, m.OpID)}
	decode := func(v any) error {
		if err := decodePayload(m, v); err != nil {
			return err
		}
		p.hash = opHash(m, v)
		return nil
	}
	switch m.Entity {
	case EntityTask:
		var x TaskPayload
		if err := decode(&x); err != nil {
			return nil, err
		}
		p.strict = true
		p.apply = func(t *backend.Task, now time.Time) (string, error) {
			if x.To != backend.TaskAccepted && x.To != backend.TaskCheckedIn {
				return "", backend.Errorf(backend.EINVALID, "a phone moves a task to accepted or checked_in; it submits with a result")
			}
			if len(x.Comment) > 2000 {
				return "", backend.Errorf(backend.EINVALID, "the comment is limited to 2000 bytes")
			}
			if onSite[t.Status] >= onSite[x.To] && onSite[t.Status] > 0 {
				// The team got there first (a teammate's check-in moved
				// the task on): nothing to move, nothing to refuse.
				return fmt.Sprintf("already %s", t.Status), nil
			}
			if err := s.Planning.CheckMove(ctx, a, t, x.To); err != nil {
				return "", err
			}
			from := t.Status
			t.Status = x.To
			return fmt.Sprintf("%s -> %s %s", from, x.To, x.Comment), nil
		}
	case EntityAnswers:
		var x AnswersPayload
		if err := decode(&x); err != nil {
			return nil, err
		}
		p.apply = func(t *backend.Task, now time.Time) (string, error) {
			n, err := t.MergeAnswers(x.Answers, a.UserID, a.DeviceID, now)
			return fmt.Sprintf("answers: %d of %d newer than stored", n, len(x.Answers)), err
		}
	case EntityEvidence:
		var x EvidencePayload
		if err := decode(&x); err != nil {
			return nil, err
		}
		p.apply = func(t *backend.Task, now time.Time) (string, error) {
			n, err := t.DeclareEvidence(x.Files, s.Evidence, a.UserID, a.DeviceID, now)
			return fmt.Sprintf("evidence: %d files declared, %d new", len(x.Files), n), err
		}
	case EntityWithdrawal:
		var x WithdrawalPayload
		if err := decode(&x); err != nil {
			return nil, err
		}
		p.apply = func(t *backend.Task, now time.Time) (string, error) {
			removed, err := t.WithdrawEvidence(x.Slots)
			if err != nil {
				return "", err
			}
			// The audit entry of the push names what went: each slot's file.
			gone := make([]string, len(removed))
			for i, e := range removed {
				gone[i] = fmt.Sprintf("%s (%s sha256 %s size %d)", e.ID, e.Type, e.SHA256, e.Size)
			}
			return fmt.Sprintf("withdrawal: %d of %d slots withdrawn: %s", len(removed), len(x.Slots), strings.Join(gone, ", ")), nil
		}
	case EntityResult:
		var x ResultPayload
		if err := decode(&x); err != nil {
			return nil, err
		}
		p.strict = true
		p.apply = func(t *backend.Task, now time.Time) (string, error) {
			if !t.Status.Editable() {
				return "", backend.Errorf(backend.EINVALID, "task %s is %s: a submitted result is changed only after a reviewer returns it", t.ID, t.Status)
			}
			if err := t.SetResult(x, a.UserID, now); err != nil {
				return "", err
			}
			if err := s.Planning.CheckMove(ctx, a, t, backend.TaskSubmitted); err != nil {
				return "", err
			}
			from := t.Status
			t.Status = backend.TaskSubmitted
			return fmt.Sprintf("%s -> submitted with result %s", from, x.Code), nil
		}
	default:
		return nil, backend.Errorf(backend.EINVALID, "unknown entity %q: one of task, checkin, answers, result, evidence, withdrawal", m.Entity)
	}
	return p, nil
}

// applyOne applies a prepared mutation to t in memory: not applied
// before, a base version the task has reached, still in the caller's
// scope and, for a strict change, nobody else changed the task since the
// base. A refused mutation leaves t as it was. The error is the store's,
// looking for an old operation's record.
func (s *Service) applyOne(ctx context.Context, t, stored *backend.Task, p *prepared, user, prefix string) (MutationResult, string, error) {
	m := p.m
	rec, ok, err := backend.FindTaskOp(ctx, s.Tasks, t, p.key, m.BaseVersion)
	if err != nil {
		return MutationResult{}, "", err
	}
	if ok {
		if rec.Hash != p.hash {
			return refused(m.OpID, backend.Errorf(backend.ECONFLICT, "operation %s was sent before with a different body; it was not applied again", m.OpID)), "", nil
		}
		return MutationResult{OpID: m.OpID, Status: Duplicate, Version: rec.Version}, "", nil
	}
	if m.BaseVersion > stored.Version {
		return refused(m.OpID, backend.Errorf(backend.EINVALID, "baseVersion %d is ahead of the task's version %d", m.BaseVersion, stored.Version)), "", nil
	}
	if ok, why := inScope(t, user); !ok {
		return refused(m.OpID, backend.Errorf(backend.EINVALID, "task %s was %s: it is no longer yours to change", t.ID, why)), "", nil
	}
	if p.strict && stored.ChangedByOthers(m.BaseVersion, prefix) {
		r := refused(m.OpID, backend.Errorf(backend.ECONFLICT, "task %s was changed by someone else since version %d (now %d): look at the current task and decide again", t.ID, m.BaseVersion, stored.Version))
		r.Task = stored
		return r, "", nil
	}
	before := t.CloneWork()
	detail, err := p.apply(t, s.now())
	if err == nil {
		err = t.AddOp(p.key, p.hash)
	}
	if err != nil {
		*t = *before
		return refused(m.OpID, err), "", nil
	}
	return MutationResult{OpID: m.OpID, Status: Applied}, detail, nil
}

// checkIn records a check-in; its id is the operation id, which makes the
// visit service's own idempotency the operation's.
func (s *Service) checkIn(ctx context.Context, a *backend.Actor, m Mutation) (MutationResult, error) {
	var p CheckInPayload
	if err := decodePayload(m, &p); err != nil {
		return MutationResult{}, err
	}
	id := checkInID(a, m.OpID)
	req := visit.CheckInRequest{
		ID: id, Code: p.Code, USCC: p.USCC, Position: p.Position, AccuracyM: p.AccuracyM, DeviceTime: p.DeviceTime,
		TaskID: m.TaskID, Reason: p.Reason, Reference: p.Reference, Note: p.Note,
	}
	prev, err := s.Visit.CheckIns.FindCheckIn(ctx, id)
	switch {
	case err == nil:
		if prev.UserID != a.UserID || prev.DeviceTime.Compare(p.DeviceTime.UTC().Truncate(time.Millisecond)) != 0 || !samePosition(prev, p.Position) {
			return MutationResult{}, backend.Errorf(backend.ECONFLICT, "operation %s was sent before with a different body; it was not applied again", m.OpID)
		}
		c, err := s.Visit.CheckIn(ctx, req) // completes a first attempt that stopped half-way
		if err != nil {
			return MutationResult{}, err
		}
		return MutationResult{OpID: m.OpID, Status: Duplicate, CheckIn: c}, nil
	case !backend.IsCode(err, backend.ENOTFOUND):
		return MutationResult{}, err
	}
	c, err := s.Visit.CheckIn(ctx, req)
	if err != nil {
		return MutationResult{}, err
	}
	if c.TaskID != "" && c.TaskID != m.TaskID {
		// Recorded all the same (the inspector was there), against the task
		// the server found for this enterprise; the phone learns which.
		return MutationResult{OpID: m.OpID, Status: Applied, CheckIn: c, Message: "recorded for task " + c.TaskID}, nil
	}
	return MutationResult{OpID: m.OpID, Status: Applied, CheckIn: c}, nil
}

// samePosition reports whether a recorded check-in has the position a
// replayed payload names (none, or the same point).
func samePosition(c *backend.CheckIn, p *backend.GeoPoint) bool {
	if p == nil {
		return c.NoPosition
	}
	return !c.NoPosition && c.Position == *p
}

// checkInID derives the check-in's id from the device's operation: unique
// per login and device, within the 64 characters a check-in id may have.
func checkInID(a *backend.Actor, op string) string {
	h := sha256.Sum256([]byte(backend.OpKey(a.UserID, a.DeviceID, op)))
	return "ci-" + hex.EncodeToString(h[:20])
}
