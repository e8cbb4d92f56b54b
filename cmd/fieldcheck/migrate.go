package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fieldcheck/fieldcheck/backend/app"
)

// runMigrate upgrades the store to the layout this fieldcheck reads and
// says what it did. serve does the same when it starts; a store of an
// older layout is refused by every other command.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("migrate takes no arguments, got %q", pos[0])
	}
	cfg := sf.config()
	cfg.Logger, cfg.Migrate = quietLogger(stderr), true
	m, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintln(stdout, m.Migration)
	return nil
}
