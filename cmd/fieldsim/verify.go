package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// verdict is what the check found.
type verdict struct {
	started, tasksOK int
	ops, answered    int
	statuses         map[string]int
	superseded       int
	conflicts        int
	client           fcsync.Stats
	problems         []string

	// The phones' syncs: how long the first download took (retries
	// included), and the syncs tried again after a failure.
	firstPulls                 []time.Duration
	pullFailures, pushFailures int
	staleViews                 int
	files, filesLeft           int
}

func (v *verdict) pass() bool {
	return len(v.problems) == 0 && v.started > 0 && v.tasksOK == v.started && v.answered == v.ops && v.client.ReplayMismatches == 0
}

func (v *verdict) fail(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// verify compares what the phones did with what the server holds.
func (s *sim) verify(ctx context.Context) *verdict {
	v := &verdict{statuses: map[string]int{}}
	for _, in := range s.inspectors {
		for _, id := range in.order {
			op := in.ops[id]
			v.ops++
			if op.result == nil {
				v.fail("%s: op %s (%s on %s) has no final answer", in.user, id, op.entity, op.task.id)
				continue
			}
			v.answered++
			v.statuses[op.result.Status]++
		}
		if n := in.client.Queue.Len(); n > 0 {
			v.fail("%s: %d mutations still queued", in.user, n)
		}
		v.superseded += in.superseded
		v.conflicts += in.conflicts
		st := in.client.Stats()
		v.client.Requests += st.Requests
		v.client.Retries += st.Retries
		v.client.Logins += st.Logins
		v.client.Refreshes += st.Refreshes
		v.client.RefreshFailures += st.RefreshFailures
		v.client.Pushes += st.Pushes
		v.client.Replays += st.Replays
		v.client.ReplayMismatches += st.ReplayMismatches
		v.client.UploadResumes += st.UploadResumes
		if in.pulled {
			v.firstPulls = append(v.firstPulls, in.firstPull)
		}
		v.pullFailures += in.pullFailures
		v.pushFailures += in.pushFailures
		v.staleViews += in.staleViews
		v.files += len(in.files)
		if n := in.filesLeft(); n > 0 {
			v.filesLeft += n
			v.fail("%s: %d photos not uploaded", in.user, n)
		}
		if st.ReplayMismatches > 0 {
			v.fail("%s: %d replayed mutations were not answered as the first time", in.user, st.ReplayMismatches)
		}
		v.problems = append(v.problems, in.problems...)
	}
	members := map[string]*inspector{}
	for _, in := range s.inspectors {
		members[in.user] = in
	}
	for _, t := range s.tasks {
		if !t.isStarted() {
			continue
		}
		v.started++
		before := len(v.problems)
		for _, f := range t.failed {
			v.fail("task %s: %s", t.id, f)
		}
		got, err := s.reader.task(ctx, t.id)
		if err != nil {
			v.fail("task %s: %v", t.id, err)
			continue
		}
		s.checkTask(v, t, got)
		for _, u := range t.team {
			held := members[u].client.Task(t.id)
			switch {
			case held == nil:
				v.fail("task %s: not on %s's phone after the last pull", t.id, u)
			case held.Task.Version != got.Version || held.Task.Status != got.Status:
				v.fail("task %s: %s's phone holds version %d (%s), the server %d (%s)", t.id, u, held.Task.Version, held.Task.Status, got.Version, got.Status)
			}
		}
		if len(v.problems) == before {
			v.tasksOK++
		}
	}
	return v
}

// checkTask compares the server's task with what its team did.
func (s *sim) checkTask(v *verdict, t *simTask, got *backend.Task) {
	bad := func(format string, args ...any) { v.fail("task %s: "+format, append([]any{t.id}, args...)...) }
	if got.Status != backend.TaskSubmitted {
		bad("status %s, want submitted", got.Status)
	}
	switch {
	case t.result == nil:
		bad("no result was sent")
	case got.Result == nil:
		bad("no result on the server")
	case got.Result.Code != t.result.Code || got.Result.Findings != t.result.Findings || got.Result.FollowUp != t.result.FollowUp || got.Result.EnteredBy != t.team[0]:
		bad("result %s by %s, want %s by %s", got.Result.Code, got.Result.EnteredBy, t.result.Code, t.team[0])
	}
	if len(got.Answers) != len(t.answers) || len(t.answers) != len(t.questions) {
		bad("%d answers on the server, %d sent, %d questions", len(got.Answers), len(t.answers), len(t.questions))
	}
	for key, want := range t.answers {
		a, ok := got.Answers[key]
		if !ok || a.Value != want.value || a.EditedBy != want.user {
			bad("answer %s = %q by %s, want %q by %s", key, a.Value, a.EditedBy, want.value, want.user)
		}
	}
	perUser := map[string][]string{}
	for _, c := range got.CheckIns {
		perUser[c.UserID] = append(perUser[c.UserID], c.ID)
	}
	if len(got.CheckIns) != len(t.team) {
		bad("%d check-ins on the server, want %d (one per officer)", len(got.CheckIns), len(t.team))
	}
	for _, u := range t.team {
		if ids := perUser[u]; len(ids) != 1 || ids[0] != t.checkIns[u] {
			bad("check-ins of %s: %v, want [%s]", u, ids, t.checkIns[u])
		}
	}
	seen := map[string]bool{}
	for _, e := range got.Evidence {
		want, ok := t.evidence[e.ID]
		switch {
		case seen[e.ID]:
			bad("evidence slot %s twice", e.ID)
		case !ok:
			bad("evidence slot %s was never declared", e.ID)
		case e.SHA256 != want.in.SHA256 || e.Size != want.in.Size || e.Type != want.in.Type || e.ContentType != want.in.ContentType || e.DeclaredBy != want.user:
			bad("evidence slot %s differs from its declaration", e.ID)
		case s.cfg.uploads && (!e.Uploaded || e.Received == nil || e.Received.ContentType != "image/jpeg"):
			// Received: the bytes hashed to the declared SHA-256 on arrival.
			bad("evidence slot %s: its photo was not received (uploaded %v)", e.ID, e.Uploaded)
		}
		seen[e.ID] = true
	}
	if len(seen) != len(t.evidence) {
		bad("%d evidence slots on the server, %d declared", len(seen), len(t.evidence))
	}
}

func (s *sim) report(worked time.Duration, proxy *dropProxy, restart restartReport, slow slowReport, v *verdict) {
	w := s.out
	fmt.Fprintln(w)
	s.metrics.print(w, worked)
	fmt.Fprintln(w)
	var st []string
	for _, k := range []string{fcsync.Applied, fcsync.Duplicate, fcsync.Conflict, fcsync.Rejected} {
		st = append(st, fmt.Sprintf("%s %d", k, v.statuses[k]))
	}
	fmt.Fprintf(w, "operations: %d queued, %d with a final answer (%s); %d accepts overtaken by a teammate's check-in, %d conflicts decided again\n",
		v.ops, v.answered, strings.Join(st, ", "), v.superseded, v.conflicts)
	fmt.Fprintf(w, "phones: %d requests, %d retries, %d logins, %d refreshes (%d failed), %d push batches, %d replayed (%d answered differently)\n",
		v.client.Requests, v.client.Retries, v.client.Logins, v.client.Refreshes, v.client.RefreshFailures, v.client.Pushes, v.client.Replays, v.client.ReplayMismatches)
	slices.Sort(v.firstPulls)
	fmt.Fprintf(w, "syncs: first downloads of %d phones p50 %s, max %s (retries included); %d pulls and %d pushes failed and were tried again; %d result decisions put off for a copy that did not show the team's check-ins yet\n",
		len(v.firstPulls), ms(percentile(v.firstPulls, 0.5)), ms(percentile(v.firstPulls, 1)), v.pullFailures, v.pushFailures, v.staleViews)
	if s.cfg.uploads {
		fmt.Fprintf(w, "uploads: %d of %d photos received (%.1f MiB) in %d tus uploads, %d resumed from the server's offset, %d refused\n",
			s.uploads.files.Load(), v.files, float64(s.uploads.bytes.Load())/(1<<20), s.uploads.calls.Load(), v.client.UploadResumes, s.uploads.refused.Load())
	}
	if proxy != nil {
		fmt.Fprintf(w, "network: %d requests passed, %d dropped before reaching the server, %d dropped after it answered\n",
			proxy.passed.Load(), proxy.before.Load(), proxy.after.Load())
	}
	if restart.ran {
		status := "ok"
		if restart.err != nil {
			status = restart.err.Error()
			v.fail("server restart: %v", restart.err)
		}
		fmt.Fprintf(w, "server restart: back after %s (%s)\n", restart.downtime.Round(time.Millisecond), status)
	}
	if slow.ran {
		status := "ok"
		if slow.err != nil {
			status = slow.err.Error()
			v.fail("slow store: %v", slow.err)
		}
		fmt.Fprintf(w, "slow store: replies held %s for %s, from %s into the run (%s)\n", s.cfg.slowDelay, slow.lasted.Round(time.Second), s.cfg.slowAfter, status)
	}
	secs := worked.Seconds()
	fmt.Fprintf(w, "throughput: %d tasks submitted, %d operations in %.1f s: %.1f operations/s, %.1f tasks/min, %.1f requests/s\n",
		v.tasksOK, v.answered, secs, float64(v.answered)/secs, float64(v.tasksOK)*60/secs, float64(s.metrics.total())/secs)
	problems := slices.Compact(slices.Clone(v.problems))
	for i, p := range problems {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more\n", len(problems)-20)
			break
		}
		fmt.Fprintln(w, "  problem:", p)
	}
	verdict := "PASS"
	if !v.pass() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d of %d tasks as the phones left them, %d of %d operations answered, %d problems\n",
		verdict, v.tasksOK, v.started, v.answered, v.ops, len(v.problems))
}
