package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/backup"
)

// runBackup copies the embedded store and its evidence while the server
// runs (backend/backup says how).
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	to := fs.String("to", "", "a new (or empty) directory for the backup")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("backup takes no arguments, got %q", pos[0])
	}
	if sf.mongoURI != "" {
		return usageError("backup copies the embedded store; for MongoDB use mongodump and the GridFS buckets (docs/operations.md)")
	}
	if *to == "" {
		return usageError("backup needs --to DIR")
	}
	start := time.Now()
	m, err := backup.Create(ctx, sf.data, *to, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d files, %d bytes, in %.1f s (manifest %s)\n",
		sf.data, *to, len(m.Files), m.Bytes(), time.Since(start).Seconds(), backup.ManifestName)
	return nil
}

// runRestore checks a backup's manifest and restores it into a new data
// directory.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "the backup directory")
	data := fs.String("data", "", "a new (or empty) data directory to restore into")
	pos, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("restore takes no arguments, got %q", pos[0])
	}
	if *from == "" || *data == "" {
		return usageError("restore needs --from BACKUP and --data NEWDIR")
	}
	m, err := backup.Restore(ctx, *from, *data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d files, %d bytes, every SHA-256 as the manifest says (backup of %s)\n",
		*from, *data, len(m.Files), m.Bytes(), m.CreatedAt.Format(time.RFC3339))
	return nil
}
