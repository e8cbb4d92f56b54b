package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/tlstest"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// doctorLines reads doctor's output: check name → status and detail.
func doctorLines(t *testing.T, out string) map[string][2]string {
	t.Helper()
	line := regexp.MustCompile(`^(OK|WARN|FAIL) +(\S+(?: \S+)?) {2,}(.*)$`)
	got := map[string][2]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("doctor line %q is not STATUS NAME DETAIL", l)
		}
		got[m[2]] = [2]string{m[1], m[3]}
	}
	return got
}

// wantOneFailure: check is the one line that says FAIL, naming want, and
// doctor exited 1 saying how many failed.
func wantOneFailure(t *testing.T, lines map[string][2]string, check, want, out, stderr string, code int) {
	t.Helper()
	if l := lines[check]; l[0] != app.CheckFail || !strings.Contains(l[1], want) {
		t.Fatalf("%s: %q, want FAIL saying %q\n%s", check, l, want, out)
	}
	for name, l := range lines {
		if name != check && l[0] == app.CheckFail {
			t.Errorf("%s failed too: %s", name, l[1])
		}
	}
	if code != 1 || !strings.Contains(stderr, "1 of") {
		t.Fatalf("exit %d (%q), want 1 saying how many failed", code, stderr)
	}
}

// TestDoctor provokes each failure of `fieldcheck doctor` on a store that
// passes, and checks the one line that says so and the exit status.
func TestDoctor(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		provoke func(t *testing.T, c *cli, m *app.Main) []string // more arguments
		check   string                                           // the line that must say FAIL
		want    string                                           // in its detail
	}{
		{"OK", nil, "", ""},
		{"ErrIndexMissing", func(t *testing.T, c *cli, m *app.Main) []string {
			if _, err := m.DB.Database.Collection("inspectors").Indexes().DropOne(ctx, "certNo_1"); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "indexes", "inspectors [certNo]"},
		{"ErrSchemaOld", func(t *testing.T, c *cli, m *app.Main) []string {
			if _, err := m.DB.Database.Collection("meta").UpdateOne(ctx, bson.D{{Key: "_id", Value: "layout"}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "schema", Value: backend.TaskSchema - 1}}}}); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "schema", "fieldcheck migrate"},
		{"ErrNoSigningKey", func(t *testing.T, c *cli, m *app.Main) []string {
			// Every key retired behind the ring's back, as someone with
			// database access can (fieldcheck keys refuses to retire the
			// key that signs).
			if _, err := m.DB.Database.Collection("signing_keys").UpdateMany(ctx, bson.D{},
				bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: time.Now().Add(-time.Minute)}}}}); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "keys tokens", "keys rotate --ring tokens"},
		{"ErrCertificateKeyMismatch", func(t *testing.T, c *cli, m *app.Main) []string {
			dir := t.TempDir()
			cert, _, _ := tlstest.WriteCertificate(t, dir, "one")
			_, otherKey, _ := tlstest.WriteCertificate(t, t.TempDir(), "two")
			return []string{"--tls-cert", cert, "--tls-key", otherKey}
		}, "tls", "private key does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			m := c.open()
			var extra []string
			if tt.provoke != nil {
				extra = tt.provoke(t, c, m)
			}
			m.Close()
			out, stderr, code := c.run("", append([]string{"doctor"}, extra...)...)
			lines := doctorLines(t, out)
			for _, name := range []string{"store", "schema", "indexes", "keys tokens", "keys codes", "keys audit", "disk", "clock"} {
				if _, ok := lines[name]; !ok {
					t.Errorf("no %q line in\n%s", name, out)
				}
			}
			if tt.check == "" {
				for name, l := range lines {
					if l[0] != app.CheckOK {
						t.Errorf("%s: %s %s, want OK", name, l[0], l[1])
					}
				}
				if code != 0 {
					t.Fatalf("exit %d, want 0\n%s%s", code, out, stderr)
				}
				return
			}
			wantOneFailure(t, lines, tt.check, tt.want, out, stderr, code)
		})
	}
}

// TestDoctorLimits provokes the failures that depend on this machine: the
// clock, a certificate's dates, the free disk, and an embedded store held
// by a running server.
func TestDoctorLimits(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	c.open().Close()
	cfg := app.Config{MongoURI: mongotest.URI(t), Database: c.db}
	status := func(checks []app.Check, name string) app.Check {
		for _, ch := range checks {
			if ch.Name == name {
				return ch
			}
		}
		t.Fatalf("no %s check in %+v", name, checks)
		return app.Check{}
	}
	t.Run("ErrClockSkew", func(t *testing.T) {
		ahead := func() time.Time { return time.Now().Add(5 * time.Minute) }
		if ch := status(app.Doctor(ctx, cfg, app.DoctorLimits{Now: ahead}), "clock"); ch.Status != app.CheckFail || !strings.Contains(ch.Detail, "NTP") {
			t.Fatalf("clock 5 min ahead: %+v, want FAIL", ch)
		}
		slight := func() time.Time { return time.Now().Add(10 * time.Second) }
		if ch := status(app.Doctor(ctx, cfg, app.DoctorLimits{Now: slight}), "clock"); ch.Status != app.CheckWarn {
			t.Fatalf("clock 10 s ahead: %+v, want WARN", ch)
		}
	})
	certFile, keyFile, leaf := tlstest.WriteCertificate(t, t.TempDir(), "dates")
	withCert := cfg
	withCert.TLSCert, withCert.TLSKey = certFile, keyFile
	for _, tt := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"ErrCertificateExpired", leaf.NotAfter.Add(time.Hour), app.CheckFail},
		{"ErrCertificateNotYetValid", leaf.NotBefore.Add(-time.Hour), app.CheckFail},
		{"WarnCertificateExpiresSoon", leaf.NotAfter.Add(-time.Hour), app.CheckWarn}, // within the default 30 days
		{"OK/Certificate", leaf.NotBefore.Add(time.Hour), app.CheckOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			// Only the certificate's line is read: the clock check sees the
			// same moved clock.
			lim := app.DoctorLimits{Now: func() time.Time { return at }}
			if tt.want == app.CheckOK {
				lim.CertWarn = time.Minute // the test certificate lives a day
			}
			if ch := status(app.Doctor(ctx, withCert, lim), "tls"); ch.Status != tt.want {
				t.Fatalf("%+v, want %s", ch, tt.want)
			}
		})
	}

	dir := t.TempDir()
	m, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrEmbeddedStoreInUse", func(t *testing.T) {
		if ch := status(app.Doctor(ctx, app.Config{DataDir: dir}, app.DoctorLimits{}), "store"); ch.Status != app.CheckFail || !strings.Contains(ch.Detail, "running server") {
			t.Fatalf("%+v, want FAIL naming the running server", ch)
		}
	})
	m.Close()
	t.Run("ErrNoEmbeddedStore", func(t *testing.T) {
		if ch := status(app.Doctor(ctx, app.Config{DataDir: t.TempDir()}, app.DoctorLimits{}), "store"); ch.Status != app.CheckFail || !strings.Contains(ch.Detail, "no embedded store") {
			t.Fatalf("%+v, want FAIL", ch)
		}
	})
	t.Run("ErrDiskFull", func(t *testing.T) {
		checks := app.Doctor(ctx, app.Config{DataDir: dir}, app.DoctorLimits{MinFreeDisk: 1 << 62})
		if ch := status(checks, "disk"); ch.Status != app.CheckFail || !strings.Contains(ch.Detail, "uploads will fail") {
			t.Fatalf("%+v, want FAIL", ch)
		}
		if ch := status(checks, "store"); ch.Status != app.CheckOK {
			t.Fatalf("the stopped embedded store: %+v, want OK", ch)
		}
	})
}

// TestDoctorURL: `doctor --url` while a server holds its embedded store
// (doctor on the directory is refused then): the server checks itself and
// doctor prints its lines. Each failure is provoked on the running server
// or in the asking: an index dropped, its clock off, a certificate that is
// not its key's, a wrong token, no server; and the flags that do not go
// with --url are refused.
func TestDoctorURL(t *testing.T) {
	ctx := context.Background()
	const token = "doctor-token-0123456789abcdef0123"
	dir := t.TempDir()
	m, err := app.Open(ctx, app.Config{DataDir: dir, MetricsToken: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	base := apptest.Serve(t, m)
	t.Setenv("FIELDCHECK_METRICS_TOKEN", token)
	doctor := func(t *testing.T, args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"doctor"}, args...), &out, &errb)
		code := 0
		if err != nil {
			code = exitCode(err)
			fmt.Fprintln(&errb, err)
		}
		return out.String(), errb.String(), code
	}
	if _, _, code := doctor(t, "--data", dir); code != 1 {
		t.Fatalf("doctor on the directory of a running server: exit %d, want 1 (locked)", code)
	}
	wrongToken := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(wrongToken, []byte("not-the-token-0123456789abcdefabcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	realNow := m.Config.Now
	tests := []struct {
		name    string
		provoke func(t *testing.T) (args []string, undo func())
		check   string // the line that must say FAIL
		want    string // in its detail
	}{
		{"OK", nil, "", ""},
		{"ErrIndexMissing", func(t *testing.T) ([]string, func()) {
			if _, err := m.DB.Database.Collection("inspectors").Indexes().DropOne(ctx, "certNo_1"); err != nil {
				t.Fatal(err)
			}
			return nil, func() {
				if err := m.DB.EnsureIndexes(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}, "indexes", "inspectors [certNo]"},
		{"ErrClockSkew", func(t *testing.T) ([]string, func()) {
			m.Config.Now = func() time.Time { return time.Now().Add(5 * time.Minute) }
			return nil, func() { m.Config.Now = realNow }
		}, "clock", "NTP"},
		{"ErrCertificateKeyMismatch", func(t *testing.T) ([]string, func()) {
			cert, _, _ := tlstest.WriteCertificate(t, t.TempDir(), "one")
			_, otherKey, _ := tlstest.WriteCertificate(t, t.TempDir(), "two")
			m.Config.TLSCert, m.Config.TLSKey = cert, otherKey
			return nil, func() { m.Config.TLSCert, m.Config.TLSKey = "", "" }
		}, "tls", "private key does not match"},
		{"ErrWrongToken", func(t *testing.T) ([]string, func()) {
			return []string{"--token-file", wrongToken}, nil
		}, "server", "answered 401"},
		{"ErrNoServer", func(t *testing.T) ([]string, func()) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			gone := "http://" + ln.Addr().String()
			ln.Close()
			return []string{"--url", gone}, nil
		}, "server", "cannot be asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"--url", base}
			if tt.provoke != nil {
				extra, undo := tt.provoke(t)
				if undo != nil {
					defer undo()
				}
				args = append(args, extra...) // a later --url wins
			}
			out, stderr, code := doctor(t, args...)
			lines := doctorLines(t, out)
			if tt.check == "" {
				for _, name := range []string{"store", "schema", "indexes", "keys tokens", "keys codes", "keys audit", "disk", "clock"} {
					if l, ok := lines[name]; !ok || l[0] != app.CheckOK {
						t.Errorf("%s: %q, want OK\n%s", name, l, out)
					}
				}
				if !strings.Contains(lines["store"][1], "embedded store in "+dir) || !strings.Contains(lines["disk"][1], dir) {
					t.Errorf("the lines do not name the server's embedded store and its disk:\n%s", out)
				}
				if code != 0 {
					t.Fatalf("exit %d, want 0\n%s%s", code, out, stderr)
				}
				return
			}
			wantOneFailure(t, lines, tt.check, tt.want, out, stderr, code)
		})
	}
	for _, args := range [][]string{
		{"--url", base, "--data", dir},
		{"--url", base, "--max-skew", "5s"},
		{"--url", base, "--tls-cert", "c.pem", "--tls-key", "k.pem"},
		{"--token-file", wrongToken},
		{"--url", "ftp://example.org"},
	} {
		if _, _, code := doctor(t, args...); code != 2 {
			t.Errorf("doctor %v: exit %d, want 2 (usage)", args, code)
		}
	}
	t.Setenv("FIELDCHECK_METRICS_TOKEN", "")
	if _, _, code := doctor(t, "--url", base); code != 2 {
		t.Errorf("doctor --url without a token: exit %d, want 2", code)
	}
}
