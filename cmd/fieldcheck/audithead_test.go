package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// An outsider saves the published signed head (and the key set) and gives
// it back later to `audit verify --head`: it verifies while the log is
// untouched. Someone with database access rewrites an entry and recomputes
// every hash after it and the head: the stored daily checkpoint catches
// that; with the stored checkpoints removed too, the log is intact in
// itself, and only the head saved outside shows the rewrite.
func TestAuditVerifySignedHead(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	m := c.open()
	addDepartments(t, m, "a1", "a2", "a3", "a4", "a5")
	url := apptest.Serve(t, m)
	get := func(path string) []byte {
		t.Helper()
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s (%v)", path, resp.StatusCode, b, err)
		}
		return b
	}
	dir := t.TempDir()
	save := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	headJSON := get("/public/audit/head")
	headFile := save("head.json", headJSON)
	keysFile := save("keys.json", get("/public/audit/keys"))
	var head backend.SignedAuditHead
	if err := json.Unmarshal(headJSON, &head); err != nil {
		t.Fatal(err)
	}
	checkpointURL := url + "/public/audit/checkpoints/" + backend.AuditDay(head.Time)
	forged := strings.Replace(string(headJSON), `"seq":`+jsonInt(head.Seq), `"seq":`+jsonInt(head.Seq-1), 1)
	forgedFile := save("forged.json", []byte(forged))

	t.Run("OK", func(t *testing.T) {
		for _, args := range [][]string{
			{"--head", headFile},
			{"--head", headFile, "--keys", keysFile},
			{"--head", checkpointURL, "--keys", url + "/public/audit/keys"},
		} {
			out, stderr, code := c.run("", append([]string{"audit", "verify"}, args...)...)
			if code != 0 || !strings.Contains(out, "signed head saved earlier verifies") || !strings.Contains(out, "checkpoints kept in the store match") {
				t.Fatalf("verify %v: exit %d out %q err %q", args, code, out, stderr)
			}
		}
	})
	t.Run("ErrForgedHead", func(t *testing.T) {
		if forged == string(headJSON) {
			t.Fatal("the forged head is the head")
		}
		if _, stderr, code := c.run("", "audit", "verify", "--head", forgedFile); code != 1 || !strings.Contains(stderr, "does not verify") {
			t.Fatalf("forged head: exit %d err %q, want exit 1 saying its signature does not verify", code, stderr)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		if _, stderr, code := c.run("", "audit", "verify", "--keys", keysFile); code != 2 || !strings.Contains(stderr, "--head") {
			t.Fatalf("--keys alone: exit %d err %q, want a usage error", code, stderr)
		}
		if _, stderr, code := c.run("", "audit", "verify", "--head", keysFile); code != 1 || !strings.Contains(stderr, "not a signed audit head") {
			t.Fatalf("--head of a key set: exit %d err %q, want exit 1", code, stderr)
		}
	})
	t.Run("ErrRewrittenAndRechained", func(t *testing.T) {
		apptest.RechainAudit(t, m.DB, 2, func(e *backend.AuditEntry) { e.Actor = "somebody-else" })
		if _, stderr, code := c.run("", "audit", "verify"); code != 1 || !strings.Contains(stderr, "no longer matches its checkpoint") {
			t.Fatalf("rechained log: exit %d err %q, want exit 1 naming the stored checkpoint", code, stderr)
		}
		// A careful rewriter removes the stored checkpoints as well.
		if _, err := m.DB.Database.Collection("audit_checkpoints").DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		if out, stderr, code := c.run("", "audit", "verify"); code != 0 {
			t.Fatalf("rechained log without checkpoints: exit %d out %q err %q, want it intact in itself", code, out, stderr)
		}
		for _, args := range [][]string{{"--head", headFile}, {"--head", headFile, "--keys", keysFile}} {
			_, stderr, code := c.run("", append([]string{"audit", "verify"}, args...)...)
			if code != 1 || !strings.Contains(stderr, "no longer matches the signed head saved earlier") || !strings.Contains(stderr, "rewritten") {
				t.Fatalf("verify %v on the rechained log: exit %d err %q, want exit 1 saying it was rewritten", args, code, stderr)
			}
		}
	})
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A head signed before the audit ring was rotated, and its old key
// retired, still verifies: retirement refuses only what a key signs from
// then on. The new head names the new key.
func TestAuditHeadAfterRotation(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	m := c.open()
	old, err := m.AuditHeads.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	headFile := filepath.Join(t.TempDir(), "head.json")
	if err := os.WriteFile(headFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := c.run("", "keys", "rotate", "--ring", "audit")
	if code != 0 || !strings.HasPrefix(out, "new audit key ") {
		t.Fatalf("keys rotate --ring audit: exit %d out %q err %q", code, out, stderr)
	}
	kid := strings.TrimSpace(strings.TrimPrefix(out, "new audit key "))
	if _, stderr, code := c.run("", "keys", "retire", "--ring", "audit", old.KeyID); code != 0 {
		t.Fatalf("retire the old audit key: exit %d err %q", code, stderr)
	}
	if out, _, code := c.run("", "keys", "list", "--ring", "audit"); code != 0 || !strings.Contains(out, kid) || !strings.Contains(out, "retired") {
		t.Fatalf("keys list --ring audit: exit %d out %q, want the new key and the retired one", code, out)
	}
	if out, stderr, code := c.run("", "audit", "verify", "--head", headFile); code != 0 || !strings.Contains(out, "verifies (key "+old.KeyID) {
		t.Fatalf("verify the head signed before the rotation: exit %d out %q err %q", code, out, stderr)
	}
	m2 := c.open() // a fresh instance reads the rotated ring
	head, err := m2.AuditHeads.Head(ctx)
	if err != nil || head.KeyID != kid {
		t.Fatalf("head after the rotation signed by %v (%v), want %s", head, err, kid)
	}
}
