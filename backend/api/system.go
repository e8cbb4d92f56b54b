package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/visit"
)

type keyRingList struct {
	Items []keyring.RingKeys `json:"items"`
}

type rotateKeyRequest struct {
	// ActivateInDays, for the codes ring only: publish the new key now and
	// sign with it after this many days (0 to 365), so that offline phones
	// learn it first.
	ActivateInDays int `json:"activateInDays,omitempty"`
}

// KeyRoutes returns the registration of the routes through which
// administrators see, rotate and retire the signing keys while the server
// runs; pass it in Server.Extra.
func KeyRoutes(k *keyring.Admin) func(*httpkit.Router) {
	return func(s *httpkit.Router) {
		s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/keys", Summary: "The signing key rings — tokens (access tokens), codes (licence and inspection codes), audit (signed audit heads) — with each key's status: next, current, valid, retired (admin)", Tag: "keys", Auth: true,
			Response: keyRingList{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				list, err := k.List(c.UserContext())
				if err != nil {
					return nil, err
				}
				return keyRingList{Items: list}, nil
			})})
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/keys/:ring/rotate", Summary: "Rotate a ring while the server runs (admin; audited): a new key signs from now on (or, for codes, from activateInDays on), on every instance within seconds; older keys keep verifying until retired", Tag: "keys", Auth: true,
			Request: rotateKeyRequest{}, Response: keyring.RingKeys{},
			Handler: httpkit.WithBody(func(c *fiber.Ctx, r *rotateKeyRequest) (any, error) {
				if r.ActivateInDays < 0 || r.ActivateInDays > 365 {
					return nil, backend.Errorf(backend.EINVALID, "activateInDays must be 0 to 365")
				}
				return k.Rotate(c.UserContext(), c.Params("ring"), time.Duration(r.ActivateInDays)*24*time.Hour)
			})})
		s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/keys/:ring/:kid/retire", Summary: "Retire a key (admin; audited): what it signed is refused from now on. The key that signs now cannot be retired: rotate first", Tag: "keys", Auth: true,
			Response: keyring.RingKeys{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
				return k.Retire(c.UserContext(), c.Params("ring"), c.Params("kid"))
			})})
	}
}

func (s *Server) registerOversightRoutes() {
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/oversight/checkins", Summary: "Check-ins made without a task (清单之外) in a year, newest first, with their reasons, references, notes and back-fill deadlines, read from an index of such check-ins; at most 500, truncated says when more (oversight office and administrators)", Tag: "oversight", Auth: true,
		Query:    []httpkit.Param{{Name: "year", Type: "integer", Description: "the year in Asia/Shanghai (default: this year)"}},
		Response: visit.UnplannedList{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			year, err := queryInt(c, "year")
			if err != nil {
				return nil, err
			}
			return s.Visit.UnplannedCheckIns(c.UserContext(), year)
		})})
	s.Add(httpkit.Route{Method: "GET", Path: "/api/v1/oversight/figures", Summary: "A year's figures: the enterprises entered most often (visits: days with a check-in) and the officers with the most check-ins, with those made without a task; from counts kept at each check-in, one indexed read (oversight office and administrators)", Tag: "oversight", Auth: true,
		Query: []httpkit.Param{
			{Name: "year", Type: "integer", Description: "the year in Asia/Shanghai (default: this year)"},
			{Name: "limit", Type: "integer", Description: "1-100 of each (default 20)"},
		},
		Response: visit.Figures{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			year, err := queryInt(c, "year")
			if err != nil {
				return nil, err
			}
			limit, err := queryInt(c, "limit")
			if err != nil {
				return nil, err
			}
			return s.Visit.Figures(c.UserContext(), year, limit)
		})})
	s.Add(httpkit.Route{Method: "POST", Path: "/api/v1/audit/verify", Summary: "Walk the whole audit log now, as `fieldcheck audit verify` does, while the server runs (admin; recorded in the log): the number of intact entries and the head's entry and hash, or the first bad entry", Tag: "audit", Auth: true,
		Response: backend.AuditChainReport{}, Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return s.Audit.VerifyChain(c.UserContext())
		})})
}
