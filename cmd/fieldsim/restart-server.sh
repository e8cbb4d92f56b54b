#!/bin/sh
# restart-server.sh PIDFILE COMMAND [ARG...]
#
# For fieldsim --kill-server-cmd (see `go doc ./cmd/fieldsim`): stops the
# server whose process id is in PIDFILE with SIGTERM (or the signal named
# by KILL_SIGNAL, e.g. KILL_SIGNAL=KILL for a crash), waits until it has
# exited, starts COMMAND ARG... in the background with its output appended
# to PIDFILE.log, and writes the new process id to PIDFILE. Run the server
# from a built binary: with `go run` the pid is the go tool's.
set -eu
pidfile=$1
shift
pid=$(cat "$pidfile")
kill -s "${KILL_SIGNAL:-TERM}" "$pid"
while kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
done
nohup "$@" >>"$pidfile.log" 2>&1 &
echo $! >"$pidfile"
