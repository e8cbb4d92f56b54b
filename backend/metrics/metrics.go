// Package metrics is fieldcheck's Prometheus instrumentation
// (github.com/prometheus/client_golang): what each instance counts of the
// requests it served, the sync pushes and pulls, the uploads, the store's
// failed commands and admission control, and the gauges that are read from
// the store at each scrape (the audit chain's length, the sweeper's
// backlog), so that every instance reports the same for them.
//
// Counters are per process: with several instances Prometheus sums them
// (sum by (route) (rate(fieldcheck_http_requests_total[5m]))). Labels are
// bounded: routes by their pattern (/api/v1/targets/:id), never the raw
// path a client chose; statuses by their code.
package metrics

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// ContentType is the media type of Encode's output: the Prometheus text
// exposition format 0.0.4.
var ContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// StoreTimeout bounds the store reads of one scrape.
const StoreTimeout = 5 * time.Second

// Sources are where the gauges and the counters kept elsewhere come from.
// Each may be nil.
type Sources struct {
	// AuditLength is the audit chain's length: its head's seq.
	AuditLength func(context.Context) (int64, error)
	// SweepBacklog is how many writes wait for the sweeper.
	SweepBacklog func(context.Context) (int64, error)
	// StoreFailures is how many store commands failed, by command.
	StoreFailures func() map[string]int64
	// Refusals is how many requests each admission gate refused, by gate.
	Refusals func() map[string]int64
}

// Metrics holds the collectors of one process.
type Metrics struct {
	Registry *prometheus.Registry

	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	syncRequests   *prometheus.CounterVec
	mutations      *prometheus.CounterVec
	uploadsStarted prometheus.Counter
	uploadBytes    prometheus.Counter
	uploadsDone    *prometheus.CounterVec
	filedBytes     prometheus.Counter
	syncRoutes     map[string]string
}

// Routes name the route patterns whose requests the sync and upload
// metrics count.
type Routes struct {
	Sync          string // the sync route: GET pulls, POST pushes
	Uploads       string // the tus creation route (POST)
	UploadPatches string // the tus PATCH route
}

// New makes the collectors and registers them, with the Go runtime's and
// the process's (RSS, open files).
func New(src Sources, routes Routes) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldcheck_http_requests_total", Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fieldcheck_http_request_duration_seconds", Help: "Time from a request's arrival to its answer, by method and route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		syncRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldcheck_sync_requests_total", Help: "Sync pulls and pushes, by outcome: ok, refused (429/503: busy, come back), invalid (other 4xx), error (5xx).",
		}, []string{"kind", "outcome"}),
		mutations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldcheck_sync_mutations_total", Help: "Mutations of sync pushes, by result: applied, duplicate, conflict, rejected.",
		}, []string{"result"}),
		uploadsStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fieldcheck_uploads_started_total", Help: "Evidence uploads created (tus POST answered 201).",
		}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fieldcheck_upload_bytes_total", Help: "Evidence bytes received in tus PATCH requests that were accepted.",
		}),
		uploadsDone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fieldcheck_uploads_completed_total", Help: "Evidence uploads whose last byte arrived, by result: filed (the slot's evidence), refused (not the declared file).",
		}, []string{"result"}),
		filedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fieldcheck_upload_filed_bytes_total", Help: "Bytes of the evidence files filed by completed uploads.",
		}),
	}
	m.syncRoutes = map[string]string{}
	if routes.Sync != "" {
		m.syncRoutes["GET "+routes.Sync] = "pull"
		m.syncRoutes["POST "+routes.Sync] = "push"
	}
	if routes.Uploads != "" {
		m.syncRoutes["POST "+routes.Uploads] = "upload"
	}
	if routes.UploadPatches != "" {
		m.syncRoutes["PATCH "+routes.UploadPatches] = "patch"
	}
	// Both results are reported from the start, at 0.
	m.uploadsDone.WithLabelValues("filed")
	m.uploadsDone.WithLabelValues("refused")
	m.Registry.MustRegister(m.requests, m.latency, m.syncRequests, m.mutations, m.uploadsStarted, m.uploadBytes, m.uploadsDone, m.filedBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{src: src})
	return m
}

// ObserveRequest counts one answered request; bodyBytes is the size of
// its body as declared (Content-Length).
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration, bodyBytes int) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(took.Seconds())
	switch kind := m.syncRoutes[method+" "+route]; kind {
	case "pull", "push":
		m.syncRequests.WithLabelValues(kind, outcome(status)).Inc()
	case "upload":
		if status == 201 {
			m.uploadsStarted.Inc()
		}
	case "patch":
		if status == 204 && bodyBytes > 0 {
			m.uploadBytes.Add(float64(bodyBytes))
		}
	}
}

// ObserveUpload counts an upload whose last byte arrived: result is
// "filed" or "refused" (evidence.UploadFiled, UploadRefused); size is the
// file's.
func (m *Metrics) ObserveUpload(result string, size int64) {
	m.uploadsDone.WithLabelValues(result).Inc()
	if result == "filed" {
		m.filedBytes.Add(float64(size))
	}
}

// ObserveMutation counts one pushed mutation's result.
func (m *Metrics) ObserveMutation(result string) { m.mutations.WithLabelValues(result).Inc() }

func outcome(status int) string {
	switch {
	case status < 400:
		return "ok"
	case status == 429 || status == 503:
		return "refused"
	case status < 500:
		return "invalid"
	}
	return "error"
}

// Encode gathers every metric and writes it in the text format.
func (m *Metrics) Encode() ([]byte, error) {
	families, err := m.Registry.Gather()
	if err != nil && len(families) == 0 {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// storeCollector reads the gauges of the store and the counters kept by
// the store and the gates at each scrape. A source that fails reports
// fieldcheck_metrics_source_up 0 instead of a stale value.
type storeCollector struct{ src Sources }

var (
	descAuditLength = prometheus.NewDesc("fieldcheck_audit_chain_length", "Entries in the audit log's hash chain (the head's seq), read from the store.", nil, nil)
	descBacklog     = prometheus.NewDesc("fieldcheck_sweep_backlog", "Writes whose change-feed entries or audit records wait for the sweeper, read from the store.", nil, nil)
	descStoreErrors = prometheus.NewDesc("fieldcheck_store_errors_total", "Store commands that failed in this process, by command.", []string{"command"}, nil)
	descRefusals    = prometheus.NewDesc("fieldcheck_admission_refusals_total", "Requests refused by this process's admission control (429/503 with Retry-After), by gate.", []string{"gate"}, nil)
	descSourceUp    = prometheus.NewDesc("fieldcheck_metrics_source_up", "1 when the store answered the reads of this scrape, by gauge.", []string{"source"}, nil)
)

func (s *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAuditLength, descBacklog, descStoreErrors, descRefusals, descSourceUp} {
		ch <- d
	}
}

func (s *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), StoreTimeout)
	defer cancel()
	gauge := func(name string, desc *prometheus.Desc, read func(context.Context) (int64, error)) {
		if read == nil {
			return
		}
		v, err := read(ctx)
		up := 1.0
		if err != nil {
			up = 0
		} else {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(v))
		}
		ch <- prometheus.MustNewConstMetric(descSourceUp, prometheus.GaugeValue, up, name)
	}
	gauge("audit_chain_length", descAuditLength, s.src.AuditLength)
	gauge("sweep_backlog", descBacklog, s.src.SweepBacklog)
	counters := func(desc *prometheus.Desc, read func() map[string]int64) {
		if read == nil {
			return
		}
		for k, v := range read() {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), k)
		}
	}
	counters(descStoreErrors, s.src.StoreFailures)
	counters(descRefusals, s.src.Refusals)
}
