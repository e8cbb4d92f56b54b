package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

func (s *Server) registerDirectoryRoutes() {
	d := s.Directory
	s.add(route{Method: "GET", Path: "/api/v1/departments", Summary: "List departments", Tag: "departments", Auth: true,
		Response: []*backend.Department{}, Handler: func(c *fiber.Ctx) error {
			list, err := d.ListDepartments(c.UserContext())
			if err != nil {
				return err
			}
			return c.JSON(list)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/departments", Summary: "Create a department (admin)", Tag: "departments", Auth: true,
		Request: backend.Department{}, Response: backend.Department{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Department
			if err := decode(c, &v); err != nil {
				return err
			}
			if err := d.CreateDepartment(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/departments/:id", Summary: "Update a department (admin); version must be the one read", Tag: "departments", Auth: true,
		Request: backend.Department{}, Response: backend.Department{}, Handler: func(c *fiber.Ctx) error {
			var v backend.Department
			if err := decodeWithID(c, &v, &v.ID); err != nil {
				return err
			}
			if err := d.UpdateDepartment(c.UserContext(), &v); err != nil {
				return err
			}
			return c.JSON(&v)
		}})

	// Target directory.
	s.add(route{Method: "GET", Path: "/api/v1/targets", Summary: "List the target directory", Tag: "targets", Auth: true,
		Query: append([]param{
			{"kind", "string", "comma-separated kinds: enterprise, individual, cooperative, product, project, behaviour"},
			{"region", "string", "administrative division code prefix, e.g. 3504"},
			{"industry", "string", "comma-separated GB/T 4754 codes"},
			{"tag", "string", "one tag"},
			{"credit", "string", "comma-separated credit classes A-D"},
			{"status", "string", "comma-separated statuses"},
			{"whitelisted", "boolean", ""},
			{"keySupervision", "boolean", ""},
			{"q", "string", "part of the name"},
		}, pageParams...),
		Response: backend.Page[*backend.Target]{}, Handler: s.handleTargetList})
	s.add(route{Method: "GET", Path: "/api/v1/targets/:id", Summary: "Get a target by id (the USCC for market entities)", Tag: "targets", Auth: true,
		Response: backend.Target{}, Handler: func(c *fiber.Ctx) error {
			t, err := d.GetTarget(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(t)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/targets", Summary: "Add a target", Tag: "targets", Auth: true,
		Request: backend.Target{}, Response: backend.Target{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Target
			if err := decode(c, &v); err != nil {
				return err
			}
			if err := d.CreateTarget(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/targets/:id", Summary: "Replace a target; version must be the one read", Tag: "targets", Auth: true,
		Request: backend.Target{}, Response: backend.Target{}, Handler: func(c *fiber.Ctx) error {
			var v backend.Target
			if err := decodeWithID(c, &v, &v.ID); err != nil {
				return err
			}
			if err := d.UpdateTarget(c.UserContext(), &v); err != nil {
				return err
			}
			return c.JSON(&v)
		}})

	// Inspector and expert directories.
	s.add(route{Method: "GET", Path: "/api/v1/inspectors", Summary: "List the inspector directory", Tag: "inspectors", Auth: true,
		Query: append([]param{
			{"department", "string", "comma-separated department ids"},
			{"specialty", "string", ""},
			{"active", "boolean", ""},
			{"certNo", "string", "enforcement certificate number"},
		}, pageParams...),
		Response: backend.Page[*backend.Inspector]{}, Handler: func(c *fiber.Ctx) error {
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			active, err := queryBool(c, "active")
			if err != nil {
				return err
			}
			f := backend.InspectorFilter{DepartmentIDs: queryList(c, "department"), Specialty: c.Query("specialty"), Active: active, CertNo: c.Query("certNo")}
			page, err := d.ListInspectors(c.UserContext(), f, p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/inspectors/:id", Summary: "Get an inspector", Tag: "inspectors", Auth: true,
		Response: backend.Inspector{}, Handler: func(c *fiber.Ctx) error {
			v, err := d.GetInspector(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/inspectors", Summary: "Add an inspector (admin, or manager of the inspector's department)", Tag: "inspectors", Auth: true,
		Request: backend.Inspector{}, Response: backend.Inspector{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Inspector
			if err := decode(c, &v); err != nil {
				return err
			}
			if err := d.CreateInspector(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/inspectors/:id", Summary: "Replace an inspector; version must be the one read", Tag: "inspectors", Auth: true,
		Request: backend.Inspector{}, Response: backend.Inspector{}, Handler: func(c *fiber.Ctx) error {
			var v backend.Inspector
			if err := decodeWithID(c, &v, &v.ID); err != nil {
				return err
			}
			if err := d.UpdateInspector(c.UserContext(), &v); err != nil {
				return err
			}
			return c.JSON(&v)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/experts", Summary: "List the expert directory", Tag: "inspectors", Auth: true,
		Query: pageParams, Response: backend.Page[*backend.Expert]{}, Handler: func(c *fiber.Ctx) error {
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			page, err := d.ListExperts(c.UserContext(), p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/experts/:id", Summary: "Get an expert", Tag: "inspectors", Auth: true,
		Response: backend.Expert{}, Handler: func(c *fiber.Ctx) error {
			v, err := d.GetExpert(c.UserContext(), c.Params("id"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/experts", Summary: "Add an expert", Tag: "inspectors", Auth: true,
		Request: backend.Expert{}, Response: backend.Expert{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Expert
			if err := decode(c, &v); err != nil {
				return err
			}
			v.Version = 0
			if err := d.SaveExpert(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/experts/:id", Summary: "Replace an expert; version must be the one read", Tag: "inspectors", Auth: true,
		Request: backend.Expert{}, Response: backend.Expert{}, Handler: func(c *fiber.Ctx) error {
			var v backend.Expert
			if err := decodeWithID(c, &v, &v.ID); err != nil {
				return err
			}
			if v.Version < 1 {
				return backend.Errorf(backend.EINVALID, "version is required")
			}
			if err := d.SaveExpert(c.UserContext(), &v); err != nil {
				return err
			}
			return c.JSON(&v)
		}})

	// Item list and checklist templates.
	s.add(route{Method: "GET", Path: "/api/v1/items", Summary: "List the spot-check item list", Tag: "items", Auth: true,
		Query: append([]param{
			{"department", "string", "lead or cooperating department"},
			{"category", "string", "key or general"},
			{"targetKind", "string", ""},
		}, pageParams...),
		Response: backend.Page[*backend.Item]{}, Handler: func(c *fiber.Ctx) error {
			p, err := pageRequest(c)
			if err != nil {
				return err
			}
			f := backend.ItemFilter{DepartmentID: c.Query("department"), Category: backend.ItemCategory(c.Query("category")), TargetKind: backend.TargetKind(c.Query("targetKind"))}
			page, err := d.ListItems(c.UserContext(), f, p)
			if err != nil {
				return err
			}
			return c.JSON(page)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/items/:code", Summary: "Get an item", Tag: "items", Auth: true,
		Response: backend.Item{}, Handler: func(c *fiber.Ctx) error {
			v, err := d.GetItem(c.UserContext(), c.Params("code"))
			if err != nil {
				return err
			}
			return c.JSON(v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/items", Summary: "Add an item (admin, or manager of its lead department)", Tag: "items", Auth: true,
		Request: backend.Item{}, Response: backend.Item{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v backend.Item
			if err := decode(c, &v); err != nil {
				return err
			}
			if err := d.CreateItem(c.UserContext(), &v); err != nil {
				return err
			}
			return created(c, &v)
		}})
	s.add(route{Method: "PUT", Path: "/api/v1/items/:code", Summary: "Replace an item; version must be the one read", Tag: "items", Auth: true,
		Request: backend.Item{}, Response: backend.Item{}, Handler: func(c *fiber.Ctx) error {
			var v backend.Item
			if err := decodeWithID(c, &v, &v.Code); err != nil {
				return err
			}
			if err := d.UpdateItem(c.UserContext(), &v); err != nil {
				return err
			}
			return c.JSON(&v)
		}})
	s.add(route{Method: "POST", Path: "/api/v1/items/:code/templates", Summary: "Store a new version of the item's checklist", Tag: "items", Auth: true,
		Request: templateRequest{}, Response: backend.ChecklistTemplate{}, Status: fiber.StatusCreated, Handler: func(c *fiber.Ctx) error {
			var v templateRequest
			if err := decode(c, &v); err != nil {
				return err
			}
			t, err := d.CreateTemplate(c.UserContext(), c.Params("code"), v.Questions)
			if err != nil {
				return err
			}
			return created(c, t)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/items/:code/templates/:version", Summary: "Get a version of the item's checklist (\"current\" for the current one)", Tag: "items", Auth: true,
		Response: backend.ChecklistTemplate{}, Handler: func(c *fiber.Ctx) error {
			v := 0
			if p := c.Params("version"); p != "current" {
				n, err := strconv.Atoi(p)
				if err != nil || n < 1 {
					return backend.Errorf(backend.EINVALID, "version must be a positive number or \"current\"")
				}
				v = n
			}
			t, err := d.GetTemplate(c.UserContext(), c.Params("code"), v)
			if err != nil {
				return err
			}
			return c.JSON(t)
		}})
	s.add(route{Method: "GET", Path: "/api/v1/checklists", Summary: "The merged form (一表通查) for a visit covering several items", Tag: "items", Auth: true,
		Query:    []param{{"items", "string", "comma-separated item codes, at most 20"}},
		Response: backend.Checklist{}, Handler: func(c *fiber.Ctx) error {
			cl, err := d.MergedChecklist(c.UserContext(), queryList(c, "items"))
			if err != nil {
				return err
			}
			return c.JSON(cl)
		}})
}

type templateRequest struct {
	Questions []backend.Question `json:"questions"`
}

func (s *Server) handleTargetList(c *fiber.Ctx) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := backend.TargetFilter{
		RegionPrefix: c.Query("region"),
		Industries:   queryList(c, "industry"),
		Tag:          c.Query("tag"),
		NameContains: c.Query("q"),
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
		return err
	}
	if f.KeySupervision, err = queryBool(c, "keySupervision"); err != nil {
		return err
	}
	page, err := s.Directory.ListTargets(c.UserContext(), f, p)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// decodeWithID decodes a replacement body and takes the object's id from the
// path; a body naming another id is refused.
func decodeWithID(c *fiber.Ctx, v any, id *string) error {
	if err := decode(c, v); err != nil {
		return err
	}
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
