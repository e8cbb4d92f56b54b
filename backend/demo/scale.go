package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// The demo at scale ("fieldcheck demo --tasks N"): the county gets field
// work of a size that shows what the store costs, made the way the back
// office and the phones make it. Plans of the market-supervision
// department are drawn until N tasks exist; then a share of them is worked
// as the team's phones would work them, through the sync service's push
// (fcsync.Service.Push, the code behind POST /mobile/v1/sync): accepted,
// checked in by both officers with the enterprise's signed licence code,
// every question answered, the required photos declared and the result
// submitted for review.
const (
	// ScaleSubmittedPercent of N tasks are submitted for review.
	ScaleSubmittedPercent = 30
	// ScaleAcceptedPercent of N tasks are accepted and go no further.
	ScaleAcceptedPercent = 10
	// ScaleTasksPerOfficer sizes the extra officers: one with a login for
	// every ScaleTasksPerOfficer tasks asked for, so that a draw's teams
	// are spread over many phones instead of the few demo officers
	// without a task cap.
	ScaleTasksPerOfficer = 100
	// ScaleWorkers is how many teams work at once.
	ScaleWorkers = 4
	// MaxScaleTasks bounds N.
	MaxScaleTasks = 200_000
)

// scaleItems are the items of the plans drawn for scale, in turn: the
// annual cap lets a target be drawn once a year per item, so a county too
// small for N tasks of one item takes the next.
var scaleItems = []string{"SCJG-03", "SCJG-04", "SCJG-01", "SCJG-02", "SCJG-05", "SCJG-08"}

// Scale is what ScaleUp works with: the services of a running fieldcheck.
type Scale struct {
	Users     *backend.Users
	Directory *backend.Directory
	Planning  *planning.Service
	Sync      *fcsync.Service
	Tasks     backend.TaskStore
	Targets   backend.TargetStore
	// Code returns an enterprise's licence code as a phone scans it.
	Code func(ctx context.Context, uscc string) (string, error)
	Now  func() time.Time
	// Upload stores the bytes of an evidence slot declared by a phone,
	// as its tus upload does (SubmitWithPhotos).
	Upload func(ctx context.Context, taskID, slotID string, data []byte) error
	// Progress, when set, hears how far the work is.
	Progress io.Writer
}

// ScaleSummary counts what ScaleUp made.
type ScaleSummary struct {
	Officers  int      // officers with a login added
	Plans     []string // plans drawn for scale
	Tasks     int      // tasks that exist afterwards
	Submitted int
	Accepted  int
}

func (s *Scale) progress(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, format+"\n", args...)
	}
}

// AddScaleOfficers adds the officers with logins that n tasks need
// (ScaleTasksPerOfficer), as an administrator would: a login and a
// directory record linked to it, valid for three years. Call it before
// the first draw, so that every draw spreads its teams over them.
func (s *Scale) AddScaleOfficers(ctx context.Context, n int) (int, error) {
	count := (n + ScaleTasksPerOfficer - 1) / ScaleTasksPerOfficer
	admin := backend.WithActor(ctx, backend.SystemActor("demo"))
	expiry := backend.DateOf(s.Now().AddDate(3, 0, 0))
	errs := make([]error, count)
	var wg sync.WaitGroup
	// Each login costs a password hash, and the process's password gate
	// refuses a hash that waits over a second for its slot: as many at once
	// as it has slots, so that none waits on a loaded machine.
	sem := make(chan struct{}, backend.PasswordSlots())
	for i := range count {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.addOfficer(admin, i+1, expiry)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	s.progress("added %d officers with logins (scjg.field001 …, password demo-<username>)", count)
	return count, nil
}

func (s *Scale) addOfficer(ctx context.Context, n int, expiry backend.Date) error {
	user := fmt.Sprintf("scjg.field%03d", n)
	u := &backend.User{ID: user, DisplayName: fmt.Sprintf("外勤执法人员%03d", n), Role: backend.RoleInspector, Departments: []string{"scjg"}}
	if err := s.Users.CreateUser(ctx, u, DemoPassword(user)); err != nil {
		return fmt.Errorf("officer login %s: %w", user, err)
	}
	in := &backend.Inspector{
		ID: fmt.Sprintf("ins-scjg-f%03d", n), Name: u.DisplayName, DepartmentID: "scjg",
		CertNo: fmt.Sprintf("35040426F%03d", n), CertExpiry: expiry, Specialties: []string{"食品安全"},
		RegionCode: CountyRegionCode, UserID: user, Active: true,
	}
	if err := s.Directory.CreateInspector(ctx, in); err != nil {
		return fmt.Errorf("officer %s: %w", in.ID, err)
	}
	return nil
}

// ScaleUp draws plans of the market-supervision department until at least
// n tasks exist (existing counts those already drawn), then works
// ScaleSubmittedPercent of n to submission and ScaleAcceptedPercent to
// acceptance, as phones would.
func (s *Scale) ScaleUp(ctx context.Context, n, existing int) (*ScaleSummary, error) {
	sum := &ScaleSummary{Tasks: existing}
	now := s.Now()
	for i := 0; sum.Tasks < n; i++ {
		if i == len(scaleItems) {
			return nil, fmt.Errorf("the county has too few targets for %d tasks: %d drawn", n, sum.Tasks)
		}
		count := n - sum.Tasks
		p := demoPlan(fmt.Sprintf("市场监管部门双随机抽查计划（演示规模，%s）", scaleItems[i]), now)
		p.Items = []string{scaleItems[i]}
		p.StratumKey, p.Default = backend.StratumNone, nil
		p.Strata = []backend.StratumRule{{Key: backend.StratumAll, Count: &count}}
		res, err := DrawPlan(ctx, s.Planning, p, now)
		if err != nil {
			return nil, fmt.Errorf("scale plan of %s: %w", scaleItems[i], err)
		}
		sum.Plans = append(sum.Plans, p.ID)
		sum.Tasks += len(res.Tasks)
		s.progress("drew plan %s (%s): %d tasks, %d in all", p.ID, scaleItems[i], len(res.Tasks), sum.Tasks)
	}
	if err := s.work(ctx, n, sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// work picks the tasks to work, spread over every plan by a hash of their
// ids, among those whose whole team has phones, and works them.
func (s *Scale) work(ctx context.Context, n int, sum *ScaleSummary) error {
	var open []*backend.Task
	err := s.Tasks.ScanTasks(ctx, backend.TaskFilter{Statuses: []backend.TaskStatus{backend.TaskAssigned}}, func(t *backend.Task) error {
		if !t.Unassigned && len(t.Team) >= backend.MinOfficers && len(t.TeamUsers) == len(t.Team) {
			open = append(open, t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(open, func(a, b *backend.Task) int { return strings.Compare(spread(a.ID), spread(b.ID)) })
	submit := min(n*ScaleSubmittedPercent/100, len(open))
	accept := min(n*ScaleAcceptedPercent/100, len(open)-submit)
	jobs := make(chan int)
	errs := make([]error, ScaleWorkers)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	start := time.Now()
	for w := range ScaleWorkers {
		wg.Go(func() {
			for i := range jobs {
				if errs[w] != nil {
					continue
				}
				t := open[i]
				if i < submit {
					errs[w] = s.submit(ctx, t)
				} else {
					errs[w] = s.accept(ctx, t)
				}
				mu.Lock()
				if done++; done%500 == 0 {
					s.progress("worked %d of %d tasks (%.0f s)", done, submit+accept, time.Since(start).Seconds())
				}
				mu.Unlock()
			}
		})
	}
	for i := range submit + accept {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	sum.Submitted, sum.Accepted = submit, accept
	return nil
}

func spread(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	return fmt.Sprintf("%016x%s", h.Sum64(), id)
}

// maxBusyRetries bounds how often a push the server was too busy for is
// sent again.
const maxBusyRetries = 100

// phone is an officer's session on their phone.
func phone(ctx context.Context, user string) context.Context {
	return backend.WithActor(ctx, &backend.Actor{
		UserID: user, Role: backend.RoleInspector, Departments: []string{"scjg"},
		ClientAddr: "local", DeviceID: "demo-" + strings.ReplaceAll(user, ".", "-"), Fresh: true,
	})
}

// push sends one batch from a phone and wants every mutation applied.
func (s *Scale) push(ctx context.Context, user string, ms ...fcsync.Mutation) error {
	for i := range ms {
		ms[i].OpID = fmt.Sprintf("demo-%s-%d", ms[i].TaskID, i)
		if ms[i].Entity == fcsync.EntityCheckIn {
			ms[i].OpID += "-checkin"
		}
	}
	// A push refused because the server is busy (its admission gate, on
	// a loaded machine) is sent again when it says: the operation ids make
	// the second send apply what the first did not.
	res, err := s.Sync.Push(phone(ctx, user), &fcsync.PushRequest{Mutations: ms})
	for try := 0; try < maxBusyRetries && backend.IsCode(err, backend.EUNAVAILABLE); try++ {
		wait, _ := backend.RetryAfter(err)
		select {
		case <-time.After(max(wait, 100*time.Millisecond)):
		case <-ctx.Done():
			return ctx.Err()
		}
		res, err = s.Sync.Push(phone(ctx, user), &fcsync.PushRequest{Mutations: ms})
	}
	if err != nil {
		return err
	}
	for i, r := range res.Results {
		if r.Status != fcsync.Applied {
			return fmt.Errorf("task %s: %s by %s was %s: %s", ms[i].TaskID, ms[i].Entity, user, r.Status, r.Message)
		}
	}
	return nil
}

func mutation(entity string, t *backend.Task, payload any) fcsync.Mutation {
	m, err := fcsync.NewMutation(entity, t.ID, t.Version, payload)
	if err != nil {
		panic(err) // the payloads are this file's own types
	}
	return m
}

func (s *Scale) accept(ctx context.Context, t *backend.Task) error {
	return s.push(ctx, t.TeamUsers[0], mutation(fcsync.EntityTask, t, fcsync.TaskPayload{To: backend.TaskAccepted}))
}

func (s *Scale) submit(ctx context.Context, t *backend.Task) error { return s.Submit(ctx, t, nil) }

// Submit works a task as its team's phones do: the second officer checks
// in; the first accepts, checks in, answers, declares the evidence and
// enters the result, in one batch made offline on the version pulled. The
// evidence is files when given (their bytes are the caller's to upload),
// else one made-up photo per question that requires one, never uploaded.
func (s *Scale) Submit(ctx context.Context, t *backend.Task, files []backend.EvidenceInput) error {
	code, err := s.Code(ctx, t.TargetID)
	if err != nil {
		return err
	}
	where := backend.GeoPoint{Lat: 26.2634, Lng: 117.6390}
	if tg, err := s.Targets.FindTargetByID(ctx, t.TargetID); err == nil && tg.Location != nil {
		where = *tg.Location
	}
	now := s.Now()
	r := rand.New(rand.NewPCG(DefaultSeed, fnv64(t.ID)))
	checkIn := func() fcsync.Mutation {
		p := where
		p.Lat += (r.Float64() - 0.5) * 0.0002
		p.Lng += (r.Float64() - 0.5) * 0.0002
		return mutation(fcsync.EntityCheckIn, t, fcsync.CheckInPayload{Code: code, Position: &p, AccuracyM: float64(3 + r.IntN(15)), DeviceTime: now})
	}
	if err := s.push(ctx, t.TeamUsers[1], checkIn()); err != nil {
		return err
	}
	// The result first, so that the answers agree with it: a reviewer
	// reading a demo task with 未发现问题 finds compliant answers, and one
	// with a finding finds the answer that shows it.
	result := fcsync.ResultPayload{Code: backend.ResultNoProblem, DeviceTime: now}
	switch x := r.IntN(10); {
	case x == 0:
		result.Code, result.Findings, result.FollowUp = backend.ResultCorrected, "现场发现问题，已责令当场改正。", "责令改正"
	case x == 1:
		result.Code, result.Findings = backend.ResultFollowUp, "发现问题，需后续处理。"
	}
	values := answersFor(r, t.Form, result.Code != backend.ResultNoProblem)
	var answers fcsync.AnswersPayload
	declared := fcsync.EvidencePayload{Files: files}
	for _, sec := range t.Form.Sections {
		for _, q := range sec.Questions {
			key := backend.AnswerKey(sec.ItemCode, q.ID)
			answers.Answers = append(answers.Answers, backend.AnswerInput{Question: key, Value: values[key], EditedAt: now})
			if q.PhotoRequired && files == nil {
				sha := fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
				declared.Files = append(declared.Files, backend.EvidenceInput{
					ID: fmt.Sprintf("photo-%d", len(declared.Files)+1), Type: backend.EvidencePhoto, SHA256: sha,
					Size: int64(200_000 + r.IntN(3_000_000)), ContentType: "image/jpeg", Question: key,
					Caption: "现场照片", CapturedAt: now, Position: &where,
				})
			}
		}
	}
	ms := []fcsync.Mutation{
		mutation(fcsync.EntityTask, t, fcsync.TaskPayload{To: backend.TaskAccepted}),
		checkIn(),
		mutation(fcsync.EntityAnswers, t, answers),
	}
	if len(declared.Files) > 0 {
		ms = append(ms, mutation(fcsync.EntityEvidence, t, declared))
	}
	return s.push(ctx, t.TeamUsers[0], append(ms, mutation(fcsync.EntityResult, t, result))...)
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// answersFor makes up the answers to form by question key: all compliant,
// or, with a finding, one yes/no or single-choice answer that shows it.
func answersFor(r *rand.Rand, form *backend.Checklist, finding bool) map[string]string {
	var choices []string
	for _, sec := range form.Sections {
		for _, q := range sec.Questions {
			if q.Type == backend.QYesNo || q.Type == backend.QSingle {
				choices = append(choices, backend.AnswerKey(sec.ItemCode, q.ID))
			}
		}
	}
	wrong := ""
	if finding && len(choices) > 0 {
		wrong = choices[r.IntN(len(choices))]
	}
	out := map[string]string{}
	for _, sec := range form.Sections {
		for _, q := range sec.Questions {
			key := backend.AnswerKey(sec.ItemCode, q.ID)
			out[key] = answerFor(r, q, key != wrong)
		}
	}
	return out
}

// answerFor makes up an answer that fits the question: a compliant one
// unless compliant is false. The demo's checklists (item.go) ask yes/no
// questions whose compliant answer is 是, except those asking whether
// something wrong was found (是否发现…), and list the compliant option of
// a single choice first; numbers fall in a range that fits the quantity.
func answerFor(r *rand.Rand, q backend.Question, compliant bool) string {
	switch q.Type {
	case backend.QYesNo:
		yes := !strings.HasPrefix(q.Text, "是否发现")
		if !compliant {
			yes = !yes
		}
		if yes {
			return "是"
		}
		return "否"
	case backend.QSingle:
		if compliant || len(q.Options) < 2 {
			return q.Options[0]
		}
		return q.Options[1+r.IntN(len(q.Options)-1)]
	case backend.QMultiple:
		return q.Options[r.IntN(len(q.Options))]
	case backend.QNumber:
		return numberFor(r, q)
	case backend.QPhoto:
		return "见现场照片"
	}
	return "现场检查记录"
}

// numberFor is a plausible reading for the demo's number questions, by
// what their text measures.
func numberFor(r *rand.Rand, q backend.Question) string {
	switch {
	case strings.Contains(q.Text, "冷藏"):
		return fmt.Sprint(2 + r.IntN(5)) // ℃, a working refrigerator
	case strings.Contains(q.Text, "阴凉"):
		return fmt.Sprint(12 + r.IntN(7)) // ℃, a cool store (≤ 20)
	case strings.Contains(q.Text, "误差"):
		return fmt.Sprintf("0.%d", 1+r.IntN(2)) // %, within a fuel dispenser's ±0.3
	case strings.Contains(q.Text, "余氯"):
		return fmt.Sprintf("0.%d", 3+r.IntN(5)) // mg/L
	case strings.Contains(q.Text, "隐患数"):
		return "0"
	case strings.Contains(q.Text, "万元"), strings.Contains(q.Text, "吨"):
		return fmt.Sprint(50 + r.IntN(950))
	}
	return fmt.Sprint(1 + r.IntN(30)) // a count
}
