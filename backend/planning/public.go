package planning

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
)

// PublicPlan is what anyone may read about a plan (一公开): its current
// public version, the earlier versions with the reasons for each change,
// and its draws. Drafts are not public.
type PublicPlan struct {
	Current  *backend.PlanVersion   `json:"current"`
	Versions []*backend.PlanVersion `json:"versions"` // oldest first
	Draws    []*backend.Draw        `json:"draws"`
}

// publicPlan strips what the public does not need from a version's
// snapshot: the operator exclusions name targets before they are drawn.
func publicVersion(v *backend.PlanVersion) *backend.PlanVersion {
	c := *v
	c.Plan.Exclusions = nil
	c.Plan.Draws = nil
	c.Plan.CreatedBy = ""
	c.PublishedBy = "" // staff usernames are not public
	return &c
}

// PublicPlans lists the public plans of a year (0 for every year).
func (s *Service) PublicPlans(ctx context.Context, year int, page backend.PageRequest) (*backend.Page[*backend.PlanVersion], error) {
	if year != 0 && (year < 2000 || year > 2100) {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	plans, err := s.Plans.FindPlans(ctx, backend.PlanFilterQuery{Year: year, PublicOnly: true}, page)
	if err != nil {
		return nil, err
	}
	out := &backend.Page[*backend.PlanVersion]{NextCursor: plans.NextCursor, Items: []*backend.PlanVersion{}}
	for _, p := range plans.Items {
		v, err := s.Plans.FindPlanVersion(ctx, p.ID, p.PublicVersion)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, publicVersion(v))
	}
	return out, nil
}

// PublicPlan returns one public plan with its history.
func (s *Service) PublicPlan(ctx context.Context, id string) (*PublicPlan, error) {
	p, err := s.Plans.FindPlanByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State == backend.PlanDraft {
		return nil, backend.Errorf(backend.ENOTFOUND, "plan %q not found", id)
	}
	out := &PublicPlan{Draws: []*backend.Draw{}}
	for v := 1; v <= p.PublicVersion; v++ {
		pv, err := s.Plans.FindPlanVersion(ctx, p.ID, v)
		if err != nil {
			return nil, err
		}
		out.Versions = append(out.Versions, publicVersion(pv))
	}
	out.Current = out.Versions[len(out.Versions)-1]
	by := map[string]string{} // draw id → the draw that superseded it
	for _, id := range p.Draws {
		d, err := s.Draws.FindDrawByID(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, old := range d.Supersedes {
			by[old] = d.ID
		}
		if d.Number > 1 {
			by[drawID(d.PlanID, d.PlanVersion, d.Number-1)] = d.ID
		}
		pub := *d
		pub.DrawnBy = "" // staff usernames are not public
		out.Draws = append(out.Draws, &pub)
	}
	for _, d := range out.Draws {
		d.SupersededBy = by[d.ID]
	}
	return out, nil
}

// PublicDrawRecord returns the JSON of a draw's public record.
func (s *Service) PublicDrawRecord(ctx context.Context, drawID string) ([]byte, error) {
	if len(drawID) > 200 {
		return nil, backend.Errorf(backend.EINVALID, "draw id is too long")
	}
	if _, err := s.Draws.FindDrawByID(ctx, drawID); err != nil {
		return nil, err
	}
	return s.Draws.LoadDrawRecord(ctx, drawID)
}
