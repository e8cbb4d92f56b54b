package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fieldcheck/fieldcheck/backend/importer"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError("import needs a kind (enterprises, inspectors or items) and a FILE")
	}
	kind, err := importer.ParseKind(pos[0])
	if err != nil {
		return usageError("%v", err)
	}
	m, ctx, err := openStore(ctx, &sf, stderr, "import")
	if err != nil {
		return err
	}
	defer m.Close()
	im := &importer.Importer{
		Targets:     m.Stores.Targets,
		Inspectors:  m.Stores.Inspectors,
		Items:       m.Stores.Items,
		Departments: m.Stores.Departments,
		Audit:       m.Audit,
		Intents:     m.Intents,
	}
	sum, err := im.ImportFile(ctx, kind, pos[1])
	if sum != nil {
		for _, e := range sum.Errors {
			fmt.Fprintf(stderr, "%s: %v\n", pos[1], e)
		}
		if sum.MoreErrors > 0 {
			fmt.Fprintf(stderr, "%s: … and %d more errors\n", pos[1], sum.MoreErrors)
		}
		fmt.Fprintln(stdout, sum)
	}
	if err != nil {
		return err
	}
	if sum.Rejected > 0 {
		return exitError{code: 1}
	}
	return nil
}
