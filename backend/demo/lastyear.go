package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// Last year's completed plan, so that the results register and the public
// results show content on first start: drawn on 2 March of the year before
// now, its first LastYearTasks tasks with a team worked and approved, and
// then, each on its own day: most published, one corrected after
// publication, one 责令改正 with its 复查 (found corrected: the published
// result becomes 发现问题经责令已改正), one referred as a case clue, one
// withheld (依法不予公开, confirmed by the reviewer), two left unpublished
// (overdue in the register). The work itself (answers, results) is written
// as history through the task store: last year's photos are not part of
// the demo, so its tasks have none. Every step after that goes through the
// planning service, audited, on a clock set to its day.

// LastYearTasks is how many of last year's tasks the demo works.
const LastYearTasks = 9

// LastYearSummary says what SeedLastYear made.
type LastYearSummary struct {
	PlanID    string
	Approved  int
	Published int
	Withheld  int
	Overdue   int
	RecheckID string
	// The credit demo (credit.go): the task whose enterprise is listed,
	// the one proposed for listing, the pending objections.
	Listed, Proposed string
	Objections       int
}

// SeedLastYear draws and works last year's plan (see above) with svc, on
// the calendar of the year before now.
func SeedLastYear(ctx context.Context, svc *planning.Service, now time.Time) (*LastYearSummary, error) {
	year := now.In(backend.China).Year() - 1
	day := func(month time.Month, d, hour int) time.Time {
		return time.Date(year, month, d, hour, 0, 0, 0, backend.China)
	}
	drawn := day(3, 2, 10)
	p := demoPlan(fmt.Sprintf("%d年度市场监管部门双随机抽查计划（演示，已完成）", year), drawn)
	// A small draw by counts (14 targets), so that the tasks the demo does
	// not work are few: they are cancelled before the plan closes, and no
	// phone holds last year's work.
	count := func(n int) *int { return &n }
	p.Strata = []backend.StratumRule{{Key: "A", Count: count(2)}, {Key: "B", Count: count(4)}, {Key: "C", Count: count(4)}, {Key: "D", Count: count(4)}}
	p.Default = &backend.StratumRule{Count: count(0)}
	res, err := DrawPlan(ctx, svc, p, drawn)
	if err != nil {
		return nil, fmt.Errorf("last year's plan: %w", err)
	}
	var tasks, rest []*backend.Task
	for _, t := range res.Tasks {
		if !t.Unassigned && len(t.TeamUsers) >= backend.MinOfficers && len(tasks) < LastYearTasks {
			tasks = append(tasks, t)
		} else {
			rest = append(rest, t)
		}
	}
	if len(tasks) < LastYearTasks {
		return nil, fmt.Errorf("last year's plan has %d tasks with a team, the demo works %d", len(tasks), LastYearTasks)
	}
	sum := &LastYearSummary{PlanID: p.ID}
	codes := []backend.ResultCode{backend.ResultNoProblem, backend.ResultNoProblem, backend.ResultNoProblem, backend.ResultCorrected,
		backend.ResultFollowUp, backend.ResultNoProblem, backend.ResultNoProblem, backend.ResultNoProblem, backend.ResultUnreachable}
	for i, t := range tasks {
		checked := day(3, 10+i, 10)
		if err := workAsHistory(ctx, svc, t.ID, codes[i], checked, checked.Add(48*time.Hour)); err != nil {
			return nil, err
		}
		sum.Approved++
	}
	manager, reviewer := managerOf(ctx, "scjg"), staff(ctx, "scjg.reviewer", backend.RoleReviewer)
	// Withheld: proposed by the manager, confirmed by the reviewer.
	w, err := at(svc, day(3, 25, 9)).ProposeWithhold(manager, tasks[5].ID, planning.EntryChange{Version: 1,
		Reason: "检查中发现的线索已移送公安机关侦查，公开可能影响案件办理（依法不予公开）"})
	if err != nil {
		return nil, err
	}
	if _, err := at(svc, day(3, 25, 14)).ConfirmWithhold(reviewer, w.ID, planning.EntryChange{Version: w.Version}); err != nil {
		return nil, err
	}
	sum.Withheld = 1
	// Published within the period, in bulk.
	publish := []string{tasks[0].ID, tasks[1].ID, tasks[2].ID, tasks[3].ID, tasks[4].ID, tasks[6].ID}
	if _, err := at(svc, day(4, 1, 15)).PublishResults(manager, planning.PublishRequest{IDs: publish}); err != nil {
		return nil, fmt.Errorf("publish last year's results: %w", err)
	}
	sum.Published = len(publish)
	// 责令改正 with its re-check, found corrected.
	team := phone(ctx, tasks[3].TeamUsers[0])
	deadline, err := backend.AddWorkingDays(backend.DateOf(day(3, 15, 10)), 15)
	if err != nil {
		return nil, err
	}
	fu, err := at(svc, day(4, 1, 16)).SetFollowUp(team, tasks[3].ID, backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: deadline,
		Note: "责令于期限内补正索证索票记录"})
	if err != nil {
		return nil, fmt.Errorf("last year's 责令改正: %w", err)
	}
	sum.RecheckID = fu.FollowUp.RecheckTaskID
	// A case clue referred.
	if _, err := at(svc, day(4, 2, 9)).SetFollowUp(phone(ctx, tasks[4].TeamUsers[0]), tasks[4].ID, backend.FollowUpInput{Action: backend.FollowUpReferral,
		Department: "县市场监督管理局执法稽查大队", Note: "涉嫌销售过期食品，移交立案调查"}); err != nil {
		return nil, err
	}
	// A correction after publication.
	e, err := svc.Register.FindResultEntry(ctx, tasks[6].ID)
	if err != nil {
		return nil, err
	}
	if _, err := at(svc, day(4, 8, 9)).CorrectResult(manager, e.ID, planning.EntryChange{Version: e.Version, Code: backend.ResultNoActivity,
		Reason: "经核实，该对象检查时已停止本次抽查涉及的经营活动，原录入结果类别有误，予以更正"}); err != nil {
		return nil, fmt.Errorf("correct a result: %w", err)
	}
	rechecked := time.Date(year, 4, 20, 10, 0, 0, 0, backend.China)
	if err := workAsHistory(ctx, svc, sum.RecheckID, backend.ResultNoProblem, rechecked, rechecked.Add(24*time.Hour)); err != nil {
		return nil, fmt.Errorf("last year's 复查: %w", err)
	}
	if _, err := at(svc, rechecked.Add(48*time.Hour)).PublishResults(manager, planning.PublishRequest{IDs: []string{sum.RecheckID}}); err != nil {
		return nil, err
	}
	sum.Published++
	sum.Overdue = len(tasks) - len(publish) - 1
	// Credit linkage: a listed enterprise, a listing proposal, an objection.
	if svc.Credit != nil {
		used, err := seedCredit(ctx, svc, day, rest, tasks[0].ID, now)
		if err != nil {
			return nil, err
		}
		sum.Published += len(used)
		sum.Listed, sum.Proposed, sum.Objections = used[0], used[1], 1
		rest = slices.DeleteFunc(rest, func(t *backend.Task) bool { return slices.Contains(used, t.ID) })
	}
	// The tasks the demo does not work are cancelled, as a plan's leftovers
	// are at the year's end (audited like any cancellation).
	for _, t := range rest {
		cur, err := svc.Tasks.FindTaskByID(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		if _, err := at(svc, day(12, 30, 17)).Transition(manager, t.ID, planning.TransitionRequest{To: backend.TaskCancelled, Version: cur.Version,
			Comment: "年度计划结束，未开展检查的任务取消（演示数据）"}); err != nil {
			return nil, fmt.Errorf("cancel last year's task %s: %w", t.ID, err)
		}
	}
	if _, err := at(svc, day(12, 31, 17)).ClosePlan(manager, p.ID); err != nil {
		return nil, fmt.Errorf("close last year's plan: %w", err)
	}
	return sum, nil
}

// staff acts as a back-office user of the scjg department.
func staff(ctx context.Context, user string, role backend.Role) context.Context {
	return backend.WithActor(ctx, &backend.Actor{UserID: user, Role: role, Departments: []string{"scjg"}, ClientAddr: "local", Fresh: true})
}

// workAsHistory writes task id's work as it was done: the team's answers
// and result entered at checked, the check-ins of its first two officers,
// and the reviewer's approval at approved; then registers the result
// through the planning service.
func workAsHistory(ctx context.Context, svc *planning.Service, id string, code backend.ResultCode, checked, approved time.Time) error {
	r := rand.New(rand.NewPCG(DefaultSeed, fnv64(id)))
	_, err := backend.UpdateTaskWith(ctx, svc.Tasks, id, func(t *backend.Task) (bool, error) {
		t.Answers = map[string]backend.Answer{}
		for key, v := range answersFor(r, t.Form, code != backend.ResultNoProblem) {
			t.Answers[key] = backend.Answer{Value: v, EditedAt: checked, EditedBy: t.TeamUsers[0], DeviceID: "demo-history"}
		}
		for i, u := range t.TeamUsers[:backend.MinOfficers] {
			t.CheckIns = append(t.CheckIns, backend.CheckInSummary{ID: fmt.Sprintf("%s-history-%d", id, i), UserID: u, InspectorID: t.Team[i],
				DeviceTime: checked.Add(time.Duration(i) * time.Minute), Flags: []string{}})
		}
		findings := map[backend.ResultCode]string{
			backend.ResultCorrected:   "进货查验记录不全，现场责令改正。",
			backend.ResultFollowUp:    "发现疑似过期食品，需后续处理。",
			backend.ResultUnreachable: "登记住所无此企业，电话无法联系。",
		}[code]
		t.Result = &backend.Result{Code: code, Label: code.Label(), LabelsVersion: backend.ResultLabelsVersion, Findings: findings,
			EnteredBy: t.TeamUsers[0], EnteredAt: checked.UTC(), DeviceTime: checked.UTC()}
		t.Reviews = append(t.Reviews, backend.ReviewNote{Status: backend.TaskApproved, Comment: "材料齐全，同意", Reviewer: "scjg.reviewer", At: approved.UTC()})
		t.Status = backend.TaskApproved
		t.Audit = []backend.AuditRecord{{Action: "task.history", ObjectType: "task", ObjectID: id, Change: t,
			Detail: "demo: last year's work, approved " + backend.FormatChinaTime(approved)}}
		return true, nil
	})
	if err != nil {
		return err
	}
	_, err = at(svc, approved).RegisterApproved(backend.WithActor(ctx, backend.SystemActor("demo")), id)
	return err
}
