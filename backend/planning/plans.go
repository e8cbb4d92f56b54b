package planning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// Service runs plans, draws and tasks.
type Service struct {
	Plans       backend.PlanStore
	Draws       backend.DrawStore
	Tasks       backend.TaskStore
	Targets     backend.TargetStore
	Inspectors  backend.InspectorStore
	Items       backend.ItemStore
	Departments backend.DepartmentStore
	CheckIns    backend.CheckInStore
	Results     backend.PublishedResultStore // published results by target; optional
	// Register is the results register (results.go): with it an approval
	// registers the result and a publication goes through its entry;
	// optional in tests of other things.
	Register backend.ResultStore
	Counts   backend.TaskCounter // the dashboard's task counts
	// Devices gives administrators' dashboards the phones to approve and
	// those long unused; nil leaves those figures 0.
	Devices *backend.Devices
	Rounds  backend.RoundStore     // coordination rounds (rounds.go)
	Checks  backend.CheckBookStore // registered checks and their matches (checkmatch.go)
	// Blobs holds the evidence bytes: the enterprise's signature in an
	// inspection record (record.go); optional.
	Blobs backend.BlobStore
	// PublicURL is the address where anyone reads a target's published
	// results (the enterprise's public page), for the QR code of an
	// inspection record; optional.
	PublicURL func(ctx context.Context, targetID string) (string, error)
	// Records admits this instance's renderings of inspection records
	// (NewRecordGate); nil admits all.
	Records *backend.Gate
	// VisitCaps bounds each enterprise's on-site random visits a year
	// across departments, enforced by rounds (visit-cap); nil is
	// backend.DefaultVisitCaps, an empty map no cap.
	VisitCaps backend.VisitCaps
	// Credit keeps the 经营异常名录 and the enterprises' filings
	// (credit.go), which LicenceCodes verify and Throttle limits.
	Credit       backend.CreditStore
	LicenceCodes LicenceCodeVerifier
	Throttle     backend.ThrottleStore
	Audit        *backend.AuditLog
	// Intents make draws and publications complete after a crash
	// (intents.go); optional in tests.
	Intents *backend.Intents
	Now     func() time.Time
	Rand    io.Reader // plan ids and secrets; crypto/rand when nil
}

func (s *Service) random(n int) ([]byte, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "planning.random", Err: err}
	}
	return b, nil
}

func actorOf(ctx context.Context) *backend.Actor { return backend.ActorFrom(ctx) }

// requireManager allows the managers of the plan's lead department (and,
// with admin true, administrators) to change it.
func (s *Service) requireManager(ctx context.Context, action string, p *backend.Plan, admin bool) (*backend.Actor, error) {
	return s.require(ctx, action, "plan", p.ID, func(a *backend.Actor) error {
		switch {
		case a.Role == backend.RoleAdmin && admin:
		case a.Role == backend.RoleManager && a.InDepartment(p.LeadDepartment):
		default:
			return backend.Errorf(backend.EFORBIDDEN, "only managers of the lead department %s may do this", p.LeadDepartment)
		}
		return nil
	})
}

// require returns the caller when they are logged in with a fresh
// session and allowed says yes; a refusal is audited as denied.
func (s *Service) require(ctx context.Context, action, typ, id string, allowed func(*backend.Actor) error) (*backend.Actor, error) {
	a := actorOf(ctx)
	var err error
	switch {
	case a == nil:
		err = backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case !a.Fresh:
		err = backend.Errorf(backend.EUNAUTHENTICATED, "session must be re-validated before a change")
	default:
		err = allowed(a)
	}
	if err != nil {
		_, _ = s.Audit.Append(ctx, backend.AuditRecord{Action: action, ObjectType: typ, ObjectID: id, Outcome: backend.OutcomeDenied, Detail: backend.ErrorMessage(err)})
		return nil, err
	}
	return a, nil
}

// change is the audit record of a change that travels with its write
// (backend/outbox.go): the store appends it, or its sweeper after a crash.
func change(action, typ, id string, c any, detail string) backend.AuditRecord {
	return backend.AuditRecord{Action: action, ObjectType: typ, ObjectID: id, Change: c, Detail: detail}
}

// normalize fills empty lists and sorts the departments, so that stored
// plans and their digests do not depend on the order a client sent.
func normalize(p *backend.Plan) {
	if p.StratumKey == "" {
		p.StratumKey = backend.StratumCredit
	}
	if p.Departments == nil || len(p.Departments) == 0 {
		p.Departments = []string{p.LeadDepartment}
	}
	p.Departments = slices.Clone(p.Departments)
	slices.Sort(p.Departments)
	for _, l := range []*[]string{&p.Filter.RegionPrefixes, &p.Filter.Industries, &p.Filter.Tags} {
		if *l == nil {
			*l = []string{}
		}
	}
	if p.Filter.Kinds == nil {
		p.Filter.Kinds = []backend.TargetKind{}
	}
	if p.Strata == nil {
		p.Strata = []backend.StratumRule{}
	}
	if p.Exclusions == nil {
		p.Exclusions = []backend.OperatorExclusion{}
	}
	if p.Draws == nil {
		p.Draws = []string{}
	}
	if p.Method == "" {
		p.Method = backend.MethodOnSite
	}
}

// checkRules enforces what needs the item list and the departments: every
// item exists, belongs to a participating department, and no ratio exceeds
// the cap of a general item.
func (s *Service) checkRules(ctx context.Context, p *backend.Plan) ([]*backend.Item, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for _, d := range p.Departments {
		if _, err := s.Departments.FindDepartmentByID(ctx, d); err != nil {
			if backend.IsCode(err, backend.ENOTFOUND) {
				return nil, backend.Errorf(backend.EINVALID, "unknown department %q", d)
			}
			return nil, err
		}
	}
	items := make([]*backend.Item, 0, len(p.Items))
	for _, code := range p.Items {
		it, err := s.Items.FindItemByCode(ctx, code)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil, backend.Errorf(backend.EINVALID, "item %s is not on the item list (清单之外无检查)", code)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(p.Departments, it.DepartmentID) {
			return nil, backend.Errorf(backend.EINVALID, "item %s belongs to department %s, which does not take part in the plan", code, it.DepartmentID)
		}
		if it.TemplateVersion == 0 {
			return nil, backend.Errorf(backend.EINVALID, "item %s has no checklist yet", code)
		}
		items = append(items, it)
	}
	if cap, code := ratioCap(items); cap >= 0 {
		rules := slices.Clone(p.Strata)
		if p.Default != nil {
			rules = append(rules, *p.Default)
		}
		for _, r := range rules {
			if r.RatioBp != nil && *r.RatioBp > cap {
				name := r.Key
				if name == "" {
					name = "default"
				}
				return nil, backend.Errorf(backend.EINVALID, "stratum %s: ratio %d bp exceeds the cap of %d bp of general item %s", name, *r.RatioBp, cap, code)
			}
		}
	}
	return items, nil
}

// ratioCap returns the lowest ratio cap of the plan's general items and the
// item that sets it, or -1 when every item is a key item (no cap).
func ratioCap(items []*backend.Item) (int, string) {
	cap, code := -1, ""
	for _, it := range items {
		if it.Category == backend.ItemGeneral && (cap < 0 || it.RatioCapBp < cap) {
			cap, code = it.RatioCapBp, it.Code
		}
	}
	return cap, code
}

// CreatePlan stores a draft plan. Managers create plans for their own
// department as lead.
func (s *Service) CreatePlan(ctx context.Context, p *backend.Plan) error {
	normalize(p)
	id, err := s.random(5)
	if err != nil {
		return err
	}
	p.ID = fmt.Sprintf("%d-%s-%s", p.Year, p.LeadDepartment, hex.EncodeToString(id))
	a, err := s.requireManager(ctx, "plan.create", p, false)
	if err != nil {
		return err
	}
	if _, err := s.checkRules(ctx, p); err != nil {
		return err
	}
	p.State, p.PublicVersion, p.Commitment, p.PublishedAt, p.Draws = backend.PlanDraft, 0, "", nil, []string{}
	p.EntropySource, p.EntropyResultAt = nil, nil
	p.CreatedBy = a.UserID
	p.Record(change("plan.create", "plan", p.ID, p, ""))
	return s.Plans.CreatePlan(ctx, p)
}

// GetPlan returns a plan to the back office: administrators and the
// managers and reviewers of its departments.
func (s *Service) GetPlan(ctx context.Context, id string) (*backend.Plan, error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != backend.RoleAdmin && (a.Role == backend.RoleInspector || !slices.ContainsFunc(p.Departments, a.InDepartment)) {
		return nil, backend.Errorf(backend.ENOTFOUND, "plan %q not found", id)
	}
	return p, nil
}

// PlanQuery selects plans in the back office's list.
type PlanQuery struct {
	Year   int                 // 0 for every year
	States []backend.PlanState // empty for every state
}

// ListPlans returns the plans of the caller's departments (all for
// administrators).
func (s *Service) ListPlans(ctx context.Context, q PlanQuery, page backend.PageRequest) (*backend.Page[*backend.Plan], error) {
	a := actorOf(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if a.Role == backend.RoleInspector {
		return nil, backend.Errorf(backend.EFORBIDDEN, "inspectors see tasks, not plans")
	}
	for _, st := range q.States {
		switch st {
		case backend.PlanDraft, backend.PlanPublished, backend.PlanDrawn, backend.PlanClosed:
		default:
			return nil, backend.Errorf(backend.EINVALID, "plan state %q must be draft, published, drawn or closed", st)
		}
	}
	f := backend.PlanFilterQuery{Year: q.Year, States: q.States}
	if a.Role != backend.RoleAdmin {
		f.Departments = a.Departments
	}
	return s.Plans.FindPlans(ctx, f, page)
}

// UpdatePlan replaces a plan. A draft changes in place; a published or drawn
// plan gets a new public version with a new commitment and the entropy
// source src, and the reason is published with it. A new version of a drawn
// plan is how it is redrawn: its draw supersedes the earlier ones.
func (s *Service) UpdatePlan(ctx context.Context, p *backend.Plan, reason string, src *backend.EntropySource) error {
	old, err := s.Plans.FindPlanByID(ctx, p.ID)
	if err != nil {
		return err
	}
	if _, err := s.requireManager(ctx, "plan.update", old, false); err != nil {
		return err
	}
	normalize(p)
	if p.LeadDepartment != old.LeadDepartment {
		return backend.Errorf(backend.EINVALID, "the lead department of a plan cannot change")
	}
	if _, err := s.checkRules(ctx, p); err != nil {
		return err
	}
	if old.State == backend.PlanClosed {
		return backend.Errorf(backend.ECONFLICT, "plan %s is closed", p.ID)
	}
	if err := s.frozenByRound(ctx, old); err != nil {
		return err
	}
	p.Round = old.Round
	p.State, p.PublicVersion, p.Commitment, p.PublishedAt = old.State, old.PublicVersion, old.Commitment, old.PublishedAt
	p.EntropySource, p.EntropyResultAt = old.EntropySource, old.EntropyResultAt
	p.Draws, p.CreatedBy, p.CreatedAt = old.Draws, old.CreatedBy, old.CreatedAt
	if old.State == backend.PlanDraft {
		if src != nil {
			return backend.Errorf(backend.EINVALID, "a draft declares its entropy source when it is published, not before")
		}
		p.Record(change("plan.update", "plan", p.ID, p, ""))
		return s.Plans.UpdatePlan(ctx, p)
	}
	if err := checkReason(reason); err != nil {
		return backend.Errorf(backend.EINVALID, "a change to a published plan needs a reason: %s", backend.ErrorMessage(err))
	}
	return s.publish(ctx, p, reason, src)
}

func checkReason(r string) error {
	if n := len([]rune(r)); n < 2 || n > 500 {
		return backend.Errorf(backend.EINVALID, "the reason must have 2-500 characters")
	}
	return nil
}

// PublishPlan makes a draft public: version 1 with its commitment and the
// entropy source src its draw will take. version is the draft's version
// the caller read; there is no way around the stale-version check.
func (s *Service) PublishPlan(ctx context.Context, id string, version int64, src *backend.EntropySource) (*backend.Plan, error) {
	if version < 1 {
		return nil, backend.Errorf(backend.EINVALID, "version must be the plan's version as read (from 1)")
	}
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, "plan.publish", p, false); err != nil {
		return nil, err
	}
	if p.State != backend.PlanDraft {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s is already %s", id, p.State)
	}
	if version != p.Version {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s was changed by someone else; reload and try again", id)
	}
	if _, err := s.checkRules(ctx, p); err != nil {
		return nil, err
	}
	return p, s.publish(ctx, p, "", src)
}

// publish stores a new public version of p with a fresh secret and its
// commitment, declaring src as the entropy source of its draw: the secret
// first (so a version never exists whose secret is lost), then the
// version, then the plan. The source's result must still be to come, so
// that nobody knows it while the secret can change (RFC 3797): a version
// published after a draw needs a new source, since the old one's result is
// out.
func (s *Service) publish(ctx context.Context, p *backend.Plan, reason string, src *backend.EntropySource) error {
	a := actorOf(ctx)
	if src == nil {
		return backend.Errorf(backend.EINVALID, "a publication declares the entropy source of the draw: the future public random event whose result the draw will take (entropySource, e.g. {\"source\": \"fc-3d\", \"issue\": \"2026124\", \"date\": \"2026-05-04\"}; supported sources: %s)", backend.EntropyCodes())
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	if err := src.CheckFuture(now); err != nil {
		return err
	}
	secret, err := s.random(32)
	if err != nil {
		return err
	}
	declared, resultAt := *src, src.ResultAt().UTC()
	p.PublicVersion++
	p.Commitment = draw.Commitment(secret)
	p.State = backend.PlanPublished
	p.PublishedAt = &now
	p.EntropySource, p.EntropyResultAt = &declared, &resultAt
	if err := s.Plans.CreatePlanSecret(ctx, &backend.PlanSecret{ID: fmt.Sprintf("%s@%d", p.ID, p.PublicVersion), Secret: hex.EncodeToString(secret), CreatedAt: now}); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return backend.Errorf(backend.ECONFLICT, "plan %s was changed by someone else; reload and try again", p.ID)
		}
		return err
	}
	snapshot := *p
	snapshot.Outbox = backend.Outbox{} // the version's copy carries no records
	v := &backend.PlanVersion{PlanID: p.ID, Version: p.PublicVersion, Plan: snapshot, Commitment: p.Commitment,
		EntropySource: p.EntropySource, EntropyResultAt: p.EntropyResultAt, Reason: reason, PublishedBy: a.UserID, PublishedAt: now}
	if err := s.Plans.CreatePlanVersion(ctx, v); err != nil {
		return err
	}
	// The record travels with the plan's write, the last of the three.
	p.Record(change("plan.publish", "plan", p.ID, v, fmt.Sprintf("version %d, commitment %s, entropy source %s (result at %s)", p.PublicVersion, p.Commitment, src, backend.FormatChinaTime(resultAt))))
	return s.Plans.UpdatePlan(ctx, p)
}

// ClosePlan ends a plan: no more changes or draws.
func (s *Service) ClosePlan(ctx context.Context, id string) (*backend.Plan, error) {
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, "plan.close", p, true); err != nil {
		return nil, err
	}
	if p.State == backend.PlanClosed {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s is already closed", id)
	}
	if p.Round != "" && p.State != backend.PlanDrawn {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s is registered in round %s: withdraw it before closing it", id, p.Round)
	}
	p.State = backend.PlanClosed
	p.Record(change("plan.close", "plan", p.ID, p, ""))
	if err := s.Plans.UpdatePlan(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}
