package api

import (
	"embed"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// page is the data of a page: its own fields plus helpers for Chinese text.
type page struct {
	Title       string
	View        *visit.VisitView
	Enterprise  *visit.PublicEnterprise
	CodeProblem string
	Results     []string
}

var statusNames = map[backend.TargetStatus]string{
	backend.StatusActive: "存续（在业）", backend.StatusClosed: "停业", backend.StatusDeregistered: "注销", backend.StatusRevoked: "吊销",
}

func (page) StatusName(s backend.TargetStatus) string { return statusNames[s] }

func (page) TriggerName(k backend.TriggerKind) string {
	return map[backend.TriggerKind]string{backend.TriggerComplaint: "投诉举报", backend.TriggerReferral: "转办交办", backend.TriggerCampaign: "专项检查"}[k]
}

// Local shows a time in China Standard Time.
func (page) Local(t *time.Time) string { return t.In(backend.China).Format("2006-01-02 15:04") }

// Problem says in Chinese why a code is not valid; the reason words of the
// qr package's English messages pick the sentence.
func (page) Problem(msg string) string {
	switch m := strings.ToLower(msg); {
	case strings.Contains(m, "expired"):
		return "检查码已过期。请执法人员在手机上刷新检查码后重新扫描。"
	case strings.Contains(m, "revoked"), strings.Contains(m, "cancelled"):
		return "检查码已被撤销，或该检查任务已取消。"
	case strings.Contains(m, "not yet valid"):
		return "检查码尚未生效，请核对手机时间。"
	case strings.Contains(m, "forged"), strings.Contains(m, "altered"), strings.Contains(m, "key"):
		return "检查码不是监管平台签发的，或已被篡改。"
	}
	return "检查码格式不正确。"
}

func render(c *fiber.Ctx, name string, p page) error {
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, p); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "render " + name, Err: err}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(b.String())
}

func (s *Server) registerPageRoutes() {
	s.Add(Route{Method: "GET", Path: "/v/:token", Summary: "Page for an enterprise that scanned an inspection code: is the check genuine, who inspects what", Tag: "pages",
		Handler: func(c *fiber.Ctx) error {
			v, err := s.Visit.ViewCode(c.UserContext(), c.Params("token"))
			if err != nil {
				return err
			}
			return render(c, "visit.html", page{Title: "检查码核验", View: v})
		}})
	s.Add(Route{Method: "GET", Path: "/e/:uscc", Summary: "The page a licence code opens: the enterprise's public record and published results", Tag: "pages",
		Query: []Param{{"k", "string", "key id"}, {"s", "string", "signature"}},
		Handler: func(c *fiber.Ctx) error {
			p := page{Title: "企业信息"}
			raw := c.Path()
			if q := string(c.Request().URI().QueryString()); q != "" {
				raw += "?" + q
			}
			if _, _, err := s.Visit.Codes.VerifyEnterpriseCode(c.UserContext(), raw); err != nil {
				if !backend.IsCode(err, backend.EINVALID) {
					return err
				}
				p.CodeProblem = backend.ErrorMessage(err)
			}
			e, err := s.Visit.PublicEnterprise(c.UserContext(), c.Params("uscc"))
			if err != nil && !backend.IsCode(err, backend.ENOTFOUND) && !backend.IsCode(err, backend.EINVALID) {
				return err
			}
			p.Enterprise = e
			if e != nil {
				p.Results = e.Results
			}
			return render(c, "enterprise.html", p)
		}})
}
