package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// MaxRatingWindow bounds --rating-window: a rating is about a visit the
// enterprise still remembers, and the licence page lists the visits of
// the window.
const MaxRatingWindow = 90 * 24 * time.Hour

// MinMetricsToken is the shortest --metrics-token: 128 bits in hex.
const MinMetricsToken = 32

// MaxShutdownGrace bounds --shutdown-grace: a service manager kills a
// process that takes longer to stop anyway (systemd's default is 90 s).
const MaxShutdownGrace = 5 * time.Minute

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, isDemo bool) error {
	name := "serve"
	if isDemo {
		name = "demo"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	baseURL := fs.String("base-url", os.Getenv("FIELDCHECK_BASE_URL"), "public URL of the server, printed in QR codes (default http://ADDR)")
	targets, tasks := 0, 0
	if isDemo {
		fs.IntVar(&targets, "targets", 5000, "number of market entities in the demo county (only when seeding)")
		fs.IntVar(&tasks, "tasks", 0, "field work at scale: draw plans until this many tasks exist and work a share of them as phones do (only when seeding)")
	}
	tlsCert := fs.String("tls-cert", os.Getenv("FIELDCHECK_TLS_CERT"), "serve HTTPS with this PEM certificate (chain, leaf first); reloaded on SIGHUP")
	tlsKey := fs.String("tls-key", os.Getenv("FIELDCHECK_TLS_KEY"), "the PEM private key of --tls-cert")
	metricsToken := fs.String("metrics-token", os.Getenv("FIELDCHECK_METRICS_TOKEN"), "bearer token a Prometheus server scrapes /metrics with (administrators need none)")
	deviceApproval := fs.Bool("device-approval", os.Getenv("FIELDCHECK_DEVICE_APPROVAL") == "1", "a phone's first login waits for an administrator's approval (FIELDCHECK_DEVICE_APPROVAL=1)")
	grace := fs.Duration("shutdown-grace", app.DefaultShutdownGrace, "on SIGTERM or SIGINT, how long requests in flight may take to finish")
	var proxies multiFlag
	fs.Var(&proxies, "trusted-proxy", "reverse proxy address whose X-Forwarded-For is trusted")
	limits := fs.String("evidence-limits", "", "size caps per kind of evidence and the task quota, e.g. photo=25MiB,video=500MiB,task=2GiB")
	expiry := fs.Duration("upload-expiry", 24*time.Hour, "drop an upload after this long without progress")
	ratingWindow := fs.Duration("rating-window", backend.DefaultRatingWindow, "how long after the team's check-in the enterprise may rate a visit")
	portalLimit := fs.String("portal-limit", api.DefaultPortalLimit.String(), "requests one client address may make to the public pages (/public, /e, /v) per window, N/WINDOW")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("%s takes no arguments, got %q", name, pos[0])
	}
	cfg := sf.config()
	cfg.Addr = *addr
	cfg.BaseURL = *baseURL
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	cfg.TLSCert, cfg.TLSKey = *tlsCert, *tlsKey
	if *metricsToken != "" && len(*metricsToken) < MinMetricsToken {
		return usageError("--metrics-token must be at least %d characters (e.g. openssl rand -hex 32)", MinMetricsToken)
	}
	cfg.MetricsToken = *metricsToken
	cfg.DeviceApproval = *deviceApproval
	if *grace < time.Second || *grace > MaxShutdownGrace {
		return usageError("--shutdown-grace must be between 1s and %s", MaxShutdownGrace)
	}
	cfg.ShutdownGrace = *grace
	if _, err := httpkit.ParseTrustedProxies(proxies); err != nil {
		return usageError("--trusted-proxy: %s", err)
	}
	cfg.TrustedProxies = proxies
	if cfg.Evidence, err = backend.ParseEvidenceLimits(*limits); err != nil {
		return usageError("--evidence-limits: %s", backend.ErrorMessage(err))
	}
	if *expiry < time.Minute {
		return usageError("--upload-expiry must be at least 1m")
	}
	cfg.UploadExpiry = *expiry
	if *ratingWindow < time.Hour || *ratingWindow > MaxRatingWindow {
		return usageError("--rating-window must be between 1h and %s", MaxRatingWindow)
	}
	cfg.RatingWindow = *ratingWindow
	if cfg.PortalLimit, err = api.ParsePortalLimit(*portalLimit); err != nil {
		return usageError("--portal-limit: %s", backend.ErrorMessage(err))
	}
	if isDemo && (targets < 10 || targets > 1_000_000) {
		return usageError("--targets must be between 10 and 1000000")
	}
	if isDemo && (tasks < 0 || tasks > demo.MaxScaleTasks) {
		return usageError("--tasks must be between 0 and %d", demo.MaxScaleTasks)
	}
	cfg.AdminPassword = os.Getenv("FIELDCHECK_ADMIN_PASSWORD")
	cfg.Migrate = true // an older store is upgraded before it is served
	cfg.Warm = true
	cfg.Logger = serverLogger(stderr)
	m, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	if isDemo {
		if err := seedDemo(ctx, m, stdout, targets, tasks); err != nil {
			return err
		}
	} else if err := m.Bootstrap(ctx); err != nil {
		return err
	}
	where := "embedded store in " + cfg.DataDir
	switch {
	case cfg.MongoURI != "" && m.DB.IsFerretDB():
		where = "FerretDB, this process alone"
	case cfg.MongoURI != "":
		where = "MongoDB"
	}
	scheme := m.Scheme()
	fmt.Fprintf(stdout, "fieldcheck listening on %s://%s (%s)\n", scheme, cfg.Addr, where)
	fmt.Fprintf(stdout, "  API description: %s://%s/api/v1/openapi.json\n", scheme, cfg.Addr)
	fmt.Fprintf(stdout, "  Inspector app: %s://%s/app/\n", scheme, cfg.Addr)
	if scheme == "https" {
		fmt.Fprintf(stdout, "  TLS certificate: %s (kill -HUP %d reloads it)\n", m.HTTP.TLS.Describe(), os.Getpid())
		stop := reloadOnHangup(m)
		defer stop()
	}
	return m.Serve(ctx)
}

// reloadOnHangup reads the TLS certificate again on each SIGHUP, until
// stop is called.
func reloadOnHangup(m *app.Main) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				_ = m.ReloadTLS() // logged; a bad pair keeps the served certificate
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}
