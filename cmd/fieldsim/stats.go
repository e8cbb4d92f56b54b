package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// metrics collects every HTTP exchange the phones and the back office
// made.
type metrics struct {
	mu    sync.Mutex
	kinds map[string]*kindStats
}

type kindStats struct {
	latencies []time.Duration // of answered requests
	ok        []time.Duration // of those answered 2xx
	requests  int
	network   int         // no answer: connection refused, reset, closed
	statuses  map[int]int // answers other than 2xx
}

func newMetrics() *metrics { return &metrics{kinds: map[string]*kindStats{}} }

func (m *metrics) observe(e fcsync.Exchange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.kinds[e.Kind]
	if k == nil {
		k = &kindStats{statuses: map[int]int{}}
		m.kinds[e.Kind] = k
	}
	k.requests++
	switch {
	case e.Err != nil:
		k.network++
	default:
		k.latencies = append(k.latencies, e.Duration)
		if e.Status < 200 || e.Status > 299 {
			k.statuses[e.Status]++
		} else {
			k.ok = append(k.ok, e.Duration)
		}
	}
}

func (m *metrics) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, k := range m.kinds {
		n += k.requests
	}
	return n
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (m *metrics) print(w io.Writer, elapsed time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	// p50, p99 and max are of every answer (a busy server's 429 and 503
	// included); "p99 2xx" only of the requests that were done.
	fmt.Fprintln(tw, "request\trequests\tper s\tp50\tp99\tmax\tp99 2xx\tno answer\tnot 2xx\t")
	var names []string
	for k := range m.kinds {
		names = append(names, k)
	}
	order := map[string]int{fcsync.KindLogin: 1, fcsync.KindRefresh: 2, fcsync.KindPull: 3, fcsync.KindPush: 4, kindOffice: 5}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	for _, name := range names {
		k := m.kinds[name]
		lat := slices.Clone(k.latencies)
		slices.Sort(lat)
		var top time.Duration
		if len(lat) > 0 {
			top = lat[len(lat)-1]
		}
		ok := slices.Clone(k.ok)
		slices.Sort(ok)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\t\n", name, k.requests, float64(k.requests)/elapsed.Seconds(),
			ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)), ms(top), ms(percentile(ok, 0.99)), k.network, statusList(k.statuses))
	}
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func statusList(m map[int]int) string {
	if len(m) == 0 {
		return "0"
	}
	var codes []int
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%d×%d", m[c], c)
	}
	return s
}
