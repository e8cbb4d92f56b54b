package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError("audit needs a subcommand: verify")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	pos, err := parse(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("audit verify takes no arguments")
	}
	m, ctx, err := openStore(ctx, &sf, stderr, "audit")
	if err != nil {
		return err
	}
	defer m.Close()
	n, problem, err := m.Audit.Verify(ctx)
	if err != nil {
		return err
	}
	if problem != nil {
		return exitError{code: 1, msg: fmt.Sprintf("audit log is NOT intact: %v (%d entries before it are intact)", problem, n)}
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries\n", n)
	return nil
}
