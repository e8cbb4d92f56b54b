package planning

import (
	"context"
	"encoding/json"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// DrawResultView is a draw's outcome as the back office reads it: every
// selected target in visit order with its PRN, its team by name, or why
// it has none, and the task the draw created for it.
type DrawResultView struct {
	Draw *backend.Draw   `json:"draw"`
	Rows []DrawResultRow `json:"rows"`
}

// DrawResultRow is one selected target.
type DrawResultRow struct {
	Order              int      `json:"order"`
	TargetID           string   `json:"targetId"`
	TargetName         string   `json:"targetName"`
	Stratum            string   `json:"stratum"`
	PRN                string   `json:"prn"`
	Team               []string `json:"team"` // the officers' names, in pick order
	EligibleInspectors int      `json:"eligibleInspectors"`
	Short              bool     `json:"short"`
	Unassigned         bool     `json:"unassigned"`
	UnassignedReason   string   `json:"unassignedReason,omitempty"`
	TaskID             string   `json:"taskId,omitempty"`
	TaskStatus         string   `json:"taskStatus,omitempty"`
}

// DrawResult returns a draw's outcome to those who may see its plan.
func (s *Service) DrawResult(ctx context.Context, drawID string) (*DrawResultView, error) {
	d, err := s.Draws.FindDrawByID(ctx, drawID)
	if err != nil {
		return nil, err
	}
	if _, err := s.GetPlan(ctx, d.PlanID); err != nil {
		if backend.IsCode(err, backend.ENOTFOUND) {
			return nil, backend.Errorf(backend.ENOTFOUND, "draw %q not found", drawID)
		}
		return nil, err
	}
	data, err := s.Draws.LoadDrawRecord(ctx, drawID)
	if err != nil {
		return nil, err
	}
	// Only the selection: the record's population (every candidate, a
	// hundred thousand at a county's scale) is skipped, not decoded.
	var rec struct {
		Selected []draw.Selection `json:"selected"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: "planning.DrawResult", Err: err}
	}
	tasks := map[string]*backend.Task{}
	err = s.Tasks.ScanTasks(ctx, backend.TaskFilter{DrawID: drawID}, func(t *backend.Task) error {
		if prev, ok := tasks[t.TargetID]; !ok || prev.Status == backend.TaskReplaced {
			tasks[t.TargetID] = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &DrawResultView{Draw: d, Rows: make([]DrawResultRow, 0, len(rec.Selected))}
	names := map[string]string{}
	for _, sel := range rec.Selected {
		r := DrawResultRow{
			Order: sel.Order, TargetID: sel.ID, TargetName: sel.ID, Stratum: sel.Stratum, PRN: sel.PRN, Team: []string{},
			EligibleInspectors: sel.EligibleInspectors, Short: sel.Short, Unassigned: sel.Unassigned, UnassignedReason: sel.UnassignedReason,
		}
		if t, ok := tasks[sel.ID]; ok {
			r.TargetName, r.TaskID, r.TaskStatus = t.TargetName, t.ID, string(t.Status)
		} else if tg, err := s.Targets.FindTargetByID(ctx, sel.ID); err == nil {
			r.TargetName = tg.Name
		}
		for _, id := range sel.Team {
			name, err := s.officerName(ctx, names, id)
			if err != nil {
				return nil, err
			}
			r.Team = append(r.Team, name)
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}
