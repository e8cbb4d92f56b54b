package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type createUserRequest struct {
	ID          string       `json:"id"`
	DisplayName string       `json:"displayName"`
	Role        backend.Role `json:"role"`
	Departments []string     `json:"departments"`
	Password    string       `json:"password"`
}

type setRoleRequest struct {
	Role backend.Role `json:"role"`
	// Departments: at least one but for admin and oversight.
	Departments []string `json:"departments"`
}

type resetPasswordRequest struct {
	// Password is the new password; empty to have one generated.
	Password string `json:"password"`
}

type resetPasswordResponse struct {
	// Password is set only when it was generated.
	Password string `json:"password,omitempty"`
}

func (s *Server) registerUserRoutes() {
	u := s.Users
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/me", Summary: "The caller's own account", Tag: "users", Auth: true,
		Response: backend.User{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return u.Me(c.UserContext()) })})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/users", Summary: "List accounts (admin)", Tag: "users", Auth: true,
		Query: httpkit.PageParams, Response: backend.Page[*backend.User]{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			p, err := httpkit.PageRequest(c)
			if err != nil {
				return nil, err
			}
			return u.ListUsers(c.UserContext(), p)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/users/:id", Summary: "Get an account (admin)", Tag: "users", Auth: true,
		Response: backend.User{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return u.GetUser(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users", Summary: "Create an account (admin)", Tag: "users", Auth: true,
		Request: createUserRequest{}, Response: backend.User{}, Status: fiber.StatusCreated,
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *createUserRequest) (any, error) {
			v := &backend.User{ID: r.ID, DisplayName: r.DisplayName, Role: r.Role, Departments: r.Departments}
			return v, u.CreateUser(c.UserContext(), v, r.Password)
		})})
	s.Add(httpkit.Route{Method: "PUT", Path: "/api/v1/users/:id/role", Summary: "Change an account's role and departments (admin; audited): every session of it ends at once and its inspection codes are withdrawn, so that it logs in again with the new role; an administrator cannot change their own role", Tag: "users", Auth: true,
		Request: setRoleRequest{}, Response: backend.User{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *setRoleRequest) (any, error) {
			return u.SetRole(c.UserContext(), c.Params("id"), r.Role, r.Departments)
		})})
	for _, st := range []struct {
		path, summary string
		disabled      bool
	}{
		{"/api/v1/users/:id/disable", "Disable an account (admin): it cannot log in, and every session of it ends at once (every request and refresh refused)", true},
		{"/api/v1/users/:id/enable", "Re-enable an account (admin); sessions ended by the disable stay ended", false},
	} {
		disabled := st.disabled
		s.Add(httpkit.Route{Method: "POST", Path: st.path, Summary: st.summary, Tag: "users", Auth: true,
			Response: backend.User{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				return u.SetDisabled(c.UserContext(), c.Params("id"), disabled)
			})})
	}
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users/:id/end-sessions", Summary: "End every session of an account at once (admin): back office and phones, reads and refreshes refused from the next request; its valid inspection codes are withdrawn", Tag: "users", Auth: true,
		Response: backend.User{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) { return u.EndSessions(c.UserContext(), c.Params("id")) })})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users/:id/reset-password", Summary: "Set or generate a new password (admin); every session of the account ends at once", Tag: "users", Auth: true,
		Request: resetPasswordRequest{}, Response: resetPasswordResponse{},
		Handler: httpkit.WithBody(func(c *fiber.Ctx, r *resetPasswordRequest) (any, error) {
			pw, err := u.ResetPassword(c.UserContext(), c.Params("id"), r.Password)
			if err != nil {
				return nil, err
			}
			resp := resetPasswordResponse{}
			if r.Password == "" {
				resp.Password = pw
			}
			return resp, nil
		})})
}
