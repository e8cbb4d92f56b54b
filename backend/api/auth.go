package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (s *Server) registerAuthRoutes() {
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/auth/login", Summary: "Log in with username and password; failures delay further attempts from the same address, lock the address after 20, and the account after 100 from anywhere (429 with Retry-After); a server busy checking passwords answers 429 or 503 with Retry-After at once", Tag: "auth",
		Request: loginRequest{}, Response: auth.Tokens{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *loginRequest) (any, error) {
			return s.Auth.Login(c.UserContext(), r.Username, r.Password)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/auth/refresh", Summary: "Exchange a refresh token (single use) for new tokens; a reused token ends the session", Tag: "auth",
		Request: refreshRequest{}, Response: auth.Tokens{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *refreshRequest) (any, error) {
			return s.Auth.Refresh(c.UserContext(), r.RefreshToken)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/login-locks", Summary: "Accounts locked by failed logins from many addresses, and until when (admin)", Tag: "auth", Auth: true,
		Query: httpkit.PageParams, Response: backend.Page[*backend.LoginLock]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			return s.Auth.LoginLocks(c.UserContext(), p)
		})})
	s.Add(httpkit.Route{Method: "DELETE", Path: "/api/v1/login-locks/:username", Summary: "Lift an account lock at once (admin; audited)", Tag: "auth", Auth: true,
		Status: fiber.StatusNoContent, Handler: func(c *fiber.Ctx) error {
			if err := s.Auth.LiftLoginLock(c.UserContext(), c.Params("username")); err != nil {
				return err
			}
			return c.SendStatus(fiber.StatusNoContent)
		}})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/auth/logout", Summary: "End the session of a refresh token", Tag: "auth",
		Request: refreshRequest{}, Status: fiber.StatusNoContent, Handler: func(c *fiber.Ctx) error {
			var r refreshRequest
			if err := httpkit.Decode(c, &r); err != nil {
				return err
			}
			if err := s.Auth.Logout(c.UserContext(), r.RefreshToken); err != nil {
				return err
			}
			return c.SendStatus(fiber.StatusNoContent)
		}})
}
