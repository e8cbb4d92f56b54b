package api

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

func (s *Server) registerDirectoryRoutes() {
	d := s.Directory
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/departments", Summary: "List departments", Tag: "departments", Auth: true,
		Response: []*backend.Department{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return d.ListDepartments(c.UserContext())
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/departments", Summary: "Create a department (admin)", Tag: "departments", Auth: true,
		Request: backend.Department{}, Response: backend.Department{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Department) (any, error) {
			return v, d.CreateDepartment(c.UserContext(), v)
		})})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/departments/:id", Summary: "Update a department (admin); version must be the one read", Tag: "departments", Auth: true,
		Request: backend.Department{}, Response: backend.Department{},
		Handler: WithPathBody(func(v *backend.Department) *string { return &v.ID },
			func(c *fiber.Ctx, v *backend.Department) (any, error) {
				return v, d.UpdateDepartment(c.UserContext(), v)
			})})

	// Target directory.
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/targets", Summary: "List the target directory", Tag: "targets", Auth: true,
		Query:    append(slices.Clone(targetListParams), httpkit.PageParams...),
		Response: backend.Page[*backend.Target]{}, Handler: httpkit.Result(s.handleTargetList)})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/targets/:id", Summary: "Get a target by id (the USCC for market entities)", Tag: "targets", Auth: true,
		Response: backend.Target{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return d.GetTarget(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/targets", Summary: "Add a target", Tag: "targets", Auth: true,
		Request: backend.Target{}, Response: backend.Target{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Target) (any, error) { return v, d.CreateTarget(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/targets/:id", Summary: "Replace a target; version must be the one read", Tag: "targets", Auth: true,
		Request: backend.Target{}, Response: backend.Target{},
		Handler: WithPathBody(func(v *backend.Target) *string { return &v.ID },
			func(c *fiber.Ctx, v *backend.Target) (any, error) { return v, d.UpdateTarget(c.UserContext(), v) })})

	// Inspector and expert directories.
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/inspectors", Summary: "List the inspector directory", Tag: "inspectors", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "department", Type: "string", Description: "comma-separated department ids"},
			{Name: "specialty", Type: "string", Description: ""},
			{Name: "active", Type: "boolean", Description: ""},
			{Name: "certNo", Type: "string", Description: "enforcement certificate number"},
			{Name: "q", Type: "string", Description: "part of the name or of the certificate number, or the start of the id (at most 50 characters)"},
			{Name: "cert", Type: "string", Description: "certificate state today: expired, expiring (within certificateWarningDays, 30) or valid"},
			{Name: "sort", Type: "string", Description: "name or certExpiry: ascending by it, ties by id (the cursor then belongs to that order); none: by id"},
		}, httpkit.PageParams...),
		Response: backend.Page[*backend.Inspector]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			active, err := queryBool(c, "active")
			if err != nil {
				return nil, err
			}
			f := backend.InspectorFilter{DepartmentIDs: queryList(c, "department"), Specialty: c.Query("specialty"), Active: active, CertNo: c.Query("certNo"),
				Q: c.Query("q"), CertState: backend.CertState(c.Query("cert")), Sort: c.Query("sort")}
			return d.ListInspectors(c.UserContext(), f, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/inspectors/:id", Summary: "Get an inspector", Tag: "inspectors", Auth: true,
		Response: backend.Inspector{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return d.GetInspector(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/inspectors", Summary: "Add an inspector (admin, or manager of the inspector's department)", Tag: "inspectors", Auth: true,
		Request: backend.Inspector{}, Response: backend.Inspector{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Inspector) (any, error) { return v, d.CreateInspector(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/inspectors/:id", Summary: "Replace an inspector; version must be the one read", Tag: "inspectors", Auth: true,
		Request: backend.Inspector{}, Response: backend.Inspector{},
		Handler: WithPathBody(func(v *backend.Inspector) *string { return &v.ID },
			func(c *fiber.Ctx, v *backend.Inspector) (any, error) { return v, d.UpdateInspector(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/experts", Summary: "List the expert directory", Tag: "inspectors", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "q", Type: "string", Description: "part of the name or of the organisation"},
			{Name: "active", Type: "boolean", Description: ""},
		}, httpkit.PageParams...),
		Response: backend.Page[*backend.Expert]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			active, err := queryBool(c, "active")
			if err != nil {
				return nil, err
			}
			return d.ListExperts(c.UserContext(), backend.ExpertFilter{Q: c.Query("q"), Active: active}, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/experts/:id", Summary: "Get an expert", Tag: "inspectors", Auth: true,
		Response: backend.Expert{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return d.GetExpert(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/experts", Summary: "Add an expert", Tag: "inspectors", Auth: true,
		Request: backend.Expert{}, Response: backend.Expert{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Expert) (any, error) {
			v.Version = 0
			return v, d.SaveExpert(c.UserContext(), v)
		})})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/experts/:id", Summary: "Replace an expert; version must be the one read", Tag: "inspectors", Auth: true,
		Request: backend.Expert{}, Response: backend.Expert{},
		Handler: WithPathBody(func(v *backend.Expert) *string { return &v.ID }, func(c *fiber.Ctx, v *backend.Expert) (any, error) {
			if v.Version < 1 {
				return nil, backend.Errorf(backend.EINVALID, "version is required")
			}
			return v, d.SaveExpert(c.UserContext(), v)
		})})

	// Item list and checklist templates.
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/items", Summary: "List the spot-check item list", Tag: "items", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "department", Type: "string", Description: "lead or cooperating department"},
			{Name: "category", Type: "string", Description: "key or general"},
			{Name: "targetKind", Type: "string", Description: ""},
			{Name: "q", Type: "string", Description: "part of the name or of the code"},
		}, httpkit.PageParams...),
		Response: backend.Page[*backend.Item]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			f := backend.ItemFilter{DepartmentID: c.Query("department"), Category: backend.ItemCategory(c.Query("category")), TargetKind: backend.TargetKind(c.Query("targetKind")), Q: c.Query("q")}
			return d.ListItems(c.UserContext(), f, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/items/:code", Summary: "Get an item", Tag: "items", Auth: true,
		Response: backend.Item{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return d.GetItem(c.UserContext(), c.Params("code")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/items", Summary: "Add an item (admin, or manager of its lead department)", Tag: "items", Auth: true,
		Request: backend.Item{}, Response: backend.Item{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *backend.Item) (any, error) { return v, d.CreateItem(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/items/:code", Summary: "Replace an item; version must be the one read", Tag: "items", Auth: true,
		Request: backend.Item{}, Response: backend.Item{},
		Handler: WithPathBody(func(v *backend.Item) *string { return &v.Code },
			func(c *fiber.Ctx, v *backend.Item) (any, error) { return v, d.UpdateItem(c.UserContext(), v) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/items/:code/templates", Summary: "Store a new version of the item's checklist", Tag: "items", Auth: true,
		Request: templateRequest{}, Response: backend.ChecklistTemplate{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, v *templateRequest) (any, error) {
			return d.CreateTemplate(c.UserContext(), c.Params("code"), v.Questions)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/items/:code/templates", Summary: "The versions of the item's checklist, newest first (at most 50)", Tag: "items", Auth: true,
		Response: []backend.TemplateVersion{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return d.ListTemplates(c.UserContext(), c.Params("code"))
		})})
	// Before .../:version, which would take "diff" for a version.
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/items/:code/templates/diff", Summary: "What changed between two versions of the item's checklist", Tag: "items", Auth: true,
		Query: []httpkit.Param{
			{Name: "from", Type: "integer", Description: "the older version (required)"},
			{Name: "to", Type: "integer", Description: "the newer version (required)"},
		},
		Response: backend.TemplateDiff{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			from, err := templateVersionParam(c, "from")
			if err != nil {
				return nil, err
			}
			to, err := templateVersionParam(c, "to")
			if err != nil {
				return nil, err
			}
			return d.DiffTemplate(c.UserContext(), c.Params("code"), from, to)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/items/:code/templates/:version", Summary: "Get a version of the item's checklist (\"current\" for the current one)", Tag: "items", Auth: true,
		Response: backend.ChecklistTemplate{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			v := 0
			if p := c.Params("version"); p != "current" {
				n, err := strconv.Atoi(p)
				if err != nil || n < 1 {
					return nil, backend.Errorf(backend.EINVALID, "version must be a positive number or \"current\"")
				}
				v = n
			}
			return d.GetTemplate(c.UserContext(), c.Params("code"), v)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/checklists", Summary: "The merged form (一表通查) for a visit covering several items", Tag: "items", Auth: true,
		Query:    []httpkit.Param{{Name: "items", Type: "string", Description: "comma-separated item codes, at most 20"}},
		Response: backend.Checklist{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return d.MergedChecklist(c.UserContext(), queryList(c, "items"))
		})})
}

// templateVersionParam reads a required positive version from the query.
func templateVersionParam(c *fiber.Ctx, name string) (int, error) {
	n, err := strconv.Atoi(c.Query(name))
	if err != nil || n < 1 {
		return 0, backend.Errorf(backend.EINVALID, "%s must be a template version (a positive number)", name)
	}
	return n, nil
}

type templateRequest struct {
	Questions []backend.Question `json:"questions"`
}

func (s *Server) handleTargetList(c *fiber.Ctx) (any, error) {
	p, err := httpkit.PageRequest(c)
	if err != nil {
		return nil, err
	}
	f, err := targetFilter(c)
	if err != nil {
		return nil, err
	}
	return s.Directory.ListTargets(c.UserContext(), f, p)
}

// targetListParams are the filters of the target list and its export.
var targetListParams = []httpkit.Param{
	{Name: "kind", Type: "string", Description: "comma-separated kinds: enterprise, individual, cooperative, product, project, behaviour"},
	{Name: "region", Type: "string", Description: "administrative division code prefix, e.g. 3504"},
	{Name: "industry", Type: "string", Description: "comma-separated GB/T 4754 codes"},
	{Name: "tag", Type: "string", Description: "one tag"},
	{Name: "credit", Type: "string", Description: "comma-separated credit classes A-D"},
	{Name: "status", Type: "string", Description: "comma-separated statuses"},
	{Name: "whitelisted", Type: "boolean", Description: ""},
	{Name: "keySupervision", Type: "boolean", Description: ""},
	{Name: "q", Type: "string", Description: "part of the name"},
	{Name: "sort", Type: "string", Description: "name or creditClass: ascending by it, ties by id (the cursor then belongs to that order); none: by id"},
}

// targetFilter reads the target list's filter parameters.
func targetFilter(c *fiber.Ctx) (backend.TargetFilter, error) {
	var err error
	f := backend.TargetFilter{
		RegionPrefix: c.Query("region"),
		Industries:   queryList(c, "industry"),
		Tag:          c.Query("tag"),
		NameContains: c.Query("q"),
		Sort:         c.Query("sort"),
	}
	for _, k := range queryList(c, "kind") {
		f.Kinds = append(f.Kinds, backend.TargetKind(k))
	}
	for _, k := range queryList(c, "credit") {
		f.CreditClasses = append(f.CreditClasses, backend.CreditClass(k))
	}
	for _, k := range queryList(c, "status") {
		f.Statuses = append(f.Statuses, backend.TargetStatus(k))
	}
	if f.Whitelisted, err = queryBool(c, "whitelisted"); err != nil {
		return f, err
	}
	f.KeySupervision, err = queryBool(c, "keySupervision")
	return f, err
}

// pathID takes an object's id from the path (parameter id or code); a body
// naming another id is refused.
func pathID(c *fiber.Ctx, id *string) error {
	path := c.Params("id")
	if path == "" {
		path = c.Params("code")
	}
	if *id != "" && *id != path {
		return backend.Errorf(backend.EINVALID, "the body names %q but the path names %q", *id, path)
	}
	*id = path
	return nil
}
