package mongo_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// The hot paths of the directory on the store in use (the embedded FerretDB
// unless TEST_MONGODB_URI is set), at a county-sized and a city-sized
// directory. Results are in docs/benchmarks.md.
func BenchmarkTargets(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		db := mongotest.Open(b)
		s := &mongo.TargetStore{DB: db}
		seedTargets(b, s, n)
		ctx := context.Background()
		b.Run(fmt.Sprintf("LookupByID/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargetByID(ctx, makeUSCC(i%n)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ListFirstPage/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargets(ctx, backend.TargetFilter{}, backend.PageRequest{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("ListFiltered/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			f := backend.TargetFilter{CreditClasses: []backend.CreditClass{"C"}, RegionPrefix: "350402"}
			for i := 0; i < b.N; i++ {
				if _, err := s.FindTargets(ctx, f, backend.PageRequest{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("UpdateByID/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				t, err := s.FindTargetByID(ctx, makeUSCC(i%n))
				if err != nil {
					b.Fatal(err)
				}
				t.Address = fmt.Sprint("地址", i)
				if err := s.UpdateTarget(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// submittedTask is a task as the review queue holds it: answered, its
// photos declared, a result entered, two check-ins, the operations that
// did it recorded. Its document is about the size of a submitted task of
// the demo county (3.9 KB of BSON).
func submittedTask(i int) *backend.Task {
	at := time.Date(2026, 5, 12, 9, 30, 0, 0, time.UTC)
	t := &backend.Task{
		ID: fmt.Sprintf("task-%05d", i), PlanID: "plan-2026-scjg", PlanVersion: 1, DrawID: "draw-2026-scjg-1", Random: true,
		TargetID: makeUSCC(i), TargetName: fmt.Sprint("福州市某某商贸有限公司", i), Stratum: "B", PRN: "0123456789abcdef", Order: i,
		Items: []string{"SCJG-001", "SCJG-002"}, Method: backend.CheckMethod("onsite"), LeadDepartment: "scjg", Departments: []string{"scjg"},
		Team: []string{"insp-001", "insp-002"}, TeamUsers: []string{"officer01", "officer02"}, Batch: "2026-05",
		Status: backend.TaskSubmitted, Answers: map[string]backend.Answer{},
		CheckIns: []backend.CheckInSummary{}, Reviews: []backend.ReviewNote{},
	}
	for q := range 24 {
		t.Answers[fmt.Sprintf("SCJG-%03d/q%02d", 1+q%2, q)] = backend.Answer{Value: "yes", Note: "现场核实，未发现问题", EditedAt: at, EditedBy: "officer01", DeviceID: "phone-officer01"}
	}
	for e := range 4 {
		t.Evidence = append(t.Evidence, backend.EvidenceSlot{ID: fmt.Sprint("photo-", e), Type: backend.EvidencePhoto, SHA256: strings.Repeat("ab", 32),
			Size: 2_400_000, ContentType: "image/jpeg", Question: fmt.Sprintf("SCJG-001/q%02d", e), CapturedAt: at, DeclaredBy: "officer01", DeviceID: "phone-officer01", DeclaredAt: at, Uploaded: true})
	}
	for c := range 2 {
		t.CheckIns = append(t.CheckIns, backend.CheckInSummary{ID: fmt.Sprint("ci-", i, "-", c), UserID: t.TeamUsers[c], InspectorID: t.Team[c], CertNo: fmt.Sprint("35000020260", c), DeviceTime: at, Flags: []string{}})
	}
	t.Result = &backend.Result{Code: "no-problem", Label: "未发现问题", LabelsVersion: 1, EnteredBy: "officer01", EnteredAt: at, DeviceTime: at}
	for o := range backend.MaxRecentOps {
		t.Ops = append(t.Ops, backend.OpRecord{Key: fmt.Sprintf("phone-officer01/op-%04d", o), Hash: strings.Repeat("cd", 16), Version: int64(o + 1)})
	}
	return t
}

// BenchmarkTaskRead reads a submitted task by id in a store of n tasks:
// first (nothing decoded: the read after a start, or after another
// process's write on MongoDB) and again. Results are in docs/benchmarks.md.
func BenchmarkTaskRead(b *testing.B) {
	const n = 10_000
	db := mongotest.Open(b)
	s := &mongo.TaskStore{DB: db}
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		var ts []*backend.Task
		for i := start; i < min(start+1000, n); i++ {
			ts = append(ts, submittedTask(i))
		}
		if err := s.CreateTasks(ctx, ts); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.WarmTaskIndex(ctx); err != nil {
		b.Fatal(err)
	}
	id := func(i int) string { return fmt.Sprintf("task-%05d", i%n) }
	b.Run("FirstRead", func(b *testing.B) {
		b.ReportAllocs()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			mongo.ForgetCachedTask(db, id(i))
			if _, err := s.FindTaskByID(ctx, id(i)); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("ReadAgain", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.FindTaskByID(ctx, id(i%100)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// processCPU is the CPU time this process (the embedded FerretDB
// included) has used: on a machine shared with other work it varies far
// less than the time on the clock.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}
