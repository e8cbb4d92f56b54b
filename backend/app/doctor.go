package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/embedded"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/qr"
)

// Outcomes of a deployment check.
const (
	CheckOK   = "OK"
	CheckWarn = "WARN"
	CheckFail = "FAIL"
)

// Check is one line of `fieldcheck doctor`.
type Check struct {
	Name, Status, Detail string
}

// DoctorLimits are the thresholds of the checks; zero fields take the
// defaults of the same names.
type DoctorLimits struct {
	// MinFreeDisk fails, WarnFreeDisk warns about the free space where
	// evidence is kept (the embedded store's data directory).
	MinFreeDisk, WarnFreeDisk uint64
	// MaxSkew fails, WarnSkew warns about the difference between this
	// machine's clock and the store's.
	MaxSkew, WarnSkew time.Duration
	// CertWarn warns about a TLS certificate that expires within it.
	CertWarn time.Duration
	// Now is this machine's clock (time.Now when nil).
	Now func() time.Time
}

// The defaults of DoctorLimits. Access tokens live minutes and inspection
// codes ten minutes, so a skew of a minute already refuses some of them.
const (
	DefaultMinFreeDisk  = 1 << 30  // 1 GiB: a day of a few phones' photos
	DefaultWarnFreeDisk = 10 << 30 // 10 GiB
	DefaultMaxSkew      = time.Minute
	DefaultWarnSkew     = 2 * time.Second
	DefaultCertWarn     = 30 * 24 * time.Hour
)

// Doctor checks a deployment: the store reachable, its layout current, its
// indexes present, the signing keys usable and the TLS certificate valid
// and not about to expire, disk space for evidence, the clock against the
// store's. It reads and changes nothing (an empty store's layout mark is
// the one write it may make, as every command does). The embedded store
// is locked while a server runs: check it with the server stopped.
func Doctor(ctx context.Context, cfg Config, lim DoctorLimits) []Check {
	lim = lim.withDefaults()
	var out []Check
	add := func(name, status, format string, args ...any) {
		out = append(out, Check{name, status, fmt.Sprintf(format, args...)})
	}
	uri, where := cfg.MongoURI, "MongoDB"
	if uri == "" {
		if cfg.DataDir == "" {
			add("store", CheckFail, "no MongoDB URI and no data directory: give --data DIR or --mongo-uri URI")
			return out
		}
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "db")); err != nil {
			add("store", CheckFail, "no embedded store in %s (%v): is --data the server's data directory?", cfg.DataDir, err)
			return out
		}
		srv, err := embedded.Start(filepath.Join(cfg.DataDir, "db"), nil)
		if err != nil {
			add("store", CheckFail, "the embedded store in %s cannot be opened: %v (a running server holds it: stop it to check, or check over MongoDB)", cfg.DataDir, err)
			return out
		}
		defer srv.Close()
		uri, where = srv.URI(), "embedded store in "+cfg.DataDir
	}
	name := cfg.Database
	if name == "" {
		name = "fieldcheck"
	}
	db, err := mongo.Open(ctx, uri, name)
	if err != nil {
		add("store", CheckFail, "%s is not reachable: %s", where, backend.ErrorMessage(err))
		return out
	}
	defer db.Close()
	add("store", CheckOK, "%s answers, database %q", where, name)
	base := cfg.BaseURL
	if base == "" {
		base = "http://localhost"
	}
	rings := []namedRing{
		{"tokens", auth.NewKeyring(&mongo.SigningKeyStore{DB: db})},
		{"codes", qr.NewKeyring(&mongo.CodeKeyStore{DB: db}, base).Ring},
		{"audit", keyring.New(&mongo.AuditKeyStore{DB: db}, auditKeyFormat)},
	}
	evidenceDir := ""
	if cfg.MongoURI == "" {
		evidenceDir = cfg.DataDir
	}
	return append(out, storeChecks(ctx, db, cfg, evidenceDir, rings, lim)...)
}

// Doctor is the deployment check of the running server, on its own store,
// key rings, certificate and data directory, with the limits' defaults
// and its clock (Config.Now): what `fieldcheck doctor --url` asks for
// (GET /api/v1/doctor), since the embedded store is locked to the server.
func (m *Main) Doctor(ctx context.Context) []Check {
	lim := DoctorLimits{Now: m.Config.Now}.withDefaults()
	where := "MongoDB"
	if m.embedded != nil {
		where = "embedded store in " + m.Config.DataDir
	}
	var out []Check
	if err := m.DB.Client.Ping(ctx, nil); err != nil {
		return append(out, Check{"store", CheckFail, fmt.Sprintf("%s of this server does not answer: %v", where, err)})
	}
	out = append(out, Check{"store", CheckOK, fmt.Sprintf("%s of this server answers, database %q", where, m.DB.Database.Name())})
	evidenceDir := ""
	if m.embedded != nil {
		evidenceDir = m.Config.DataDir
	}
	rings := []namedRing{{"tokens", m.TokenKeys}, {"codes", m.Codes.Ring}, {"audit", m.AuditKeys}}
	return append(out, storeChecks(ctx, m.DB, m.Config, evidenceDir, rings, lim)...)
}

type namedRing struct {
	name string
	ring *keyring.Ring
}

// storeChecks are the checks after the store's: its layout and indexes,
// the key rings, the certificate (cfg.TLSCert), the disk where evidence
// is kept (evidenceDir; "" for GridFS), the clock.
func storeChecks(ctx context.Context, db *mongo.DB, cfg Config, evidenceDir string, rings []namedRing, lim DoctorLimits) []Check {
	var out []Check
	add := func(name, status, format string, args ...any) {
		out = append(out, Check{name, status, fmt.Sprintf(format, args...)})
	}
	switch v, err := db.Layout(ctx); {
	case err != nil:
		add("schema", CheckFail, "the layout cannot be read: %s", backend.ErrorMessage(err))
	case v < backend.TaskSchema:
		add("schema", CheckFail, "the store is of layout %d, this fieldcheck reads %d: run `fieldcheck migrate` (serve migrates when it starts)", v, backend.TaskSchema)
	case v > backend.TaskSchema:
		add("schema", CheckFail, "the store is of layout %d, newer than this fieldcheck's %d: run the newer fieldcheck", v, backend.TaskSchema)
	default:
		add("schema", CheckOK, "layout %d, current", v)
	}

	switch missing, err := db.MissingIndexes(ctx); {
	case err != nil:
		add("indexes", CheckFail, "the indexes cannot be listed: %s", backend.ErrorMessage(err))
	case len(missing) > 0:
		add("indexes", CheckFail, "%d missing (%v): `fieldcheck serve` or `fieldcheck migrate` creates them", len(missing), missing)
	default:
		add("indexes", CheckOK, "every index present")
	}

	for _, r := range rings {
		out = append(out, ringCheck(ctx, r.name, r.ring))
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		out = append(out, certCheck(cfg.TLSCert, cfg.TLSKey, lim.Now(), lim.CertWarn))
	}

	if evidenceDir == "" {
		add("disk", CheckOK, "evidence is in GridFS: watch the MongoDB servers' disks")
	} else {
		out = append(out, diskCheck(evidenceDir, lim))
	}

	before := lim.Now()
	st, err := db.ServerTime(ctx)
	after := lim.Now()
	if err != nil {
		add("clock", CheckFail, "the store's clock cannot be read: %v", err)
	} else {
		// The store read its clock between before and after: the skew is
		// its distance from the midpoint, less half the round trip.
		mid := before.Add(after.Sub(before) / 2)
		skew := st.Sub(mid).Abs() - after.Sub(before)/2
		skew = max(skew, 0).Truncate(time.Millisecond)
		switch {
		case skew > lim.MaxSkew:
			add("clock", CheckFail, "this machine's clock is %s from the store's (at most %s): tokens and inspection codes will be refused; run NTP (chrony) on both", skew, lim.MaxSkew)
		case skew > lim.WarnSkew:
			add("clock", CheckWarn, "this machine's clock is %s from the store's; run NTP (chrony) on both", skew)
		default:
			add("clock", CheckOK, "within %s of the store's", max(skew, time.Millisecond))
		}
	}
	return out
}

func (l DoctorLimits) withDefaults() DoctorLimits {
	if l.MinFreeDisk == 0 {
		l.MinFreeDisk = DefaultMinFreeDisk
	}
	if l.WarnFreeDisk == 0 {
		l.WarnFreeDisk = max(DefaultWarnFreeDisk, l.MinFreeDisk)
	}
	if l.MaxSkew == 0 {
		l.MaxSkew = DefaultMaxSkew
	}
	if l.WarnSkew == 0 {
		l.WarnSkew = min(DefaultWarnSkew, l.MaxSkew)
	}
	if l.CertWarn == 0 {
		l.CertWarn = DefaultCertWarn
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return l
}

// ringCheck: a ring needs a key that signs now. A ring without keys is a
// store that no server started on yet (the server makes the first).
func ringCheck(ctx context.Context, name string, r *keyring.Ring) Check {
	c := Check{Name: "keys " + name}
	keys, err := r.Keys(ctx)
	if err != nil {
		c.Status, c.Detail = CheckFail, "the ring cannot be read: "+backend.ErrorMessage(err)
		return c
	}
	if len(keys) == 0 {
		c.Status, c.Detail = CheckWarn, "no key yet: the server makes the first when it starts"
		return c
	}
	for _, k := range keys {
		if k.Status == keyring.StatusCurrent {
			c.Status, c.Detail = CheckOK, fmt.Sprintf("key %s signs (since %s), %d in the ring", k.ID, k.ActivatedAt.UTC().Format(time.DateOnly), len(keys))
			return c
		}
	}
	c.Status, c.Detail = CheckFail, fmt.Sprintf("no key signs now (%d in the ring, none current): run `fieldcheck keys rotate --ring %s`", len(keys), name)
	return c
}

// certCheck: the pair loads, the key is the certificate's, and the leaf is
// valid now and for longer than warn.
func certCheck(certFile, keyFile string, now time.Time, warn time.Duration) Check {
	c := Check{Name: "tls"}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		c.Status, c.Detail = CheckFail, fmt.Sprintf("certificate %s with key %s: %v", certFile, keyFile, err)
		return c
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		c.Status, c.Detail = CheckFail, fmt.Sprintf("certificate %s: %v", certFile, err)
		return c
	}
	left := leaf.NotAfter.Sub(now)
	switch {
	case now.Before(leaf.NotBefore):
		c.Status, c.Detail = CheckFail, fmt.Sprintf("certificate %q is not valid before %s", leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
	case left <= 0:
		c.Status, c.Detail = CheckFail, fmt.Sprintf("certificate %q expired on %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.RFC3339))
	case left < warn:
		c.Status, c.Detail = CheckWarn, fmt.Sprintf("certificate %q expires in %d days (%s): renew it, then kill -HUP the server", leaf.Subject.CommonName, int(left.Hours()/24), leaf.NotAfter.UTC().Format(time.DateOnly))
	default:
		c.Status, c.Detail = CheckOK, fmt.Sprintf("certificate %q valid until %s", leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return c
}

// diskCheck: free space on the file system of the data directory, where
// the embedded store keeps evidence bytes (DIR/evidence) and its SQLite
// files.
func diskCheck(dir string, lim DoctorLimits) Check {
	c := Check{Name: "disk"}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		c.Status, c.Detail = CheckFail, fmt.Sprintf("free space of %s cannot be read: %v", dir, err)
		return c
	}
	free := st.Bavail * uint64(st.Bsize)
	gib := func(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
	switch {
	case free < lim.MinFreeDisk:
		c.Status, c.Detail = CheckFail, fmt.Sprintf("%s free in %s, under %s: uploads will fail", gib(free), dir, gib(lim.MinFreeDisk))
	case free < lim.WarnFreeDisk:
		c.Status, c.Detail = CheckWarn, fmt.Sprintf("%s free in %s, under %s", gib(free), dir, gib(lim.WarnFreeDisk))
	default:
		c.Status, c.Detail = CheckOK, fmt.Sprintf("%s free in %s", gib(free), dir)
	}
	return c
}
