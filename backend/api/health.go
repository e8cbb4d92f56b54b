package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type healthResponse struct {
	Status string `json:"status"`
}

func (s *Server) registerHealthRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/healthz", Summary: "The process is up", Tag: "health",
		Response: healthResponse{}, Handler: func(c *fiber.Ctx) error {
			return c.JSON(healthResponse{Status: "ok"})
		}})
	s.Add(httpkit.Route{Method: "GET", Path: "/readyz", Summary: "The store is reachable (503 when not)", Tag: "health",
		Response: healthResponse{}, Handler: func(c *fiber.Ctx) error {
			ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
			defer cancel()
			if err := s.Store.Ping(ctx); err != nil {
				return &backend.Error{Code: backend.EUNAVAILABLE, Message: "store is not reachable", Err: err}
			}
			return c.JSON(healthResponse{Status: "ready"})
		}})
}
