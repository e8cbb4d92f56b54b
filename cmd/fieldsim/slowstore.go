package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// slowReport is what --slow-store-file did.
type slowReport struct {
	ran    bool
	err    error
	lasted time.Duration
}

// slowStore writes --slow-store-delay into the server's slow-store control
// file --slow-store-after into the run and removes it --slow-store-for
// later (or when the run ends first). The server must be a measurement
// build (go build -tags fieldcheck_faults ./cmd/fieldcheck) run with
// FIELDCHECK_FAULT_SLOW_STORE set to the same file: it reads the file
// every second (backend/mongo/storefault), also after a restart.
func (s *sim) slowStore(ctx context.Context) slowReport {
	select {
	case <-ctx.Done():
		return slowReport{}
	case <-time.After(s.cfg.slowAfter):
	}
	r := slowReport{ran: true}
	path := s.cfg.slowFile
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s.cfg.slowDelay.String()+"\n"), 0o600); err != nil {
		r.err = err
		return r
	}
	if err := os.Rename(tmp, path); err != nil {
		r.err = err
		return r
	}
	began := time.Now()
	s.say("fieldsim: %s in: the store's replies are held %s for %s (%s)", s.cfg.slowAfter, s.cfg.slowDelay, s.cfg.slowFor, path)
	select {
	case <-ctx.Done():
	case <-time.After(s.cfg.slowFor):
	}
	if err := os.Remove(path); err != nil {
		r.err = err
	}
	r.lasted = time.Since(began)
	s.say("fieldsim: the store is fast again after %s", r.lasted.Round(time.Second))
	return r
}

// say prints a line of the run's progress.
func (s *sim) say(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.out, format+"\n", args...)
}
