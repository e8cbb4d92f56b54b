package demo

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/fieldcheck/fieldcheck/backend"
)

// SeedActor is the audit actor of a seed run without a caller in the context.
var SeedActor = backend.SystemActor("demo").UserID

// SeedAction is the audit action of the entries Seed appends.
const SeedAction = "demo.seed"

// targetBatch is how many targets go into one bulk insert.
const targetBatch = 1000

// Stores are the stores Seed writes to. Audit may be nil, in which case no
// audit entries are written (tests of other packages that only want data).
type Stores struct {
	Departments backend.DepartmentStore
	Users       backend.UserStore
	Targets     backend.TargetStore
	Inspectors  backend.InspectorStore
	Items       backend.ItemStore
	Audit       *backend.AuditLog
}

func (s *Stores) check() error {
	if s.Departments == nil || s.Users == nil || s.Targets == nil || s.Inspectors == nil || s.Items == nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "demo.Seed", Message: "a store is missing"}
	}
	return nil
}

// Summary counts what Seed wrote.
type Summary struct {
	Departments  int
	Items        int
	Templates    int
	Targets      int
	Inspectors   int
	Experts      int
	Users        int
	AuditEntries int
}

// IsEmpty reports whether the store holds no users, no departments and no
// targets: the condition for seeding.
func IsEmpty(ctx context.Context, s Stores) (bool, error) {
	const op = "demo.IsEmpty"
	if err := s.check(); err != nil {
		return false, err
	}
	n, err := s.Users.CountUsers(ctx)
	if err != nil {
		return false, &backend.Error{Op: op, Err: err}
	}
	if n > 0 {
		return false, nil
	}
	ds, err := s.Departments.FindDepartments(ctx)
	if err != nil {
		return false, &backend.Error{Op: op, Err: err}
	}
	if len(ds) > 0 {
		return false, nil
	}
	page, err := s.Targets.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	if err != nil {
		return false, &backend.Error{Op: op, Err: err}
	}
	return len(page.Items) == 0, nil
}

// Seed writes the county into an empty store: departments, items with their
// templates, targets (in bulk), inspectors, experts and users (with bcrypt
// hashes of their demo passwords), then one audit entry per collection. It
// refuses with ECONFLICT when the store is not empty, so a second run is
// harmless. The county itself is not modified.
//
// The actor in ctx is recorded in the audit log; without one, Seed acts as
// the system actor "system:demo".
func Seed(ctx context.Context, s Stores, c *County) (*Summary, error) {
	const op = "demo.Seed"
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &backend.Error{Code: backend.EINVALID, Op: op, Message: "the demo county is invalid", Err: err}
	}
	empty, err := IsEmpty(ctx, s)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "the store already holds data; the demo county is seeded only into an empty store"}
	}
	if backend.ActorFrom(ctx) == nil {
		ctx = backend.WithActor(ctx, backend.SystemActor("demo"))
	}
	// Hash while the store is busy with the directories.
	hashes := make(chan hashResult, 1)
	go func() { hashes <- hashAll(c.Users) }()

	fail := func(what string, err error) (*Summary, error) {
		return nil, &backend.Error{Op: op, Message: "seeding " + what, Err: err}
	}
	sum := &Summary{}
	for _, d := range c.Departments {
		d := *d
		if err := s.Departments.CreateDepartment(ctx, &d); err != nil {
			return fail("department "+d.ID, err)
		}
		sum.Departments++
	}
	for i, it := range c.Items {
		it := *it
		if err := s.Items.CreateItem(ctx, &it); err != nil {
			return fail("item "+it.Code, err)
		}
		sum.Items++
		t := *c.Templates[i]
		if err := s.Items.CreateTemplate(ctx, &t); err != nil {
			return fail("template "+t.ID, err)
		}
		sum.Templates++
	}
	for start := 0; start < len(c.Targets); start += targetBatch {
		end := min(start+targetBatch, len(c.Targets))
		batch := make([]*backend.Target, 0, end-start)
		for _, t := range c.Targets[start:end] {
			t := *t
			batch = append(batch, &t)
		}
		if err := s.Targets.CreateTargets(ctx, batch); err != nil {
			return fail(fmt.Sprintf("targets %d-%d", start+1, end), err)
		}
		sum.Targets += len(batch)
	}
	for _, in := range c.Inspectors {
		in := *in
		if err := s.Inspectors.CreateInspector(ctx, &in); err != nil {
			return fail("inspector "+in.ID, err)
		}
		sum.Inspectors++
	}
	for _, e := range c.Experts {
		e := *e
		if err := s.Inspectors.CreateExpert(ctx, &e); err != nil {
			return fail("expert "+e.ID, err)
		}
		sum.Experts++
	}
	h := <-hashes
	if h.err != nil {
		return fail("users", h.err)
	}
	for i, du := range c.Users {
		u := *du.User
		u.PasswordHash = h.hashes[i]
		if err := s.Users.CreateUser(ctx, &u); err != nil {
			return fail("user "+u.ID, err)
		}
		sum.Users++
	}

	if s.Audit == nil {
		return sum, nil
	}
	for _, e := range c.auditRecords(sum) {
		if _, err := s.Audit.Append(ctx, e); err != nil {
			return fail("audit log", err)
		}
		sum.AuditEntries++
	}
	return sum, nil
}

// auditRecords states what was seeded, one record per collection. The
// digest covers the ids written, so the log pins down exactly which county
// went in.
func (c *County) auditRecords(sum *Summary) []backend.AuditRecord {
	ids := func(n int, id func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	rec := func(collection string, n int, change []string) backend.AuditRecord {
		return backend.AuditRecord{
			Action: SeedAction, ObjectType: "collection", ObjectID: collection, Change: change,
			Detail: fmt.Sprintf("demo county %s (seed %d, as of %s): %d %s", c.Name, c.Seed, c.AsOf, n, collection),
		}
	}
	return []backend.AuditRecord{
		rec("departments", sum.Departments, ids(len(c.Departments), func(i int) string { return c.Departments[i].ID })),
		rec("items", sum.Items, ids(len(c.Items), func(i int) string { return c.Items[i].Code })),
		rec("templates", sum.Templates, ids(len(c.Templates), func(i int) string { return c.Templates[i].ID })),
		rec("targets", sum.Targets, ids(len(c.Targets), func(i int) string { return c.Targets[i].ID })),
		rec("inspectors", sum.Inspectors, ids(len(c.Inspectors), func(i int) string { return c.Inspectors[i].ID })),
		rec("experts", sum.Experts, ids(len(c.Experts), func(i int) string { return c.Experts[i].ID })),
		rec("users", sum.Users, ids(len(c.Users), func(i int) string { return c.Users[i].User.ID })),
	}
}

type hashResult struct {
	hashes []string
	err    error
}

// hashAll hashes every demo password, one goroutine per core: bcrypt is
// deliberately slow.
func hashAll(us []DemoUser) hashResult {
	res := hashResult{hashes: make([]string, len(us))}
	errs := make([]error, len(us))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, u := range us {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res.hashes[i], errs[i] = hashDemoPassword(u.Password)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			res.err = fmt.Errorf("user %s: %w", us[i].User.ID, err)
			break
		}
	}
	return res
}
