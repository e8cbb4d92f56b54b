package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// runKeys lists, rotates and retires the signing keys of the three rings:
// "tokens" (access tokens, minutes), "codes" (printed licence codes and
// inspection codes, years) and "audit" (signed audit heads, years).
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("keys needs a subcommand: list, rotate or retire KID")
	}
	sub := args[0]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	ring := fs.String("ring", "codes", "tokens (access tokens), codes (licence and inspection codes) or audit (signed audit heads)")
	activateIn := fs.Duration("activate-in", 0, "rotate codes: publish the new key now, sign with it after this long (e.g. 720h), so offline apps learn it first")
	pos, err := parse(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if *ring != "tokens" && *ring != "codes" && *ring != "audit" {
		return usageError("--ring must be tokens, codes or audit")
	}
	switch {
	case sub == "list" || sub == "rotate":
		if len(pos) != 0 {
			return usageError("keys %s takes no arguments", sub)
		}
	case sub == "retire":
		if len(pos) != 1 {
			return usageError("keys retire needs the KID")
		}
	default:
		return usageError("unknown keys subcommand %q", sub)
	}
	if *activateIn < 0 || (*activateIn > 0 && (*ring != "codes" || sub != "rotate")) {
		return usageError("--activate-in is for rotating the codes ring, and not negative")
	}
	m, ctx, err := openStore(ctx, &sf, stderr, "keys")
	if err != nil {
		return err
	}
	defer m.Close()
	// The record travels with the key's write (the audit outbox).
	record := func(action, kid string) backend.AuditRecord {
		return backend.AuditRecord{Action: "keys." + action, ObjectType: "key-ring", ObjectID: *ring, Detail: kid}
	}
	keys := m.TokenKeys
	switch *ring {
	case "codes":
		keys = m.Codes.Ring
	case "audit":
		keys = m.AuditKeys
	}
	switch sub {
	case "rotate":
		var at time.Time // now
		if *activateIn > 0 {
			at = time.Now().Add(*activateIn)
		}
		kid, err := keys.RotateAudited(ctx, at, func(kid string) backend.AuditRecord { return record("rotate", kid) })
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new %s key %s\n", *ring, kid)
		return nil
	case "retire":
		if err := keys.RetireAudited(ctx, pos[0], record("retire", pos[0])); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retired %s key %s\n", *ring, pos[0])
		return nil
	}
	list, err := keys.Keys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "kid\tstatus\tactivated\tretired")
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Status, k.ActivatedAt.Format(time.RFC3339), when(k.RetiredAt))
	}
	return tw.Flush()
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
