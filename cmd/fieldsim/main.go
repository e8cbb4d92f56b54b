// Command fieldsim drives simulated inspectors' phones against a running
// fieldcheck server, end to end over HTTP, and checks that what the phones
// did offline is what the server holds afterwards: nothing lost, nothing
// applied twice.
//
//	fieldsim --url http://127.0.0.1:8080 [--inspectors 20] [--duration 60s | --tasks-per-inspector 5]
//	         [--drop-rate 0.1] [--replay] [--seed 1] [--state DIR]
//	         [--kill-server-cmd 'CMD' --kill-after 20s]
//	         [--provision 80 [--provision-tasks 3] [--provision-item SCJG-03] [--run-id ID]]
//	         [--report-every 30s [--metrics-token TOKEN]] [--prefer-draw DRAW]
//	         [--slow-store-file FILE [--slow-store-delay 200ms --slow-store-after 1m --slow-store-for 1m]]
//	         [--uploads=true [--photo-max 400000] [--upload-chunk 131072]]
//
// Against `fieldcheck demo` (or any server whose inspectors have the
// password demo-<username>; see --password-format): fieldsim logs in to the
// back office as scjg.manager, picks open on-site tasks whose whole team it
// simulates, and "prints" each enterprise's licence code (GET
// /api/v1/enterprises/{uscc}/qr.svg, scanned from the SVG as a phone's
// camera would). Each inspector then logs in on its own phone (a
// fcsync.Client with a durable queue under --state), pulls, and goes
// offline for --offline-tasks tasks at a time: the lead accepts, every
// member checks in with the scanned code, answers its share of the
// checklist and declares evidence (photos: hash, size, type). Back online
// it pushes, pulls and uploads the photos whose slots the server now
// holds (upload.go: real JPEG bytes up to --photo-max, with tus in
// --upload-chunk PATCHes, resumed from the server's offset after a break;
// --uploads=false declares only); once the whole team's work is on the
// server, the lead submits the result, re-pulling and deciding again on a
// conflict, and waiting while its copy does not show the team's
// check-ins yet (a busy server's feed lags).
//
// Like the app, a phone never gives up a sync: a pull or push that failed
// within the client's retry bounds (the server busy, restarting or slow) is
// tried again after a pause growing from 5 s to the app's timer of a
// minute, until it goes through or the run ends (--timeout). A member
// that stops anyway fails its unfinished tasks, so that a lead does not
// submit a visit without that member's part.
//
// The demo has 24 market-supervision inspectors. --provision N adds N
// more before the run, through the back-office API only: as --admin, N
// inspector logins and N entries of the inspector directory linked to them
// (Inspector.UserID), named after --seed and --run-id so that every run
// adds new ones; as --office, a plan of --provision-item with teams of two
// and --provision-tasks × N targets, published and drawn, whose tasks the
// run takes first. Up to N+24 inspectors then have tasks, e.g.
// --provision 80 --inspectors 100.
//
// --drop-rate puts a proxy in front of the server that breaks that share of
// the phones' requests, half of them before forwarding and half after the
// server answered (the answer is lost). --replay sends every push batch a
// second time. Either way each operation must take effect once.
//
// --kill-server-cmd runs a shell command --kill-after into the run, meant to
// restart the server; phones stop starting new syncs, requests in flight
// retry, and fieldsim waits (up to --ready-timeout) until GET /readyz
// answers before the phones go on. With the demo on the embedded store
// (one process owns the data directory), for example:
//
//	go build -o /tmp/fieldcheck ./cmd/fieldcheck
//	/tmp/fieldcheck demo --data /tmp/fc --addr 127.0.0.1:8080 & echo $! > /tmp/fc.pid
//	go run ./cmd/fieldsim --url http://127.0.0.1:8080 --duration 60s \
//	  --kill-server-cmd 'sh cmd/fieldsim/restart-server.sh /tmp/fc.pid /tmp/fieldcheck demo --data /tmp/fc --addr 127.0.0.1:8080' \
//	  --kill-after 20s
//
// restart-server.sh stops the process named in the pid file (SIGTERM, or
// SIGKILL with KILL_SIGNAL=KILL), waits for it to exit, starts the rest of
// its arguments in the background and writes the new pid back.
//
// --slow-store-file slows the server's store for a while: it writes
// --slow-store-delay into FILE --slow-store-after into the run and removes it
// --slow-store-for later. The server must be a measurement build (go build
// -tags fieldcheck_faults ./cmd/fieldcheck) started with
// FIELDCHECK_FAULT_SLOW_STORE=FILE, which holds every reply of its store for
// the delay the file says (backend/mongo/storefault). --prefer-draw takes
// the open tasks of that draw first, as --provision does with its own (for a
// second run on the tasks an earlier --provision drew).
//
// --report-every prints a line of figures that often during the run (a
// soak is judged by their trend): requests, those a busy server refused
// (429/503 with Retry-After) and failed ones (no answer, or another status
// than 2xx) in total and since the last line, the operations queued and
// answered and the photos received so far, the machine's load average, the
// p50/p99 of each kind of request in that window, and with --metrics-token
// (the server's scrape token) the server's resident memory, open files,
// goroutines and upload counters read from its GET /metrics.
//
// Afterwards fieldsim checks every enqueued operation got a final answer,
// and for every task worked that the back office's view (GET
// /api/v1/tasks/{id}) and each team member's phone agree with what the
// phones did: submitted, with the result sent, every answer with the value
// of the phone that gave it, one check-in per officer, exactly the evidence
// slots declared, each received (its bytes arrived and hashed to the
// declaration) unless --uploads=false. It prints PASS or FAIL with counts, throughput, and the
// p50/p99 latency and errors of each kind of request (the latencies of
// every answer, a busy server's 429 and 503 included, and the p99 of those
// answered 2xx), and exits 1 on FAIL. A phone turned away with
// Retry-After waits that long, and a random part of a second, and tries
// again.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errFailed):
		os.Exit(1)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fieldsim:", err)
		os.Exit(1)
	}
}
