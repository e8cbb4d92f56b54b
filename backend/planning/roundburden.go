package planning

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// RoundBurdenView is a drawn round's burden on the enterprises, whole,
// seen from each department and per region (docs/draw2.md, "Burden per
// department and region").
type RoundBurdenView struct {
	RoundID     string              `json:"roundId"`
	Round       backend.RoundBurden `json:"round"`
	Departments []draw.GroupBurden  `json:"departments"`
	Regions     []draw.GroupBurden  `json:"regions"` // by the targets' region codes ("" unknown)
}

// RoundBurden computes a drawn round's burden per department and per
// region from its record and the directory's regions (back office).
func (s *Service) RoundBurden(ctx context.Context, id string) (*RoundBurdenView, error) {
	if err := backOffice(ctx); err != nil {
		return nil, err
	}
	r, err := s.Rounds.FindRoundByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != backend.RoundDrawn {
		return nil, backend.Errorf(backend.EINVALID, "轮次 %s 尚未抽取：抽取后才有检查负担", id)
	}
	_, rec, err := s.roundRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	region := map[string]string{}
	for i := range rec.Plans {
		for _, c := range rec.Plans[i].Population {
			region[c.ID] = ""
		}
	}
	err = s.Targets.ScanTargets(ctx, backend.TargetFilter{}, func(t *backend.Target) error {
		if _, ok := region[t.ID]; ok {
			region[t.ID] = t.RegionCode
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RoundBurdenView{RoundID: r.ID, Round: rec.Burden(), Departments: rec.BurdenByDepartment(),
		Regions: rec.BurdenByRegion(func(id string) string { return region[id] })}, nil
}
