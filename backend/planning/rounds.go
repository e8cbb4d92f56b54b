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

// Coordination rounds (综合查一次, fc-draw-2, docs/draw2.md): an
// administrator, for the county, opens a round for a period with a
// commitment and a declared entropy source, as a plan is published; the
// managers of the departments register their published plans into it
// before the source's result; after the result, the round draws every
// registered plan with one seed, so that an enterprise several plans
// select gets one joint visit, and creates one task per visit.

// OpenRoundRequest opens a round.
type OpenRoundRequest struct {
	Year          int                    `json:"year"`
	Name          string                 `json:"name"`
	Period        string                 `json:"period" doc:"the period the round covers, e.g. 2026年第二季度"`
	EntropySource *backend.EntropySource `json:"entropySource" doc:"required: the future public random event whose result the round's draw takes (RFC 3797); its result must come after this request, within a year. Plans register until that result is out"`
}

// RoundDrawRequest draws a round.
type RoundDrawRequest struct {
	Value string `json:"value" doc:"the result of the round's entropy source, in the canonical form of its kind (e.g. \"5 8 2\" for 福彩3D); the server writes publicEntropy from the source and this value. A draw interrupted half-way is completed by the same request again"`
}

// RoundDrawResult is what a round's draw created.
type RoundDrawResult struct {
	Round *backend.Round  `json:"round"`
	Tasks []*backend.Task `json:"tasks"`
}

// maxRoundRetries bounds how often a change to a round re-reads it after
// someone else changed it meanwhile.
const maxRoundRetries = 8

func (s *Service) visitCaps() backend.VisitCaps {
	if s.VisitCaps == nil {
		return backend.DefaultVisitCaps()
	}
	return s.VisitCaps
}

// requireCoordinator allows administrators, who coordinate the county's
// departments, to open and draw rounds.
func (s *Service) requireCoordinator(ctx context.Context, action, id string) (*backend.Actor, error) {
	return s.require(ctx, action, "round", id, func(a *backend.Actor) error {
		if a.Role != backend.RoleAdmin {
			return backend.Errorf(backend.EFORBIDDEN, "only administrators open and draw coordination rounds")
		}
		return nil
	})
}

// OpenRound opens a round: its secret is stored first, then the round
// with the secret's commitment, public from now on.
func (s *Service) OpenRound(ctx context.Context, req OpenRoundRequest) (*backend.Round, error) {
	a, err := s.requireCoordinator(ctx, "round.open", "")
	if err != nil {
		return nil, err
	}
	r := &backend.Round{Year: req.Year, Name: req.Name, Period: req.Period, State: backend.RoundOpen, Plans: []backend.RoundEntry{}}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	src := req.EntropySource
	if src == nil {
		return nil, backend.Errorf(backend.EINVALID, "a round declares the entropy source of its draw when it opens: the future public random event whose result the draw will take (entropySource; supported sources: %s)", backend.EntropyCodes())
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	if err := src.CheckFuture(now); err != nil {
		return nil, err
	}
	id, err := s.random(5)
	if err != nil {
		return nil, err
	}
	secret, err := s.random(32)
	if err != nil {
		return nil, err
	}
	declared := *src
	r.ID = fmt.Sprintf("%d-round-%s", r.Year, hex.EncodeToString(id))
	r.Commitment = draw.Commitment(secret)
	r.EntropySource, r.EntropyResultAt = &declared, src.ResultAt().UTC()
	r.OpenedBy, r.OpenedAt = a.UserID, now
	if err := s.Rounds.CreateRoundSecret(ctx, &backend.RoundSecret{ID: r.ID, Secret: hex.EncodeToString(secret), CreatedAt: now}); err != nil {
		return nil, err
	}
	r.Record(change("round.open", "round", r.ID, r, fmt.Sprintf("commitment %s, entropy source %s (result at %s)", r.Commitment, src, backend.FormatChinaTime(r.EntropyResultAt))))
	if err := s.Rounds.CreateRound(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// backOffice allows the back office (not inspectors) to read rounds.
func backOffice(ctx context.Context) error {
	a := actorOf(ctx)
	switch {
	case a == nil:
		return backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	case a.Role == backend.RoleInspector:
		return backend.Errorf(backend.EFORBIDDEN, "inspectors see tasks, not rounds")
	}
	return nil
}

// GetRound returns a round to the back office, with its burden figures
// once drawn.
func (s *Service) GetRound(ctx context.Context, id string) (*backend.Round, error) {
	if err := backOffice(ctx); err != nil {
		return nil, err
	}
	return s.Rounds.FindRoundByID(ctx, id)
}

// ListRounds lists the rounds of a year (0 for every year).
func (s *Service) ListRounds(ctx context.Context, year int, page backend.PageRequest) (*backend.Page[*backend.Round], error) {
	if err := backOffice(ctx); err != nil {
		return nil, err
	}
	if year != 0 && (year < 2000 || year > 2100) {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	return s.Rounds.FindRounds(ctx, year, page)
}

// updateRound reads round id, lets change modify it and writes it,
// starting again from a fresh read when someone else wrote it meanwhile.
func (s *Service) updateRound(ctx context.Context, id string, change func(r *backend.Round) (write bool, err error)) (*backend.Round, error) {
	for range maxRoundRetries {
		r, err := s.Rounds.FindRoundByID(ctx, id)
		if err != nil {
			return nil, err
		}
		write, err := change(r)
		if err != nil || !write {
			return r, err
		}
		err = s.Rounds.UpdateRound(ctx, r)
		if !backend.IsCode(err, backend.ECONFLICT) {
			return r, err
		}
	}
	return nil, backend.Errorf(backend.EUNAVAILABLE, "round %s is changing too often; try again", id)
}

// registrationOpen says whether plans may still join or leave round r at
// now: while it is open and its entropy source's result is to come, so
// that nobody chooses the plans of a draw whose entropy is known.
func registrationOpen(r *backend.Round, now time.Time) error {
	if r.State != backend.RoundOpen {
		return backend.Errorf(backend.ECONFLICT, "round %s is %s: its plans are fixed", r.ID, r.State)
	}
	if !now.Before(r.EntropyResultAt) {
		return backend.Errorf(backend.EINVALID, "the result of %s, the entropy source of round %s, was published at %s: its plans are fixed since, so that nobody chooses them knowing the entropy", r.EntropySource, r.ID, backend.FormatChinaTime(r.EntropyResultAt))
	}
	return nil
}

// RegisterPlan registers a published plan into an open round, before the
// round's entropy result: from then on it is drawn with the round, never
// alone. Only managers of the plan's lead department register it. The plan
// is marked first, then listed, so that a plan the round lists is always
// one that cannot be drawn alone; registering again completes an
// interrupted registration.
func (s *Service) RegisterPlan(ctx context.Context, roundID, planID string) (*backend.Round, error) {
	r, err := s.Rounds.FindRoundByID(ctx, roundID)
	if err != nil {
		return nil, err
	}
	p, err := s.Plans.FindPlanByID(ctx, planID)
	if err != nil {
		return nil, err
	}
	a, err := s.requireManager(ctx, "round.register", p, false)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if err := registrationOpen(r, now); err != nil {
		return nil, err
	}
	switch {
	case p.Round != "" && p.Round != r.ID:
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s is registered in round %s: withdraw it there first", p.ID, p.Round)
	case p.State == backend.PlanDraft:
		return nil, backend.Errorf(backend.EINVALID, "plan %s is a draft: publish it before registering it in a round", p.ID)
	case p.State == backend.PlanDrawn || p.State == backend.PlanClosed || len(p.Draws) > 0:
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s was drawn alone or is closed (%s): it cannot join a round", p.ID, p.State)
	case p.Year != r.Year:
		return nil, backend.Errorf(backend.EINVALID, "plan %s is of %d, round %s of %d", p.ID, p.Year, r.ID, r.Year)
	case p.Method != backend.MethodOnSite:
		return nil, backend.Errorf(backend.EINVALID, "plan %s checks by %s: a round coordinates on-site visits only", p.ID, p.Method)
	}
	if drawn, err := s.drawsOfVersion(ctx, p.ID, p.PublicVersion); err != nil {
		return nil, err
	} else if len(drawn) > 0 {
		return nil, backend.Errorf(backend.ECONFLICT, "plan %s was drawn alone (%s): it cannot join a round", p.ID, drawn[0])
	}
	if !r.Listed(p.ID) {
		if err := s.checkRoundItems(ctx, r, p); err != nil {
			return nil, err
		}
	}
	if p.Round == "" {
		p.Round = r.ID
		if err := s.Plans.UpdatePlan(ctx, p); err != nil {
			if backend.IsCode(err, backend.ECONFLICT) {
				return nil, backend.Errorf(backend.ECONFLICT, "plan %s was changed by someone else; try again", p.ID)
			}
			return nil, err
		}
	}
	entry := backend.RoundEntry{PlanID: p.ID, Name: p.Name, LeadDepartment: p.LeadDepartment, Departments: slices.Clone(p.Departments),
		RegisteredBy: a.UserID, RegisteredAt: now.UTC().Truncate(time.Millisecond)}
	r, err = s.updateRound(ctx, r.ID, func(r *backend.Round) (bool, error) {
		if err := registrationOpen(r, now); err != nil {
			return false, err
		}
		if r.Listed(p.ID) {
			return false, nil
		}
		if len(r.Plans) >= draw.MaxRoundPlans {
			return false, backend.Errorf(backend.EINVALID, "round %s has %d plans, the most a round draws", r.ID, draw.MaxRoundPlans)
		}
		r.Plans = append(r.Plans, entry)
		r.Record(change("round.register", "round", r.ID, entry, fmt.Sprintf("plan %s (%s) registered", p.ID, strings.Join(p.Departments, ", "))))
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkRoundItems refuses a plan whose items, with those of the plans
// already in the round, are more than one form merges: a joint visit of
// every plan has them all.
func (s *Service) checkRoundItems(ctx context.Context, r *backend.Round, p *backend.Plan) error {
	items := slices.Clone(p.Items)
	for _, e := range r.Plans {
		q, err := s.Plans.FindPlanByID(ctx, e.PlanID)
		if err != nil {
			return err
		}
		items = append(items, q.Items...)
	}
	slices.Sort(items)
	if n := len(slices.Compact(items)); n > backend.MaxMergedItems {
		return backend.Errorf(backend.EINVALID, "with plan %s the round's plans would have %d items, more than the %d one visit's form merges", p.ID, n, backend.MaxMergedItems)
	}
	return nil
}

// WithdrawPlan takes a plan out of an open round before the round's
// entropy result: it may then be drawn alone. The round lets go first,
// then the plan, so that the round never draws a plan that believes itself
// free; withdrawing again completes an interrupted withdrawal.
func (s *Service) WithdrawPlan(ctx context.Context, roundID, planID string) (*backend.Round, error) {
	p, err := s.Plans.FindPlanByID(ctx, planID)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireManager(ctx, "round.withdraw", p, false); err != nil {
		return nil, err
	}
	r, err := s.Rounds.FindRoundByID(ctx, roundID)
	if err != nil {
		return nil, err
	}
	if p.Round != r.ID && !r.Listed(p.ID) {
		return nil, backend.Errorf(backend.ENOTFOUND, "plan %s is not registered in round %s", p.ID, r.ID)
	}
	now := s.Now()
	r, err = s.updateRound(ctx, r.ID, func(r *backend.Round) (bool, error) {
		if err := registrationOpen(r, now); err != nil {
			return false, err
		}
		n := len(r.Plans)
		r.Plans = slices.DeleteFunc(r.Plans, func(e backend.RoundEntry) bool { return e.PlanID == p.ID })
		r.Record(change("round.withdraw", "round", r.ID, map[string]string{"planId": p.ID}, fmt.Sprintf("plan %s withdrawn", p.ID)))
		return len(r.Plans) != n, nil
	})
	if err != nil {
		return nil, err
	}
	if p.Round == r.ID {
		p.Round = ""
		if err := s.Plans.UpdatePlan(ctx, p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// frozenByRound refuses a change to a plan registered in a round whose
// plans are fixed: once the round's entropy is known (or it is drawn),
// nobody may change what it draws.
func (s *Service) frozenByRound(ctx context.Context, p *backend.Plan) error {
	if p.Round == "" {
		return nil
	}
	r, err := s.Rounds.FindRoundByID(ctx, p.Round)
	if err != nil {
		return err
	}
	if err := registrationOpen(r, s.Now()); err != nil {
		return backend.Errorf(backend.ECONFLICT, "plan %s is registered in round %s: %s", p.ID, r.ID, backend.ErrorMessage(err))
	}
	return nil
}

// roundPlan is a plan of a round being drawn, with its items.
type roundPlan struct {
	plan  *backend.Plan
	items []*backend.Item
}

// roundPlans loads and checks the round's plans in the round's order.
func (s *Service) roundPlans(ctx context.Context, r *backend.Round) ([]roundPlan, error) {
	out := make([]roundPlan, 0, len(r.Plans))
	for _, e := range r.Plans {
		p, err := s.Plans.FindPlanByID(ctx, e.PlanID)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Round != r.ID:
			return nil, backend.Errorf(backend.ECONFLICT, "plan %s is listed in round %s but registered in %q: register it again or withdraw it", p.ID, r.ID, p.Round)
		case p.State == backend.PlanDrawn && r.State == backend.RoundDrawing:
			// this draw marked it drawn before it stopped
		case p.State != backend.PlanPublished:
			return nil, backend.Errorf(backend.ECONFLICT, "plan %s of round %s is %s", p.ID, r.ID, p.State)
		case p.PublishedAt != nil && p.PublishedAt.After(r.EntropyResultAt):
			return nil, backend.Errorf(backend.EINVALID, "version %d of plan %s was published at %s, after the round's entropy result", p.PublicVersion, p.ID, backend.FormatChinaTime(*p.PublishedAt))
		}
		if drawn, err := s.drawsOfVersion(ctx, p.ID, p.PublicVersion); err != nil {
			return nil, err
		} else if len(drawn) > 0 {
			return nil, backend.Errorf(backend.ECONFLICT, "plan %s of round %s was drawn alone (%s)", p.ID, r.ID, drawn[0])
		}
		items, err := s.checkRules(ctx, p)
		if err != nil {
			return nil, backend.Errorf(backend.EINVALID, "plan %s: %s", p.ID, backend.ErrorMessage(err))
		}
		out = append(out, roundPlan{plan: p, items: items})
	}
	return out, nil
}

// roundInput snapshots every plan's population (its filter, strata and
// exclusions as its own draw would, plus visit-cap) and one inspector
// pool of all their departments.
func (s *Service) roundInput(ctx context.Context, r *backend.Round, plans []roundPlan, secret string) (*draw.RoundInput, map[string]*backend.Target, error) {
	// Selections made by this round are not earlier visits: a draw
	// resumed after some were stored must come out the same.
	except := map[string]bool{r.ID: true}
	visits, err := s.Draws.VisitCounts(ctx, r.Year, except)
	if err != nil {
		return nil, nil, err
	}
	vc := &visitCap{caps: s.visitCaps(), visits: visits}
	in := &draw.RoundInput{
		Algorithm: draw.RoundAlgorithm, RoundID: r.ID, Commitment: r.Commitment, Secret: secret,
		PublicEntropy: r.PublicEntropy, EntropySource: r.EntropySource, DrawDate: string(backend.DateOf(*r.DrawnAt)),
	}
	targets := map[string]*backend.Target{}
	var depts []string
	for _, rp := range plans {
		p := rp.plan
		pop, err := s.population(ctx, p, except, vc, targets)
		if err != nil {
			return nil, nil, err
		}
		strata, def := strataOf(p)
		tags := tagPopulation(pop, p.Filter.Tags, targets)
		in.Plans = append(in.Plans, draw.RoundPlan{PlanID: p.ID, PlanVersion: p.PublicVersion, TeamSize: p.TeamSize,
			Departments: slices.Clone(p.Departments), Tags: tags, Strata: strata, Default: def, Population: pop})
		depts = append(depts, p.Departments...)
	}
	slices.Sort(depts)
	if in.Inspectors, err = s.inspectorPool(ctx, slices.Compact(depts), in.DrawDate, targets); err != nil {
		return nil, nil, err
	}
	return in, targets, nil
}

// buildRound draws the round from the directories as they are now.
func (s *Service) buildRound(ctx context.Context, r *backend.Round, plans []roundPlan) (*draw.RoundRecord, map[string]*backend.Target, error) {
	secret, err := s.Rounds.FindRoundSecret(ctx, r.ID)
	if err != nil {
		return nil, nil, &backend.Error{Op: "planning.buildRound", Err: err}
	}
	in, targets, err := s.roundInput(ctx, r, plans, secret.Secret)
	if err != nil {
		return nil, nil, err
	}
	rec, err := draw.RunRound(*in)
	if err != nil {
		return nil, nil, err
	}
	for i, rp := range plans {
		if err := checkCountCaps(rec.Plans[i].Strata, rp.items); err != nil {
			return nil, nil, backend.Errorf(backend.EINVALID, "plan %s: %s", rp.plan.ID, backend.ErrorMessage(err))
		}
	}
	if len(rec.Visits) == 0 {
		return nil, nil, backend.Errorf(backend.EINVALID, "the round selects no target: its plans have no eligible target")
	}
	return rec, targets, nil
}

// DrawRound draws an open round once its entropy source's result is out:
// every registered plan with the round's one seed (fc-draw-2), one task
// per visit. Only administrators draw. The record is built (and the
// whole draw checked) before anything is written; then the round is
// marked drawing with the public entropy — of two concurrent draws exactly
// one gets past this point — and the steps of completeRoundDraw follow. A
// draw that stopped half-way is completed by the same request again.
func (s *Service) DrawRound(ctx context.Context, id string, req RoundDrawRequest) (*RoundDrawResult, error) {
	r, err := s.Rounds.FindRoundByID(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := s.requireCoordinator(ctx, "round.draw", id)
	if err != nil {
		return nil, err
	}
	if r.State == backend.RoundDrawn {
		return nil, backend.Errorf(backend.ECONFLICT, "round %s was drawn already and its secret is public: a round is drawn once (record at /public/rounds/%s)", id, id)
	}
	entropy, err := r.EntropySource.Text(req.Value)
	if err != nil {
		return nil, err
	}
	if r.State == backend.RoundDrawing {
		if entropy != r.PublicEntropy {
			return nil, backend.Errorf(backend.EINVALID, "the draw of round %s began with the result %q of %s: complete it with the same value", id, r.PublicEntropy, r.EntropySource)
		}
		return s.completeRoundDraw(ctx, r, nil, nil, nil)
	}
	now := s.Now()
	if now.Before(r.EntropyResultAt) {
		return nil, backend.Errorf(backend.EINVALID, "the result of %s, the entropy source of round %s, is published at %s: draw after that time", r.EntropySource, id, backend.FormatChinaTime(r.EntropyResultAt))
	}
	if len(r.Plans) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "round %s has no plan registered", id)
	}
	plans, err := s.roundPlans(ctx, r)
	if err != nil {
		return nil, err
	}
	at := now.UTC().Truncate(time.Millisecond)
	r.State, r.PublicEntropy, r.DrawnBy, r.DrawnAt = backend.RoundDrawing, entropy, a.UserID, &at
	rec, targets, err := s.buildRound(ctx, r, plans)
	if err != nil {
		return nil, err
	}
	r.Record(change("round.drawing", "round", r.ID, r, fmt.Sprintf("entropy %q; %d plans", entropy, len(r.Plans))))
	if err := s.Rounds.UpdateRound(ctx, r); err != nil {
		if backend.IsCode(err, backend.ECONFLICT) {
			return nil, backend.Errorf(backend.ECONFLICT, "round %s is being drawn or changed by someone else; reload it", id)
		}
		return nil, err
	}
	return s.completeRoundDraw(ctx, r, plans, rec, targets)
}

// completeRoundDraw takes round r, marked drawing, to drawn in steps that
// may each be done again with the same outcome, so that a draw stopped
// anywhere is completed by running it again (an intent's roll-forward):
//
//  1. the record: stored once under the round's key; rec, when given, is
//     the one just built from plans (loaded when nil); otherwise the stored one is loaded, or, when
//     none was stored yet (nothing is public: the round is not drawn),
//     built again;
//  2. the tasks: one per visit, with ids from the round and the target,
//     those not stored yet created;
//  3. the selections of the annual cap, keyed by year, item and target
//     (stored ones are kept);
//  4. the plans, marked drawn (those not yet);
//  5. the round, drawn with its figures, and the audit entries.
func (s *Service) completeRoundDraw(ctx context.Context, r *backend.Round, plans []roundPlan, rec *draw.RoundRecord, targets map[string]*backend.Target) (*RoundDrawResult, error) {
	const op = "planning.completeRoundDraw"
	var err error
	if plans == nil {
		if plans, err = s.roundPlans(ctx, r); err != nil {
			return nil, err
		}
	}
	key := backend.RoundRecordKey(r.ID)
	fresh := rec != nil
	if rec == nil {
		data, err := s.Draws.LoadDrawRecord(ctx, key)
		switch {
		case backend.IsCode(err, backend.ENOTFOUND):
			if rec, targets, err = s.buildRound(ctx, r, plans); err != nil {
				return nil, err
			}
			fresh = true
		case err != nil:
			return nil, err
		default:
			rec = &draw.RoundRecord{}
			if err := json.Unmarshal(data, rec); err != nil {
				return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Err: err}
			}
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, &backend.Error{Code: backend.EINTERNAL, Op: op, Err: err}
	}
	if fresh {
		if err := s.Draws.SaveDrawRecord(ctx, key, data); err != nil {
			return nil, err
		}
	}
	tasks, err := s.visitTasks(ctx, r, plans, rec, targets)
	if err != nil {
		return nil, err
	}
	var missing []*backend.Task
	for _, t := range tasks {
		if !fresh {
			_, err := s.Tasks.FindTaskByID(ctx, t.ID)
			if err == nil {
				continue
			}
			if !backend.IsCode(err, backend.ENOTFOUND) {
				return nil, err
			}
		}
		missing = append(missing, t)
	}
	if err := s.Tasks.CreateTasks(ctx, missing); err != nil {
		return nil, err
	}
	var sel []*backend.Selection
	for i, pd := range rec.Plans {
		for _, x := range pd.Selected {
			for _, it := range plans[i].plan.Items {
				sel = append(sel, &backend.Selection{Year: r.Year, ItemCode: it, TargetID: x.ID, DrawID: r.ID, At: *r.DrawnAt})
			}
		}
	}
	if err := s.Draws.AddSelections(ctx, sel); err != nil {
		return nil, err
	}
	for i, rp := range plans {
		p := rp.plan
		if p.State == backend.PlanDrawn {
			continue
		}
		p.State = backend.PlanDrawn
		pd := &rec.Plans[i]
		p.Record(change("round.draw", "plan", p.ID, map[string]any{"round": r.ID, "selected": len(pd.Selected)},
			fmt.Sprintf("drawn in round %s: %d selected, %d in population", r.ID, len(pd.Selected), len(pd.Population))))
		if err := s.Plans.UpdatePlan(ctx, p); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(data)
	burden := rec.Burden()
	r.State, r.Visits, r.JointVisits, r.Unassigned = backend.RoundDrawn, len(rec.Visits), 0, 0
	for i := range rec.Visits {
		if rec.Visits[i].Joint() {
			r.JointVisits++
		}
		if rec.Visits[i].Unassigned {
			r.Unassigned++
		}
	}
	r.Burden, r.RecordSHA, r.RecordBytes = &burden, hex.EncodeToString(sum[:]), len(data)
	detail := fmt.Sprintf("%d plans, %d visits of which %d joint, %d unassigned; floor %.2f, independent draws %.2f", len(r.Plans), r.Visits, r.JointVisits, r.Unassigned, burden.Floor, burden.Independent)
	r.Record(change("round.draw", "round", r.ID, r, detail))
	if err := s.Rounds.UpdateRound(ctx, r); err != nil {
		return nil, err
	}
	return &RoundDrawResult{Round: r, Tasks: tasks}, nil
}

// visitTasks builds one task per visit of the record: the items of every
// plan that selected the target (the first leads: its department reviews
// and publishes, its batches schedule), the visit's team, and a part per
// plan that splits the result back.
func (s *Service) visitTasks(ctx context.Context, r *backend.Round, plans []roundPlan, rec *draw.RoundRecord, targets map[string]*backend.Target) ([]*backend.Task, error) {
	index := map[string]int{}                   // plan id → index in the round
	picks := make([]map[string]int, len(plans)) // per plan: target → position in its selection
	for i, pd := range rec.Plans {
		index[pd.PlanID] = i
		picks[i] = make(map[string]int, len(pd.Selected))
		for j, x := range pd.Selected {
			picks[i][x.ID] = j
		}
	}
	teams := make([][]string, len(rec.Visits))
	for i := range rec.Visits {
		teams[i] = rec.Visits[i].Team
	}
	users, err := s.teamLogins(ctx, teams)
	if err != nil {
		return nil, err
	}
	checklists := map[string][]backend.ChecklistRef{} // by the visit's plans
	tasks := make([]*backend.Task, 0, len(rec.Visits))
	for vi := range rec.Visits {
		v := &rec.Visits[vi]
		lead := plans[index[v.Plans[0]]].plan
		li := index[lead.ID]
		var items []string
		var itemDocs []*backend.Item
		var parts []backend.TaskPart
		for _, id := range v.Plans {
			pi := index[id]
			p := plans[pi].plan
			for k, code := range p.Items {
				if !slices.Contains(items, code) {
					items = append(items, code)
					itemDocs = append(itemDocs, plans[pi].items[k])
				}
			}
			parts = append(parts, backend.TaskPart{PlanID: p.ID, PlanVersion: p.PublicVersion, LeadDepartment: p.LeadDepartment,
				Departments: slices.Clone(p.Departments), Items: slices.Clone(p.Items), Stratum: rec.Plans[pi].Selected[picks[pi][v.ID]].Stratum})
		}
		shape := strings.Join(v.Plans, "\n")
		cl, ok := checklists[shape]
		if !ok {
			if cl, err = s.checklist(ctx, itemDocs); err != nil {
				return nil, err
			}
			checklists[shape] = cl
		}
		name, err := s.targetName(ctx, targets, v.ID)
		if err != nil {
			return nil, err
		}
		pos := picks[li][v.ID]
		b := lead.Batches[pos*len(lead.Batches)/len(rec.Plans[li].Selected)]
		t := &backend.Task{
			ID: fmt.Sprintf("%s-%s", r.ID, v.ID), PlanID: lead.ID, PlanVersion: lead.PublicVersion, DrawID: r.ID, Random: true,
			TargetID: v.ID, TargetName: name, Stratum: parts[0].Stratum, PRN: v.PRN, Order: v.Order,
			Items: items, Method: backend.MethodOnSite, LeadDepartment: lead.LeadDepartment, Departments: slices.Clone(v.Departments),
			Batch: b.Name, Start: b.Start, End: b.End, Due: due(b, *r.DrawnAt), Checklist: cl, Status: backend.TaskAssigned, Parts: parts,
		}
		setTeam(t, v.Assignment, users)
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// targetName is a target's name, from the snapshot when there is one.
func (s *Service) targetName(ctx context.Context, targets map[string]*backend.Target, id string) (string, error) {
	if t := targets[id]; t != nil {
		return t.Name, nil
	}
	t, err := s.Targets.FindTargetByID(ctx, id)
	if err != nil {
		return "", err
	}
	return t.Name, nil
}

// PublicRound is what anyone may read about a round: everything but who
// in the back office did what.
func publicRound(r *backend.Round) *backend.Round {
	c := *r
	c.OpenedBy, c.DrawnBy = "", ""
	c.Plans = make([]backend.RoundEntry, len(r.Plans))
	for i, e := range r.Plans {
		e.RegisteredBy = ""
		c.Plans[i] = e
	}
	return &c
}

// PublicRounds lists the rounds of a year (0 for every year): their
// commitments and entropy sources from the moment they open, their
// figures once drawn.
func (s *Service) PublicRounds(ctx context.Context, year int, page backend.PageRequest) (*backend.Page[*backend.Round], error) {
	if year != 0 && (year < 2000 || year > 2100) {
		return nil, backend.Errorf(backend.EINVALID, "year %d is out of range", year)
	}
	rs, err := s.Rounds.FindRounds(ctx, year, page)
	if err != nil {
		return nil, err
	}
	out := &backend.Page[*backend.Round]{NextCursor: rs.NextCursor, Items: make([]*backend.Round, len(rs.Items))}
	for i, r := range rs.Items {
		out.Items[i] = publicRound(r)
	}
	return out, nil
}

// PublicRoundRecord returns the JSON of a drawn round's record (fc-draw-2).
func (s *Service) PublicRoundRecord(ctx context.Context, id string) ([]byte, error) {
	if len(id) > 200 {
		return nil, backend.Errorf(backend.EINVALID, "round id is too long")
	}
	r, err := s.Rounds.FindRoundByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != backend.RoundDrawn {
		return nil, backend.Errorf(backend.ENOTFOUND, "round %s is %s: its record is published when it is drawn", id, r.State)
	}
	return s.Draws.LoadDrawRecord(ctx, backend.RoundRecordKey(id))
}
