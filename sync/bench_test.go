package fcsync_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// benchDay sets up the benchmarks of docs/benchmarks.md: the demo county
// with its first draw, one inspector holding a day of 200 tasks, and
// FIELDCHECK_BENCH_TASKS (default 0) other tasks of other teams, to show
// how the cost grows with what is stored.
func benchDay(b *testing.B) (*env, *phone, []*backend.Task) {
	b.Helper()
	e := newEnv(b, 1000)
	base := e.teamTask()
	user, mate := base.TeamUsers[0], base.TeamUsers[1]
	mk := func(prefix string, n int, users []string) []*backend.Task {
		ts := make([]*backend.Task, n)
		for i := range ts {
			t := *base
			t.ID, t.TeamUsers, t.Status = fmt.Sprintf("%s-%06d", prefix, i), users, backend.TaskAccepted
			t.Answers, t.Evidence, t.CheckIns, t.Reviews, t.Ops = nil, nil, nil, nil, nil
			ts[i] = &t
		}
		return ts
	}
	ctx := context.Background()
	day := mk("day", 200, []string{user, mate})
	if err := e.m.Stores.Tasks.CreateTasks(ctx, day); err != nil {
		b.Fatal(err)
	}
	other, _ := strconv.Atoi(os.Getenv("FIELDCHECK_BENCH_TASKS"))
	for start := 0; start < other; start += 1000 {
		n := min(1000, other-start)
		users := []string{fmt.Sprintf("other.team%d", start/1000%10), "other.team10"}
		if err := e.m.Stores.Tasks.CreateTasks(ctx, mk(fmt.Sprintf("other%03d", start/1000), n, users)); err != nil {
			b.Fatal(err)
		}
	}
	return e, e.phone(user, "bench-phone-1"), day
}

// BenchmarkPullFullDay: a phone's full download of its day (200 tasks
// and the drawn ones) in pages of 200, through the HTTP handler.
func BenchmarkPullFullDay(b *testing.B) {
	_, p, _ := benchDay(b)
	for b.Loop() {
		p.cursor, p.tasks = "", map[string]*fcsync.TaskView{}
		p.sync(fcsync.MaxPullPage)
	}
	b.ReportMetric(float64(len(p.tasks)), "tasks")
}

// BenchmarkPush500: one push of 500 answer mutations over the day's 200
// tasks, task after task as a phone sends them (2-3 consecutive mutations
// a task), then the teammate's pull of the 200 changed tasks.
func BenchmarkPush500(b *testing.B) {
	e, p, day := benchDay(b)
	mate := e.phone(day[0].TeamUsers[1], "bench-phone-2")
	mate.sync(fcsync.MaxPullPage)
	var push, pull time.Duration
	for b.Loop() {
		ms := make([]fcsync.Mutation, fcsync.MaxPushBatch)
		for i := range ms {
			t := day[i*len(day)/len(ms)]
			a := answersFor(t, fmt.Sprint("v", i), time.Now())
			a.Answers = a.Answers[:1]
			ms[i] = p.mutation(fcsync.EntityAnswers, t.ID, 1, a)
		}
		start := time.Now()
		for _, r := range p.push(ms...) {
			if r.Status != fcsync.Applied {
				b.Fatalf("%+v", r)
			}
		}
		push += time.Since(start)
		start = time.Now()
		mate.sync(fcsync.MaxPullPage)
		pull += time.Since(start)
	}
	b.ReportMetric(float64(push.Milliseconds())/float64(b.N), "ms/push")
	b.ReportMetric(float64(pull.Milliseconds())/float64(b.N), "ms/pull")
}
