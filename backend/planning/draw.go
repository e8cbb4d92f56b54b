package planning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// DrawRequest asks for the draw of a plan's current public version.
type DrawRequest struct {
	// Value is the result of the entropy source declared with the version,
	// in the canonical form of its kind (福彩3D "5 8 2"): the server writes
	// the public entropy from the source and the value.
	Value string `json:"value" doc:"the result of the entropy source declared with the plan's current version, in the canonical form of its kind (e.g. \"5 8 2\" for 福彩3D); the server writes publicEntropy from the source and this value"`
	// Redraw may say that the draw supersedes the draws of earlier
	// versions. A version is drawn once: a version already drawn is
	// refused whatever this says.
	Redraw bool `json:"redraw,omitempty" doc:"optional: this draw supersedes the draws of earlier versions (it does whether set or not); refused when no earlier version was drawn. A version is drawn once: to redraw, publish a new version"`
}

// DrawResult is what a draw created.
type DrawResult struct {
	Draw  *backend.Draw   `json:"draw"`
	Tasks []*backend.Task `json:"tasks"`
}

func drawID(planID string, version, number int) string {
	return fmt.Sprintf("%s-v%d-d%d", planID, version, number)
}

// Draw runs fc-draw-1 for the plan's current public version over the
// directories as they are now, stores the public record (revealing the
// secret), creates one task per selected target and records the annual
// selections. Only managers of the lead department draw.
//
// The public entropy is the result of the entropy source declared with the
// version (RFC 3797): the draw waits until the result is out and takes only
// a value in the canonical form of the source. A version is drawn once, so
// a revealed secret is never drawn again; to redraw, the plan publishes a
// new version, with a reason, a fresh secret and a new future source. Its
// draw supersedes the draws of earlier versions: their open tasks are
// cancelled (it is refused once field work has begun) and their selections
// no longer count toward the annual cap.
func (s *Service) Draw(ctx context.Context, planID string, req DrawRequest) (*DrawResult, error) {
	const op = "planning.Draw"
	p, err := s.Plans.FindPlanByID(ctx, planID)
	if err != nil {
		return nil, err
	}
	a, err := s.requireManager(ctx, "draw.run", p, false)
	if err != nil {
		return nil, err
	}
	switch p.State {
	case backend.PlanDraft:
		return nil, backend.Errorf(backend.EINVALID, "plan %s is not published: publish it (and its commitment) before drawing", planID)
	case backend.PlanClosed:
		return nil, backend.Errorf(backend.EINVALID, "plan %s is closed", planID)
	}
	if p.Round != "" {
		return nil, backend.Errorf(backend.EINVALID, "plan %s is registered in coordination round %s and is drawn with it, not alone: withdraw it from the round first to draw it alone", planID, p.Round)
	}
	src := p.EntropySource
	if src == nil {
		return nil, backend.Errorf(backend.EINVALID, "version %d of plan %s was published without an entropy source and cannot be drawn: publish a new version declaring one (PUT /api/v1/plans/%s with a reason and an entropySource), then draw it", p.PublicVersion, planID, planID)
	}
	previous, err := s.drawsOfVersion(ctx, p.ID, p.PublicVersion)
	if err != nil {
		return nil, err
	}
	if len(previous) > 0 {
		return nil, backend.Errorf(backend.ECONFLICT, "version %d of plan %s was drawn already (%s) and its secret is public: a version is drawn once. To redraw, publish a new version with the reason and a new entropy source whose result is still to come, and draw that version", p.PublicVersion, planID, previous[len(previous)-1])
	}
	now := s.Now()
	if at := src.ResultAt(); now.Before(at) {
		return nil, backend.Errorf(backend.EINVALID, "the result of %s, the entropy source of version %d, is published at %s: draw after that time", src, p.PublicVersion, backend.FormatChinaTime(at))
	}
	entropy, err := src.Text(req.Value)
	if err != nil {
		return nil, err
	}
	earlier, live, err := s.earlierDraws(ctx, p)
	if err != nil {
		return nil, err
	}
	if req.Redraw && len(live) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "no earlier version of plan %s has a draw in force: there is nothing to redraw", planID)
	}
	items, err := s.checkRules(ctx, p)
	if err != nil {
		return nil, err
	}
	secret, err := s.Plans.FindPlanSecret(ctx, p.ID, p.PublicVersion)
	if err != nil {
		return nil, &backend.Error{Op: op, Err: err}
	}
	// The draws this one supersedes: their tasks must not have started,
	// and no selection of an earlier version counts toward the cap.
	toCancel, err := s.supersededTasks(ctx, live)
	if err != nil {
		return nil, err
	}
	except := map[string]bool{}
	for _, id := range earlier {
		except[id] = true
	}
	var reason string
	if len(live) > 0 {
		v, err := s.Plans.FindPlanVersion(ctx, p.ID, p.PublicVersion)
		if err != nil {
			return nil, err
		}
		reason = v.Reason
	}

	in, targets, err := s.buildInput(ctx, p, secret.Secret, src, entropy, now, except)
	if err != nil {
		return nil, err
	}
	rec, err := draw.Run(*in)
	if err != nil {
		return nil, err
	}
	if err := checkCountCaps(rec.Strata, items); err != nil {
		return nil, err
	}
	if len(rec.Selected) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "the draw selects no target: the plan has no eligible target (population %d)", len(in.Population))
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Err: err}
	}
	sum := sha256.Sum256(data)
	d := &backend.Draw{
		ID: drawID(p.ID, p.PublicVersion, 1), PlanID: p.ID, PlanVersion: p.PublicVersion,
		Number: 1, Redraw: len(live) > 0, Reason: reason, Supersedes: live, DrawnBy: a.UserID,
		DrawnAt: now.UTC().Truncate(time.Millisecond), Selected: len(rec.Selected),
		RecordSHA: hex.EncodeToString(sum[:]), RecordBytes: len(data),
	}
	for _, sel := range rec.Selected {
		if sel.Unassigned {
			d.Unassigned++
		}
	}
	// A draw is several writes: its intent comes first (rollDraw).
	intent, err := s.Intents.Begin(ctx, intentDraw, d.ID, "draw", d.ID, fmt.Sprintf("plan %s version %d", p.ID, p.PublicVersion))
	if backend.IsCode(err, backend.ECONFLICT) {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s is being drawn by someone else", p.ID)
	}
	if err != nil {
		return nil, err
	}
	// The draw's id is unique per plan version: of two concurrent draws
	// exactly one gets past this point.
	if err := s.Draws.CreateDraw(ctx, d); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			s.Intents.Done(ctx, intent)
			return nil, backend.Errorf(backend.ECONFLICT, "plan %s is being drawn by someone else", p.ID)
		}
		return nil, err
	}
	if err := s.Draws.SaveDrawRecord(ctx, d.ID, data); err != nil {
		return nil, err
	}
	tasks, err := s.completeDraw(ctx, p, items, d, rec, targets, earlier, toCancel)
	if err != nil {
		return nil, err
	}
	s.Intents.Done(ctx, intent)
	return &DrawResult{Draw: d, Tasks: tasks}, nil
}

// completeDraw makes the writes of a draw whose record is stored: the
// annual selections (first, so that no task of the draw exists without
// them: the cap holds after any crash), the tasks, the cancellation of the
// superseded draws' tasks, the plan, and the draw.run entry. Each step can
// be made again: the roll-forward of a stopped draw (rollDraw) runs it
// from the stored record. toCancel nil means: find the superseded draws'
// open tasks now.
func (s *Service) completeDraw(ctx context.Context, p *backend.Plan, items []*backend.Item, d *backend.Draw, rec *draw.Record, targets map[string]*backend.Target, earlier []string, toCancel []*backend.Task) ([]*backend.Task, error) {
	live := d.Supersedes
	for _, id := range live {
		if err := s.Draws.RemoveSelections(ctx, id); err != nil {
			return nil, err
		}
	}
	var sel []*backend.Selection
	for _, x := range rec.Selected {
		for _, it := range p.Items {
			sel = append(sel, &backend.Selection{Year: p.Year, ItemCode: it, TargetID: x.ID, DrawID: d.ID, At: d.DrawnAt, Remote: p.Method.Remote()})
		}
	}
	if err := s.Draws.AddSelections(ctx, sel); err != nil {
		return nil, err
	}
	tasks, err := s.tasksFor(ctx, p, items, d, rec.Selected, targets, d.DrawnAt)
	if err != nil {
		return nil, err
	}
	if err := s.createMissingTasks(ctx, tasks); err != nil {
		return nil, err
	}
	if toCancel == nil {
		if toCancel, err = s.openTasksOf(ctx, live); err != nil {
			return nil, err
		}
	}
	for _, t := range toCancel {
		t.Status = backend.TaskCancelled
		if err := s.Tasks.UpdateTask(ctx, t); err != nil {
			return nil, err
		}
	}
	changed := p.State != backend.PlanDrawn
	p.State = backend.PlanDrawn
	for _, id := range append(slices.Clone(earlier), d.ID) {
		if !slices.Contains(p.Draws, id) { // an interrupted draw the plan never listed
			p.Draws, changed = append(p.Draws, id), true
		}
	}
	if changed {
		if err := s.Plans.UpdatePlan(ctx, p); err != nil {
			return nil, err
		}
	}
	detail := fmt.Sprintf("version %d: %d selected, %d unassigned, %d in population; entropy %q", d.PlanVersion, d.Selected, d.Unassigned, len(rec.Population), rec.PublicEntropy)
	if len(live) > 0 {
		detail += fmt.Sprintf("; supersedes %s: %s", strings.Join(live, ", "), d.Reason)
	}
	// Keyed by the draw: the roll-forward of a draw that recorded itself
	// before stopping records nothing again.
	if _, err := s.Audit.Append(ctx, backend.AuditRecord{Action: "draw.run", ObjectType: "plan", ObjectID: p.ID, Change: d, Detail: detail, Key: "draw/" + d.ID}); err != nil {
		return nil, err
	}
	return tasks, nil
}

// createMissingTasks creates those of a draw's tasks that are not stored
// yet: all of them, but in a roll-forward, where the insert stops at the
// first stored one and the others are looked up.
func (s *Service) createMissingTasks(ctx context.Context, tasks []*backend.Task) error {
	err := s.Tasks.CreateTasks(ctx, tasks)
	if !backend.IsCode(err, backend.ECONFLICT) {
		return err
	}
	var missing []*backend.Task
	for _, t := range tasks {
		_, err := s.Tasks.FindTaskByID(ctx, t.ID)
		if backend.IsCode(err, backend.ENOTFOUND) {
			missing = append(missing, t)
			continue
		}
		if err != nil {
			return err
		}
	}
	return s.Tasks.CreateTasks(ctx, missing)
}

// openTasksOf returns the tasks of draws that a roll-forward still has to
// cancel: those not yet begun (the draw checked that none had begun when
// it ran; one begun since is left alone).
func (s *Service) openTasksOf(ctx context.Context, draws []string) ([]*backend.Task, error) {
	var out []*backend.Task
	for _, id := range draws {
		err := s.Tasks.ScanTasks(ctx, backend.TaskFilter{DrawID: id}, func(t *backend.Task) error {
			if t.Status == backend.TaskAssigned || t.Status == backend.TaskAccepted {
				out = append(out, t)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// drawsOfVersion returns the ids of the stored draws of a plan version, in
// order. It asks the draw store rather than the plan's list: a draw
// interrupted after storing itself but before updating the plan still
// counts, so the version counts as drawn. Versions drawn before a version
// was drawn at most once may have several.
func (s *Service) drawsOfVersion(ctx context.Context, planID string, version int) ([]string, error) {
	var out []string
	for n := 1; ; n++ {
		id := drawID(planID, version, n)
		_, err := s.Draws.FindDrawByID(ctx, id)
		if backend.IsCode(err, backend.ENOTFOUND) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
}

// earlierDraws returns every stored draw of the plan's earlier versions and
// those still in force: the last draw of each earlier version, unless the
// draw of a later one supersedes it. (The earlier draws of a version drawn
// several times, before a version was drawn once, were superseded by its
// last.) A draw's Supersedes is the one record of what it replaced.
func (s *Service) earlierDraws(ctx context.Context, p *backend.Plan) (all, live []string, err error) {
	superseded := map[string]bool{}
	var last []string
	for v := 1; v < p.PublicVersion; v++ {
		ids, err := s.drawsOfVersion(ctx, p.ID, v)
		if err != nil {
			return nil, nil, err
		}
		if len(ids) == 0 {
			continue
		}
		all = append(all, ids...)
		d, err := s.Draws.FindDrawByID(ctx, ids[len(ids)-1])
		if err != nil {
			return nil, nil, err
		}
		for _, id := range d.Supersedes {
			superseded[id] = true
		}
		last = append(last, d.ID)
	}
	for _, id := range last {
		if !superseded[id] {
			live = append(live, id)
		}
	}
	return all, live, nil
}

// supersededTasks returns the open tasks of the superseded draws, refusing
// the draw once any of them has gone past acceptance: field work has begun.
func (s *Service) supersededTasks(ctx context.Context, draws []string) ([]*backend.Task, error) {
	var out []*backend.Task
	for _, id := range draws {
		err := s.Tasks.ScanTasks(ctx, backend.TaskFilter{DrawID: id}, func(t *backend.Task) error {
			switch t.Status {
			case backend.TaskAssigned, backend.TaskAccepted:
				out = append(out, t)
			case backend.TaskCancelled, backend.TaskReplaced:
			default:
				return backend.Errorf(backend.ECONFLICT, "task %s of draw %s is already %s: field work has begun, the draw can no longer be superseded", t.ID, id, t.Status)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// buildInput snapshots the population and the inspector pool.
func (s *Service) buildInput(ctx context.Context, p *backend.Plan, secret string, src *backend.EntropySource, entropy string, now time.Time, except map[string]bool) (*draw.Input, map[string]*backend.Target, error) {
	in := &draw.Input{
		Algorithm: draw.Algorithm, PlanID: p.ID, PlanVersion: p.PublicVersion, Commitment: p.Commitment,
		Secret: secret, PublicEntropy: entropy, EntropySource: src, DrawDate: string(backend.DateOf(now)), TeamSize: p.TeamSize,
		Departments: slices.Clone(p.Departments),
	}
	in.Strata, in.Default = strataOf(p)
	targets := map[string]*backend.Target{}
	var err error
	if in.Population, err = s.population(ctx, p, except, nil, targets); err != nil {
		return nil, nil, err
	}
	if in.Inspectors, err = s.inspectorPool(ctx, p.Departments, in.DrawDate, targets); err != nil {
		return nil, nil, err
	}
	return in, targets, nil
}

// strataOf returns the plan's stratum rules as the draw takes them.
func strataOf(p *backend.Plan) (map[string]draw.Rule, *draw.Rule) {
	strata := map[string]draw.Rule{}
	for _, r := range p.Strata {
		strata[r.Key] = draw.Rule{Count: r.Count, RatioBp: r.RatioBp}
	}
	var def *draw.Rule
	if p.Default != nil {
		def = &draw.Rule{Count: p.Default.Count, RatioBp: p.Default.RatioBp}
	}
	return strata, def
}

// visitCap is what a round excludes for the caps of visits across
// departments: the caps, and the visits of each target this year.
type visitCap struct {
	caps   backend.VisitCaps
	visits map[string]int
}

// population is the plan's population from the directory as it is now,
// in id order, each target eligible or excluded with its reason; the
// targets are added to targets. Targets selected this year for one of the
// plan's items by a draw not in except are excluded (annual-cap), and,
// when vc is given, those that reached their cap of visits (visit-cap).
func (s *Service) population(ctx context.Context, p *backend.Plan, except map[string]bool, vc *visitCap, targets map[string]*backend.Target) ([]draw.Candidate, error) {
	selected, err := s.Draws.SelectedTargets(ctx, p.Year, p.Items, except)
	if err != nil {
		return nil, err
	}
	excluded := map[string]string{}
	for _, e := range p.Exclusions {
		excluded[e.TargetID] = e.Reason
	}
	var out []draw.Candidate
	f := backend.TargetFilter{Kinds: p.Filter.Kinds}
	err = s.Targets.ScanTargets(ctx, f, func(t *backend.Target) error {
		if !p.Filter.Matches(t) {
			return nil
		}
		c := draw.Candidate{ID: t.ID, Stratum: p.StratumOf(t)}
		switch {
		case t.Status != backend.StatusActive:
			c.Excluded = draw.ExcludedInactive
		case t.Whitelisted:
			c.Excluded = draw.ExcludedWhitelist
		case selected[t.ID]:
			c.Excluded = draw.ExcludedAnnualCap
		case vc != nil && vc.caps.Reached(t.CreditClass, vc.visits[t.ID]):
			c.Excluded = draw.ExcludedVisitCap
		case excluded[t.ID] != "":
			c.Excluded, c.Note = draw.ExcludedOperator, excluded[t.ID]
		}
		out = append(out, c)
		targets[t.ID] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "no target of the directory matches the filter of plan %s", p.ID)
	}
	// The record lists the population in id order, whatever order the
	// store returned it in.
	slices.SortFunc(out, func(a, b draw.Candidate) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// inspectorPool snapshots the active inspectors of depts as the draw of
// drawDate sees them: their open tasks, a leave that covers the day and
// their conflicts with the targets, in id order.
func (s *Service) inspectorPool(ctx context.Context, depts []string, drawDate string, targets map[string]*backend.Target) ([]draw.Inspector, error) {
	open, err := s.openTaskCounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []draw.Inspector
	active := true
	err = s.eachInspector(ctx, backend.InspectorFilter{DepartmentIDs: depts, Active: &active}, func(x *backend.Inspector) {
		di := draw.Inspector{ID: x.ID, DepartmentID: x.DepartmentID, CertExpiry: string(x.CertExpiry), OpenTasks: open[x.ID], TaskCap: x.TaskCap}
		// The record is public: of a person's leave it shows only a period
		// that covers the draw day, the one fact the draw depends on.
		for _, l := range x.Leave {
			if l.Contains(backend.Date(drawDate)) {
				di.Leave = append(di.Leave, draw.Period{From: string(l.From), To: string(l.To)})
			}
		}
		for _, c := range x.Conflicts {
			if _, ok := targets[c.TargetID]; ok {
				di.Conflicts = append(di.Conflicts, c.TargetID)
			}
		}
		out = append(out, di)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b draw.Inspector) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *Service) eachInspector(ctx context.Context, f backend.InspectorFilter, fn func(*backend.Inspector)) error {
	page := backend.PageRequest{Limit: backend.MaxPageLimit}
	for {
		res, err := s.Inspectors.FindInspectors(ctx, f, page)
		if err != nil {
			return err
		}
		for _, x := range res.Items {
			fn(x)
		}
		if res.NextCursor == "" {
			return nil
		}
		page.After = res.NextCursor
	}
}

// openTaskCounts counts, per inspector, the tasks that still occupy them.
func (s *Service) openTaskCounts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	var open []backend.TaskStatus
	for _, st := range []backend.TaskStatus{backend.TaskAssigned, backend.TaskAccepted, backend.TaskCheckedIn, backend.TaskSubmitted, backend.TaskReturned} {
		open = append(open, st)
	}
	err := s.Tasks.ScanTasks(ctx, backend.TaskFilter{Statuses: open}, func(t *backend.Task) error {
		for _, id := range t.Team {
			counts[id]++
		}
		return nil
	})
	return counts, err
}

// checkCountCaps refuses a draw in which a stratum drawn by count takes a
// larger share than a general item allows: ceil(cap × N / 10000).
func checkCountCaps(strata []draw.Stratum, items []*backend.Item) error {
	cap, code := ratioCap(items)
	if cap < 0 {
		return nil
	}
	for _, st := range strata {
		if st.Count == nil {
			continue
		}
		if limit := (cap*st.Eligible + 9999) / 10000; st.N > limit {
			return backend.Errorf(backend.EINVALID, "stratum %s: drawing %d of %d eligible targets exceeds the cap of %d bp of general item %s (at most %d)", st.Key, st.N, st.Eligible, cap, code, limit)
		}
	}
	return nil
}
