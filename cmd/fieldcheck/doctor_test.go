package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api/tlstest"
	"github.com/fieldcheck/fieldcheck/backend/app"
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
			if l := lines[tt.check]; l[0] != app.CheckFail || !strings.Contains(l[1], tt.want) {
				t.Fatalf("%s: %q, want FAIL saying %q\n%s", tt.check, l, tt.want, out)
			}
			for name, l := range lines {
				if name != tt.check && l[0] == app.CheckFail {
					t.Errorf("%s failed too: %s", name, l[1])
				}
			}
			if code != 1 || !strings.Contains(stderr, "1 of") {
				t.Fatalf("exit %d (%q), want 1 saying how many failed", code, stderr)
			}
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
