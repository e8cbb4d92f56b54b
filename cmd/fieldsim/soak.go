package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
)

// reporter prints the run's figures every --report-every: what a soak of
// many minutes is judged by. Each line has the requests, those a busy
// server refused with 429 or 503 (and Retry-After: the phone comes back),
// and the failed ones (no answer, or another status than 2xx) since the
// start and in the last window, the
// p50/p99 of each kind of request in the window, and, with
// --metrics-token, from the server's GET /metrics: its resident memory,
// the Go heap in use and the memory the Go runtime holds from the OS (RSS
// beyond that is memory outside Go's), open files and goroutines, and the
// counters of the process since it started: pushed mutations by result,
// admission-control refusals, failed store commands.
type reporter struct {
	s     *sim
	start time.Time
	hc    *http.Client
	// seen is how many latencies of each kind earlier lines covered.
	seen                              map[string]int
	lastTotal, lastFails, lastRefused int
}

func (s *sim) newReporter(start time.Time) *reporter {
	return &reporter{s: s, start: start, hc: &http.Client{Timeout: 10 * time.Second}, seen: map[string]int{}}
}

// every prints a line every d until ctx ends.
func (r *reporter) every(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.line(ctx)
		}
	}
}

// line prints one line of figures.
func (r *reporter) line(ctx context.Context) {
	m := r.s.metrics
	m.mu.Lock()
	total, fails, refused := 0, 0, 0
	var kinds []string
	window := map[string][]time.Duration{}
	for name, k := range m.kinds {
		total += k.requests
		fails += k.network
		for status, n := range k.statuses {
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				refused += n // a busy server's "come back in N s": back-pressure, retried
			} else {
				fails += n
			}
		}
		kinds = append(kinds, name)
		window[name] = slices.Clone(k.latencies[min(r.seen[name], len(k.latencies)):])
		r.seen[name] = len(k.latencies)
	}
	m.mu.Unlock()
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "soak %s: %d requests (+%d), %d refused busy (+%d), %d failed (+%d)", time.Since(r.start).Round(time.Second),
		total, total-r.lastTotal, refused, refused-r.lastRefused, fails, fails-r.lastFails)
	fmt.Fprintf(&b, "; operations %d queued, %d answered", r.s.queued.Load(), r.s.answeredOps.Load())
	if r.s.cfg.uploads {
		fmt.Fprintf(&b, "; photos %d received (%.1f MiB)", r.s.uploads.files.Load(), float64(r.s.uploads.bytes.Load())/(1<<20))
	}
	if l, ok := loadAverage(); ok {
		// The machine's load: latencies are judged against it.
		fmt.Fprintf(&b, "; load %s", l)
	}
	r.lastTotal, r.lastFails, r.lastRefused = total, fails, refused
	for _, name := range kinds {
		lat := window[name]
		if len(lat) == 0 {
			continue
		}
		slices.Sort(lat)
		fmt.Fprintf(&b, "; %s %d p50 %s p99 %s", name, len(lat), ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)))
	}
	if r.s.cfg.metricsToken != "" {
		if srv, err := r.server(ctx); err != nil {
			fmt.Fprintf(&b, "; server metrics: %v", err)
		} else {
			fmt.Fprintf(&b, "; server rss %.1f MiB, go heap %.1f MiB of %.1f MiB from the OS, open files %.0f, goroutines %.0f",
				srv["process_resident_memory_bytes"]/(1<<20), srv["go_memstats_heap_inuse_bytes"]/(1<<20), srv["go_memstats_sys_bytes"]/(1<<20),
				srv["process_open_fds"], srv["go_goroutines"])
			fmt.Fprintf(&b, "; server since its start: mutations applied %.0f duplicate %.0f conflict %.0f rejected %.0f, uploads filed %.0f refused %.0f (%.1f MiB in PATCHes), admission refusals %.0f, store errors %.0f",
				srv["applied"], srv["duplicate"], srv["conflict"], srv["rejected"], srv["filed"], srv["refused"], srv["fieldcheck_upload_bytes_total"]/(1<<20),
				srv["fieldcheck_admission_refusals_total"], srv["fieldcheck_store_errors_total"])
		}
	}
	r.s.logMu.Lock()
	fmt.Fprintln(r.s.out, b.String())
	r.s.logMu.Unlock()
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes, as
// /proc/loadavg says (Linux; elsewhere none).
func loadAverage() (string, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "", false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "", false
	}
	return strings.Join(f[:3], " "), true
}

// server reads the server's process figures from GET /metrics.
func (r *reporter) server(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.s.cfg.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.s.cfg.metricsToken)
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, name := range []string{"process_resident_memory_bytes", "process_open_fds", "go_goroutines", "go_memstats_heap_inuse_bytes", "go_memstats_sys_bytes"} {
		if f := fams[name]; f != nil && len(f.Metric) > 0 && f.Metric[0].Gauge != nil {
			out[name] = f.Metric[0].Gauge.GetValue()
		}
	}
	// Counters summed over their labels; the mutations by result.
	for _, name := range []string{"fieldcheck_admission_refusals_total", "fieldcheck_store_errors_total", "fieldcheck_sync_mutations_total",
		"fieldcheck_uploads_completed_total", "fieldcheck_upload_bytes_total"} {
		f := fams[name]
		if f == nil {
			continue
		}
		for _, m := range f.Metric {
			if m.Counter == nil {
				continue
			}
			out[name] += m.Counter.GetValue()
			if name == "fieldcheck_sync_mutations_total" || name == "fieldcheck_uploads_completed_total" {
				for _, l := range m.Label {
					if l.GetName() == "result" {
						out[l.GetValue()] += m.Counter.GetValue()
					}
				}
			}
		}
	}
	return out, nil
}
