package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

type deviceListResponse struct {
	Items []*backend.Device `json:"items"`
}

type revokeDeviceRequest struct {
	// Reason is required and recorded on the device and in the audit log.
	Reason string `json:"reason"`
}

// DeviceRoutes returns the registration of the routes that administer the
// phones users log in from; pass it in Server.Extra.
func DeviceRoutes(d *backend.Devices) func(*httpkit.Router) {
	return func(s *httpkit.Router) {
		s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/users/:id/devices", Summary: "The phones a user has logged in from, most recently seen first (admin)", Tag: "users", Auth: true,
			Response: deviceListResponse{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				list, err := d.ListDevices(c.UserContext(), c.Params("id"))
				if err != nil {
					return nil, err
				}
				return deviceListResponse{Items: list}, nil
			})})
		s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/devices", Summary: "Phones across users (admin): view=pending, those waiting for approval (longest waiting first), or view=stale, those that may log in but were not used for 60 days (longest unused first); at most 200, truncated says when more", Tag: "users", Auth: true,
			Query:    []httpkit.Param{{Name: "view", Type: "string", Description: "pending or stale"}},
			Response: backend.DeviceList{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				return d.FindDevices(c.UserContext(), backend.DeviceView(c.Query("view")))
			})})
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users/:id/devices/:deviceId/approve", Summary: "Approve a phone waiting for approval (admin; audited): its next login opens a session", Tag: "users", Auth: true,
			Response: backend.Device{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				return d.ApproveDevice(c.UserContext(), c.Params("id"), c.Params("deviceId"))
			})})
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users/:id/devices/:deviceId/reject", Summary: "Reject a phone waiting for approval, with a reason (admin; audited): its logins are refused with 403 device_rejected", Tag: "users", Auth: true,
			Request: revokeDeviceRequest{}, Response: backend.Device{},
			Handler: httpkit.WithBody(func(c *fiber.Ctx, r *revokeDeviceRequest) (any, error) {
				return d.RejectDevice(c.UserContext(), c.Params("id"), c.Params("deviceId"), r.Reason)
			})})
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/users/:id/devices/:deviceId/revoke", Summary: "Revoke a phone (admin): its sessions end at once (every request and refresh refused), the inspection codes it was given are withdrawn, and it cannot log in again", Tag: "users", Auth: true,
			Request: revokeDeviceRequest{}, Response: backend.Device{},
			Handler: httpkit.WithBody(func(c *fiber.Ctx, r *revokeDeviceRequest) (any, error) {
				return d.RevokeDevice(c.UserContext(), c.Params("id"), c.Params("deviceId"), r.Reason)
			})})
	}
}
