package api

import (
	"bytes"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// registerRecordRoutes adds the inspection record (检查记录) of a task as
// a PDF (backend/record renders it).
func (s *Server) registerRecordRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/tasks/:id/record.pdf", Summary: "The inspection record (检查记录) of an approved or published task as an A4 PDF in Chinese: enterprise, items, team, check-ins, answers, result and follow-up, evidence with SHA-256, the enterprise's signature, a QR code of its public page. The staff of the task's departments and administrators; 400 before the result is approved", Tag: "tasks", Auth: true,
		Produces: []string{"application/pdf"}, Handler: func(c *fiber.Ctx) error {
			var b bytes.Buffer // whole, so that a failure is an error answer and not half a file
			if err := s.Planning.WriteTaskRecord(c.UserContext(), c.Params("id"), &b); err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, "application/pdf")
			c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", "record-"+c.Params("id")+".pdf"))
			c.Set(fiber.HeaderCacheControl, "private, no-store")
			return c.Send(b.Bytes())
		}})
}
