package api

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

// Pages of long lists on the portal: rows per page.
const (
	PortalPopulationPage = 100 // population and exclusions of a draw
	PortalSelectionPage  = 20  // selected targets of a draw (each named from the directory), visits of a round
)

// names turns codes into the names people read, once per page. A code
// whose name cannot be read is shown as it is.
type names struct {
	ctx   context.Context
	pl    *planning.Service
	items map[string]string
	depts map[string]string
	plans map[string]string
}

func (s *Server) names(c *fiber.Ctx) *names {
	return &names{ctx: c.UserContext(), pl: s.Planning, items: map[string]string{}, plans: map[string]string{}}
}

// Plan is the name of a public plan.
func (n *names) Plan(id string) string {
	if v, ok := n.plans[id]; ok {
		return v
	}
	v := id
	if p, err := n.pl.Plans.FindPlanByID(n.ctx, id); err == nil && p.State != backend.PlanDraft {
		v = p.Name
	}
	n.plans[id] = v
	return v
}

// Item is the name of an item of the list.
func (n *names) Item(code string) string {
	if v, ok := n.items[code]; ok {
		return v
	}
	v := code
	if it, err := n.pl.Items.FindItemByCode(n.ctx, code); err == nil {
		v = it.Name
	}
	n.items[code] = v
	return v
}

// Items names a list of items.
func (n *names) Items(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = n.Item(c)
	}
	return strings.Join(out, "、")
}

// Dept is the name of a department.
func (n *names) Dept(id string) string {
	if n.depts == nil {
		n.depts = map[string]string{}
		if ds, err := n.pl.Departments.FindDepartments(n.ctx); err == nil {
			for _, d := range ds {
				n.depts[d.ID] = d.Name
			}
		}
	}
	if v, ok := n.depts[id]; ok {
		return v
	}
	return id
}

// Depts names a list of departments.
func (n *names) Depts(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.Dept(id)
	}
	return strings.Join(out, "、")
}

// Local shows a time in China Standard Time.
func (n *names) Local(t time.Time) string { return t.In(backend.China).Format("2006-01-02 15:04") }

// LocalP shows a time that may be absent.
func (n *names) LocalP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return n.Local(*t)
}

// RoundState names a round's state.
func (n *names) RoundState(s backend.RoundState) string {
	return map[backend.RoundState]string{"open": "接受登记", "drawing": "抽取中", "drawn": "已抽取"}[s]
}

// Status names a target's registration status.
func (n *names) Status(s backend.TargetStatus) string { return statusNames[s] }

var exclusionNames = map[string]string{
	draw.ExcludedInactive: "非存续状态", draw.ExcludedWhitelist: "白名单（不主动现场检查）",
	draw.ExcludedAnnualCap: "本年度已被抽中检查同一事项", draw.ExcludedOperator: "抽取前依规排除",
	draw.ExcludedVisitCap: "本年度现场检查次数已达上限",
}

// Excluded names an exclusion reason of the draw record.
func (n *names) Excluded(code string) string {
	if v, ok := exclusionNames[code]; ok {
		return v
	}
	return code
}

// StratumName names a stratum of the credit classes; other keys as they are.
func (n *names) StratumName(key string) string {
	if v, ok := map[string]string{"A": "A 类（信用风险低）", "B": "B 类（信用风险一般）", "C": "C 类（信用风险较高）", "D": "D 类（信用风险高）"}[key]; ok {
		return v
	}
	if key == "" || key == "all" {
		return "全部（不分层）"
	}
	return key
}

// Rule says how many a stratum draws.
func (n *names) Rule(r draw.Rule) string {
	switch {
	case r.Count != nil:
		return "抽取 " + strconv.Itoa(*r.Count) + " 户"
	case r.RatioBp != nil:
		bp := *r.RatioBp
		return "抽取比例 " + strconv.Itoa(bp/100) + "." + pad2(bp%100) + "%"
	}
	return ""
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Source names a declared entropy source.
func (n *names) Source(s *backend.EntropySource) string {
	if s == nil {
		return "（未声明）"
	}
	return s.String()
}

// pageOf is one page of a long list: its rows and the links around it.
type pageOf[T any] struct {
	Rows        []T
	Number      int // from 1
	Pages       int
	Total       int
	First       int // number of the first row, from 1
	Prev, Next  string
	Param, Path string
}

// paged cuts rows into pages of size and returns page number (the query
// parameter param, from 1; out of range is 400).
func paged[T any](c *fiber.Ctx, rows []T, size int, param string) (*pageOf[T], error) {
	p := &pageOf[T]{Total: len(rows), Param: param, Number: 1}
	p.Pages = max(1, (len(rows)+size-1)/size)
	if v := c.Query(param); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > p.Pages {
			return nil, backend.Errorf(backend.EINVALID, "%s must be a page from 1 to %d", param, p.Pages)
		}
		p.Number = n
	}
	from := (p.Number - 1) * size
	p.Rows = rows[from:min(len(rows), from+size)]
	p.First = from + 1
	link := func(n int) string { return c.Path() + "?" + param + "=" + strconv.Itoa(n) + "#" + param }
	if p.Number > 1 {
		p.Prev = link(p.Number - 1)
	}
	if p.Number < p.Pages {
		p.Next = link(p.Number + 1)
	}
	return p, nil
}

// ---- home and search ----

type homeData struct {
	N       *names
	Query   string
	Hits    *backend.Page[visit.EnterpriseHit]
	More    string
	Plans   []*backend.PlanVersion
	Year    int
	Problem string
}

func (s *Server) handlePortalHome(c *fiber.Ctx) error {
	d := homeData{N: s.names(c), Query: strings.TrimSpace(c.Query("q")), Year: s.now().In(backend.China).Year()}
	if d.Query != "" {
		hits, err := s.Visit.SearchEnterprises(c.UserContext(), d.Query, c.Query("after"))
		switch {
		case backend.IsCode(err, backend.EINVALID):
			d.Problem = "请输入 1 至 " + strconv.Itoa(visit.MaxSearchRunes) + " 个字的企业名称，或 18 位统一社会信用代码。"
			c.Status(fiber.StatusBadRequest)
		case err != nil:
			return err
		default:
			d.Hits = hits
			if hits.NextCursor != "" {
				d.More = "/public/?q=" + urlQuery(d.Query) + "&after=" + urlQuery(hits.NextCursor)
			}
		}
	}
	plans, err := s.Planning.PublicPlans(c.UserContext(), d.Year, backend.PageRequest{Limit: 10})
	if err != nil {
		return err
	}
	d.Plans = plans.Items
	return renderPortal(c, "home.html", portalPage{Title: "双随机、一公开 信息公示", Nav: "home", Data: d})
}

// ---- enterprises ----

type enterpriseData struct {
	N *names
	E *visit.PublicEnterprise
	C *planning.PublicCredit
}

// PortalEnterprise is an enterprise's public record with the public part
// of its credit record.
type PortalEnterprise struct {
	*visit.PublicEnterprise
	Credit *planning.PublicCredit `json:"credit"`
}

func (s *Server) handlePortalEnterprise(html bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := s.Visit.PublicEnterprise(c.UserContext(), c.Params("uscc"))
		if err != nil {
			return err
		}
		cr, err := s.Planning.PublicCredit(c.UserContext(), e.ID)
		if err != nil {
			return err
		}
		if !html {
			c.Set(fiber.HeaderCacheControl, "public, max-age=60")
			return c.JSON(PortalEnterprise{PublicEnterprise: e, Credit: cr})
		}
		return renderPortal(c, "enterprise.html", portalPage{Title: e.Name, Nav: "home", Data: enterpriseData{N: s.names(c), E: e, C: cr}})
	}
}

// ---- plans ----

// yearList is a page of a year's list (plans, rounds): the year, links to
// the years around it and to the next page.
type yearList[T any] struct {
	N          *names
	Year       int
	Items      []T
	Next       string
	Prev, Then int
}

// portalYearList reads the year (this one by default) and page of c, and
// lists one page with list.
func portalYearList[T any](s *Server, c *fiber.Ctx, list func(ctx context.Context, year int, p backend.PageRequest) (*backend.Page[T], error)) (*yearList[T], error) {
	y, p, err := yearPage(c)
	if err != nil {
		return nil, err
	}
	if y == 0 {
		y = s.now().In(backend.China).Year()
	}
	page, err := list(c.UserContext(), y, p)
	if err != nil {
		return nil, err
	}
	d := &yearList[T]{N: s.names(c), Year: y, Items: page.Items, Prev: y - 1, Then: y + 1}
	if page.NextCursor != "" {
		d.Next = c.Path() + "?year=" + strconv.Itoa(y) + "&after=" + urlQuery(page.NextCursor)
	}
	return d, nil
}

func (s *Server) handlePortalPlans(c *fiber.Ctx) error {
	d, err := portalYearList(s, c, s.Planning.PublicPlans)
	if err != nil {
		return err
	}
	return renderPortal(c, "plans.html", portalPage{Title: strconv.Itoa(d.Year) + " 年度抽查计划", Nav: "plans", Data: d})
}

type planData struct {
	N    *names
	Plan *planning.PublicPlan
}

func (s *Server) handlePortalPlan(c *fiber.Ctx) error {
	p, err := s.Planning.PublicPlan(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return renderPortal(c, "plan.html", portalPage{Title: p.Current.Plan.Name, Nav: "plans", Data: planData{N: s.names(c), Plan: p}})
}

// ---- draws ----

type drawData struct {
	N          *names
	ID         string
	R          *draw.Record
	PlanName   string
	Selected   *pageOf[selectedRow]
	Excluded   *pageOf[draw.Candidate]
	Population *pageOf[draw.Candidate]
}

type selectedRow struct {
	draw.Selection
	Name string
}

func (s *Server) handlePortalDraw(c *fiber.Ctx) error {
	id := c.Params("id")
	e, err := s.drawRecord(c.UserContext(), id)
	if err != nil {
		return err
	}
	r := e.draw
	d := drawData{N: s.names(c), ID: id, R: r}
	if v, err := s.Planning.Plans.FindPlanVersion(c.UserContext(), r.PlanID, r.PlanVersion); err == nil {
		d.PlanName = v.Plan.Name
	}
	rows := make([]selectedRow, len(r.Selected))
	for i, sel := range r.Selected {
		rows[i] = selectedRow{Selection: sel}
	}
	if d.Selected, err = paged(c, rows, PortalSelectionPage, "sel"); err != nil {
		return err
	}
	for i := range d.Selected.Rows {
		if t, err := s.Visit.Targets.FindTargetByID(c.UserContext(), d.Selected.Rows[i].ID); err == nil {
			d.Selected.Rows[i].Name = t.Name
		}
	}
	var excluded []draw.Candidate
	for _, c := range r.Population {
		if c.Excluded != "" {
			excluded = append(excluded, c)
		}
	}
	if d.Excluded, err = paged(c, excluded, PortalPopulationPage, "excl"); err != nil {
		return err
	}
	if d.Population, err = paged(c, r.Population, PortalPopulationPage, "pop"); err != nil {
		return err
	}
	return renderPortal(c, "draw.html", portalPage{Title: "抽取记录 " + id, Nav: "plans", Data: d})
}

// ---- rounds ----

func (s *Server) handlePortalRounds(c *fiber.Ctx) error {
	d, err := portalYearList(s, c, s.Planning.PublicRounds)
	if err != nil {
		return err
	}
	return renderPortal(c, "rounds.html", portalPage{Title: strconv.Itoa(d.Year) + " 年度协同抽取", Nav: "rounds", Data: d})
}

type roundData struct {
	N      *names
	ID     string
	R      *draw.RoundRecord
	Visits *pageOf[draw.Visit]
	// Replacements in the order they were made, and by visit the plans
	// whose part left it (target → plan → replacement).
	Replacements []roundReplacementRow
	Gone         map[string]map[string]string
}

// roundReplacementRow is a replacement as the round page shows it.
type roundReplacementRow struct {
	*draw.RoundReplacement
	When string // Asia/Shanghai; empty when the record does not say
}

// roundReplacementRows lists r's replacements for the page.
func roundReplacementRows(r *draw.RoundRecord) ([]roundReplacementRow, map[string]map[string]string) {
	rows := make([]roundReplacementRow, len(r.Replacements))
	gone := map[string]map[string]string{}
	for i := range r.Replacements {
		x := &r.Replacements[i]
		rows[i].RoundReplacement = x
		if at, err := time.Parse(time.RFC3339, x.At); err == nil {
			rows[i].When = at.In(backend.China).Format("2006-01-02 15:04")
		}
		if gone[x.Replaced] == nil {
			gone[x.Replaced] = map[string]string{}
		}
		gone[x.Replaced][x.Plan] = x.Replacement
	}
	return rows, gone
}

func (s *Server) handlePortalRound(c *fiber.Ctx) error {
	id := c.Params("id")
	e, err := s.roundRecord(c.UserContext(), id)
	if err != nil {
		return err
	}
	r := e.round
	d := roundData{N: s.names(c), ID: id, R: r}
	d.Replacements, d.Gone = roundReplacementRows(r)
	if d.Visits, err = paged(c, r.Visits, PortalSelectionPage, "visits"); err != nil {
		return err
	}
	return renderPortal(c, "round.html", portalPage{Title: "协同抽取记录 " + id, Nav: "rounds", Data: d})
}

// registerPortalRoutes registers the portal's own pages; the plans', draws'
// and rounds' pages answer at their JSON URLs (plans.go, rounds.go).
func (s *Server) registerPortalRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/public", Summary: "The public portal's home page (HTML, Chinese): search an enterprise by name or USCC (q; after pages on), this year's plans", Tag: "public",
		Query: []httpkit.Param{{Name: "q", Type: "string", Description: "part of the name, or the USCC"}, {Name: "after", Type: "string", Description: "cursor of the next page of matches"}},
		Page:  true, Handler: s.handlePortalHome})
	s.Add(httpkit.Route{Method: "GET", Path: "/public/enterprises/:uscc", Summary: "An enterprise's public record and its published results (item and department names); a page for browsers", Tag: "public",
		Page: true, Response: PortalEnterprise{}, Handler: negotiated(s.handlePortalEnterprise(true), s.handlePortalEnterprise(false))})
}

func urlQuery(s string) string { return url.QueryEscape(s) }
