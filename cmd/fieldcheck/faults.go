//go:build fieldcheck_faults

// Measurement builds only: go build -tags fieldcheck_faults ./cmd/fieldcheck.
// A production build does not compile this file, so nothing here can be
// turned on by a flag or a variable there. docs/operations.md ("Soak") says
// how the soak uses it.
//
//	FIELDCHECK_FAULT_SLOW_STORE=FILE   every store reply is held for the delay FILE
//	                                   holds ("150ms"; none while it is missing),
//	                                   read every second (storefault.Watch)
//	FIELDCHECK_FAULT_HEAP_PROFILES=DIR a heap profile (pprof) into DIR every
//	                                   FIELDCHECK_FAULT_HEAP_EVERY (default 1m)
//	FIELDCHECK_FAULT_PPROF=ADDR        net/http/pprof on ADDR (loopback only), to
//	                                   take CPU profiles of the server under load

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // on FIELDCHECK_FAULT_PPROF's listener only
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/mongo/storefault"
)

func init() {
	if file := os.Getenv("FIELDCHECK_FAULT_SLOW_STORE"); file != "" {
		storeProxy = func(uri string) (string, func(), error) {
			p, proxied, err := storefault.StartURI(uri)
			if err != nil {
				return "", nil, err
			}
			ctx, cancel := context.WithCancel(context.Background())
			go p.Watch(ctx, file, time.Second,
				func(d time.Duration) { slog.Warn("fault: store replies delayed", "delay", d.String(), "file", file) },
				func(err error) { slog.Error("fault: slow store control file", "err", err) })
			slog.Warn("fault: the store is reached through a delaying proxy (a measurement build)", "file", file)
			return proxied, func() { cancel(); _ = p.Close() }, nil
		}
	}
	if dir := os.Getenv("FIELDCHECK_FAULT_HEAP_PROFILES"); dir != "" {
		every := time.Minute
		if s := os.Getenv("FIELDCHECK_FAULT_HEAP_EVERY"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < time.Second {
				fmt.Fprintln(os.Stderr, "fieldcheck: FIELDCHECK_FAULT_HEAP_EVERY must be a duration of at least 1s")
				os.Exit(2)
			}
			every = d
		}
		go heapProfiles(dir, every)
	}
	if addr := os.Getenv("FIELDCHECK_FAULT_PPROF"); addr != "" {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			fmt.Fprintln(os.Stderr, "fieldcheck: FIELDCHECK_FAULT_PPROF must be a loopback address:port")
			os.Exit(2)
		}
		go func() {
			// The default mux holds only net/http/pprof's handlers here.
			slog.Error("fault: pprof listener", "err", http.ListenAndServe(addr, nil))
		}()
	}
}

// heapProfiles writes DIR/heap-<pid>-<unix seconds>.pb.gz every interval,
// after a GC (so the profile's in-use figures are the live heap).
func heapProfiles(dir string, every time.Duration) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		slog.Error("fault: heap profiles", "err", err)
		return
	}
	for {
		time.Sleep(every)
		runtime.GC()
		path := filepath.Join(dir, fmt.Sprintf("heap-%d-%d.pb.gz", os.Getpid(), time.Now().Unix()))
		f, err := os.Create(path)
		if err != nil {
			slog.Error("fault: heap profile", "err", err)
			continue
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			slog.Error("fault: heap profile", "err", err)
		}
		f.Close()
	}
}
