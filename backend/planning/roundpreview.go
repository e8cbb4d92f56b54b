package planning

import (
	"context"
	"slices"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// tagPopulation writes, on each candidate of a round plan's population,
// the tags the plan targets that the target has (fc-draw-2 step 4), and
// returns the plan's targeted tags in byte order: so that the record
// shows why each target is in the population. A plan that targets no tag
// leaves its candidates without.
func tagPopulation(pop []draw.Candidate, tags []string, targets map[string]*backend.Target) []string {
	if len(tags) == 0 {
		return nil
	}
	want := slices.Clone(tags)
	slices.Sort(want)
	want = slices.Compact(want)
	for i := range pop {
		var has []string
		for _, tag := range targets[pop[i].ID].Tags {
			if _, ok := slices.BinarySearch(want, tag); ok {
				has = append(has, tag)
			}
		}
		slices.Sort(has)
		pop[i].Tags = slices.Compact(has)
	}
	return want
}

// RoundPreview is what a round's plans would share if it were drawn now
// on the directories as they are: where their populations meet — by
// filter or by the tags they target — and the visits coordination would
// save. Like a plan's preview it needs no secret and changes nothing.
type RoundPreview struct {
	RoundID string             `json:"roundId"`
	Version int64              `json:"version"` // of the round as previewed
	State   backend.RoundState `json:"state" enum:"open,drawing,drawn"`
	Overlap *draw.RoundOverlap `json:"overlap"`
}

// PreviewRound computes the overlap of a round's registered plans, for
// the back office (administrators, managers and reviewers). It reads the
// directory as the draw would.
func (s *Service) PreviewRound(ctx context.Context, id string) (*RoundPreview, error) {
	if err := backOffice(ctx); err != nil {
		return nil, err
	}
	r, err := s.Rounds.FindRoundByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != backend.RoundOpen {
		return nil, backend.Errorf(backend.EINVALID, "round %s is %s: its record (/public/rounds/%s) and burden say what it drew", id, r.State, id)
	}
	if len(r.Plans) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "round %s has no plan registered yet", id)
	}
	plans, err := s.roundPlans(ctx, r)
	if err != nil {
		return nil, err
	}
	at := s.Now().UTC()
	c := *r
	c.DrawnAt = &at
	in, _, err := s.roundInput(ctx, &c, plans, strings.Repeat("0", 64)) // the overlap reads no secret
	if err != nil {
		return nil, err
	}
	o, err := draw.Overlap(*in)
	if err != nil {
		return nil, err
	}
	return &RoundPreview{RoundID: r.ID, Version: r.Version, State: r.State, Overlap: o}, nil
}
