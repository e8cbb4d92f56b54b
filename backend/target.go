package backend

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// TargetKind is what a target of inspection is.
type TargetKind string

const (
	KindEnterprise  TargetKind = "enterprise"  // 企业 (USCC 91…)
	KindIndividual  TargetKind = "individual"  // 个体工商户 (USCC 92…)
	KindCooperative TargetKind = "cooperative" // 农民专业合作社 (USCC 93…)
	KindProduct     TargetKind = "product"     // 产品
	KindProject     TargetKind = "project"     // 工程项目
	KindBehaviour   TargetKind = "behaviour"   // 行为
)

// TargetKinds lists every kind, in display order.
var TargetKinds = []TargetKind{KindEnterprise, KindIndividual, KindCooperative, KindProduct, KindProject, KindBehaviour}

// Valid reports whether k is a known kind.
func (k TargetKind) Valid() bool {
	for _, v := range TargetKinds {
		if k == v {
			return true
		}
	}
	return false
}

// HasUSCC reports whether targets of this kind are market entities identified
// by a unified social credit code.
func (k TargetKind) HasUSCC() bool {
	return k == KindEnterprise || k == KindIndividual || k == KindCooperative
}

// CreditClass is the 信用风险分类 of a market entity: A low risk, B ordinary,
// C fairly high, D high. Sampling ratios are set per class.
type CreditClass string

const (
	CreditA CreditClass = "A"
	CreditB CreditClass = "B"
	CreditC CreditClass = "C"
	CreditD CreditClass = "D"
)

// Valid reports whether c is A, B, C or D.
func (c CreditClass) Valid() bool {
	return c == CreditA || c == CreditB || c == CreditC || c == CreditD
}

// TargetStatus is the registration status of a target.
type TargetStatus string

const (
	StatusActive       TargetStatus = "active"       // 存续
	StatusClosed       TargetStatus = "closed"       // 停业/歇业
	StatusDeregistered TargetStatus = "deregistered" // 注销
	StatusRevoked      TargetStatus = "revoked"      // 吊销
)

// Valid reports whether s is a known status.
func (s TargetStatus) Valid() bool {
	switch s {
	case StatusActive, StatusClosed, StatusDeregistered, StatusRevoked:
		return true
	}
	return false
}

// GeoPoint is a WGS-84 position.
type GeoPoint struct {
	Lat float64 `json:"lat" bson:"lat"`
	Lng float64 `json:"lng" bson:"lng"`
}

// Validate checks ranges.
func (p *GeoPoint) Validate() error {
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 {
		return Errorf(EINVALID, "location (%v, %v) is out of range", p.Lat, p.Lng)
	}
	return nil
}

// Target is an entry of the target directory (检查对象名录库). Market
// entities are identified by their USCC, which is also their id; other
// targets (products, projects, behaviours) carry an id of the form
// "<kind>-<code>".
type Target struct {
	ID             string       `json:"id" bson:"_id"`
	Kind           TargetKind   `json:"kind" bson:"kind"`
	Name           string       `json:"name" bson:"name"`
	RegionCode     string       `json:"regionCode" bson:"regionCode"`
	Address        string       `json:"address,omitempty" bson:"address,omitempty"`
	Location       *GeoPoint    `json:"location,omitempty" bson:"location,omitempty"`
	Industry       string       `json:"industry,omitempty" bson:"industry,omitempty"`
	Tags           []string     `json:"tags" bson:"tags"`
	CreditClass    CreditClass  `json:"creditClass,omitempty" bson:"creditClass,omitempty"`
	Whitelisted    bool         `json:"whitelisted" bson:"whitelisted"`
	Status         TargetStatus `json:"status" bson:"status"`
	KeySupervision bool         `json:"keySupervision" bson:"keySupervision"`
	LegalRep       string       `json:"legalRep,omitempty" bson:"legalRep,omitempty"`
	Version        int64        `json:"version" bson:"version" api:"replace"`
	CreatedAt      time.Time    `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt      time.Time    `json:"updatedAt" bson:"updatedAt" api:"server"`

	// The audit outbox of its writes, as of a task's (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

var (
	regionPattern       = regexp.MustCompile(`^[1-8][0-9]{5}([0-9]{3})?$`)
	regionPrefixPattern = regexp.MustCompile(`^[0-9]{1,9}$`)
	industryPattern     = regexp.MustCompile(`^[A-T]([0-9]{2,4})?$`)
	otherIDPattern      = regexp.MustCompile(`^(product|project|behaviour)-[A-Za-z0-9_-]{1,64}$`)
)

// ValidRegionCode reports whether s is a six-digit administrative division
// code (GB/T 2260, down to the county) or a nine-digit one (GB/T 10114,
// down to the township or street).
func ValidRegionCode(s string) bool { return regionPattern.MatchString(s) }

// Validate checks every field and the consistency between the USCC and the kind.
func (t *Target) Validate() error {
	if !t.Kind.Valid() {
		return Errorf(EINVALID, "kind %q is not one of enterprise, individual, cooperative, product, project, behaviour", t.Kind)
	}
	if t.Kind.HasUSCC() {
		if err := ValidateUSCC(t.ID); err != nil {
			return err
		}
		if k := USCCKind(t.ID); k != "" && k != t.Kind {
			return Errorf(EINVALID, "USCC %s is registered as kind %s, not %s", t.ID, k, t.Kind)
		}
		if !t.CreditClass.Valid() {
			return Errorf(EINVALID, "credit class %q must be A, B, C or D", t.CreditClass)
		}
	} else {
		if !otherIDPattern.MatchString(t.ID) || t.ID[:len(t.Kind)] != string(t.Kind) {
			return Errorf(EINVALID, "id %q of a %s must look like %s-CODE", t.ID, t.Kind, t.Kind)
		}
		if t.CreditClass != "" && !t.CreditClass.Valid() {
			return Errorf(EINVALID, "credit class %q must be A, B, C or D", t.CreditClass)
		}
	}
	if err := checkText("name", t.Name, 1, 200); err != nil {
		return err
	}
	if !ValidRegionCode(t.RegionCode) {
		return Errorf(EINVALID, "region code %q must be a six- or nine-digit administrative division code", t.RegionCode)
	}
	if err := checkText("address", t.Address, 0, 300); err != nil {
		return err
	}
	if t.Location != nil {
		if err := t.Location.Validate(); err != nil {
			return err
		}
	}
	if t.Industry != "" && !industryPattern.MatchString(t.Industry) {
		return Errorf(EINVALID, "industry %q must be a GB/T 4754 code such as F5211", t.Industry)
	}
	if err := checkList("tags", t.Tags, 32, 40); err != nil {
		return err
	}
	if !t.Status.Valid() {
		return Errorf(EINVALID, "status %q must be active, closed, deregistered or revoked", t.Status)
	}
	if err := checkText("legal representative", t.LegalRep, 0, 100); err != nil {
		return err
	}
	return nil
}

// SameContent reports whether t and u hold the same directory data, ignoring
// version and timestamps. Imports use it so that re-importing a file changes
// nothing.
func (t *Target) SameContent(u *Target) bool {
	return sameContent(*t, *u, func(x *Target) { x.Version, x.CreatedAt, x.UpdatedAt = 0, time.Time{}, time.Time{} })
}

// TargetFilter selects targets. Empty fields match everything; list fields
// match any of their values.
type TargetFilter struct {
	Kinds          []TargetKind
	RegionPrefix   string // matches region codes starting with it ("3504" = a prefecture)
	Industries     []string
	Tag            string
	CreditClasses  []CreditClass
	Statuses       []TargetStatus
	Whitelisted    *bool
	KeySupervision *bool
	NameContains   string
	// Sort orders the list: "" by id, or one of TargetSorts, ascending,
	// ties by id (the cursor is then a SortCursor).
	Sort string
}

// TargetSorts are the keys the target list sorts by: the name (as bytes:
// not pinyin) and the credit class (A first).
var TargetSorts = []string{"name", "creditClass"}

// SortKey is t's key in the order of the sort named (one of TargetSorts).
func (t *Target) SortKey(sort string) string {
	if sort == "creditClass" {
		return string(t.CreditClass)
	}
	return t.Name
}

// Validate checks the filter's values.
func (f *TargetFilter) Validate() error {
	if f.Sort != "" && !slices.Contains(TargetSorts, f.Sort) {
		return Errorf(EINVALID, "sort %q must be one of %s (or nothing, for id order)", f.Sort, strings.Join(TargetSorts, ", "))
	}
	for _, k := range f.Kinds {
		if !k.Valid() {
			return Errorf(EINVALID, "unknown kind %q", k)
		}
	}
	if f.RegionPrefix != "" && !regionPrefixPattern.MatchString(f.RegionPrefix) {
		return Errorf(EINVALID, "region %q must be 1-9 digits", f.RegionPrefix)
	}
	for _, in := range f.Industries {
		if !industryPattern.MatchString(in) {
			return Errorf(EINVALID, "industry %q must be a GB/T 4754 code", in)
		}
	}
	for _, c := range f.CreditClasses {
		if !c.Valid() {
			return Errorf(EINVALID, "credit class %q must be A, B, C or D", c)
		}
	}
	for _, s := range f.Statuses {
		if !s.Valid() {
			return Errorf(EINVALID, "unknown status %q", s)
		}
	}
	if err := checkText("tag", f.Tag, 0, 40); err != nil {
		return err
	}
	return checkText("name", f.NameContains, 0, 100)
}

// TargetStore persists the target directory.
type TargetStore interface {
	FindTargetByID(ctx context.Context, id string) (*Target, error)
	FindTargets(ctx context.Context, f TargetFilter, p PageRequest) (*Page[*Target], error)
	// ScanTargets calls fn for every matching target, in no particular order;
	// fn returning an error stops the scan.
	ScanTargets(ctx context.Context, f TargetFilter, fn func(*Target) error) error
	CreateTarget(ctx context.Context, t *Target) error
	CreateTargets(ctx context.Context, ts []*Target) error // bulk insert; duplicate ids fail with ECONFLICT
	UpdateTarget(ctx context.Context, t *Target) error     // t.Version is the expected current version
	// UpdateTargets updates many as UpdateTarget each, their audit outbox
	// settled together (an import's batch). errs[i] is ts[i]'s refusal
	// (ECONFLICT, ENOTFOUND) or nil; err stops the batch.
	UpdateTargets(ctx context.Context, ts []*Target) (errs []error, err error)
}
