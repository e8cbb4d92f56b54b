package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
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
