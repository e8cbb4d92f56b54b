package main

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestMeasureTaskMemory measures what a decoded task held in memory
// costs, as the embedded store's task cache holds them (a copy each, up to
// mongo.MaxCachedTasks), for the memory figures of docs/benchmarks.md
// ("The soak of 2026-12-07"). It reads a copy of a soaked data directory:
//
//	cp -r /tmp/ops18/data /tmp/ops18/copy
//	FIELDCHECK_MEASURE_TASKS_DATA=/tmp/ops18/copy go test ./cmd/fieldcheck -run TestMeasureTaskMemory -v
func TestMeasureTaskMemory(t *testing.T) {
	dir := os.Getenv("FIELDCHECK_MEASURE_TASKS_DATA")
	if dir == "" {
		t.Skip("set FIELDCHECK_MEASURE_TASKS_DATA to a copy of a data directory")
	}
	ctx := context.Background()
	m, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, st := range []backend.TaskStatus{backend.TaskSubmitted, backend.TaskAssigned} {
		var tasks []*backend.Task
		p := backend.PageRequest{Limit: 200}
		for len(tasks) < 3000 {
			page, err := m.Stores.Tasks.FindTasks(ctx, backend.TaskFilter{Statuses: []backend.TaskStatus{st}}, p)
			if err != nil {
				t.Fatal(err)
			}
			tasks = append(tasks, page.Items...)
			if page.NextCursor == "" {
				break
			}
			p.After = page.NextCursor
		}
		if len(tasks) == 0 {
			continue
		}
		jsonBytes := 0
		for _, x := range tasks {
			b, _ := json.Marshal(x)
			jsonBytes += len(b)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		held := make([]*backend.Task, len(tasks))
		for i, x := range tasks {
			held[i] = x.Clone()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(tasks) // the originals stay: only the copies are measured
		per := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(len(held))
		t.Logf("%s: %d tasks, %.0f bytes of heap each held (JSON %.0f bytes); at the cache's bound of %d: %.0f MiB of live heap",
			st, len(held), per, float64(jsonBytes)/float64(len(tasks)), mongo.MaxCachedTasks, per*mongo.MaxCachedTasks/(1<<20))
		runtime.KeepAlive(held)
	}
}
