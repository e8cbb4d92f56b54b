package api

import (
	"embed"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	"github.com/fieldcheck/fieldcheck/qr"
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
	Token       string
	K, S        string // the licence code's key id and signature, for the complaint and rating forms
	Visits      []visit.EnterpriseVisit
	Burden      *backend.EnterpriseBurden // this year's visits by source, with a genuine code
	Rated       bool
	Message     string
	// The enterprise's credit record as the public reads it, and what it
	// may file about with a genuine code (credit.go).
	Credit   *planning.PublicCredit
	Subjects []planning.CreditSubject
}

type score struct{ Field, Label string }

// Scores are the three questions of a rating.
func (page) Scores() []score {
	return []score{{"conduct", "执法人员文明规范"}, {"professionalism", "检查专业程度"}, {"burden", "对经营的影响（5 为无影响）"}}
}

// CreditDays, MaxFiles and MaxFileMB are the limits the filing form states.
func (page) CreditDays() int { return backend.CreditWorkingDays }
func (page) MaxFiles() int   { return backend.MaxCreditAttachments }
func (page) MaxFileMB() int  { return backend.MaxCreditAttachment >> 20 }

// Stars are the possible answers.
func (page) Stars() []int { return []int{1, 2, 3, 4, 5} }

// readForm reads a form-encoded body strictly: only the given fields, each
// at most once. Pages post forms; nothing else is accepted.
func readForm(c *fiber.Ctx, fields map[string]*string) error {
	ct := strings.ToLower(string(c.Request().Header.ContentType()))
	if !strings.HasPrefix(ct, fiber.MIMEApplicationForm) {
		return backend.Errorf(backend.EINVALID, "请通过页面上的表单提交。")
	}
	seen := map[string]bool{}
	var bad error
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		key := string(k)
		dst, known := fields[key]
		switch {
		case bad != nil:
		case !known:
			bad = backend.Errorf(backend.EINVALID, "表单中有页面上没有的内容（%s），请从页面重新提交。", key)
		case seen[key]:
			bad = backend.Errorf(backend.EINVALID, "表单中的一项（%s）填写了两次，请从页面重新提交。", key)
		default:
			*dst = string(v)
		}
		seen[key] = true
	})
	return bad
}

// scoresForm reads a rating form: the scores and the given other fields.
func scoresForm(c *fiber.Ctx, other map[string]*string) (visit.Scores, error) {
	var sc visit.Scores
	var happened, conduct, professionalism, burden string
	fields := map[string]*string{"happened": &happened, "conduct": &conduct,
		"professionalism": &professionalism, "burden": &burden, "comment": &sc.Comment}
	for k, v := range other {
		fields[k] = v
	}
	if err := readForm(c, fields); err != nil {
		return sc, err
	}
	if happened != "yes" && happened != "no" {
		return sc, backend.Errorf(backend.EINVALID, "请说明检查是否确已进行。")
	}
	sc.Happened = happened == "yes"
	for _, x := range []struct {
		name string
		val  string
		dst  *int
	}{{"conduct", conduct, &sc.Conduct}, {"professionalism", professionalism, &sc.Professionalism}, {"burden", burden, &sc.Burden}} {
		n, err := strconv.Atoi(x.val)
		if err != nil {
			return sc, backend.Errorf(backend.EINVALID, "请为每一项打分（1 至 5 分）。")
		}
		*x.dst = n
	}
	return sc, nil
}

// refusalTexts say in plain Chinese why a visit cannot be rated.
var refusalTexts = map[visit.RatingRefusal]string{
	visit.RatingNotCheckedIn:   "检查人员尚未在贵单位现场签到。签到后才能评价本次检查。",
	visit.RatingClosed:         "本次检查的评价期限已过。",
	visit.RatingCancelled:      "该检查任务已取消，不能评价。",
	visit.RatingTargetReplaced: "该检查任务已改为检查其他对象，不能评价。",
	visit.RatingReassigned:     "该检查任务已重新指派检查人员，此检查码不能用于评价。请扫描营业执照上的二维码，在企业信息页评价。",
	visit.RatingTaken:          "本次检查已有评价，检查码只能评价一次。如该评价不是贵单位作出的，请扫描营业执照上的二维码，在企业信息页更正评价。",
	visit.RatingTooManyChanges: "本次检查的评价已多次更改，不能再更改。如有异议，请在企业信息页投诉。",
	visit.RatingIncomplete:     "请说明检查是否确已进行，并为每一项打分（1 至 5 分）；意见不超过 1000 字。",
}

// Refusal says why the visit cannot be rated now.
func (p page) Refusal(st *visit.RatingStatus) string {
	if st == nil {
		return ""
	}
	return refusalTexts[st.Refusal]
}

// ratingMessage says in Chinese why a rating was refused; licence tells
// which code the page was opened with.
func (p page) ratingMessage(err error, licence bool) string {
	var why *visit.RatingRefused
	switch {
	case errors.As(err, &why) && why.Reason == visit.RatingBadCode && licence:
		return "营业执照二维码无效，或已被篡改。请扫描营业执照上的二维码重新打开本页。"
	case errors.As(err, &why) && why.Reason == visit.RatingBadCode:
		return p.Problem(backend.ErrorMessage(err))
	case errors.As(err, &why):
		return refusalTexts[why.Reason]
	case backend.IsCode(err, backend.ENOTFOUND):
		return "未找到这次检查。"
	case backend.IsCode(err, backend.ECONFLICT):
		return "评价刚刚有变化，请刷新页面后重新提交。"
	}
	return refusalTexts[visit.RatingIncomplete] // the form's own checks
}

// ratingError turns a refused rating into the page's message (in Chinese)
// and status; a failure of the server stays an error.
func ratingError(c *fiber.Ctx, p *page, err error, licence bool) error {
	if err := pageError(c, p, err); err != nil {
		return err
	}
	p.Message = p.ratingMessage(err, licence)
	return nil
}

// pageError turns a refusal into the page's message and status; a failure
// of the server stays an error.
func pageError(c *fiber.Ctx, p *page, err error) error {
	if code := backend.ErrorCode(err); code == backend.EINTERNAL || code == backend.EUNAVAILABLE {
		return err
	}
	p.Message = backend.ErrorMessage(err)
	c.Status(httpkit.Status(err))
	return nil
}

// complaintMessage says in Chinese why a complaint was refused: the form's
// own checks speak Chinese already; the reason words of the domain's
// English messages pick the sentence for the others.
func complaintMessage(err error) string {
	msg := backend.ErrorMessage(err)
	switch m := strings.ToLower(msg); {
	case backend.IsCode(err, backend.ETOOMANY):
		return "短时间内投诉过多，请一小时后再试。"
	case strings.Contains(m, "choose"):
		return "请选择投诉的类别。"
	case strings.Contains(m, "describe"):
		return "请用 5 至 2000 字描述检查的时间、人员和经过。"
	case strings.Contains(m, "contact"):
		return "联系电话最多 50 个字。"
	case errors.As(err, new(qr.Reason)):
		return "营业执照二维码无效，或已被篡改。请扫描营业执照上的二维码重新打开本页。"
	case hasHan(msg):
		return msg
	}
	return "投诉内容不完整，请检查后重新提交。"
}

// hasHan reports whether s is a message in Chinese (the pages' own).
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Categories are the complaint form's choices, in a stable order.
func (page) Categories() [][2]string {
	var out [][2]string
	for _, k := range []string{"no-certificate", "conduct", "improper-gain", "repeated", "burden", "other"} {
		out = append(out, [2]string{k, backend.ComplaintCategories[backend.ComplaintCategory(k)]})
	}
	return out
}

var statusNames = map[backend.TargetStatus]string{
	backend.StatusActive: "存续（在业）", backend.StatusClosed: "停业", backend.StatusDeregistered: "注销", backend.StatusRevoked: "吊销",
}

func (page) StatusName(s backend.TargetStatus) string { return statusNames[s] }

func (page) TriggerName(k backend.TriggerKind) string {
	return map[backend.TriggerKind]string{backend.TriggerComplaint: "投诉举报", backend.TriggerReferral: "转办交办", backend.TriggerCampaign: "专项检查", backend.TriggerRecheck: "复查"}[k]
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
	case strings.Contains(m, "does not exist"):
		return "检查码对应的检查任务不存在。"
	}
	return "检查码格式不正确。"
}

// licenceProblem says in Chinese why a licence code is not valid, by the
// qr package's reason.
func licenceProblem(err error) string {
	switch {
	case errors.Is(err, qr.ReasonRevoked), errors.Is(err, qr.ReasonRetiredKey):
		return "该二维码的签发密钥已停用，请向登记机关申请换发营业执照二维码。"
	case errors.Is(err, qr.ReasonForged), errors.Is(err, qr.ReasonAltered), errors.Is(err, qr.ReasonUnknownKey):
		return "二维码的签名不正确：不是监管平台签发的，或已被篡改。"
	case errors.Is(err, qr.ReasonUnsigned):
		return "链接中没有签名：请用手机扫描营业执照上的二维码打开本页。"
	}
	return "二维码无法识别：请用手机扫描营业执照上的二维码打开本页。"
}

// PageCSP is the Content-Security-Policy of every HTML page the server
// renders itself (enterprise pages, print sheets): no script at all, styles
// only from the page, images only from the server, forms only to it, and
// never inside a frame.
const PageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// licenceCodeOf is the licence code a form of the enterprise page was
// posted with: the page's path and the code's query.
func licenceCodeOf(c *fiber.Ctx, path string) string {
	return path + "?" + string(c.Request().URI().QueryString())
}

// EnterprisePageCSP is the Content-Security-Policy of the enterprise's
// pages (licence and inspection codes): no script, the portal's stylesheet
// only, forms only to the server.
const EnterprisePageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func render(c *fiber.Ctx, name string, p page) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return renderHTML(c, pages, name, p, EnterprisePageCSP)
}

// renderHTML answers the page name of set with data, under csp.
func renderHTML(c *fiber.Ctx, set *template.Template, name string, data any, csp string) error {
	var b strings.Builder
	if err := set.ExecuteTemplate(&b, name, data); err != nil {
		return &backend.Error{Code: backend.EINTERNAL, Op: "render " + name, Err: err}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, csp)
	return c.SendString(b.String())
}

func (s *Server) registerPageRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/v/:token", Summary: "Page for an enterprise that scanned an inspection code: is the check genuine, who inspects what", Tag: "pages",
		Page: true, Handler: func(c *fiber.Ctx) error {
			v, err := s.Visit.ViewCode(c.UserContext(), c.Params("token"))
			if err != nil {
				return err
			}
			return render(c, "visit.html", page{Title: "检查码核验", View: v, Token: c.Params("token")})
		}})
	s.Add(httpkit.Route{Method: "POST", Path: "/v/:token/rating", Summary: "The rating form of the inspection-code page (form-encoded): confirm or dispute the visit and rate it, once the team has checked in and within the rating window; once per visit with the code, and only with a code issued to someone on the team", Tag: "pages",
		Page: true, Handler: func(c *fiber.Ctx) error {
			p := page{Title: "评价检查"}
			sc, err := scoresForm(c, nil)
			if err == nil {
				_, err = s.Visit.Rate(c.UserContext(), visit.RatingRequest{Code: c.Params("token"), Scores: sc, ClientAddr: httpkit.ClientAddr(c), DeviceID: httpkit.CookieDevice(c)})
			}
			if err == nil {
				p.Rated = true
			} else if err := ratingError(c, &p, err, false); err != nil {
				return err
			}
			return render(c, "rated.html", p)
		}})
	s.Add(httpkit.Route{Method: "POST", Path: "/e/:uscc/rating", Summary: "The rating form of the enterprise page (form-encoded, with the visit's task; the licence code's k and s in the query): rate a visit within its window, or replace the rating made in the enterprise's name (kept for oversight)", Tag: "pages",
		Query: []httpkit.Param{{Name: "k", Type: "string", Description: "key id"}, {Name: "s", Type: "string", Description: "signature"}},
		Page:  true, Handler: func(c *fiber.Ctx) error {
			p := page{Title: "评价检查"}
			req := visit.LicenceRatingRequest{Code: licenceCodeOf(c, "/e/"+c.Params("uscc")), ClientAddr: httpkit.ClientAddr(c), DeviceID: httpkit.CookieDevice(c)}
			sc, err := scoresForm(c, map[string]*string{"task": &req.TaskID})
			if err == nil {
				req.Scores = sc
				_, err = s.Visit.RateFromLicence(c.UserContext(), req)
			}
			if err == nil {
				p.Rated = true
			} else if err := ratingError(c, &p, err, true); err != nil {
				return err
			}
			return render(c, "rated.html", p)
		}})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/ratings", Summary: "Ratings of visits by the enterprises (oversight office and administrators), replaced ones too (replacedBy); flags suspected-self-rating with the suspicion; of one enterprise, only the flagged, or only the disputed", Tag: "oversight", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "targetId", Type: "string", Description: "one enterprise's USCC"},
			{Name: "flagged", Type: "boolean", Description: "only ratings flagged suspected-self-rating"},
			{Name: "disputed", Type: "boolean", Description: "only ratings where the enterprise says the visit did not happen"},
		}, httpkit.PageParams...), Response: backend.Page[*backend.Rating]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			f := backend.RatingFilter{TargetID: c.Query("targetId")}
			for _, b := range []struct {
				name string
				to   *bool
			}{{"flagged", &f.Flagged}, {"disputed", &f.Disputed}} {
				v, err := queryBool(c, b.name)
				if err != nil {
					return nil, err
				}
				*b.to = v != nil && *v
			}
			return s.Visit.Ratings(c.UserContext(), f, p)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/e/:uscc/complaint", Summary: "The complaint form of the enterprise page (form-encoded; the licence code's k and s in the query); rate-limited", Tag: "pages",
		Query: []httpkit.Param{{Name: "k", Type: "string", Description: "key id"}, {Name: "s", Type: "string", Description: "signature"}},
		Page:  true, Handler: func(c *fiber.Ctx) error {
			p := page{Title: "投诉"}
			req := visit.ComplaintRequest{Code: licenceCodeOf(c, "/e/"+c.Params("uscc")), ClientAddr: httpkit.ClientAddr(c)}
			var category string
			err := readForm(c, map[string]*string{"category": &category, "text": &req.Text, "contact": &req.Contact})
			req.Category = backend.ComplaintCategory(category)
			if err == nil {
				_, err = s.Visit.Complain(c.UserContext(), req)
			}
			if err == nil {
				p.Rated = true
			} else if failed := pageError(c, &p, err); failed != nil {
				return failed
			} else {
				p.Message = complaintMessage(err)
			}
			if backend.IsCode(err, backend.ETOOMANY) {
				c.Set(fiber.HeaderRetryAfter, "3600")
			}
			return render(c, "complained.html", p)
		}})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/complaints", Summary: "Complaints by enterprises about inspections, by id (the day first), of one category or one enterprise (oversight office and administrators)", Tag: "oversight", Auth: true,
		Query: append([]httpkit.Param{
			{Name: "category", Type: "string", Description: "one category: no-certificate, conduct, improper-gain, repeated, burden, other"},
			{Name: "targetId", Type: "string", Description: "one enterprise's USCC"},
		}, httpkit.PageParams...), Response: backend.Page[*backend.Complaint]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			f := backend.ComplaintFilter{Category: backend.ComplaintCategory(c.Query("category")), TargetID: c.Query("targetId")}
			return s.Visit.ListComplaints(c.UserContext(), f, p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/e/:uscc", Summary: "The page a licence code opens: the enterprise's public record and published results; with a genuine code, its recent visits to rate, or why one cannot be rated", Tag: "pages",
		Query: []httpkit.Param{{Name: "k", Type: "string", Description: "key id"}, {Name: "s", Type: "string", Description: "signature"}},
		Page:  true, Handler: func(c *fiber.Ctx) error {
			p := page{Title: "企业信息"}
			raw := c.Path()
			if q := string(c.Request().URI().QueryString()); q != "" {
				raw += "?" + q
				p.K, p.S = c.Query("k"), c.Query("s")
			}
			if _, _, err := s.Visit.Codes.VerifyEnterpriseCode(c.UserContext(), raw); err != nil {
				if !backend.IsCode(err, backend.EINVALID) {
					return err
				}
				p.CodeProblem = licenceProblem(err)
			} else if p.Visits, err = s.Visit.EnterpriseVisits(c.UserContext(), raw); err != nil {
				return err
			}
			e, err := s.Visit.PublicEnterprise(c.UserContext(), c.Params("uscc"))
			if err != nil && !backend.IsCode(err, backend.ENOTFOUND) && !backend.IsCode(err, backend.EINVALID) {
				return err
			}
			p.Enterprise = e
			if e != nil {
				p.Results = e.Results
				if p.Credit, err = s.Planning.PublicCredit(c.UserContext(), e.ID); err != nil {
					return err
				}
				if p.CodeProblem == "" {
					if p.Burden, err = s.Visit.EnterpriseBurden(c.UserContext(), e.ID); err != nil {
						return err
					}
					if p.Subjects, err = s.Planning.CreditSubjects(c.UserContext(), e.ID); err != nil {
						return err
					}
				}
			}
			return render(c, "enterprise.html", p)
		}})
}
