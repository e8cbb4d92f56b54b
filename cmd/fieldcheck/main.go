// Command fieldcheck runs the fieldcheck server and its administration tools.
//
//	fieldcheck serve   --data DIR --addr HOST:PORT [--mongo-uri URI]
//	fieldcheck demo    --data DIR --addr HOST:PORT
//	fieldcheck import  enterprises|inspectors|items FILE
//	fieldcheck user    add|disable|enable|reset-password|end-sessions ...
//	fieldcheck audit   verify
//
// Run `fieldcheck help` for the details.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fieldcheck/fieldcheck/backend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ex exitError
		switch {
		case errors.As(err, &ex):
			if ex.msg != "" {
				fmt.Fprintln(os.Stderr, "fieldcheck:", ex.msg)
			}
		case backend.ErrorCode(err) == backend.EINTERNAL:
			fmt.Fprintln(os.Stderr, "fieldcheck:", err) // the whole chain: it is a bug report
		default:
			fmt.Fprintln(os.Stderr, "fieldcheck:", backend.ErrorMessage(err))
		}
		os.Exit(exitCode(err))
	}
}
