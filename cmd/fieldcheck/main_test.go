package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/tlstest"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) {
	if os.Getenv("FIELDCHECK_TEST_AS_MAIN") == "1" {
		main() // this test binary, run again as the fieldcheck command by a test
		return
	}
	apptest.Main(m)
}

// asCommand returns this test binary run as `fieldcheck args...` in
// another process.
func asCommand(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FIELDCHECK_TEST_AS_MAIN=1")
	return cmd
}

// Issue 13, part 4: on FerretDB the conditional updates are safe with one
// process only; `fieldcheck serve` in a second process on the same
// database refuses to start, names the first and exits 1.
func TestServeRefusesSecondProcessOnFerretDB(t *testing.T) {
	c := newCLI(t)
	m := c.open() // this process serves the database
	if !m.DB.IsFerretDB() {
		t.Skip("several processes share a MongoDB")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := asCommand(ctx, "serve", "--mongo-uri", mongotest.URI(t), "--db", c.db, "--addr", "127.0.0.1:0").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second serve: %v, want exit status 1\n%s", err, out)
	}
	for _, want := range []string{"in use by another fieldcheck process", fmt.Sprintf("pid %d", os.Getpid()), "use MongoDB to run several instances"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("second serve said %q; want it to contain %q", out, want)
		}
	}
}

// cli runs the command line against a fresh database of the test store.
type cli struct {
	t  *testing.T
	db string
}

func newCLI(t *testing.T) *cli {
	c := &cli{t: t, db: mongotest.DatabaseName()}
	t.Cleanup(func() {
		m, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(t), Database: c.db})
		if err == nil {
			_ = m.DB.Database.Drop(context.Background())
			m.Close()
		}
	})
	return c
}

// run executes fieldcheck with args (store flags added) and returns stdout,
// stderr and the exit status main would use.
func (c *cli) run(stdinText string, args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	stdin = strings.NewReader(stdinText)
	full := append(args, "--mongo-uri", mongotest.URI(c.t), "--db", c.db)
	err := run(context.Background(), full, &out, &errb)
	code := 0
	if err != nil {
		code = exitCode(err)
		fmt.Fprintln(&errb, err)
	}
	return out.String(), errb.String(), code
}

func (c *cli) open() *app.Main {
	c.t.Helper()
	m, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(c.t), Database: c.db})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { m.Close() })
	return m
}

// addDepartments creates departments named after ids: an audit entry each.
func addDepartments(t *testing.T, m *app.Main, ids ...string) {
	t.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	for _, id := range ids {
		if err := m.Directory.CreateDepartment(sys, &backend.Department{ID: id, Name: "部门" + id}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUsage(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrUnknownCommand", []string{"bogus"}, 2, `unknown command "bogus"`},
		{"ErrImportNoFile", []string{"import", "enterprises"}, 2, "needs a kind"},
		{"ErrImportKind", []string{"import", "planets", "x.csv"}, 2, "unknown import kind"},
		{"ErrUserNoRole", []string{"user", "add", "bob"}, 2, "--role"},
		{"ErrUserSub", []string{"user", "frobnicate", "bob"}, 2, "unknown user subcommand"},
		{"ErrAuditSub", []string{"audit", "erase"}, 2, "verify"},
		{"ErrBadFlag", []string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{"ErrMissingFile", []string{"import", "items", "/no/such/file.csv"}, 1, "no/such/file.csv"},
		{"ErrBaseURL", []string{"serve", "--base-url", "ftp://fc.example.gov.cn"}, 1, "base URL"},
		{"ErrTLSCertWithoutKey", []string{"serve", "--tls-cert", "cert.pem"}, 2, "--tls-key"},
		{"ErrTLSCertMissing", []string{"serve", "--tls-cert", "no-such-cert.pem", "--tls-key", "no-such-key.pem"}, 1, "no-such-cert.pem"},
		{"ErrEvidenceLimits", []string{"serve", "--evidence-limits", "selfie=1MiB"}, 2, "--evidence-limits"},
		{"ErrUploadExpiry", []string{"serve", "--upload-expiry", "10s"}, 2, "--upload-expiry"},
		{"ErrRatingWindowShort", []string{"serve", "--rating-window", "10m"}, 2, "--rating-window"},
		{"ErrRatingWindowLong", []string{"serve", "--rating-window", "2161h"}, 2, "--rating-window"},
		{"ErrDemoTasksNegative", []string{"demo", "--tasks", "-1"}, 2, "--tasks must be between 0 and 200000"},
		{"ErrDemoTasksTooMany", []string{"demo", "--tasks", "200001"}, 2, "--tasks must be between 0 and 200000"},
		{"ErrServeTakesNoTasks", []string{"serve", "--tasks", "10"}, 2, "tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := c.run("", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestImportCommand(t *testing.T) {
	c := newCLI(t)
	// Departments come first: inspectors and items refer to them.
	m := c.open()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	for _, d := range []*backend.Department{{ID: "scjg", Name: "市场监督管理局"}, {ID: "yjgl", Name: "应急管理局"}, {ID: "wsjk", Name: "卫生健康委员会"}} {
		if err := m.Directory.CreateDepartment(sys, d); err != nil {
			t.Fatal(err)
		}
	}
	m.Close() // the command opens the store itself

	out, stderr, code := c.run("", "import", "enterprises", "../../testdata/import/enterprises_zh.csv")
	if code != 0 || !strings.HasPrefix(out, "imported ") || !strings.Contains(out, "rejected 0") {
		t.Fatalf("first import: exit %d, out %q, err %q", code, out, stderr)
	}
	first := out
	out, _, code = c.run("", "import", "enterprises", "../../testdata/import/enterprises_zh.csv")
	if code != 0 || !strings.Contains(out, "imported 0, updated 0, rejected 0") {
		t.Fatalf("re-import: exit %d, out %q (first: %q)", code, out, first)
	}
	out, stderr, code = c.run("", "import", "enterprises", "../../testdata/import/enterprises_bad.csv")
	if code != 1 || !strings.Contains(out, "rejected ") || strings.Contains(out, "rejected 0") {
		t.Fatalf("bad file: exit %d, out %q; want exit 1 with rejected rows", code, out)
	}
	if !strings.Contains(stderr, "row ") {
		t.Fatalf("bad file: stderr %q does not name rows", stderr)
	}
}

func TestUserCommands(t *testing.T) {
	c := newCLI(t)
	m := c.open()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if err := m.Directory.CreateDepartment(sys, &backend.Department{ID: "scjg", Name: "市场监督管理局"}); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := c.run("a-long-enough-password\n", "user", "add", "wang.wu", "--role", "inspector", "--department", "scjg", "--name", "王五")
	if code != 0 || !strings.Contains(out, "created inspector wang.wu") || strings.Contains(out, "password:") {
		t.Fatalf("add: exit %d out %q err %q", code, out, stderr)
	}
	u, err := m.Stores.Users.FindUserByID(context.Background(), "wang.wu")
	if err != nil || !backend.CheckPassword(u.PasswordHash, "a-long-enough-password") || u.DisplayName != "王五" {
		t.Fatalf("stored user %+v, %v", u, err)
	}
	if _, stderr, code = c.run("a-long-enough-password\n", "user", "add", "wang.wu", "--role", "inspector", "--department", "scjg"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate add: exit %d err %q", code, stderr)
	}
	if _, stderr, code = c.run("short\n", "user", "add", "zhao.liu", "--role", "reviewer", "--department", "scjg"); code != 1 || !strings.Contains(stderr, "at least") {
		t.Fatalf("short password: exit %d err %q", code, stderr)
	}
	if out, _, code = c.run("", "user", "disable", "wang.wu"); code != 0 || !strings.Contains(out, "disabled wang.wu") {
		t.Fatalf("disable: exit %d out %q", code, out)
	}
	out, _, code = c.run("", "user", "reset-password", "wang.wu")
	if code != 0 || !strings.Contains(out, "password: ") {
		t.Fatalf("reset: exit %d out %q", code, out)
	}
	pw := strings.TrimSpace(out[strings.Index(out, "password: ")+len("password: "):])
	u, _ = m.Stores.Users.FindUserByID(context.Background(), "wang.wu")
	if !u.Disabled || !backend.CheckPassword(u.PasswordHash, pw) {
		t.Fatalf("after reset: disabled=%v, generated password does not check", u.Disabled)
	}
	if _, stderr, code = c.run("", "user", "disable", "nobody"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("disable unknown: exit %d err %q", code, stderr)
	}
}

// TestUserEndSessionsCommand: "user end-sessions" ends the sessions a
// user has open, and they are refused at their next request (issue 12).
func TestUserEndSessionsCommand(t *testing.T) {
	c := newCLI(t)
	m := c.open()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if err := m.Users.CreateUser(sys, &backend.User{ID: "admin2", DisplayName: "管理员", Role: backend.RoleAdmin}, "a-long-enough-password"); err != nil {
		t.Fatal(err)
	}
	tokens, err := m.Auth.Login(context.Background(), "admin2", "a-long-enough-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Auth.Authenticate(context.Background(), tokens.AccessToken); err != nil {
		t.Fatalf("before: %v", err)
	}
	if out, stderr, code := c.run("", "user", "end-sessions", "admin2"); code != 0 || !strings.Contains(out, "ended every session of admin2") {
		t.Fatalf("end-sessions: exit %d out %q err %q", code, out, stderr)
	}
	if _, err := m.Auth.Authenticate(context.Background(), tokens.AccessToken); !backend.IsCode(err, backend.EUNAUTHENTICATED) {
		t.Fatalf("access token after end-sessions: err=%v, want unauthenticated", err)
	}
	if _, err := m.Auth.Refresh(context.Background(), tokens.RefreshToken); !backend.IsCode(err, backend.EUNAUTHENTICATED) {
		t.Fatalf("refresh after end-sessions: err=%v, want unauthenticated", err)
	}
	if _, stderr, code := c.run("", "user", "end-sessions", "nobody"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("end-sessions of an unknown user: exit %d err %q", code, stderr)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	c := newCLI(t)
	m := c.open()
	addDepartments(t, m, "a1", "a2", "a3")
	out, _, code := c.run("", "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact: 3 entries") {
		t.Fatalf("verify: exit %d out %q", code, out)
	}
	// Someone with database access edits entry 2.
	_, err := m.DB.Database.Collection("audit").UpdateOne(context.Background(),
		bson.D{{Key: "seq", Value: int64(2)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "actor", Value: "somebody-else"}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := c.run("", "audit", "verify")
	if code != 1 || !strings.Contains(stderr, "audit entry 2") || !strings.Contains(stderr, "NOT intact") {
		t.Fatalf("after tampering: exit %d err %q; want exit 1 naming entry 2", code, stderr)
	}
}

// Someone with database access can cut the chain short (deleting the newest
// entries and moving the head back) or rewrite an entry and recompute the
// chain after it: the log is then intact in itself. The head that verify
// printed earlier, given back with --expect, catches both.
func TestAuditVerifyExpectHead(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	m := c.open()
	addDepartments(t, m, "a1", "a2", "a3", "a4", "a5")
	out, _, code := c.run("", "audit", "verify")
	i := strings.Index(out, "--expect ")
	if code != 0 || !strings.Contains(out, "head: entry 5, hash ") || i < 0 {
		t.Fatalf("verify: exit %d out %q; want the head printed", code, out)
	}
	expect := strings.TrimSpace(out[i+len("--expect "):])
	if _, _, code := c.run("", "audit", "verify", "--expect", expect); code != 0 {
		t.Fatalf("verify --expect %s on the untouched log: exit %d", expect, code)
	}
	for _, bad := range []string{"5", "x:" + strings.Repeat("a", 64), "5:abc", "0:" + strings.Repeat("a", 64)} {
		if _, stderr, code := c.run("", "audit", "verify", "--expect", bad); code != 2 || !strings.Contains(stderr, "SEQ:HASH") {
			t.Fatalf("--expect %q: exit %d err %q, want a usage error", bad, code, stderr)
		}
	}
	audit := m.DB.Database.Collection("audit")
	entry := func(seq int64) *backend.AuditEntry {
		e, err := m.Stores.Audit.FindAuditEntry(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	t.Run("ErrRewrittenAndRechained", func(t *testing.T) {
		apptest.RechainAudit(t, m.DB, 2, func(e *backend.AuditEntry) { e.Actor = "somebody-else" })
		if out, stderr, code := c.run("", "audit", "verify"); code != 0 || strings.Contains(out, expect) {
			t.Fatalf("rechained log: exit %d out %q err %q; want it intact in itself with another head", code, out, stderr)
		}
		if _, stderr, code := c.run("", "audit", "verify", "--expect", expect); code != 1 || !strings.Contains(stderr, "rewritten") {
			t.Fatalf("rechained log with --expect: exit %d err %q, want exit 1 saying it was rewritten", code, stderr)
		}
	})
	t.Run("ErrCutShort", func(t *testing.T) {
		if _, err := audit.DeleteMany(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$gte", Value: int64(4)}}}}); err != nil {
			t.Fatal(err)
		}
		apptest.SetAuditHead(t, m.DB, entry(3))
		if out, stderr, code := c.run("", "audit", "verify"); code != 0 || !strings.Contains(out, "head: entry 3") {
			t.Fatalf("cut log: exit %d out %q err %q; want it intact in itself, head 3", code, out, stderr)
		}
		if _, stderr, code := c.run("", "audit", "verify", "--expect", expect); code != 1 || !strings.Contains(stderr, "cut short") {
			t.Fatalf("cut log with --expect: exit %d err %q, want exit 1 saying it was cut short", code, stderr)
		}
	})
}

// TestServeGracefulShutdown starts the server on the embedded store, makes a
// request, cancels as SIGTERM would and expects a clean return.
func TestServeGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("FIELDCHECK_ADMIN_PASSWORD", "first-admin-password")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errb bytes.Buffer
	go func() { done <- run(ctx, []string{"serve", "--data", t.TempDir(), "--addr", addr}, &out, &errb) }()
	waitReady(t, http.DefaultClient, "http://"+addr+"/readyz", &errb)
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"first-admin-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with FIELDCHECK_ADMIN_PASSWORD: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
	if !strings.Contains(out.String(), "listening on http://"+addr) {
		t.Fatalf("stdout %q does not announce the address", out.String())
	}
}

// TestKeysCommand rotates the code ring: the old key keeps verifying its
// codes until it is retired, then they are refused as retired.
func TestKeysCommand(t *testing.T) {
	c := newCLI(t)
	m := c.open()
	ctx := context.Background()
	old, err := m.Codes.SignEnterpriseCode(ctx, "91440300708461136T")
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	out, _, code := c.run("", "keys", "rotate")
	if code != 0 || !strings.HasPrefix(out, "new codes key ") {
		t.Fatalf("rotate: exit %d %q", code, out)
	}
	out, _, code = c.run("", "keys", "list")
	if code != 0 || !strings.Contains(out, old.KeyID) || !strings.Contains(out, "current") || !strings.Contains(out, "valid") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	m = c.open()
	if _, err := m.Codes.VerifyEnterpriseCode(ctx, old.String()); err != nil {
		t.Fatalf("old code after rotation: %v", err)
	}
	m.Close()
	if _, stderr, code := c.run("", "keys", "retire", old.KeyID); code != 0 {
		t.Fatalf("retire: exit %d %s", code, stderr)
	}
	m = c.open()
	if _, err := m.Codes.VerifyEnterpriseCode(ctx, old.String()); err == nil || !strings.Contains(err.Error(), "retired") {
		t.Fatalf("old code after retirement: %v, want refused as retired", err)
	}
	m.Close()
	if _, _, code := c.run("", "keys", "retire"); code != 2 {
		t.Fatalf("retire without kid: exit %d, want 2", code)
	}
	if _, _, code := c.run("", "keys", "rotate", "--ring", "tokens", "--activate-in", "1h"); code != 2 {
		t.Fatalf("--activate-in on the token ring: exit %d, want 2", code)
	}
	if out, _, code := c.run("", "keys", "rotate", "--ring", "tokens"); code != 0 || !strings.HasPrefix(out, "new tokens key ") {
		t.Fatalf("rotate tokens: exit %d %q", code, out)
	}
	// Retiring again changes nothing and records nothing more.
	if _, stderr, code := c.run("", "keys", "retire", old.KeyID); code != 0 {
		t.Fatalf("retire again: exit %d %s", code, stderr)
	}
	// Each change's record travelled with its key's write (the outbox),
	// keyed by the key's version.
	m = c.open()
	defer m.Close()
	byKey := map[string]string{}
	if err := m.Audit.Store.ScanAudit(ctx, func(e *backend.AuditEntry) error {
		if strings.HasPrefix(e.Action, "keys.") {
			if byKey[e.Key] != "" {
				t.Errorf("key %q chained twice", e.Key)
			}
			byKey[e.Key] = e.Action + " " + e.ObjectID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 3 || byKey["key/"+old.KeyID+"/2"] != "keys.retire codes" {
		t.Fatalf("keys entries by audit key %v, want two rotations and one retirement of %s", byKey, old.KeyID)
	}
}

// TestServeHTTPS starts serve with --tls-cert/--tls-key: it answers HTTPS
// with the certificate and says so, and after the files are replaced a
// SIGHUP makes it present the new certificate; a broken pair keeps the one
// served.
func TestServeHTTPS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	certFile, keyFile, first := tlstest.WriteCertificate(t, dir, "first")
	t.Setenv("FIELDCHECK_ADMIN_PASSWORD", "first-admin-password")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errb syncBuffer
	go func() {
		done <- run(ctx, []string{"serve", "--data", t.TempDir(), "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile}, &out, &errb)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	}()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlstest.Client(first, 0, 0)}, Timeout: 10 * time.Second}
	waitReady(t, client, "https://"+addr+"/readyz", &errb)
	for _, want := range []string{"listening on https://" + addr, "API description: https://" + addr, `subject "first"`} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("stdout %q does not contain %q", out.String(), want)
		}
	}
	// serve has registered for SIGHUP before it listens: the signal reloads.
	_, _, second := tlstest.WriteCertificate(t, dir, "second")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	tlstest.WaitServed(t, addr, second, 20*time.Second)
	tlstest.WriteFile(t, certFile, []byte("not a certificate"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(errb.String(), "not reloaded"); {
		if time.Now().After(deadline) {
			t.Fatalf("no log of the failed reload; stderr %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := tlstest.Served(t, addr); !got.Equal(second) {
		t.Fatalf("served %q after a failed reload, want %q", got.Subject.CommonName, "second")
	}
}

// waitReady polls url with client until it answers 200, for at most a
// minute (a server starting on the embedded store); stderr is the
// server's, shown when it never does.
func waitReady(t *testing.T, client *http.Client, url string, stderr fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready at %s: %v; stderr %s", url, err, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer that a server's goroutines write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
