package api

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// The portal's results list (/public/results): the open data of
// /public/results.json as a page, filtered by a form that needs no script,
// with the CSV and JSON of the same page one link away.

// PortalResultsPage is the rows of a page of the results list (the open
// data's default page).
const PortalResultsPage = 50

// portalResultCodes are the categories the filter offers, in the order of
// the official list, with the one a re-check gives.
var portalResultCodes = []backend.ResultCode{backend.ResultNoProblem, backend.ResultCorrected, backend.ResultFollowUp, backend.ResultRectified,
	backend.ResultNotDisclosed, backend.ResultUnreachable, backend.ResultObstructed, backend.ResultNoActivity, backend.ResultClosed, backend.ResultDeregistered}

type option struct {
	Value, Label string
	Selected     bool
}

type resultsData struct {
	N                            *names
	Rows                         []*planning.PublicResult
	Departments, Plans, Codes    []option
	From, To                     string
	Filtered                     bool
	CSV, JSON, Next, First, Self string
}

// resultsFilterQuery is the filters of c (and its page) as a query string,
// in a fixed order, the cursor last: the download links and the next page
// carry exactly what the page was asked for.
func resultsFilterQuery(c *fiber.Ctx, after string) url.Values {
	v := url.Values{}
	for _, k := range []string{"department", "plan", "code", "from", "to", "limit"} {
		if s := c.Query(k); s != "" {
			v.Set(k, s)
		}
	}
	if after != "" {
		v.Set("after", after)
	}
	return v
}

func (s *Server) handlePortalResults(c *fiber.Ctx) error {
	page, err := publicResultsPage(c, s.Planning)
	if err != nil {
		return err
	}
	q := publicQuery(c)
	d := resultsData{N: s.names(c), Rows: page.Items, From: string(q.From), To: string(q.To),
		Filtered: q.Department != "" || q.PlanID != "" || q.Code != "" || q.From != "" || q.To != ""}
	here := resultsFilterQuery(c, c.Query("after"))
	d.Self = here.Encode()
	d.CSV, d.JSON = "/public/results.csv?"+d.Self, "/public/results.json?"+d.Self
	if page.NextCursor != "" {
		d.Next = "/public/results?" + resultsFilterQuery(c, page.NextCursor).Encode()
	}
	if c.Query("after") != "" {
		d.First = "/public/results?" + resultsFilterQuery(c, "").Encode()
	}
	depts, err := s.Planning.Departments.FindDepartments(c.UserContext())
	if err != nil {
		return err
	}
	for _, dep := range depts {
		d.Departments = append(d.Departments, option{Value: dep.ID, Label: dep.Name, Selected: dep.ID == q.Department})
	}
	year := s.now().In(backend.China).Year()
	seen := map[string]bool{}
	for _, y := range []int{year, year - 1} {
		plans, err := s.Planning.PublicPlans(c.UserContext(), y, backend.PageRequest{Limit: backend.MaxPageLimit})
		if err != nil {
			return err
		}
		for _, p := range plans.Items {
			if !seen[p.PlanID] {
				seen[p.PlanID] = true
				d.Plans = append(d.Plans, option{Value: p.PlanID, Label: p.Plan.Name, Selected: p.PlanID == q.PlanID})
			}
		}
	}
	if q.PlanID != "" && !seen[q.PlanID] { // an older plan, asked by its id
		d.Plans = append(d.Plans, option{Value: q.PlanID, Label: d.N.Plan(q.PlanID), Selected: true})
	}
	for _, code := range portalResultCodes {
		d.Codes = append(d.Codes, option{Value: string(code), Label: code.PublicLabel(), Selected: code == q.Code})
	}
	return renderPortal(c, "results.html", portalPage{Title: "抽查检查结果公示", Nav: "results", Data: d})
}
