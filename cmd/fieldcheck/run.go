package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
)

const usage = `fieldcheck — 双随机、一公开 field inspections

Usage:
  fieldcheck serve   [flags]                 run the server
  fieldcheck demo    [flags] [--targets N] [--tasks M]
                                             seed a demo county (N market entities, default 5000)
                                             into an empty store, then serve; --tasks draws plans
                                             until M tasks exist and works 30 % of M to submission
                                             and 10 % to acceptance as phones do
  fieldcheck import  enterprises|inspectors|items FILE [flags]
                                             import a CSV or XLSX file (upsert by natural key)
  fieldcheck user    add USERNAME --role ROLE [--department D,...] [--name NAME] [flags]
  fieldcheck user    disable|enable USERNAME [flags]
  fieldcheck user    reset-password USERNAME [flags]
  fieldcheck user    end-sessions USERNAME [flags]
                                             end every session of the user (back office and phones)
  fieldcheck audit   verify [--expect SEQ:HASH] [--head FILE_OR_URL [--keys FILE_OR_URL]] [flags]
                                             check the audit log's hash chain, its stored daily
                                             checkpoints and a signed head saved earlier
  fieldcheck migrate [flags]                 upgrade the store to this version's layout (serve
                                             does it when it starts; other commands refuse an
                                             older layout); resumes where a stopped one stopped
  fieldcheck draw    verify FILE_OR_URL      recompute a public draw record (fc-draw-1) or round
                                             record (fc-draw-2); exit 0 iff it matches
  fieldcheck keys    list|rotate|retire KID [--ring codes|tokens|audit] [--activate-in 720h]
                                             the signing keys of printed codes, access tokens
                                             or audit heads
  fieldcheck doctor  [--tls-cert F --tls-key K] [--min-free-disk 1GiB] [--max-skew 1m] [flags]
                                             check a deployment: store, layout, indexes, signing
                                             keys, TLS certificate, disk, clock; one line per
                                             check (OK/WARN/FAIL), exit 1 on a failure (the
                                             embedded store: with the server stopped)
  fieldcheck backup  --data DIR --to BACKUP  copy the embedded store and its evidence, while the
                                             server runs, with a manifest of SHA-256 hashes
  fieldcheck restore --from BACKUP --data NEWDIR
                                             check a backup's hashes and restore it into a new
                                             data directory (MongoDB: mongodump, docs/operations.md)
  fieldcheck workdays DATE N                 the date N working days after DATE (DATE not
                                             counted), with the holiday notices it relies on

Common flags:
  --data DIR         data directory of the embedded store (default ./fieldcheck-data)
  --mongo-uri URI    use this MongoDB instead of the embedded store
                     (or set FIELDCHECK_MONGODB_URI)
  --db NAME          database name (default fieldcheck)
Server flags:
  --addr HOST:PORT   listen address (default 127.0.0.1:8080)
  --base-url URL     public URL printed in QR codes, e.g. https://fc.example.gov.cn
                     (or FIELDCHECK_BASE_URL; default http://ADDR, https:// with --tls-cert)
  --tls-cert FILE    serve HTTPS (TLS 1.2 and later) with this PEM certificate chain
                     (or FIELDCHECK_TLS_CERT); SIGHUP reads it again (docs/https.md)
  --tls-key FILE     its PEM private key (or FIELDCHECK_TLS_KEY)
  --trusted-proxy IP reverse proxy (address or prefix) whose X-Forwarded-For is trusted (repeatable)
  --evidence-limits L
                     size caps per kind of evidence and the quota per task, e.g.
                     photo=25MiB,video=500MiB,audio=100MiB,document=50MiB,
                     signature=5MiB,task=2GiB (those are the defaults; name any)
  --upload-expiry D  drop an upload after this long without progress (default 24h)
  --rating-window D  how long after the team's check-in a visit may be rated
                     (default 168h, at most 2160h)
  --metrics-token T  bearer token a Prometheus server scrapes /metrics with (or
                     FIELDCHECK_METRICS_TOKEN; administrators need none)
  --shutdown-grace D on SIGTERM/SIGINT, how long requests in flight may finish (default 10s);
                     uploads record their offset and stop at once

Environment:
  FIELDCHECK_MONGODB_URI     MongoDB URI (same as --mongo-uri)
  FIELDCHECK_TLS_CERT, FIELDCHECK_TLS_KEY
                             certificate and key files (same as --tls-cert, --tls-key)
  FIELDCHECK_METRICS_TOKEN   scrape token of /metrics (same as --metrics-token)
  FIELDCHECK_ADMIN_PASSWORD  password of the first administrator on an empty store
  FIELDCHECK_PASSWORD        password for "user add" / "user reset-password"
                             (otherwise read from standard input, or generated)
`

// exitError carries an exit status; msg is printed unless empty.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func exitCode(err error) int {
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	return 1
}

// usageError is a mistake in the command line: exit status 2.
func usageError(format string, args ...any) error {
	return exitError{code: 2, msg: fmt.Sprintf(format, args...) + "\n(run `fieldcheck help` for usage)"}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{code: 2}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr, false)
	case "demo":
		return runServe(ctx, rest, stdout, stderr, true)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "user":
		return runUser(ctx, rest, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "draw":
		return runDraw(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout, stderr)
	case "workdays":
		return runWorkdays(ctx, rest, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, rest, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError("unknown command %q", cmd)
}

// stdin is read for passwords; tests replace it.
var stdin io.Reader = os.Stdin

// storeFlags are the flags every command that opens the store takes.
type storeFlags struct {
	data, mongoURI, db string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "./fieldcheck-data", "data directory of the embedded store")
	fs.StringVar(&f.mongoURI, "mongo-uri", os.Getenv("FIELDCHECK_MONGODB_URI"), "MongoDB URI; empty starts the embedded store")
	fs.StringVar(&f.db, "db", "fieldcheck", "database name")
}

func (f *storeFlags) config() app.Config {
	return app.Config{DataDir: f.data, MongoURI: f.mongoURI, Database: f.db, StoreProxy: storeProxy}
}

// storeProxy is nil but in measurement builds (faults.go).
var storeProxy func(uri string) (string, func(), error)

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitError{code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// quietLogger logs warnings and errors only: the command's own output is
// what the operator reads.
func quietLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// openStore opens the store for a command-line tool run by an operator on
// the server; its changes are recorded as made by the system.
func openStore(ctx context.Context, sf *storeFlags, stderr io.Writer, tool string) (*app.Main, context.Context, error) {
	cfg := sf.config()
	cfg.Logger = quietLogger(stderr)
	m, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return m, backend.WithActor(ctx, backend.SystemActor(tool)), nil
}
