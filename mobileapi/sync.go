package mobileapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// versionParam is the protocol version every sync request names.
var versionParam = httpkit.Param{Name: fcsync.VersionParam, Type: "integer",
	Description: "the sync protocol version the phone speaks: " + strconv.Itoa(fcsync.Version) + " (required; another is refused with 400 naming the versions this server speaks)"}

// SyncPath is the sync protocol's route: GET pulls, POST pushes.
const SyncPath = "/mobile/v1/sync"

// registerSync adds the sync protocol's two routes (sync/doc.go,
// docs/sync.md). Like every route, both re-read the session: a revoked
// device gets nothing more, not even a read.
func (m *Routes) registerSync(s *httpkit.Router) {
	authn := httpkit.BearerAuth(m.Auth)
	s.Add(httpkit.Route{Method: "GET", Path: SyncPath, Summary: "Pull the changes in this phone's scope since the cursor (empty: a full download), protocol v=2: tasks name their checklist templates, and each template comes once on a cursor's way; pull again at once while more is set", Tag: "sync",
		Auth: true, Authenticate: authn,
		Query: []httpkit.Param{
			versionParam,
			{Name: "cursor", Type: "string", Description: "the cursor of the last page applied; empty for a full download"},
			{Name: "limit", Type: "integer", Description: "tasks per page, 1-" + strconv.Itoa(fcsync.MaxPullPage) + " (default " + strconv.Itoa(fcsync.MaxPullPage) + ")"},
		},
		Response: fcsync.PullResponse{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			if err := fcsync.CheckVersion(c.Query(fcsync.VersionParam)); err != nil {
				return nil, err
			}
			limit := 0
			if v := c.Query("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > fcsync.MaxPullPage {
					return nil, backend.Errorf(backend.EINVALID, "limit must be 1-%d", fcsync.MaxPullPage)
				}
				limit = n
			}
			return m.Sync.Pull(c.UserContext(), c.Query("cursor"), limit)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: SyncPath, Summary: "Push up to " + strconv.Itoa(fcsync.MaxPushBatch) + " mutations made offline, protocol v=2; each gets its own result (applied, duplicate, conflict, rejected). A busy server applies nothing and answers 429 or 503 with Retry-After: send the batch again then", Tag: "sync",
		Auth: true, Authenticate: authn,
		Query:   []httpkit.Param{versionParam},
		Request: fcsync.PushRequest{}, Response: fcsync.PushResponse{},
		// The push gate before the body is decoded: under overload the
		// refusal costs no decoding (docs/benchmarks.md, "refused pushes").
		Admit: func(c *fiber.Ctx) (func(), error) { return m.Sync.Admit(c.UserContext()) },
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			if err := fcsync.CheckVersion(c.Query(fcsync.VersionParam)); err != nil {
				return nil, err
			}
			if err := httpkit.CheckJSON(c); err != nil {
				return nil, err
			}
			req, err := fcsync.DecodePush(c.Body())
			if err != nil {
				return nil, err
			}
			return m.Sync.PushAdmitted(c.UserContext(), req)
		})})
}
