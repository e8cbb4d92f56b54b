package main

// --provision N: before the run, give the office's department N more
// enforcement officers with phones, and field work for them, through the
// back-office API only, as an administrator and the department's manager
// would.
//
// As --admin: N users (role inspector, the office's department, password
// --password-format) and N inspector records in the directory, each
// linked to its login by Inspector.UserID (that link is what puts the
// login on a drawn task's teamUsers and lets it check in). Certificates
// are valid for three years; no leave, no conflicts, no task cap. Names
// carry the seed and a run id (--run-id, by default the time in seconds),
// so that every run adds new officers; running again with the same seed
// and run id finds the same logins and records and uses them (their
// passwords are set again).
//
// As --office (a manager): a plan of --provision-item with teams of two,
// market entities only (they have a licence code to check in with) and one
// stratum of --provision-tasks × N targets, published and drawn. The draw
// teams every eligible officer of the department, the new ones with the
// rest. The plan declares a drand quicknet round a few seconds ahead as its
// entropy source and is drawn once that round is out, with a synthetic
// value (see provisionBeacon). The default item, SCJG-03, is the one the demo's first plan draws:
// the annual cap (one check of a target for an item a year) keeps the new
// tasks off every target that already has one of that item, so that no
// officer holds two open tasks at one enterprise (a check-in goes to the
// first open task of the officer at the scanned enterprise, whatever task
// the phone meant). plan() then takes the tasks of this draw first.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// provisionWorkers bounds the requests provisioning has in flight: each
// new login costs the server a password hash.
const provisionWorkers = 4

// provisionRequestTimeout bounds one request of provisioning: a draw of
// 8,000 tasks took 157 s on a loaded 2-core machine. A draw whose answer
// is lost (or late) is waited for (drawnDraw) up to provisionDrawWait.
const (
	provisionRequestTimeout = 10 * time.Minute
	provisionDrawWait       = 10 * time.Minute
)

// provisionSpecialties are given to the new officers in turn.
var provisionSpecialties = []string{"食品安全", "特种设备", "产品质量", "计量", "广告监管"}

type newOfficer struct {
	n                   int
	user, inspector     string
	certNo, name, passw string
	reused              bool // found from an earlier run with this run id
}

type provisionReport struct {
	dept, tag    string
	officers     []*newOfficer
	certExpiry   backend.Date
	reused       int
	plan, drawID string
	drawn        int // tasks
	unassigned   int
	perOfficer   map[string]int // provisioned login → tasks of the draw
	took         time.Duration
}

// provision runs --provision before the run; s.preferDraw is then the
// draw whose tasks plan() takes first.
func (s *sim) provision(ctx context.Context) error {
	began := time.Now()
	cfg := s.cfg
	hc := &http.Client{Timeout: provisionRequestTimeout}
	admin := &office{base: cfg.url, user: cfg.admin, password: fmt.Sprintf(cfg.passwordFormat, cfg.admin), hc: hc}
	manager := &office{base: cfg.url, user: cfg.office, password: fmt.Sprintf(cfg.passwordFormat, cfg.office), hc: hc}
	if err := admin.login(ctx); err != nil {
		return fmt.Errorf("--provision: %w", err)
	}
	if err := manager.login(ctx); err != nil {
		return fmt.Errorf("--provision: %w", err)
	}
	var me backend.User
	if err := getJSON(ctx, manager, "/api/v1/me", &me); err != nil {
		return fmt.Errorf("--provision: %w", err)
	}
	if me.Role != backend.RoleManager || len(me.Departments) == 0 {
		return fmt.Errorf("--provision: %s is a %s, not a department's manager: it cannot draw a plan", cfg.office, me.Role)
	}
	r := &provisionReport{dept: me.Departments[0], perOfficer: map[string]int{}}
	r.tag = "fs" + strconv.FormatUint(cfg.seed, 36) + "-" + cfg.runID
	r.certExpiry = backend.DateOf(time.Now().AddDate(3, 0, 0))

	// The department's region, from its directory.
	region := ""
	q := url.Values{"department": {r.dept}, "limit": {"200"}}
	var page backend.Page[*backend.Inspector]
	if err := getJSON(ctx, admin, "/api/v1/inspectors?"+q.Encode(), &page); err != nil {
		return fmt.Errorf("--provision: list the inspectors of %s: %w", r.dept, err)
	}
	for _, in := range page.Items {
		if in.RegionCode != "" {
			region = in.RegionCode
			break
		}
	}

	for n := 1; n <= cfg.provision; n++ {
		o := &newOfficer{n: n,
			user:      fmt.Sprintf("%s.%s-%03d", r.dept, r.tag, n),
			inspector: fmt.Sprintf("ins-%s-%s-%03d", r.dept, r.tag, n),
			certNo:    strings.ToUpper(fmt.Sprintf("%s-%03d", r.tag, n)),
			name:      fmt.Sprintf("模拟执法人员%s-%03d", cfg.runID, n),
		}
		o.passw = fmt.Sprintf(cfg.passwordFormat, o.user)
		switch {
		case !backend.ValidUsername(o.user):
			return fmt.Errorf("--provision: login %q is not a valid username: use a smaller --seed or a shorter --run-id", o.user)
		case !backend.ValidID(o.inspector) || !backend.ValidCertNo(o.certNo):
			return fmt.Errorf("--provision: inspector id %q or certificate %q is malformed: use a smaller --seed or a shorter --run-id", o.inspector, o.certNo)
		}
		if err := backend.ValidatePassword(o.passw); err != nil {
			return fmt.Errorf("--provision: the password of %s: %s", o.user, backend.ErrorMessage(err))
		}
		r.officers = append(r.officers, o)
	}
	err := parallel(ctx, len(r.officers), provisionWorkers, func(i int) error {
		o := r.officers[i]
		if err := createLogin(ctx, admin, r.dept, o); err != nil {
			return err
		}
		return createOfficer(ctx, admin, r.dept, region, r.certExpiry, o)
	})
	if err != nil {
		return fmt.Errorf("--provision: %w", err)
	}
	for _, o := range r.officers {
		if o.reused {
			r.reused++
		}
	}

	if err := r.drawPlan(ctx, manager, cfg); err != nil {
		return fmt.Errorf("--provision: %w", err)
	}
	r.took = time.Since(began)
	s.preferDraw, s.provisioned = r.drawID, r
	r.print(s)
	return nil
}

// createLogin adds the officer's login, or takes the one an earlier run
// with this run id made and sets its password again.
func createLogin(ctx context.Context, admin *office, dept string, o *newOfficer) error {
	body := map[string]any{"id": o.user, "displayName": o.name, "role": backend.RoleInspector, "departments": []string{dept}, "password": o.passw}
	_, err := admin.send(ctx, http.MethodPost, "/api/v1/users", body)
	if !isStatus(err, http.StatusConflict) {
		if err != nil {
			return fmt.Errorf("create login %s: %w", o.user, err)
		}
		return nil
	}
	var u backend.User
	if err := getJSON(ctx, admin, "/api/v1/users/"+url.PathEscape(o.user), &u); err != nil {
		return fmt.Errorf("login %s exists: %w", o.user, err)
	}
	if u.Role != backend.RoleInspector || !slices.Contains(u.Departments, dept) || u.Disabled {
		return fmt.Errorf("login %s exists as a %s of %v (disabled %v), not an inspector of %s", o.user, u.Role, u.Departments, u.Disabled, dept)
	}
	if _, err := admin.send(ctx, http.MethodPost, "/api/v1/users/"+url.PathEscape(o.user)+"/reset-password", map[string]string{"password": o.passw}); err != nil {
		return fmt.Errorf("set the password of %s: %w", o.user, err)
	}
	o.reused = true
	return nil
}

// createOfficer adds the officer to the inspector directory, linked to its
// login, or checks the record an earlier run with this run id made.
func createOfficer(ctx context.Context, admin *office, dept, region string, expiry backend.Date, o *newOfficer) error {
	in := &backend.Inspector{
		ID: o.inspector, Name: o.name, DepartmentID: dept, CertNo: o.certNo, CertExpiry: expiry,
		Specialties: []string{provisionSpecialties[(o.n-1)%len(provisionSpecialties)]}, RegionCode: region,
		Conflicts: []backend.Conflict{}, Leave: []backend.Period{}, UserID: o.user, Active: true,
	}
	_, err := admin.send(ctx, http.MethodPost, "/api/v1/inspectors", in)
	if !isStatus(err, http.StatusConflict) {
		if err != nil {
			return fmt.Errorf("add inspector %s: %w", o.inspector, err)
		}
		return nil
	}
	var got backend.Inspector
	if err := getJSON(ctx, admin, "/api/v1/inspectors/"+url.PathEscape(o.inspector), &got); err != nil {
		if isStatus(err, http.StatusNotFound) {
			return fmt.Errorf("certificate %s belongs to another inspector than %s", o.certNo, o.inspector)
		}
		return fmt.Errorf("inspector %s exists: %w", o.inspector, err)
	}
	today := backend.DateOf(time.Now())
	if got.UserID != o.user || got.DepartmentID != dept || got.CertNo != o.certNo || !got.Active || !got.CertValidOn(today) || got.OnLeave(today) {
		return fmt.Errorf("inspector %s exists but is not a working officer of %s linked to %s (login %q, certificate %s to %s, active %v)",
			o.inspector, dept, o.user, got.UserID, got.CertNo, got.CertExpiry, got.Active)
	}
	o.reused = true
	return nil
}

// The provisioning plan's entropy source is a drand quicknet round
// provisionBeaconLead ahead (rounds come every 3 s), so that the server's
// publication comes before it and the draw waits little; the draw is sent
// provisionClockSlack after the round, for a server whose clock lags a
// little. The value fieldsim enters is synthetic, made up from the run's
// tag, not the round's real randomness: fieldsim needs no network beyond
// the server, and the server cannot tell (anyone checking the record
// against the beacon could).
const (
	provisionBeacon     = "drand-quicknet"
	provisionBeaconLead = 2 * time.Second
	provisionClockSlack = time.Second
)

func syntheticBeaconValue(tag string) string {
	sum := sha256.Sum256([]byte("fieldsim synthetic beacon value\n" + tag))
	return hex.EncodeToString(sum[:])
}

// drawWhenOut waits until the source's result is out and draws with value.
func drawWhenOut(ctx context.Context, manager *office, path string, src *backend.EntropySource, value string, res any) error {
	if err := sleepCtx(ctx, time.Until(src.ResultAt().Add(provisionClockSlack))); err != nil {
		return err
	}
	return sendJSON(ctx, manager, http.MethodPost, path+"/draws", map[string]string{"value": value}, res)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// drawPlan creates, publishes and draws the plan that gives the new
// officers their tasks.
func (r *provisionReport) drawPlan(ctx context.Context, manager *office, cfg config) error {
	now := time.Now()
	today := backend.DateOf(now)
	end := backend.DateOf(now.AddDate(0, 0, 90))
	count := cfg.provisionTasks * cfg.provision
	p := &backend.Plan{
		Year: now.In(backend.China).Year(), Name: "fieldsim 压力测试计划 " + r.tag, Items: []string{cfg.provisionItem},
		LeadDepartment: r.dept, Departments: []string{r.dept},
		// Market entities only: they hold a licence code to check in with.
		Filter:     backend.PlanFilter{Kinds: []backend.TargetKind{backend.KindEnterprise, backend.KindIndividual, backend.KindCooperative}},
		StratumKey: backend.StratumNone,
		Strata:     []backend.StratumRule{{Key: backend.StratumAll, Count: &count}},
		TeamSize:   2,
		Batches:    []backend.Batch{{Name: "fieldsim", Start: today, End: end, DueDays: 30}},
		Method:     backend.MethodOnSite,
	}
	var created backend.Plan
	if err := sendJSON(ctx, manager, http.MethodPost, "/api/v1/plans", p, &created); err != nil {
		return fmt.Errorf("create the plan: %w", err)
	}
	r.plan = created.ID
	path := "/api/v1/plans/" + url.PathEscape(created.ID)
	// The plan declares a drand quicknet round a moment ahead as its
	// entropy source, and the draw waits for it.
	beacon, _ := backend.LookupEntropyKind(provisionBeacon)
	src := &backend.EntropySource{Source: beacon.Code, Round: beacon.FirstRoundFrom(time.Now().Add(provisionBeaconLead))}
	publish := map[string]any{"version": created.Version, "entropySource": src}
	if _, err := manager.send(ctx, http.MethodPost, path+"/publish", publish); err != nil {
		// A publication whose answer was lost is refused when retried.
		var cur backend.Plan
		if gerr := getJSON(ctx, manager, path, &cur); gerr != nil || cur.State == backend.PlanDraft {
			return fmt.Errorf("publish plan %s: %w", created.ID, err)
		}
	}
	var res struct {
		Draw  backend.Draw    `json:"draw"`
		Tasks []*backend.Task `json:"tasks"`
	}
	if err := drawWhenOut(ctx, manager, path, src, syntheticBeaconValue(r.tag), &res); err != nil {
		// A draw whose answer was lost is refused when retried: take it
		// from the plan, once the first attempt has finished.
		id, derr := drawnDraw(ctx, manager, path)
		if derr != nil {
			return fmt.Errorf("draw plan %s: %w (and %v)", created.ID, err, derr)
		}
		res.Draw.ID = id
		if res.Tasks, err = listTasks(ctx, manager, url.Values{"draw": {res.Draw.ID}}); err != nil {
			return err
		}
	}
	r.drawID = res.Draw.ID
	r.drawn = len(res.Tasks)
	for _, o := range r.officers {
		r.perOfficer[o.user] = 0
	}
	for _, t := range res.Tasks {
		if t.Unassigned || len(t.TeamUsers) < backend.MinOfficers {
			r.unassigned++
		}
		for _, u := range t.TeamUsers {
			if _, ok := r.perOfficer[u]; ok {
				r.perOfficer[u]++
			}
		}
	}
	return nil
}

// drawnDraw waits until the plan at path names its draw: a draw whose
// answer was lost may still be under way (a retry was refused 409 while
// the first attempt was drawing).
func drawnDraw(ctx context.Context, manager *office, path string) (string, error) {
	until := time.Now().Add(provisionDrawWait)
	for {
		var cur backend.Plan
		err := getJSON(ctx, manager, path, &cur)
		if err == nil && len(cur.Draws) > 0 {
			return cur.Draws[0], nil
		}
		if time.Now().After(until) {
			if err == nil {
				err = fmt.Errorf("no draw after %s", provisionDrawWait)
			}
			return "", err
		}
		if err := sleepCtx(ctx, 2*time.Second); err != nil {
			return "", err
		}
	}
}

func (r *provisionReport) print(s *sim) {
	first, last := r.officers[0], r.officers[len(r.officers)-1]
	fmt.Fprintf(s.out, "fieldsim: provisioned %d inspectors of %s in %s (%d new, %d from an earlier run with run id %s): logins %s … %s (password %s), directory %s … %s, certificates %s … %s valid to %s\n",
		len(r.officers), r.dept, r.took.Round(time.Millisecond), len(r.officers)-r.reused, r.reused, s.cfg.runID,
		first.user, last.user, strings.ReplaceAll(s.cfg.passwordFormat, "%s", "<login>"), first.inspector, last.inspector, first.certNo, last.certNo, r.certExpiry)
	lo, hi, sum, none := -1, 0, 0, 0
	for _, o := range r.officers {
		n := r.perOfficer[o.user]
		if lo < 0 || n < lo {
			lo = n
		}
		hi, sum = max(hi, n), sum+n
		if n == 0 {
			none++
		}
	}
	fmt.Fprintf(s.out, "fieldsim: plan %s (%s, teams of 2) published and drawn as %s: %d tasks (draw %s), %d without a full team; the new inspectors hold %d-%d tasks each (%.1f on average), %d none\n",
		r.plan, s.cfg.provisionItem, s.cfg.office, r.drawn, r.drawID, r.unassigned, lo, hi, float64(sum)/float64(len(r.officers)), none)
}

// listTasks lists every task the office sees that matches q.
func listTasks(ctx context.Context, o *office, q url.Values) ([]*backend.Task, error) {
	var out []*backend.Task
	q.Set("limit", "200")
	for {
		var page backend.Page[*backend.Task]
		if err := getJSON(ctx, o, "/api/v1/tasks?"+q.Encode(), &page); err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Set("after", page.NextCursor)
	}
}

func getJSON(ctx context.Context, o *office, path string, v any) error {
	return sendJSON(ctx, o, http.MethodGet, path, nil, v)
}

func sendJSON(ctx context.Context, o *office, method, path string, body, v any) error {
	data, err := o.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

func isStatus(err error, status int) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == status
}

// parallel calls fn(0) … fn(n-1) on at most workers goroutines and returns
// the first error; after one, no new call starts.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || ctx.Err() != nil
				mu.Unlock()
				if stop || i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// Only the caller's context can have ended it.
		return ctx.Err()
	}
	return first
}
