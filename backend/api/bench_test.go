package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// BenchmarkAuthenticatedGet: one authenticated read of a target by id
// through the whole Fiber application in process (the embedded FerretDB
// in the same process): bearer token checked, session looked up, target
// read by _id, JSON written.
func BenchmarkAuthenticatedGet(b *testing.B) {
	ctx := context.Background()
	m := apptest.Open(b, "")
	sys := backend.WithActor(ctx, backend.SystemActor("bench"))
	if err := m.Directory.CreateDepartment(sys, &backend.Department{ID: "scjg", Name: "市场监督管理局"}); err != nil {
		b.Fatal(err)
	}
	if err := m.Users.CreateUser(sys, &backend.User{ID: "reviewer", DisplayName: "钱审核", Role: backend.RoleReviewer, Departments: []string{"scjg"}}, testPassword); err != nil {
		b.Fatal(err)
	}
	var target backend.Target
	if err := json.Unmarshal([]byte(targetJSON), &target); err != nil {
		b.Fatal(err)
	}
	if err := m.Directory.CreateTarget(sys, &target); err != nil {
		b.Fatal(err)
	}
	app := m.HTTP.App()
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"username":"reviewer","password":"`+testPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := app.Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct{ AccessToken string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/v1/targets/91440300708461136T", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := app.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status=%d, want 200", resp.StatusCode)
		}
	}
}

// BenchmarkPushRefusedWhenBusy: what a push costs a server whose push gate
// is full — the refusal of a push of MaxPushBatch mutations (about 60 KiB)
// through the whole application in process.
func BenchmarkPushRefusedWhenBusy(b *testing.B) {
	e := newEnv(b)
	phone := e.mustMobileLogin(b, "inspector", "phone-bench")
	var sb strings.Builder
	sb.WriteString(`{"mutations":[`)
	for i := range fcsync.MaxPushBatch {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"opId":"bench-%d","entity":"answer","taskId":"task-%d","baseVersion":3,"payload":{"answers":{"SCJG-03/q1":{"value":"yes","note":"现场核查营业执照与经营范围一致"}}}}`, i, i%20)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	// A gate of one slot, held, and no queue: every push is refused at
	// once, however long the benchmark runs (parked waiters would leave
	// the queue after MaxWait).
	g := backend.NewGate(backend.GateConfig{Name: "pushes", Slots: 1, Queue: 0, MaxWait: fcsync.MaxPushWait, Typical: time.Second})
	e.m.Sync.Pushes = g
	release, err := g.Enter(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	app := e.m.HTTP.App()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/mobile/v1/sync?v=2", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+phone.AccessToken)
		resp, err := app.Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 {
			b.Fatalf("status=%d, want 429", resp.StatusCode)
		}
	}
}
