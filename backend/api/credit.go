package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// Credit linkage (docs/credit.md): the department's queue and decisions,
// the staff's credit record, and the filing form of the licence-code page.

// creditFilingPath is where the licence-code page posts a filing: a
// multipart form, read as a stream (its files are up to
// MaxCreditAttachments × MaxCreditAttachment bytes).
const creditFilingPath = "/e/credit/"

// maxCreditFilingBytes bounds a filing's body: the files and the form's
// text fields and part headers.
const maxCreditFilingBytes = backend.MaxCreditAttachments*backend.MaxCreditAttachment + 64<<10

// creditReadTimeout is how long a filing's body may take to arrive.
const creditReadTimeout = 5 * time.Minute

func (s *Server) registerCreditRoutes() {
	pl := s.Planning
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/credit/queue", Summary: "The credit queue of the caller's departments (managers; admin: every department): listing proposals (published results 通过登记的住所（经营场所）无法联系 not decided yet), pending objections, repair and removal applications with the working days left (overdue flagged), and the enterprises listed", Tag: "credit", Auth: true,
		Response: planning.CreditQueue{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.CreditQueue(c.UserContext())
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/results/:id/listing", Summary: "Decide the listing proposal of a published result (managers of its lead department): list the enterprise in the 经营异常名录 (its credit class becomes D) or reject the proposal, with the reason; once", Tag: "credit", Auth: true,
		Request: planning.ListingDecision{}, Response: backend.Listing{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.ListingDecision) (any, error) {
			return pl.DecideListing(c.UserContext(), c.Params("id"), *r)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/credit/applications/:id/decision", Summary: "Answer an enterprise's filing (managers of the department that answers): an objection is corrected (a new public version of the result, code the new category), annotated or upheld; a repair or removal granted or refused; with the reason, which is published", Tag: "credit", Auth: true,
		Request: planning.CreditDecision{}, Response: planning.QueuedApplication{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *planning.CreditDecision) (any, error) {
			return pl.DecideCreditApplication(c.UserContext(), c.Params("id"), *r)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/credit/applications/:id/attachments/:n", Summary: "One attachment of a filing (n from 0), for the managers of the department that answers it", Tag: "credit", Auth: true,
		Produces: []string{"application/pdf", "image/jpeg", "image/png"},
		Handler: func(c *fiber.Ctx) error {
			n, err := strconv.Atoi(c.Params("n"))
			if err != nil {
				return backend.Errorf(backend.EINVALID, "attachment number %q is not a number", c.Params("n"))
			}
			att, b, err := pl.CreditAttachmentBlob(c.UserContext(), c.Params("id"), n)
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, att.ContentType)
			c.Set(fiber.HeaderContentDisposition, `attachment; filename*=UTF-8''`+urlQuery(att.Name))
			c.Set(fiber.HeaderCacheControl, "private, no-store")
			c.Set("X-Content-Type-Options", "nosniff")
			c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
			return c.SendStream(b, int(b.Size()))
		}})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/targets/:id/credit", Summary: "A target's credit record (staff but inspectors): its credit class, published results, 经营异常名录 listings with their history, and filings (the applicant's phone only for the managers of the department that answers)", Tag: "credit", Auth: true,
		Response: planning.CreditRecord{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return pl.TargetCredit(c.UserContext(), c.Params("id"))
		})})

	s.StreamBody(fiber.MethodPost, creditFilingPath)
	s.Add(httpkit.Route{Method: "POST", Path: creditFilingPath + ":uscc", Summary: "The filing form of the licence-code page (multipart/form-data; the licence code's k and s in the query): subject (objection:<result>, repair:<result> or removal:<listing>), text, contact (phone), up to 5 attachments (PDF, JPEG, PNG, 10 MB each); rate-limited per address and per enterprise", Tag: "pages",
		Query: []httpkit.Param{{Name: "k", Type: "string", Description: "key id"}, {Name: "s", Type: "string", Description: "signature"}},
		Page:  true, Handler: s.handleCreditFiling})
}

// handleCreditFiling reads the multipart form as a stream and hands its
// parts to the service, which checks them; the answer is a page.
func (s *Server) handleCreditFiling(c *fiber.Ctx) error {
	p := page{Title: "异议与信用修复"}
	err := s.fileCredit(c)
	if err == nil {
		p.Rated = true
	} else if failed := pageError(c, &p, err); failed != nil {
		return failed
	} else {
		c.Context().SetConnectionClose() // the rest of a refused body is not read
		p.Message = creditMessage(err)
	}
	if backend.IsCode(err, backend.ETOOMANY) {
		c.Set(fiber.HeaderRetryAfter, "3600")
	}
	return render(c, "credited.html", p)
}

func (s *Server) fileCredit(c *fiber.Ctx) error {
	mt, params, err := mime.ParseMediaType(string(c.Request().Header.ContentType()))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return backend.Errorf(backend.EINVALID, "请通过页面上的表单提交。")
	}
	if cl := c.Request().Header.ContentLength(); cl > maxCreditFilingBytes {
		return backend.Errorf(backend.EINVALID, "附件合计过大：最多 %d 个，每个不超过 %d MB。", backend.MaxCreditAttachments, backend.MaxCreditAttachment>>20)
	}
	if conn := c.Context().Conn(); conn != nil {
		_ = conn.SetReadDeadline(time.Now().Add(creditReadTimeout))
	}
	var body io.Reader = c.Context().RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(c.Body())
	}
	mr := multipart.NewReader(io.LimitReader(body, maxCreditFilingBytes), params["boundary"])
	var last *multipart.Part
	next := func() (*planning.FormPart, error) {
		if last != nil {
			last.Close()
		}
		part, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, backend.Errorf(backend.ETIMEOUT, "表单没有在 %s 内收到。", creditReadTimeout)
			}
			return nil, err
		}
		last = part
		return &planning.FormPart{Field: part.FormName(), FileName: part.FileName(), Body: part}, nil
	}
	_, err = s.Planning.FileCreditApplication(c.UserContext(), planning.CreditFiling{Code: licenceCodeOf(c, "/e/"+c.Params("uscc")), ClientAddr: httpkit.ClientAddr(c), Next: next})
	return err
}

// creditMessage says in Chinese why a filing was refused: the service's
// checks speak Chinese; a licence code that is not genuine is explained by
// its reason.
func creditMessage(err error) string {
	msg := backend.ErrorMessage(err)
	switch {
	case backend.IsCode(err, backend.EINVALID) && !hasHan(msg):
		return licenceProblem(err)
	case hasHan(msg):
		return msg
	}
	return "申请未能提交，请检查后重新提交。"
}
