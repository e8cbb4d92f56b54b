package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
)

// AuditKeySet is the public key set of the audit ring: every key that has
// signed audit heads, without secrets (docs/audit.md).
type AuditKeySet struct {
	Keys []keyring.PublicKey `json:"keys"`
}

type auditCheckpointList struct {
	Items []*backend.AuditCheckpoint `json:"items"`
}

// AuditHeadRoutes returns the registration of the public routes of the
// signed audit head, its daily checkpoints and the keys that verify them;
// pass it in Server.Extra. Reading a head or the list makes today's
// checkpoint when no instance has yet.
func AuditHeadRoutes(h *backend.AuditHeads, keys *keyring.Ring) func(*httpkit.Router) {
	return func(s *httpkit.Router) {
		s.Add(httpkit.Route{Method: "GET", Path: "/public/audit/head", Summary: "The audit log's current head (entry number and hash), signed now with the audit key (fc-audit-head-1); save it to check later that the log was not rewritten", Tag: "public",
			Response: backend.SignedAuditHead{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				if err := h.EnsureCheckpoint(c.UserContext()); err != nil {
					return nil, err
				}
				c.Set(fiber.HeaderCacheControl, "public, max-age=10")
				return h.Head(c.UserContext())
			})})
		s.Add(httpkit.Route{Method: "GET", Path: "/public/audit/checkpoints", Summary: "The daily checkpoints of the audit log (the first signed head of each day, Asia/Shanghai), newest first", Tag: "public",
			Query:    []httpkit.Param{{Name: "limit", Type: "integer", Description: "1-366 (default 31)"}},
			Response: auditCheckpointList{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				limit := 0
				if v := c.Query("limit"); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil {
						return nil, backend.Errorf(backend.EINVALID, "limit must be a number")
					}
					limit = n
				}
				if err := h.EnsureCheckpoint(c.UserContext()); err != nil {
					return nil, err
				}
				list, err := h.ListCheckpoints(c.UserContext(), limit)
				if err != nil {
					return nil, err
				}
				c.Set(fiber.HeaderCacheControl, "public, max-age=60")
				return auditCheckpointList{Items: list}, nil
			})})
		s.Add(httpkit.Route{Method: "GET", Path: "/public/audit/checkpoints/:date", Summary: "The audit checkpoint of one day (YYYY-MM-DD, Asia/Shanghai); it never changes", Tag: "public",
			Response: backend.AuditCheckpoint{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				cp, err := h.FindCheckpoint(c.UserContext(), c.Params("date"))
				if err != nil {
					return nil, err
				}
				c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
				return cp, nil
			})})
		s.Add(httpkit.Route{Method: "GET", Path: "/public/audit/keys", Summary: "Public keys that verify signed audit heads and checkpoints, retired ones included", Tag: "public",
			Response: AuditKeySet{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				set, err := keys.Current(c.UserContext())
				if err != nil {
					return nil, err
				}
				c.Set(fiber.HeaderCacheControl, "public, max-age=300")
				return AuditKeySet{Keys: set.PublicKeys(backend.AuditHeadAlgorithm, keys.Now())}, nil
			})})
	}
}
