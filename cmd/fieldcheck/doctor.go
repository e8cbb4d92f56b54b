package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
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
	serverURL := fs.String("url", "", "ask the running server at this address to check itself (GET /api/v1/doctor), e.g. while it holds the embedded store")
	tokenFile := fs.String("token-file", "", "with --url: a file holding the server's scrape token or an administrator's access token (default: $FIELDCHECK_METRICS_TOKEN)")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("doctor takes no arguments, got %q", pos[0])
	}
	if *serverURL != "" || *tokenFile != "" {
		return remoteDoctor(ctx, fs, *serverURL, *tokenFile, stdout)
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
	return printChecks(stdout, app.Doctor(ctx, cfg, app.DoctorLimits{MinFreeDisk: uint64(free), MaxSkew: *maxSkew}))
}

// printChecks prints one line per check and fails (exit 1) when one did.
func printChecks(stdout io.Writer, checks []app.Check) error {
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

// doctorAnswerLimit bounds the answer of GET /api/v1/doctor that doctor
// --url reads.
const doctorAnswerLimit = 1 << 20

// remoteDoctor asks the server at base for its deployment check, as the
// scrape token's or an administrator's bearer: the checks run in the
// server, on its store, certificate and data directory, with its limits'
// defaults, so no store, certificate or limit flag goes with --url. A
// server that cannot be asked is one FAIL line, "server".
func remoteDoctor(ctx context.Context, fs *flag.FlagSet, base, tokenFile string, stdout io.Writer) error {
	var local []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "url" && f.Name != "token-file" {
			local = append(local, "--"+f.Name)
		}
	})
	switch {
	case base == "":
		return usageError("--token-file goes with --url")
	case len(local) > 0:
		return usageError("with --url the server checks its own store, certificate and disk with its own limits: %s does not go with it", strings.Join(local, ", "))
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError("--url must be the server's http:// or https:// address, got %q", base)
	}
	token := os.Getenv("FIELDCHECK_METRICS_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return usageError("--token-file: %v", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return usageError("--url needs a token: the server's scrape token in $FIELDCHECK_METRICS_TOKEN, or --token-file")
	}
	checks, err := askDoctor(ctx, strings.TrimRight(base, "/")+"/api/v1/doctor", token)
	if err != nil {
		checks = []app.Check{{Name: "server", Status: app.CheckFail, Detail: err.Error()}}
	}
	return printChecks(stdout, checks)
}

func askDoctor(ctx context.Context, endpoint, token string) ([]app.Check, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be asked: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, doctorAnswerLimit))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %v", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Message string }
		_ = json.Unmarshal(body, &e)
		why := map[int]string{http.StatusUnauthorized: "the token is not the server's scrape token nor a valid access token",
			http.StatusForbidden: "the token is not an administrator's", http.StatusNotFound: "this server has no deployment check (an older fieldcheck?)"}[resp.StatusCode]
		if why == "" {
			why = e.Message
		}
		return nil, fmt.Errorf("%s answered %d: %s", endpoint, resp.StatusCode, why)
	}
	var res struct {
		Checks []struct{ Name, Status, Detail string }
	}
	if err := json.Unmarshal(body, &res); err != nil || len(res.Checks) == 0 {
		return nil, fmt.Errorf("%s: not a deployment check (%v)", endpoint, err)
	}
	out := make([]app.Check, len(res.Checks))
	for i, c := range res.Checks {
		out[i] = app.Check{Name: c.Name, Status: c.Status, Detail: c.Detail}
	}
	return out, nil
}
