package api

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/apijson"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// resultFilterParams are the filters of the register and of the public
// results list.
var resultFilterParams = []httpkit.Param{
	{Name: "department", Type: "string", Description: "a department's id: results it took part in"},
	{Name: "plan", Type: "string", Description: "a plan's id"},
	{Name: "code", Type: "string", Description: "a result category (no-problem, corrected, follow-up, … rectified)"},
	{Name: "from", Type: "string", Description: "first result date, YYYY-MM-DD (Asia/Shanghai)"},
	{Name: "to", Type: "string", Description: "last result date, YYYY-MM-DD (Asia/Shanghai)"},
}

func publicQuery(c *fiber.Ctx) planning.PublicResultQuery {
	return planning.PublicResultQuery{Department: c.Query("department"), PlanID: c.Query("plan"), Code: backend.ResultCode(c.Query("code")),
		From: backend.Date(c.Query("from")), To: backend.Date(c.Query("to"))}
}

func (s *Server) registerResultRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/results", Summary: "The results register of the caller's departments (managers, reviewers; admin: every department): entries in result-date order (the earliest deadline first) with the working days left, and the counts by view (pending, overdue, withhold-proposed, withheld, published)", Tag: "results", Auth: true,
		Query:    append(append([]httpkit.Param{{Name: "view", Type: "string", Description: "pending, overdue, withhold-proposed, withheld or published; empty: all"}}, resultFilterParams...), httpkit.PageParams...),
		Response: planning.Register{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			q := publicQuery(c)
			return pl.ListRegister(c.UserContext(), planning.RegisterQuery{Department: q.Department, View: backend.RegisterView(c.Query("view")),
				PlanID: q.PlanID, Code: q.Code, From: q.From, To: q.To}, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/results/:id", Summary: "One entry of the register (its departments' staff and its team)", Tag: "results", Auth: true,
		Response: planning.RegisterEntry{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.GetResultEntry(c.UserContext(), c.Params("id"))
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/results/publish", Summary: "Publish pending results in bulk (1 to 100, managers of the lead department who did not inspect): each task becomes published, its result's version 1 public; every entry is checked before any is written, and the publication completes after a crash", Tag: "results", Auth: true,
		Request: planning.PublishRequest{}, Response: []*planning.RegisterEntry{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.PublishRequest) (any, error) {
			return pl.PublishResults(c.UserContext(), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/results/:id/publish", Summary: "Publish one pending result (as the bulk publication of one)", Tag: "results", Auth: true,
		Response: planning.RegisterEntry{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			out, err := pl.PublishResults(c.UserContext(), planning.PublishRequest{IDs: []string{c.Params("id")}})
			if err != nil {
				return nil, err
			}
			return out[0], nil
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/results/register", Summary: "Register the results of approved or published tasks that have no register entry (approved before the register existed): administrators only; 1 to 100 task ids; an entry already there is returned as it is", Tag: "results", Auth: true,
		Request: planning.PublishRequest{}, Response: []*backend.ResultEntry{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.PublishRequest) (any, error) {
			return pl.RegisterOlder(c.UserContext(), r.IDs)
		})})
	change := func(path, summary string, fn func(*planning.Service) func(c *fiber.Ctx, id string, r planning.EntryChange) (*planning.RegisterEntry, error)) {
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/results/:id/" + path, Summary: summary, Tag: "results", Auth: true,
			Request: planning.EntryChange{}, Response: planning.RegisterEntry{},
			Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.EntryChange) (any, error) {
				return fn(pl)(c, c.Params("id"), *r)
			})})
	}
	change("withhold", "Propose not to publish a pending result (依法不予公开) with the reason (managers of the lead department); a second person confirms", func(p *planning.Service) func(*fiber.Ctx, string, planning.EntryChange) (*planning.RegisterEntry, error) {
		return func(c *fiber.Ctx, id string, r planning.EntryChange) (*planning.RegisterEntry, error) {
			return p.ProposeWithhold(c.UserContext(), id, r)
		}
	})
	change("withhold/confirm", "Confirm a proposal to withhold: a manager or reviewer of the lead department other than the one who proposed it (403 for that one)", func(p *planning.Service) func(*fiber.Ctx, string, planning.EntryChange) (*planning.RegisterEntry, error) {
		return func(c *fiber.Ctx, id string, r planning.EntryChange) (*planning.RegisterEntry, error) {
			return p.ConfirmWithhold(c.UserContext(), id, r)
		}
	})
	change("withhold/reject", "Reject a proposal to withhold: the result is pending again", func(p *planning.Service) func(*fiber.Ctx, string, planning.EntryChange) (*planning.RegisterEntry, error) {
		return func(c *fiber.Ctx, id string, r planning.EntryChange) (*planning.RegisterEntry, error) {
			return p.RejectWithhold(c.UserContext(), id, r)
		}
	})
	change("corrections", "Correct a published result: a new public version with the category and the reason; never an edit of the one before, which stays public in the history", func(p *planning.Service) func(*fiber.Ctx, string, planning.EntryChange) (*planning.RegisterEntry, error) {
		return func(c *fiber.Ctx, id string, r planning.EntryChange) (*planning.RegisterEntry, error) {
			return p.CorrectResult(c.UserContext(), id, r)
		}
	})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/results/:id/follow-up", Summary: "Enter the follow-up (后续处置) of a result, once: by the team that checked (谁检查、谁录入). 责令改正 needs the rectification deadline and creates the re-check task (复查) for the same team; 发现案件线索 and 抄告相关部门 name the department. On a published result the follow-up is published as a new version", Tag: "results", Auth: true,
		Request: backend.FollowUpInput{}, Response: planning.RegisterEntry{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *backend.FollowUpInput) (any, error) {
			return pl.SetFollowUp(c.UserContext(), c.Params("id"), *r)
		})})

	// Open data (一公开): no login.
	s.Add(httpkit.Route{Method: "GET", Path: "/public/results.json", Summary: "Published results across enterprises, newest result date first, keyset-paged (open data; columns in docs/results.md): never who published them nor the team. ETag: If-None-Match answers 304", Tag: "public",
		Query: append(append([]httpkit.Param{}, resultFilterParams...), httpkit.PageParams...), Response: backend.Page[*planning.PublicResult]{},
		Also:    []httpkit.Answer{{Status: fiber.StatusNotModified, Description: "the client has this page", NoBody: true}},
		Handler: publicResultsJSON(pl)})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/results", Summary: "The results list of the portal: to a browser a page in Chinese with the filters as a form (no script), pages and links to the CSV and JSON of the same page; to API clients the JSON of /public/results.json", Tag: "public",
		Query: append(append([]httpkit.Param{}, resultFilterParams...), httpkit.PageParams...), Response: backend.Page[*planning.PublicResult]{},
		Page: true, Also: []httpkit.Answer{{Status: fiber.StatusNotModified, Description: "the client has this page", NoBody: true}},
		Handler: negotiated(s.handlePortalResults, publicResultsJSON(pl))})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/results.csv", Summary: "The page of /public/results.json as CSV (UTF-8 with a byte-order mark, for Excel; headers in Chinese, docs/results.md); the next page's cursor in the Link header (rel=next)", Tag: "public",
		Query: append(append([]httpkit.Param{}, resultFilterParams...), httpkit.PageParams...), Produces: []string{"text/csv"},
		Also: []httpkit.Answer{{Status: fiber.StatusNotModified, Description: "the client has this page", NoBody: true}},
		Handler: func(c *fiber.Ctx) error {
			page, err := publicResultsPage(c, pl)
			if err != nil {
				return err
			}
			body, err := csvOf(publicResultsTable(page.Items))
			if err != nil {
				return err
			}
			if page.NextCursor != "" {
				q := c.Request().URI().QueryArgs()
				q.Set("after", page.NextCursor)
				c.Set(fiber.HeaderLink, "</public/results.csv?"+string(q.QueryString())+`>; rel="next"`)
			}
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="results.csv"`)
			return sendCacheable(c, "text/csv; charset=utf-8", body)
		}})
}

// publicResultsJSON answers a page of the open data as JSON.
func publicResultsJSON(pl *planning.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page, err := publicResultsPage(c, pl)
		if err != nil {
			return err
		}
		body, err := apijson.Marshal(page)
		if err != nil {
			return &backend.Error{Op: "api.publicResults", Err: err}
		}
		return sendCacheable(c, fiber.MIMEApplicationJSONCharsetUTF8, body)
	}
}

func publicResultsPage(c *fiber.Ctx, pl *planning.Service) (*backend.Page[*planning.PublicResult], error) {
	p, err := httpkit.PageRequest(c)
	if err != nil {
		return nil, err
	}
	return pl.PublicResults(c.UserContext(), publicQuery(c), p)
}

// sendCacheable sends body with a strong ETag of its bytes, or 304 when
// the client has them.
func sendCacheable(c *fiber.Ctx, contentType string, body []byte) error {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderETag, tag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	c.Vary(fiber.HeaderAcceptEncoding)
	for _, t := range strings.Split(c.Get(fiber.HeaderIfNoneMatch), ",") {
		if t = strings.TrimSpace(t); t == tag || t == "W/"+tag || t == "*" {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// publicResultsColumns are the CSV's headers (docs/results.md).
var publicResultsColumns = []string{"序号", "检查实施机关", "类型", "日期", "统一社会信用代码", "名称", "检查事项", "结果", "后续处置", "公示版本", "更正原因", "公示时间", "参与部门", "计划编号", "结果代码", "任务编号", "对象编号"}

// publicResultsTable is a page as rows of text, the header first; 序号
// numbers the rows of the page. Text that people typed (names, reasons,
// follow-ups) is defused for spreadsheets (csvText).
func publicResultsTable(items []*planning.PublicResult) [][]string {
	rows := [][]string{publicResultsColumns}
	for i, r := range items {
		rows = append(rows, []string{strconv.Itoa(i + 1), csvText(r.Authority), r.Type, string(r.ResultDate), r.USCC, csvText(r.TargetName),
			csvText(strings.Join(r.Items, "、")), r.Label, csvText(r.FollowUp), strconv.Itoa(r.Version), csvText(r.Reason),
			r.PublishedAt.In(backend.China).Format("2006-01-02 15:04"), csvText(strings.Join(r.Departments, "、")), r.PlanID, string(r.Code), r.ID, r.TargetID})
	}
	return rows
}

// csvText keeps a spreadsheet from taking a cell for a formula: text that
// begins with = + - @ or a tab or carriage return gets a leading
// apostrophe (OWASP's advice on CSV injection). The JSON has the text as
// it is.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
