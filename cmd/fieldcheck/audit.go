package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError("audit needs a subcommand: verify")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	expect := fs.String("expect", "", "SEQ:HASH of an entry printed by an earlier verify (kept elsewhere): it must still be stored, unchanged")
	pos, err := parse(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("audit verify takes no arguments")
	}
	var wantSeq int64
	var wantHash string
	if *expect != "" {
		seq, hash, ok := strings.Cut(*expect, ":")
		n, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil || n < 1 || !hexHash.MatchString(hash) {
			return usageError("--expect must be SEQ:HASH, the entry number and its 64 hex digits as audit verify printed them")
		}
		wantSeq, wantHash = n, hash
	}
	m, ctx, err := openStore(ctx, &sf, stderr, "audit")
	if err != nil {
		return err
	}
	defer m.Close()
	c, problem, err := m.Audit.Check(ctx)
	if err != nil {
		return err
	}
	if problem != nil {
		return exitError{code: 1, msg: fmt.Sprintf("audit log is NOT intact: %v (%d entries before it are intact)", problem, c.Entries)}
	}
	if wantSeq > 0 {
		problem, err := m.Audit.CheckEntry(ctx, wantSeq, wantHash)
		if err != nil {
			return err
		}
		if problem != nil {
			return exitError{code: 1, msg: fmt.Sprintf("audit log is NOT intact: %v", problem)}
		}
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries\n", c.Entries)
	if c.Entries > 0 {
		// Someone who can write the store can cut the chain short or rewrite
		// and rechain it; this line, kept elsewhere and given back with
		// --expect, shows either.
		fmt.Fprintf(stdout, "head: entry %d, hash %s, at %s\n", c.LastSeq, c.LastHash, c.LastTime.In(backend.China).Format(time.RFC3339))
		fmt.Fprintf(stdout, "keep this line elsewhere; later: fieldcheck audit verify --expect %d:%s\n", c.LastSeq, c.LastHash)
	}
	if wantSeq > 0 {
		fmt.Fprintf(stdout, "entry %d still has the expected hash\n", wantSeq)
	}
	return nil
}

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)
