package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Defaults of the demo command.
const (
	DefaultSeed    uint64 = 350404
	DefaultTargets        = 5000
)

// ReferenceDay is the as-of day of Generate: certificate expiry and leave
// are placed relative to it.
var ReferenceDay = time.Date(2026, 11, 23, 0, 0, 0, 0, backend.China)

// County is a generated demo county. Its objects are ready to store: ids,
// names, relations and templates are filled in; versions and timestamps are
// left to the stores.
type County struct {
	Seed       uint64
	AsOf       backend.Date
	Name       string // 福建省三明市三元区
	RegionCode string // 350404
	Townships  []Township

	Departments []*backend.Department
	// Targets are the market entities (as many as asked for) followed by a
	// few products, projects and behaviours.
	Targets    []*backend.Target
	Inspectors []*backend.Inspector
	Experts    []*backend.Expert
	Items      []*backend.Item
	Templates  []*backend.ChecklistTemplate // version 1 of each item's checklist, in item order
	Users      []DemoUser
}

// Each part of the county draws from its own stream, so that changing how
// one part is generated leaves the others as they were.
const (
	streamTargets uint64 = iota + 0x6663_6465_6d6f_0001 // "fcdemo" + n
	streamInspectors
	streamExperts
)

// Generate builds the demo county for a seed with nTargets market entities,
// dated relative to ReferenceDay. It is deterministic: the same arguments
// give the same county.
func Generate(seed uint64, nTargets int) *County {
	return GenerateAt(seed, nTargets, ReferenceDay)
}

// GenerateAt is Generate with dates relative to asOf (its calendar day in
// China). Only dates depend on asOf: ids, names and every other field are
// those of Generate(seed, nTargets).
func GenerateAt(seed uint64, nTargets int, asOf time.Time) *County {
	nTargets = max(nTargets, 0)
	day := backend.DateOf(asOf)
	asOf, _ = time.ParseInLocation(time.DateOnly, string(day), backend.China)
	c := &County{
		Seed:        seed,
		AsOf:        day,
		Name:        CountyName,
		RegionCode:  CountyRegionCode,
		Townships:   copyTownships(),
		Departments: departments(),
	}

	g := &targetGen{r: rand.New(rand.NewPCG(seed, streamTargets)), ids: map[string]bool{}, names: map[string]bool{}}
	for range nTargets {
		c.Targets = append(c.Targets, g.marketEntity())
	}
	c.Targets = append(c.Targets, otherTargets()...)

	c.Inspectors = inspectors(rand.New(rand.NewPCG(seed, streamInspectors)), asOf, c.Targets[:nTargets])
	c.Experts = experts(rand.New(rand.NewPCG(seed, streamExperts)), c.Targets[:nTargets])
	c.Items, c.Templates = items()
	c.Users = users(c.Inspectors)
	return c
}

// Logins lists every demo user with its password, for the demo command to
// print.
func (c *County) Logins() []Login {
	out := make([]Login, len(c.Users))
	for i, u := range c.Users {
		l := Login{Username: u.User.ID, DisplayName: u.User.DisplayName, Role: u.User.Role, Password: u.Password}
		if len(u.User.Departments) > 0 {
			l.Department = u.User.Departments[0]
		}
		out[i] = l
	}
	return out
}

// Validate checks every object with its own Validate and the references
// between them: departments of items, inspectors and users, declared
// conflicts, inspector logins and templates. Seed refuses a county that
// fails it.
func (c *County) Validate() error {
	depts := map[string]bool{}
	for _, d := range c.Departments {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("department %s: %w", d.ID, err)
		}
		if depts[d.ID] {
			return fmt.Errorf("department %s: duplicate id", d.ID)
		}
		depts[d.ID] = true
	}
	targets := map[string]bool{}
	for _, t := range c.Targets {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("target %s: %w", t.ID, err)
		}
		if targets[t.ID] {
			return fmt.Errorf("target %s: duplicate id", t.ID)
		}
		targets[t.ID] = true
	}
	conflicts := func(owner string, cs []backend.Conflict) error {
		for _, x := range cs {
			if !targets[x.TargetID] {
				return fmt.Errorf("%s: conflict with unknown target %s", owner, x.TargetID)
			}
		}
		return nil
	}
	userByID := map[string]*backend.User{}
	for _, u := range c.Users {
		if err := u.User.Validate(); err != nil {
			return fmt.Errorf("user %s: %w", u.User.ID, err)
		}
		if err := backend.ValidatePassword(u.Password); err != nil {
			return fmt.Errorf("user %s: %w", u.User.ID, err)
		}
		if userByID[u.User.ID] != nil {
			return fmt.Errorf("user %s: duplicate id", u.User.ID)
		}
		userByID[u.User.ID] = u.User
		for _, d := range u.User.Departments {
			if !depts[d] {
				return fmt.Errorf("user %s: unknown department %s", u.User.ID, d)
			}
		}
	}
	inspectors, certs := map[string]bool{}, map[string]bool{}
	for _, in := range c.Inspectors {
		if err := in.Validate(); err != nil {
			return fmt.Errorf("inspector %s: %w", in.ID, err)
		}
		if inspectors[in.ID] || certs[in.CertNo] {
			return fmt.Errorf("inspector %s: duplicate id or certificate %s", in.ID, in.CertNo)
		}
		inspectors[in.ID], certs[in.CertNo] = true, true
		if !depts[in.DepartmentID] {
			return fmt.Errorf("inspector %s: unknown department %s", in.ID, in.DepartmentID)
		}
		if err := conflicts("inspector "+in.ID, in.Conflicts); err != nil {
			return err
		}
		if in.UserID != "" {
			u := userByID[in.UserID]
			if u == nil || u.Role != backend.RoleInspector || len(u.Departments) != 1 || u.Departments[0] != in.DepartmentID {
				return fmt.Errorf("inspector %s: user %s is not an inspector login of %s", in.ID, in.UserID, in.DepartmentID)
			}
		}
	}
	experts := map[string]bool{}
	for _, e := range c.Experts {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("expert %s: %w", e.ID, err)
		}
		if experts[e.ID] {
			return fmt.Errorf("expert %s: duplicate id", e.ID)
		}
		experts[e.ID] = true
		if err := conflicts("expert "+e.ID, e.Conflicts); err != nil {
			return err
		}
	}
	if len(c.Templates) != len(c.Items) {
		return fmt.Errorf("%d items but %d templates", len(c.Items), len(c.Templates))
	}
	items := map[string]bool{}
	for i, it := range c.Items {
		if err := it.Validate(); err != nil {
			return fmt.Errorf("item %s: %w", it.Code, err)
		}
		if items[it.Code] {
			return fmt.Errorf("item %s: duplicate code", it.Code)
		}
		items[it.Code] = true
		for _, d := range it.Departments() {
			if !depts[d] {
				return fmt.Errorf("item %s: unknown department %s", it.Code, d)
			}
		}
		t := c.Templates[i]
		if t.ItemCode != it.Code || t.Version != it.TemplateVersion || t.ID != backend.TemplateID(it.Code, t.Version) {
			return fmt.Errorf("item %s: template %s does not match", it.Code, t.ID)
		}
		if err := backend.ValidateQuestions(t.Questions); err != nil {
			return fmt.Errorf("template %s: %w", t.ID, err)
		}
	}
	return nil
}
