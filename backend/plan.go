package backend

import (
	"context"
	"slices"
	"time"
)

// PlanState is where an annual plan (年度抽查计划) stands.
type PlanState string

const (
	PlanDraft     PlanState = "draft"     // being prepared; not public
	PlanPublished PlanState = "published" // public with its commitment; may be drawn
	PlanDrawn     PlanState = "drawn"     // the current version has been drawn
	PlanClosed    PlanState = "closed"    // finished; nothing changes any more
)

// Stratum keys: which target field divides the population into strata.
const (
	StratumCredit = "creditClass" // 信用风险分类: A, B, C, D (the default)
	StratumKind   = "kind"
	StratumNone   = "none" // one stratum, "all"
)

// StratumRule says how many targets one stratum yields: a fixed count or a
// ratio in basis points (1/10000), never both. Key "" in Plan.Default.
type StratumRule struct {
	Key     string `json:"key,omitempty" bson:"key,omitempty"`
	Count   *int   `json:"count,omitempty" bson:"count,omitempty"`
	RatioBp *int   `json:"ratioBp,omitempty" bson:"ratioBp,omitempty"`
}

// PlanFilter selects the population of a plan from the target directory.
// Empty lists match everything; a target must match every non-empty field.
type PlanFilter struct {
	Kinds          []TargetKind `json:"kinds" bson:"kinds"`
	RegionPrefixes []string     `json:"regionPrefixes" bson:"regionPrefixes"` // any of
	Industries     []string     `json:"industries" bson:"industries"`         // any of
	Tags           []string     `json:"tags" bson:"tags"`                     // any of
	KeySupervision *bool        `json:"keySupervision,omitempty" bson:"keySupervision,omitempty"`
}

// Batch is one round of a plan's schedule: the visits happen between Start
// and End, and each task is due DueDays days after it is issued (at the
// latest on End).
type Batch struct {
	Name    string `json:"name" bson:"name"`
	Start   Date   `json:"start" bson:"start"`
	End     Date   `json:"end" bson:"end"`
	DueDays int    `json:"dueDays" bson:"dueDays"`
}

// OperatorExclusion takes a target out of a plan's draw by hand, before the
// draw, with a reason that is published with the draw record.
type OperatorExclusion struct {
	TargetID string `json:"targetId" bson:"targetId"`
	Reason   string `json:"reason" bson:"reason"`
}

// Plan is an annual spot-check plan. A joint plan (部门联合抽查) has more than
// one department: one visit covers every item of every department.
type Plan struct {
	ID             string              `json:"id" bson:"_id" api:"replace"` // given by the server
	Year           int                 `json:"year" bson:"year"`
	Name           string              `json:"name" bson:"name"`
	Items          []string            `json:"items" bson:"items"`
	LeadDepartment string              `json:"leadDepartment" bson:"leadDepartment"`
	Departments    []string            `json:"departments" bson:"departments"`      // participating, the lead included
	Filter         PlanFilter          `json:"filter" bson:"filter" api:"optional"` // none: every target
	StratumKey     string              `json:"stratumKey" bson:"stratumKey" api:"optional"`
	Strata         []StratumRule       `json:"strata" bson:"strata"`
	Default        *StratumRule        `json:"default,omitempty" bson:"default,omitempty"`
	TeamSize       int                 `json:"teamSize" bson:"teamSize"`
	Batches        []Batch             `json:"batches" bson:"batches"`
	Method         CheckMethod         `json:"method" bson:"method" api:"optional"`
	Exclusions     []OperatorExclusion `json:"exclusions,omitempty" bson:"exclusions"`

	State         PlanState  `json:"state" bson:"state" api:"server"`
	PublicVersion int        `json:"publicVersion" bson:"publicVersion" api:"server"` // 0 until published
	Commitment    string     `json:"commitment,omitempty" bson:"commitment,omitempty"`
	PublishedAt   *time.Time `json:"publishedAt,omitempty" bson:"publishedAt,omitempty"`
	// EntropySource is the public random event declared with the current
	// public version; its draw takes that event's result. EntropyResultAt
	// is when the result becomes public: the draw waits for it. Plans
	// published before sources were declared have neither and cannot be
	// drawn until a new version declares one.
	EntropySource   *EntropySource `json:"entropySource,omitempty" bson:"entropySource,omitempty"`
	EntropyResultAt *time.Time     `json:"entropyResultAt,omitempty" bson:"entropyResultAt,omitempty"`
	Draws           []string       `json:"draws,omitempty" bson:"draws"` // draw ids, oldest first
	// Round is the coordination round the plan is registered in: the
	// round draws it (fc-draw-2), it is never drawn alone.
	Round     string    `json:"round,omitempty" bson:"round,omitempty" api:"server"`
	CreatedBy string    `json:"createdBy,omitempty" bson:"createdBy"`
	Version   int64     `json:"version" bson:"version" api:"replace"`
	CreatedAt time.Time `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt time.Time `json:"updatedAt" bson:"updatedAt" api:"server"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// Joint reports whether the plan spans several departments.
func (p *Plan) Joint() bool { return len(p.Departments) > 1 }

// Validate checks the plan's own fields. Rules that need the item list
// (caps, departments of items) are checked by the plan service.
func (p *Plan) Validate() error {
	if p.Year < 2000 || p.Year > 2100 {
		return Errorf(EINVALID, "year %d is out of range", p.Year)
	}
	if err := checkText("name", p.Name, 1, 200); err != nil {
		return err
	}
	if len(p.Items) == 0 || len(p.Items) > MaxMergedItems {
		return Errorf(EINVALID, "a plan needs between 1 and %d items", MaxMergedItems)
	}
	for _, code := range p.Items {
		if !ValidItemCode(code) {
			return Errorf(EINVALID, "item code %q is malformed", code)
		}
	}
	if hasDuplicate(p.Items) {
		return Errorf(EINVALID, "an item is listed twice")
	}
	if !ValidID(p.LeadDepartment) {
		return Errorf(EINVALID, "lead department %q is malformed", p.LeadDepartment)
	}
	if !slices.Contains(p.Departments, p.LeadDepartment) {
		return Errorf(EINVALID, "the lead department must be one of the participating departments")
	}
	for _, d := range p.Departments {
		if !ValidID(d) {
			return Errorf(EINVALID, "department %q is malformed", d)
		}
	}
	if hasDuplicate(p.Departments) {
		return Errorf(EINVALID, "a department is listed twice")
	}
	if err := p.Filter.validate(); err != nil {
		return err
	}
	switch p.StratumKey {
	case StratumCredit, StratumKind, StratumNone:
	default:
		return Errorf(EINVALID, "stratum key %q must be creditClass, kind or none", p.StratumKey)
	}
	if len(p.Strata) == 0 && p.Default == nil {
		return Errorf(EINVALID, "give a rule for each stratum or a default rule")
	}
	keys := map[string]bool{}
	for _, r := range p.Strata {
		if err := r.validate(); err != nil {
			return err
		}
		if !p.validStratum(r.Key) {
			return Errorf(EINVALID, "%q is not a stratum of key %s", r.Key, p.StratumKey)
		}
		if keys[r.Key] {
			return Errorf(EINVALID, "stratum %q has two rules", r.Key)
		}
		keys[r.Key] = true
	}
	if p.Default != nil {
		if p.Default.Key != "" {
			return Errorf(EINVALID, "the default rule has no key")
		}
		if err := p.Default.validate(); err != nil {
			return err
		}
	}
	if p.TeamSize < 2 {
		return Errorf(EINVALID, "team size must be at least 2: an on-site check needs two enforcement officers")
	}
	if p.TeamSize > 10 {
		return Errorf(EINVALID, "team size must be at most 10")
	}
	if p.Joint() && p.TeamSize < len(p.Departments) {
		return Errorf(EINVALID, "a joint plan of %d departments needs a team size of at least %d", len(p.Departments), len(p.Departments))
	}
	if len(p.Batches) == 0 || len(p.Batches) > 12 {
		return Errorf(EINVALID, "a plan needs between 1 and 12 batches")
	}
	for _, b := range p.Batches {
		if err := checkText("batch name", b.Name, 1, 50); err != nil {
			return err
		}
		if !b.Start.Valid() || !b.End.Valid() || b.End < b.Start {
			return Errorf(EINVALID, "batch %s: %s..%s is not a valid period", b.Name, b.Start, b.End)
		}
		if b.DueDays < 1 || b.DueDays > 366 {
			return Errorf(EINVALID, "batch %s: due days must be between 1 and 366", b.Name)
		}
	}
	if !p.Method.valid() {
		return Errorf(EINVALID, "method %q must be onsite, document, online, sampling or other", p.Method)
	}
	if len(p.Exclusions) > 10000 {
		return Errorf(EINVALID, "at most 10000 operator exclusions")
	}
	seen := map[string]bool{}
	for _, e := range p.Exclusions {
		if err := checkText("excluded target", e.TargetID, 1, 80); err != nil {
			return err
		}
		if err := checkKey("excluded target", e.TargetID); err != nil {
			return err
		}
		if err := checkText("exclusion reason", e.Reason, 1, 500); err != nil {
			return err
		}
		if seen[e.TargetID] {
			return Errorf(EINVALID, "target %s is excluded twice", e.TargetID)
		}
		seen[e.TargetID] = true
	}
	return nil
}

func (p *Plan) validStratum(key string) bool {
	switch p.StratumKey {
	case StratumCredit:
		return CreditClass(key).Valid()
	case StratumKind:
		return TargetKind(key).Valid()
	case StratumNone:
		return key == StratumAll
	}
	return false
}

// StratumAll is the one stratum of a plan with stratum key "none".
const StratumAll = "all"

// StratumOf returns the stratum of a target under the plan's key.
func (p *Plan) StratumOf(t *Target) string {
	switch p.StratumKey {
	case StratumCredit:
		if t.CreditClass == "" {
			return "unclassified"
		}
		return string(t.CreditClass)
	case StratumKind:
		return string(t.Kind)
	}
	return StratumAll
}

func (r *StratumRule) validate() error {
	switch {
	case r.Count != nil && r.RatioBp != nil:
		return Errorf(EINVALID, "stratum %q: give a count or a ratio, not both", r.Key)
	case r.Count == nil && r.RatioBp == nil:
		return Errorf(EINVALID, "stratum %q: give a count or a ratio", r.Key)
	case r.Count != nil && (*r.Count < 0 || *r.Count > 1_000_000):
		return Errorf(EINVALID, "stratum %q: count %d is out of range", r.Key, *r.Count)
	case r.RatioBp != nil && (*r.RatioBp < 0 || *r.RatioBp > 10000):
		return Errorf(EINVALID, "stratum %q: ratio %d basis points is outside 0-10000", r.Key, *r.RatioBp)
	}
	return nil
}

func (f *PlanFilter) validate() error {
	for _, k := range f.Kinds {
		if !k.Valid() {
			return Errorf(EINVALID, "filter: unknown kind %q", k)
		}
	}
	for _, r := range f.RegionPrefixes {
		if !regionPrefixPattern.MatchString(r) {
			return Errorf(EINVALID, "filter: region %q must be 1-9 digits", r)
		}
	}
	for _, in := range f.Industries {
		if !industryPattern.MatchString(in) {
			return Errorf(EINVALID, "filter: industry %q must be a GB/T 4754 code", in)
		}
	}
	return checkList("filter tags", f.Tags, 32, 40)
}

// Matches reports whether target t is in the plan's population.
func (f *PlanFilter) Matches(t *Target) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, t.Kind) {
		return false
	}
	if len(f.RegionPrefixes) > 0 && !slices.ContainsFunc(f.RegionPrefixes, func(p string) bool { return len(t.RegionCode) >= len(p) && t.RegionCode[:len(p)] == p }) {
		return false
	}
	if len(f.Industries) > 0 && !slices.ContainsFunc(f.Industries, func(in string) bool { return len(t.Industry) >= len(in) && t.Industry[:len(in)] == in }) {
		return false
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(f.Tags, func(tag string) bool { return slices.Contains(t.Tags, tag) }) {
		return false
	}
	if f.KeySupervision != nil && t.KeySupervision != *f.KeySupervision {
		return false
	}
	return true
}

func hasDuplicate(list []string) bool {
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

// PlanVersion is a published version of a plan: what the public saw, with
// the commitment to that version's secret and the entropy source its draw
// will take. Every change after publication makes a new one, with the
// reason; drawing a new version is how a drawn plan is redrawn.
type PlanVersion struct {
	ID              string         `json:"-" bson:"_id"` // "<planId>@<version>"
	PlanID          string         `json:"planId" bson:"planId"`
	Version         int            `json:"version" bson:"version"`
	Plan            Plan           `json:"plan" bson:"plan"`
	Commitment      string         `json:"commitment" bson:"commitment"`
	EntropySource   *EntropySource `json:"entropySource,omitempty" bson:"entropySource,omitempty"` // nil for versions published before sources were declared
	EntropyResultAt *time.Time     `json:"entropyResultAt,omitempty" bson:"entropyResultAt,omitempty"`
	Reason          string         `json:"reason,omitempty" bson:"reason,omitempty"`
	PublishedBy     string         `json:"publishedBy" bson:"publishedBy"`
	PublishedAt     time.Time      `json:"publishedAt" bson:"publishedAt"`
}

// PlanSecret is the secret behind a version's commitment. It stays in the
// store, unseen, until the version is drawn; then it is published in the
// draw record.
type PlanSecret struct {
	ID        string    `bson:"_id"` // "<planId>@<version>"
	Secret    string    `bson:"secret"`
	CreatedAt time.Time `bson:"createdAt"`
}

// PlanStore persists plans, their public versions and secrets.
type PlanStore interface {
	FindPlanByID(ctx context.Context, id string) (*Plan, error)
	FindPlans(ctx context.Context, f PlanFilterQuery, p PageRequest) (*Page[*Plan], error)
	CountPlans(ctx context.Context, f PlanFilterQuery) (int, error)
	CreatePlan(ctx context.Context, p *Plan) error
	UpdatePlan(ctx context.Context, p *Plan) error // p.Version is the expected current version
	CreatePlanVersion(ctx context.Context, v *PlanVersion) error
	FindPlanVersion(ctx context.Context, planID string, version int) (*PlanVersion, error)
	CreatePlanSecret(ctx context.Context, s *PlanSecret) error
	FindPlanSecret(ctx context.Context, planID string, version int) (*PlanSecret, error)
}

// PlanFilterQuery selects plans in lists.
type PlanFilterQuery struct {
	Year        int
	Departments []string // plans in which any of these takes part
	States      []PlanState
	PublicOnly  bool // published, drawn or closed
}
