package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// backOffice is the document of /api/v1/openapi.json: every route but the
// mobile API's.
var backOffice = httpkit.Document{
	Title:       "fieldcheck back-office API",
	Description: "双随机、一公开 supervision: directories, item list, plans, draws, tasks, users, audit. Errors are {\"code\",\"message\"}.",
	Includes:    func(path string) bool { return !strings.HasPrefix(path, "/mobile/") },
	// The console's cookie, with X-CSRF-Token on changes.
	Schemes: map[string]any{
		"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie, "description": "the console's session (" + SecureSessionCookie + " over TLS), from POST /api/v1/auth/session; requests other than GET, HEAD and OPTIONS also send its CSRF token in the " + CSRFHeader + " header"},
	},
}

// OpenAPI returns the OpenAPI 3.1 document of the back office.
func (s *Server) OpenAPI() map[string]any { return s.OpenAPIOf(backOffice) }

func (s *Server) registerOpenAPIRoute() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This document", Tag: "meta",
		Response: httpkit.OpenAPIDocument{}, Handler: func(c *fiber.Ctx) error {
			return c.JSON(s.OpenAPI())
		}})
}

func (s *Server) registerRoutes() {
	s.registerPortal() // before every public route: the Extra ones too
	for _, register := range s.Extra {
		register(&s.Router)
	}
	s.registerHealthRoutes()
	s.registerMetricsRoute()
	s.registerDoctorRoute()
	s.registerOpenAPIRoute()
	s.registerAuthRoutes()
	s.registerCookieSessionRoutes()
	s.registerDashboardRoutes()
	s.registerUserRoutes()
	s.registerDirectoryRoutes()
	s.registerImportRoutes()
	s.registerPlanRoutes()
	s.registerDrawResultRoutes()
	s.registerExportRoutes()
	s.registerResultRoutes()
	s.registerCreditRoutes()
	s.registerRoundRoutes()
	s.registerCheckRoutes()
	s.registerTaskRequestRoutes()
	s.registerReviewRoutes()
	s.registerRecordRoutes()
	s.registerCodeRoutes()
	s.registerPageRoutes()
	s.registerPortalRoutes()
	s.registerVisitRoutes()
	s.registerAuditRoutes()
	s.registerOversightRoutes()
}
