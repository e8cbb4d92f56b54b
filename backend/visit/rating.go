package visit

import (
	"context"
	"fmt"

	"github.com/fieldcheck/fieldcheck/backend"
)

// RatingRequest is the enterprise's rating of a visit, sent from the page
// its scan of the inspection code opened.
type RatingRequest struct {
	Code            string `json:"code"` // the inspection code, as scanned
	Happened        bool   `json:"happened"`
	Conduct         int    `json:"conduct"`
	Professionalism int    `json:"professionalism"`
	Burden          int    `json:"burden"`
	Comment         string `json:"comment"`
	ClientAddr      string `json:"-"`
}

// Rate records the enterprise's rating of the visit a valid inspection code
// names. No login: holding a valid code is the proof of having been
// visited. One rating per visit.
func (s *Service) Rate(ctx context.Context, req RatingRequest) (*backend.Rating, error) {
	if len(req.Code) == 0 || len(req.Code) > MaxCodeLength {
		return nil, backend.Errorf(backend.EINVALID, "a rating needs the inspection code of the visit")
	}
	code, err := s.Inspection.VerifyInspectionCode(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	t, err := s.Tasks.FindTaskByID(ctx, code.TaskID)
	if err != nil {
		return nil, err
	}
	r := &backend.Rating{TaskID: t.ID, TargetID: t.TargetID, Happened: req.Happened, Conduct: req.Conduct,
		Professionalism: req.Professionalism, Burden: req.Burden, Comment: req.Comment, CodeSerial: code.Serial, ClientAddr: req.ClientAddr}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := s.RatingStore.CreateRating(ctx, r); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "this visit has been rated already")
		}
		return nil, err
	}
	detail := fmt.Sprintf("happened=%v conduct=%d professionalism=%d burden=%d", r.Happened, r.Conduct, r.Professionalism, r.Burden)
	if _, err := s.Audit.Append(ctx, backend.AuditRecord{Action: "visit.rate", ObjectType: "task", ObjectID: t.ID, Change: r, Detail: detail}); err != nil {
		return nil, err
	}
	return r, nil
}

// Ratings lists the ratings for the oversight office (administrators): the
// teams that were rated never see them.
func (s *Service) Ratings(ctx context.Context, p backend.PageRequest) (*backend.Page[*backend.Rating], error) {
	a := backend.ActorFrom(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	if a.Role != backend.RoleAdmin {
		return nil, backend.Errorf(backend.EFORBIDDEN, "ratings are read by the oversight office only")
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.RatingStore.FindRatings(ctx, p)
}
