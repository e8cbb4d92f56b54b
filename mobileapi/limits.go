package mobileapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// LimitsPath serves the limits the server enforces, so that a phone
// refuses before it asks what the server would refuse (a file over its
// kind's cap, a push over its size) and learns of a server configured
// otherwise (--evidence-limits) without an update of the app.
const LimitsPath = "/mobile/v1/limits"

// Limits are the server's limits as a phone honours them: the very values
// the sync service checks a declaration and a push against.
type Limits struct {
	Evidence backend.EvidenceLimits `json:"evidence" doc:"size cap per kind of evidence file (bytes, by type: photo, video, audio, document, signature) and the quota of one task's declared files (bytes); checked when a slot is declared and when its upload begins"`
	Push     PushLimits             `json:"push"`
}

// PushLimits bound one push of the sync protocol (docs/sync.md).
type PushLimits struct {
	MaxMutations    int `json:"maxMutations" doc:"mutations in one push"`
	MaxBytes        int `json:"maxBytes" doc:"bytes of one push body"`
	MaxPayloadBytes int `json:"maxPayloadBytes" doc:"bytes of one mutation's payload"`
}

// LimitsOf are the limits a sync service with evidence limits l enforces.
func LimitsOf(l backend.EvidenceLimits) Limits {
	return Limits{
		Evidence: l.OrDefault(),
		Push:     PushLimits{MaxMutations: fcsync.MaxPushBatch, MaxBytes: fcsync.MaxPushBytes, MaxPayloadBytes: fcsync.MaxPayloadBytes},
	}
}

func (m *Routes) registerLimits(s *httpkit.Router) {
	s.Add(httpkit.Route{Method: "GET", Path: LimitsPath, Summary: "The limits this server enforces on evidence files and on pushes, so that the phone refuses at once what the server would refuse (the server remains the authority)", Tag: "sync",
		Auth: true, Authenticate: httpkit.BearerAuth(m.Auth), Response: Limits{},
		Handler: httpkit.Result(func(c *fiber.Ctx) (any, error) {
			return LimitsOf(m.Sync.Evidence), nil
		})})
}
