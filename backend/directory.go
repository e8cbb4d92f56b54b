package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Directory is the service behind the two directories (targets, inspectors
// and experts), the item list with its checklist templates, and the
// departments. It checks who may read and change what, enforces the rules,
// and records every change in the audit log.
type Directory struct {
	Departments DepartmentStore
	Targets     TargetStore
	Inspectors  InspectorStore
	Items       ItemStore
	Users       UserStore // the logins inspector records are linked to
	Audit       *AuditLog
	Now         func() time.Time // today's certificate states; nil = time.Now
}

func (s *Directory) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Back-office roles may read the directories; inspectors see targets only
// through their tasks (mobile API).
var backOffice = []Role{RoleAdmin, RoleManager, RoleReviewer}

func requireReader(ctx context.Context, roles ...Role) (*Actor, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.Is(roles...) {
		return nil, Errorf(EFORBIDDEN, "role %s may not read this", a.Role)
	}
	return a, nil
}

// deny records a refused change and returns err.
func (s *Directory) deny(ctx context.Context, action, objType, objID string, err error) error {
	_, _ = s.Audit.Append(ctx, AuditRecord{Action: action, ObjectType: objType, ObjectID: objID, Outcome: OutcomeDenied, Detail: ErrorMessage(err)})
	return err
}

// change is the audit record of a change, which travels with its write
// (outbox.go): the store appends it, or its sweeper does after a crash.
func change(action, objType, objID string, c any) AuditRecord {
	return AuditRecord{Action: action, ObjectType: objType, ObjectID: objID, Change: c}
}

func (s *Directory) checkDepartments(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if _, err := s.Departments.FindDepartmentByID(ctx, id); err != nil {
			if IsCode(err, ENOTFOUND) {
				return Errorf(EINVALID, "unknown department %q", id)
			}
			return err
		}
	}
	return nil
}

// ---- departments ----

// ListDepartments returns every department. Any logged-in user may read them.
func (s *Directory) ListDepartments(ctx context.Context) ([]*Department, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	return s.Departments.FindDepartments(ctx)
}

// CreateDepartment adds a department (administrators only).
func (s *Directory) CreateDepartment(ctx context.Context, d *Department) error {
	if _, err := requireWriter(ctx, RoleAdmin); err != nil {
		return s.deny(ctx, "department.create", "department", d.ID, err)
	}
	if err := d.Validate(); err != nil {
		return err
	}
	d.Record(change("department.create", "department", d.ID, d))
	if err := s.Departments.CreateDepartment(ctx, d); err != nil {
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "department %q already exists", d.ID)
		}
		return err
	}
	return nil
}

// UpdateDepartment renames a department (administrators only).
func (s *Directory) UpdateDepartment(ctx context.Context, d *Department) error {
	if _, err := requireWriter(ctx, RoleAdmin); err != nil {
		return s.deny(ctx, "department.update", "department", d.ID, err)
	}
	if err := d.Validate(); err != nil {
		return err
	}
	old, err := s.Departments.FindDepartmentByID(ctx, d.ID)
	if err != nil {
		return err
	}
	d.CreatedAt = old.CreatedAt
	d.Record(change("department.update", "department", d.ID, d))
	return s.Departments.UpdateDepartment(ctx, d)
}

// ---- targets ----

// GetTarget returns one target of the directory.
func (s *Directory) GetTarget(ctx context.Context, id string) (*Target, error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	return s.Targets.FindTargetByID(ctx, id)
}

// ListTargets returns one page of targets matching f.
func (s *Directory) ListTargets(ctx context.Context, f TargetFilter, p PageRequest) (*Page[*Target], error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Targets.FindTargets(ctx, f, p)
}

// MaxTargetExport is the most targets one export of the directory holds.
const MaxTargetExport = 100000

// ExportTargets checks f as ListTargets does, then calls fn with each
// target it selects, in no particular order, at most limit of them, and
// reports whether more matched.
func (s *Directory) ExportTargets(ctx context.Context, f TargetFilter, limit int, fn func(*Target) error) (more bool, err error) {
	if err := s.CheckTargetExport(ctx, f); err != nil {
		return false, err
	}
	n := 0
	err = s.Targets.ScanTargets(ctx, f, func(t *Target) error {
		if n == limit {
			more = true
			return errEnoughTargets
		}
		n++
		return fn(t)
	})
	if errors.Is(err, errEnoughTargets) {
		err = nil
	}
	return more, err
}

// CheckTargetExport refuses what ExportTargets would refuse, before an
// answer starts.
func (s *Directory) CheckTargetExport(ctx context.Context, f TargetFilter) error {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return err
	}
	return f.Validate()
}

var errEnoughTargets = errors.New("enough targets read")

// CreateTarget adds a target. Administrators and department managers
// maintain the target directory.
func (s *Directory) CreateTarget(ctx context.Context, t *Target) error {
	if _, err := requireWriter(ctx, RoleAdmin, RoleManager); err != nil {
		return s.deny(ctx, "target.create", "target", t.ID, err)
	}
	normalizeTarget(t)
	if err := t.Validate(); err != nil {
		return err
	}
	// The record travels with the write (outbox.go).
	t.Record(change("target.create", "target", t.ID, t))
	if err := s.Targets.CreateTarget(ctx, t); err != nil {
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "target %s already exists", t.ID)
		}
		return err
	}
	return nil
}

// UpdateTarget replaces a target; t.Version must be the version read.
func (s *Directory) UpdateTarget(ctx context.Context, t *Target) error {
	if _, err := requireWriter(ctx, RoleAdmin, RoleManager); err != nil {
		return s.deny(ctx, "target.update", "target", t.ID, err)
	}
	normalizeTarget(t)
	if err := t.Validate(); err != nil {
		return err
	}
	old, err := s.Targets.FindTargetByID(ctx, t.ID)
	if err != nil {
		return err
	}
	if old.Kind != t.Kind {
		return Errorf(EINVALID, "the kind of target %s cannot change", t.ID)
	}
	t.CreatedAt = old.CreatedAt
	t.Record(change("target.update", "target", t.ID, t))
	return s.Targets.UpdateTarget(ctx, t)
}

func normalizeTarget(t *Target) {
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if t.Kind == "" && len(t.ID) == 18 {
		t.Kind = USCCKind(t.ID)
	}
}

// ---- inspectors and experts ----

// canManageDepartment reports whether a may change objects of department dept.
func canManageDepartment(a *Actor, dept string) bool {
	return a.Role == RoleAdmin || (a.Role == RoleManager && a.InDepartment(dept))
}

// GetInspector returns one inspector, with its certificate's state today.
func (s *Directory) GetInspector(ctx context.Context, id string) (*Inspector, error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	in, err := s.Inspectors.FindInspectorByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.certStates(in)
	return in, nil
}

// certStates sets the certificate states of inspectors read for today.
func (s *Directory) certStates(ins ...*Inspector) {
	now := s.now()
	day, horizon := DateOf(now), CertHorizon(now)
	for _, in := range ins {
		in.CertState = in.CertStateOn(day, horizon)
	}
}

// certBounds narrows f to the inspectors whose certificate is in state
// st on the day of now (expired: last valid day before today; expiring:
// from today to CertHorizon; valid: after it).
func certBounds(f *InspectorFilter, st CertState, now time.Time) error {
	day, horizon := DateOf(now), CertHorizon(now)
	switch st {
	case "":
	case CertExpired:
		f.CertExpiryTo = DateOf(now.AddDate(0, 0, -1))
	case CertExpiring:
		f.CertExpiryFrom, f.CertExpiryTo = day, horizon
	case CertValid:
		f.CertExpiryFrom = DateOf(now.AddDate(0, 0, CertificateWarningDays+1))
	default:
		return Errorf(EINVALID, "certificate state %q must be expired, expiring or valid", st)
	}
	return nil
}

// ListInspectors returns one page of inspectors. The whole directory is
// visible to the back office: joint plans draw across departments.
func (s *Directory) ListInspectors(ctx context.Context, f InspectorFilter, p PageRequest) (*Page[*Inspector], error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	for _, d := range f.DepartmentIDs {
		if !ValidID(d) {
			return nil, Errorf(EINVALID, "department %q is malformed", d)
		}
	}
	if err := checkText("specialty", f.Specialty, 0, 40); err != nil {
		return nil, err
	}
	f.Q = strings.TrimSpace(f.Q)
	if err := checkText("search", f.Q, 0, MaxInspectorSearch); err != nil {
		return nil, err
	}
	if err := certBounds(&f, f.CertState, s.now()); err != nil {
		return nil, err
	}
	if f.Sort != "" && !slices.Contains(InspectorSorts, f.Sort) {
		return nil, Errorf(EINVALID, "sort %q must be one of %s (or nothing, for id order)", f.Sort, strings.Join(InspectorSorts, ", "))
	}
	for _, d := range []Date{f.CertExpiryFrom, f.CertExpiryTo} {
		if d != "" && !d.Valid() {
			return nil, Errorf(EINVALID, "certificate expiry bound %q must be YYYY-MM-DD", d)
		}
	}
	page, err := s.Inspectors.FindInspectors(ctx, f, p)
	if err != nil {
		return nil, err
	}
	s.certStates(page.Items...)
	return page, nil
}

func (s *Directory) checkInspector(ctx context.Context, action string, in *Inspector) error {
	a, err := requireWriter(ctx, RoleAdmin, RoleManager)
	if err == nil && !canManageDepartment(a, in.DepartmentID) {
		err = Errorf(EFORBIDDEN, "you may only manage inspectors of your own department")
	}
	if err != nil {
		return s.deny(ctx, action, "inspector", in.ID, err)
	}
	if in.Specialties == nil {
		in.Specialties = []string{}
	}
	if in.Conflicts == nil {
		in.Conflicts = []Conflict{}
	}
	if in.Leave == nil {
		in.Leave = []Period{}
	}
	in.CertState = "" // the server's answer, never the client's
	if err := in.Validate(); err != nil {
		return err
	}
	if err := s.checkDepartments(ctx, in.DepartmentID); err != nil {
		return err
	}
	if err := s.checkLogin(ctx, in); err != nil {
		return s.deny(ctx, action, "inspector", in.ID, err)
	}
	return nil
}

// checkLogin allows an inspector record to be linked only to an existing
// inspector login of the record's own department, and to one no other
// record is linked to: the link is what makes a login an officer on a
// team (its tasks on a phone, its check-ins counted), so it must never
// make a reviewer, a manager or another department's officer one.
func (s *Directory) checkLogin(ctx context.Context, in *Inspector) error {
	if in.UserID == "" {
		return nil
	}
	u, err := s.Users.FindUserByID(ctx, in.UserID)
	switch {
	case IsCode(err, ENOTFOUND):
		return Errorf(EINVALID, "inspector %s: there is no login %q to link to", in.ID, in.UserID)
	case err != nil:
		return err
	case u.Role != RoleInspector:
		return Errorf(EINVALID, "inspector %s: login %s is a %s, not an inspector; only an inspector's login can be linked", in.ID, u.ID, u.Role)
	case !slices.Contains(u.Departments, in.DepartmentID):
		return Errorf(EINVALID, "inspector %s: login %s is not an inspector of %s", in.ID, u.ID, in.DepartmentID)
	}
	other, err := s.Inspectors.FindInspectorByUserID(ctx, in.UserID)
	switch {
	case err == nil && other.ID != in.ID:
		return Errorf(ECONFLICT, "inspector %s: login %s is linked to inspector %s already", in.ID, in.UserID, other.ID)
	case err != nil && !IsCode(err, ENOTFOUND):
		return err
	}
	return nil
}

// CreateInspector adds an inspector to the directory.
func (s *Directory) CreateInspector(ctx context.Context, in *Inspector) error {
	if err := s.checkInspector(ctx, "inspector.create", in); err != nil {
		return err
	}
	// The record travels with the write (outbox.go).
	in.Record(change("inspector.create", "inspector", in.ID, in))
	if err := s.Inspectors.CreateInspector(ctx, in); err != nil {
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "an inspector with id %s or certificate %s already exists", in.ID, in.CertNo)
		}
		return err
	}
	s.certStates(in)
	return nil
}

// UpdateInspector replaces an inspector; in.Version must be the version read.
// A manager may not move an inspector out of their department.
func (s *Directory) UpdateInspector(ctx context.Context, in *Inspector) error {
	if err := s.checkInspector(ctx, "inspector.update", in); err != nil {
		return err
	}
	old, err := s.Inspectors.FindInspectorByID(ctx, in.ID)
	if err != nil {
		return err
	}
	if a := ActorFrom(ctx); !canManageDepartment(a, old.DepartmentID) {
		return s.deny(ctx, "inspector.update", "inspector", in.ID, Errorf(EFORBIDDEN, "you may only manage inspectors of your own department"))
	}
	in.CreatedAt = old.CreatedAt
	in.Record(change("inspector.update", "inspector", in.ID, in))
	if err := s.Inspectors.UpdateInspector(ctx, in); err != nil {
		if IsCode(err, ECONFLICT) && old.CertNo != in.CertNo {
			return Errorf(ECONFLICT, "certificate %s belongs to another inspector, or the record changed; reload and try again", in.CertNo)
		}
		return err
	}
	s.certStates(in)
	return nil
}

// GetExpert returns one expert.
func (s *Directory) GetExpert(ctx context.Context, id string) (*Expert, error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	return s.Inspectors.FindExpertByID(ctx, id)
}

// ListExperts returns one page of the expert directory.
func (s *Directory) ListExperts(ctx context.Context, f ExpertFilter, p PageRequest) (*Page[*Expert], error) {
	if _, err := requireReader(ctx, backOffice...); err != nil {
		return nil, err
	}
	if err := checkText("search", f.Q, 0, 50); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Inspectors.FindExperts(ctx, f, p)
}

// SaveExpert creates (version 0) or replaces an expert.
func (s *Directory) SaveExpert(ctx context.Context, e *Expert) error {
	action := "expert.update"
	if e.Version == 0 {
		action = "expert.create"
	}
	if _, err := requireWriter(ctx, RoleAdmin, RoleManager); err != nil {
		return s.deny(ctx, action, "expert", e.ID, err)
	}
	if e.Specialties == nil {
		e.Specialties = []string{}
	}
	if e.Conflicts == nil {
		e.Conflicts = []Conflict{}
	}
	if err := e.Validate(); err != nil {
		return err
	}
	var err error
	e.Record(change(action, "expert", e.ID, e))
	if e.Version == 0 {
		err = s.Inspectors.CreateExpert(ctx, e)
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "expert %s already exists", e.ID)
		}
	} else {
		var old *Expert
		if old, err = s.Inspectors.FindExpertByID(ctx, e.ID); err == nil {
			e.CreatedAt = old.CreatedAt
			err = s.Inspectors.UpdateExpert(ctx, e)
		}
	}
	return err
}

// ---- items and checklist templates ----

// GetItem returns one item of the list. Every logged-in user may read the
// item list: it is public policy.
func (s *Directory) GetItem(ctx context.Context, code string) (*Item, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	return s.Items.FindItemByCode(ctx, code)
}

// ListItems returns one page of the item list.
func (s *Directory) ListItems(ctx context.Context, f ItemFilter, p PageRequest) (*Page[*Item], error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	if f.DepartmentID != "" && !ValidID(f.DepartmentID) {
		return nil, Errorf(EINVALID, "department %q is malformed", f.DepartmentID)
	}
	if f.Category != "" && f.Category != ItemKey && f.Category != ItemGeneral {
		return nil, Errorf(EINVALID, "category must be key or general")
	}
	if f.TargetKind != "" && !f.TargetKind.Valid() {
		return nil, Errorf(EINVALID, "unknown target kind %q", f.TargetKind)
	}
	if err := checkText("search", f.Q, 0, 50); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Items.FindItems(ctx, f, p)
}

func (s *Directory) checkItem(ctx context.Context, action string, it *Item) error {
	a, err := requireWriter(ctx, RoleAdmin, RoleManager)
	if err == nil && !canManageDepartment(a, it.DepartmentID) {
		err = Errorf(EFORBIDDEN, "only the lead department's managers may change item %s", it.Code)
	}
	if err != nil {
		return s.deny(ctx, action, "item", it.Code, err)
	}
	if it.CooperatingDepartments == nil {
		it.CooperatingDepartments = []string{}
	}
	if err := it.Validate(); err != nil {
		return err
	}
	return s.checkDepartments(ctx, it.Departments()...)
}

// CreateItem adds an item to the list. Its checklist comes separately
// (CreateTemplate); TemplateVersion starts at 0.
func (s *Directory) CreateItem(ctx context.Context, it *Item) error {
	it.TemplateVersion = 0
	if err := s.checkItem(ctx, "item.create", it); err != nil {
		return err
	}
	it.Record(change("item.create", "item", it.Code, it))
	if err := s.Items.CreateItem(ctx, it); err != nil {
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "item %s already exists", it.Code)
		}
		return err
	}
	return nil
}

// UpdateItem replaces an item; it.Version must be the version read. The
// template version is managed by CreateTemplate and kept as stored.
func (s *Directory) UpdateItem(ctx context.Context, it *Item) error {
	if err := s.checkItem(ctx, "item.update", it); err != nil {
		return err
	}
	old, err := s.Items.FindItemByCode(ctx, it.Code)
	if err != nil {
		return err
	}
	if a := ActorFrom(ctx); !canManageDepartment(a, old.DepartmentID) {
		return s.deny(ctx, "item.update", "item", it.Code, Errorf(EFORBIDDEN, "only the lead department's managers may change item %s", it.Code))
	}
	it.CreatedAt, it.TemplateVersion = old.CreatedAt, old.TemplateVersion
	it.Record(change("item.update", "item", it.Code, it))
	return s.Items.UpdateItem(ctx, it)
}

// CreateTemplate stores a new version of an item's checklist and makes it
// current. Earlier versions stay readable for the tasks issued with them.
func (s *Directory) CreateTemplate(ctx context.Context, itemCode string, questions []Question) (*ChecklistTemplate, error) {
	a, err := requireWriter(ctx, RoleAdmin, RoleManager)
	if err != nil {
		return nil, s.deny(ctx, "template.create", "item", itemCode, err)
	}
	it, err := s.Items.FindItemByCode(ctx, itemCode)
	if err != nil {
		return nil, err
	}
	if !canManageDepartment(a, it.DepartmentID) {
		return nil, s.deny(ctx, "template.create", "item", itemCode, Errorf(EFORBIDDEN, "only the lead department's managers may change item %s", itemCode))
	}
	if err := ValidateQuestions(questions); err != nil {
		return nil, err
	}
	t := &ChecklistTemplate{ItemCode: itemCode, Version: it.TemplateVersion + 1, Questions: questions, CreatedBy: a.UserID}
	t.Record(change("template.create", "item", itemCode, t)) // with the template's write
	if err := s.Items.CreateTemplate(ctx, t); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "item %s was changed by someone else; reload and try again", itemCode)
		}
		return nil, err
	}
	it.TemplateVersion = t.Version
	if err := s.Items.UpdateItem(ctx, it); err != nil {
		return nil, err
	}
	return t, nil
}

// GetTemplate returns version v of an item's checklist (0 = current).
func (s *Directory) GetTemplate(ctx context.Context, itemCode string, v int) (*ChecklistTemplate, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	if v == 0 {
		it, err := s.Items.FindItemByCode(ctx, itemCode)
		if err != nil {
			return nil, err
		}
		if it.TemplateVersion == 0 {
			return nil, Errorf(ENOTFOUND, "item %s has no checklist yet", itemCode)
		}
		v = it.TemplateVersion
	}
	return s.Items.FindTemplate(ctx, itemCode, v)
}

// MaxTemplateVersionsListed bounds how many versions of an item's
// checklist ListTemplates returns (the newest ones).
const MaxTemplateVersionsListed = 50

// TemplateVersion is one stored version of an item's checklist, without
// its questions.
type TemplateVersion struct {
	Version   int       `json:"version"`
	Questions int       `json:"questions"` // how many
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	Current   bool      `json:"current"`
}

// ListTemplates returns the versions of an item's checklist, newest first,
// at most MaxTemplateVersionsListed. Each is read by its id (item@version),
// which both engines find without a scan.
func (s *Directory) ListTemplates(ctx context.Context, itemCode string) ([]TemplateVersion, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	it, err := s.Items.FindItemByCode(ctx, itemCode)
	if err != nil {
		return nil, err
	}
	out := []TemplateVersion{}
	for v := it.TemplateVersion; v >= 1 && len(out) < MaxTemplateVersionsListed; v-- {
		t, err := s.Items.FindTemplate(ctx, itemCode, v)
		if err != nil {
			return nil, fmt.Errorf("item %s version %d: %w", itemCode, v, err)
		}
		out = append(out, TemplateVersion{Version: v, Questions: len(t.Questions), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, Current: v == it.TemplateVersion})
	}
	return out, nil
}

// DiffTemplate compares two stored versions of an item's checklist.
func (s *Directory) DiffTemplate(ctx context.Context, itemCode string, from, to int) (*TemplateDiff, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	if from < 1 || to < 1 {
		return nil, Errorf(EINVALID, "from and to must be template versions (positive numbers)")
	}
	if from == to {
		return nil, Errorf(EINVALID, "from and to must be two different versions")
	}
	a, err := s.GetTemplate(ctx, itemCode, from)
	if err != nil {
		return nil, err
	}
	b, err := s.GetTemplate(ctx, itemCode, to)
	if err != nil {
		return nil, err
	}
	return DiffTemplates(a, b), nil
}

// MaxMergedItems bounds how many items one merged form may have.
const MaxMergedItems = 20

// MergedChecklist returns the one form (一表通查) for a visit covering the
// given items, each at its current template version.
func (s *Directory) MergedChecklist(ctx context.Context, itemCodes []string) (*Checklist, error) {
	if _, err := requireActor(ctx); err != nil {
		return nil, err
	}
	if len(itemCodes) == 0 || len(itemCodes) > MaxMergedItems {
		return nil, Errorf(EINVALID, "give between 1 and %d items", MaxMergedItems)
	}
	items := make([]*Item, len(itemCodes))
	tpls := make([]*ChecklistTemplate, len(itemCodes))
	for i, code := range itemCodes {
		it, err := s.Items.FindItemByCode(ctx, code)
		if err != nil {
			return nil, err
		}
		if it.TemplateVersion == 0 {
			return nil, Errorf(EINVALID, "item %s has no checklist yet", code)
		}
		t, err := s.Items.FindTemplate(ctx, code, it.TemplateVersion)
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", code, err)
		}
		items[i], tpls[i] = it, t
	}
	return MergeChecklists(items, tpls)
}
