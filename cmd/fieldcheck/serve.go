package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"

	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// MaxRatingWindow bounds --rating-window: a rating is about a visit the
// enterprise still remembers, and the licence page lists the visits of
// the window.
const MaxRatingWindow = 90 * 24 * time.Hour

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
	var proxies multiFlag
	fs.Var(&proxies, "trusted-proxy", "reverse proxy address whose X-Forwarded-For is trusted")
	limits := fs.String("evidence-limits", "", "size caps per kind of evidence and the task quota, e.g. photo=25MiB,video=500MiB,task=2GiB")
	expiry := fs.Duration("upload-expiry", 24*time.Hour, "drop an upload after this long without progress")
	ratingWindow := fs.Duration("rating-window", backend.DefaultRatingWindow, "how long after the team's check-in the enterprise may rate a visit")
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
	if _, err := api.ParseTrustedProxies(proxies); err != nil {
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
	if isDemo && (targets < 10 || targets > 1_000_000) {
		return usageError("--targets must be between 10 and 1000000")
	}
	if isDemo && (tasks < 0 || tasks > demo.MaxScaleTasks) {
		return usageError("--tasks must be between 0 and %d", demo.MaxScaleTasks)
	}
	cfg.AdminPassword = os.Getenv("FIELDCHECK_ADMIN_PASSWORD")
	cfg.Migrate = true // an older store is upgraded before it is served
	cfg.Warm = true
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
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
	fmt.Fprintf(stdout, "fieldcheck listening on http://%s (%s)\n", cfg.Addr, where)
	fmt.Fprintf(stdout, "  API description: http://%s/api/v1/openapi.json\n", cfg.Addr)
	fmt.Fprintf(stdout, "  Inspector app: http://%s/app/\n", cfg.Addr)
	return m.Serve(ctx)
}
