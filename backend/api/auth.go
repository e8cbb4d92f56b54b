package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend/auth"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (s *Server) registerAuthRoutes() {
	s.Add(Route{Method: "POST", Path: "/api/v1/auth/login", Summary: "Log in with username and password; throttled per account and per address", Tag: "auth",
		Request: loginRequest{}, Response: auth.Tokens{},
		Handler: WithBody(func(c *fiber.Ctx, r *loginRequest) (any, error) {
			return s.Auth.Login(c.UserContext(), r.Username, r.Password)
		})})
	s.Add(Route{Method: "POST", Path: "/api/v1/auth/refresh", Summary: "Exchange a refresh token (single use) for new tokens; a reused token ends the session", Tag: "auth",
		Request: refreshRequest{}, Response: auth.Tokens{},
		Handler: WithBody(func(c *fiber.Ctx, r *refreshRequest) (any, error) {
			return s.Auth.Refresh(c.UserContext(), r.RefreshToken)
		})})
	s.Add(Route{Method: "POST", Path: "/api/v1/auth/logout", Summary: "End the session of a refresh token", Tag: "auth",
		Request: refreshRequest{}, Status: fiber.StatusNoContent, Handler: func(c *fiber.Ctx) error {
			var r refreshRequest
			if err := Decode(c, &r); err != nil {
				return err
			}
			if err := s.Auth.Logout(c.UserContext(), r.RefreshToken); err != nil {
				return err
			}
			return c.SendStatus(fiber.StatusNoContent)
		}})
}
