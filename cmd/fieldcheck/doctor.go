package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
)

// runDoctor checks a deployment, one line per check, and fails (exit 1)
// when one of them does.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	tlsCert := fs.String("tls-cert", os.Getenv("FIELDCHECK_TLS_CERT"), "the server's PEM certificate, to check")
	tlsKey := fs.String("tls-key", os.Getenv("FIELDCHECK_TLS_KEY"), "its PEM private key")
	minFree := fs.String("min-free-disk", "1GiB", "fail under this much free space for evidence (embedded store)")
	maxSkew := fs.Duration("max-skew", app.DefaultMaxSkew, "fail when this machine's clock is further than this from the store's")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("doctor takes no arguments, got %q", pos[0])
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	free, err := backend.ParseBytes(*minFree)
	if err != nil || free <= 0 {
		return usageError("--min-free-disk must be a size such as 1GiB or 500MB")
	}
	if *maxSkew < time.Second || *maxSkew > time.Hour {
		return usageError("--max-skew must be between 1s and 1h")
	}
	cfg := sf.config()
	cfg.TLSCert, cfg.TLSKey = *tlsCert, *tlsKey
	checks := app.Doctor(ctx, cfg, app.DoctorLimits{MinFreeDisk: uint64(free), MaxSkew: *maxSkew})
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	failed := 0
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Status, c.Name, c.Detail)
		if c.Status == app.CheckFail {
			failed++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d checks failed", failed, len(checks))}
	}
	return nil
}
