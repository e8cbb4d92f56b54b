// Package app wires fieldcheck together: the store (MongoDB, or the
// embedded FerretDB when no URI is configured), the stores and services, and
// the HTTP server. cmd/fieldcheck parses flags into a Config and calls it;
// end-to-end tests build it directly.
package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/console"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/embedded"
	"github.com/fieldcheck/fieldcheck/backend/evidence"
	"github.com/fieldcheck/fieldcheck/backend/evidenceapi"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
	"github.com/fieldcheck/fieldcheck/backend/importer"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
	"github.com/fieldcheck/fieldcheck/backend/metrics"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/visit"
	"github.com/fieldcheck/fieldcheck/mobileapi"
	inspectorapp "github.com/fieldcheck/fieldcheck/mobileapi/app"
	"github.com/fieldcheck/fieldcheck/qr"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// Config is everything that can be configured.
type Config struct {
	// DataDir holds the embedded store (DataDir/db); unused with MongoURI.
	DataDir string
	// MongoURI selects an external MongoDB; empty starts the embedded store.
	MongoURI string
	// Database is the MongoDB database name.
	Database string
	// StoreProxy, when set, is given the store's URI once the store is
	// started or named, and returns the URI the driver connects to instead
	// and a function that stops what it started (called by Close). Only
	// measurement builds set it (cmd/fieldcheck/faults.go, build tag
	// fieldcheck_faults: a slow store for soaks); no flag does.
	StoreProxy func(uri string) (string, func(), error)
	// Addr is the HTTP listen address.
	Addr string
	// BaseURL is the public address of the server, the prefix of the URLs in
	// printed enterprise codes and inspection codes ("http://" + Addr when
	// empty). Codes keep verifying if it changes: it is not signed.
	BaseURL string
	// TLSCert and TLSKey, both or neither, are the PEM files of the
	// certificate (chain, leaf first) and key the server answers HTTPS
	// with; neither: plain HTTP (behind a reverse proxy that terminates
	// HTTPS, or on localhost). ReloadTLS reads them again.
	TLSCert, TLSKey string
	// AdminPassword is the first administrator's password on an empty store;
	// generated and printed once when empty.
	AdminPassword string
	// TrustedProxies lists reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// Evidence bounds evidence files (size per kind, quota per task); the
	// defaults for what it leaves unset.
	Evidence backend.EvidenceLimits
	// UploadExpiry is how long an upload may go without progress before it
	// is dropped (evidence.DefaultExpiry when zero).
	UploadExpiry time.Duration
	// PortalLimit is how often one client address may ask the public pages
	// (api.DefaultPortalLimit when zero).
	PortalLimit api.PortalLimit
	// RatingWindow is how long after the team's first check-in a visit may
	// be rated (backend.DefaultRatingWindow when zero).
	RatingWindow time.Duration
	// VisitCaps bounds each enterprise's on-site random visits a year
	// across departments, by credit class, in coordination rounds
	// (backend.DefaultVisitCaps when nil: one for class A).
	VisitCaps backend.VisitCaps
	// DeviceApproval makes an inspector's first login from a phone wait
	// for an administrator's approval (系统 or 工作台 of the console): the
	// phone is recorded pending and told so (403 device_pending) until an
	// administrator approves or rejects it. Off, a phone is admitted at its
	// first login. Every instance must be started with the same value.
	DeviceApproval bool
	// MetricsToken, when set, is the bearer token a Prometheus server
	// scrapes GET /metrics with; administrators need none.
	MetricsToken string
	// ShutdownGrace bounds how long Serve, once told to stop, waits for
	// the requests in flight (DefaultShutdownGrace when zero).
	ShutdownGrace time.Duration
	// Migrate upgrades a store of an older layout when it opens (serve,
	// migrate); without it Open refuses such a store.
	Migrate bool
	// Warm builds the embedded store's in-memory indexes before Open
	// returns (serve: its first requests do not wait); otherwise each is
	// built when first used, and a command that needs none pays nothing.
	Warm   bool
	Logger *slog.Logger
	Now    func() time.Time
}

// Main is a running fieldcheck: store, services and HTTP server.
type Main struct {
	Config Config

	DB        *mongo.DB
	Stores    Stores
	Audit     *backend.AuditLog
	Intents   *backend.Intents // operations of several writes under way (backend/intent.go)
	Directory *backend.Directory
	Users     *backend.Users
	Devices   *backend.Devices
	Planning  *planning.Service
	Visit     *visit.Service
	Sync      *fcsync.Service
	Evidence  *evidence.Service
	Codes     *qr.Keyring
	Auth      *auth.Service
	Mobile    *auth.Service
	TokenKeys *auth.Keyring
	// AuditKeys signs the audit log's published heads and checkpoints.
	AuditKeys  *keyring.Ring
	AuditHeads *backend.AuditHeads
	HTTP       *api.Server
	// Metrics are this process's Prometheus collectors (GET /metrics).
	Metrics *metrics.Metrics
	// Hashes and Pushes admit this process's password hashes and sync
	// pushes (backend.Gate): per instance, as they protect its cores.
	Hashes *backend.Gate
	Pushes *backend.Gate
	// Migration is what Open found of the store's layout, and did.
	Migration *mongo.Migration

	embedded *embedded.Server
	// stopProxy stops Config.StoreProxy's proxy.
	stopProxy func()
}

// Stores are the MongoDB implementations of the store interfaces.
type Stores struct {
	Departments *mongo.DepartmentStore
	Users       *mongo.UserStore
	Targets     *mongo.TargetStore
	Inspectors  *mongo.InspectorStore
	Items       *mongo.ItemStore
	Audit       *mongo.AuditStore
	Tokens      *mongo.TokenStore
	Throttle    *mongo.ThrottleStore
	Plans       *mongo.PlanStore
	Rounds      *mongo.RoundStore
	Checks      *mongo.CheckBookStore
	Draws       *mongo.DrawStore
	Tasks       *mongo.TaskStore
	CheckIns    *mongo.CheckInStore
	Devices     *mongo.DeviceStore
	Feed        *mongo.FeedStore
	Results     *mongo.PublishedResultStore
	Register    *mongo.ResultStore
	Uploads     *mongo.UploadStore
	// CodeKeys keeps the code-signing keys, the inspection codes issued and
	// the list of those revoked.
	CodeKeys *mongo.CodeKeyStore
	// Blobs keeps evidence bytes: GridFS on MongoDB, a directory beside
	// the embedded store (backend/blob.go says why).
	Blobs backend.EvidenceStore
}

// Open starts or connects to the store, creates indexes and builds the
// services. It does not listen yet.
func Open(ctx context.Context, cfg Config) (*Main, error) {
	if cfg.Database == "" {
		cfg.Database = "fieldcheck"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if _, err := httpkit.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	if err := cfg.VisitCaps.Validate(); err != nil {
		return nil, err
	}
	m := &Main{Config: cfg}
	uri := cfg.MongoURI
	if uri == "" {
		if cfg.DataDir == "" {
			return nil, errors.New("no MongoDB URI and no data directory: give --data DIR or --mongo-uri URI")
		}
		srv, err := embedded.Start(filepath.Join(cfg.DataDir, "db"), nil)
		if err != nil {
			return nil, err
		}
		m.embedded = srv
		uri = srv.URI()
	}
	if cfg.StoreProxy != nil {
		proxied, stop, err := cfg.StoreProxy(uri)
		if err != nil {
			m.Close()
			return nil, err
		}
		uri, m.stopProxy = proxied, stop
	}
	db, err := mongo.Open(ctx, uri, cfg.Database)
	if err != nil {
		m.Close()
		return nil, err
	}
	db.Now = cfg.Now
	m.DB = db
	// FerretDB is safe with one writing process: refuse to be the second
	// (an embedded store's owner takes it: its data directory lock says
	// the last holder is gone). Nothing on MongoDB.
	if err := db.HoldWriterLease(ctx, m.embedded != nil); err != nil {
		m.Close()
		return nil, err
	}
	if err := db.EnsureIndexes(ctx); err != nil {
		m.Close()
		return nil, err
	}
	if m.embedded != nil {
		if _, err := m.embedded.AddIDIndexes(ctx); err != nil {
			m.Close()
			return nil, err
		}
	}
	if err := m.migrate(ctx); err != nil {
		m.Close()
		return nil, err
	}
	if m.embedded != nil {
		// The data directory is locked to this process: it is the only writer.
		db.SingleProcess = true
		db.ScanJSON = scanJSON(m.embedded, cfg.Database)
		db.FindJSON = findJSON(m.embedded, cfg.Database)
	}
	if m.embedded != nil && cfg.Warm {
		if err := db.WarmTargetIndex(ctx); err != nil {
			m.Close()
			return nil, err
		}
		if err := db.WarmTaskIndex(ctx); err != nil {
			m.Close()
			return nil, err
		}
	}
	if err := m.build(ctx); err != nil {
		m.Close()
		return nil, err
	}
	if m.embedded != nil {
		// This process is the store's one writer: every intent stored is
		// of an operation that stopped with the process before it. Complete
		// them before anyone is served (a failure is retried by Serve).
		if n, err := m.Intents.RollForward(ctx, 0); err != nil {
			m.Config.Logger.Warn("roll forward operations that stopped", "err", err)
		} else if n > 0 {
			m.Config.Logger.Info("completed operations that stopped with the last process", "count", n)
		}
	}
	// Results stored without a deadline, because the calendar of the
	// binary that approved them lacked a year, get it once this one's
	// calendar covers it (docs/results.md); a stored deadline never changes.
	if n, err := m.Planning.RecomputeDeadlines(backend.WithActor(ctx, backend.SystemActor("calendar"))); err != nil {
		m.Config.Logger.Warn("compute the publication deadlines the calendar could not", "err", err)
	} else if n > 0 {
		m.Config.Logger.Info("computed publication deadlines now that the calendar covers them", "count", n)
	}
	if mg := m.Migration; mg.From != mg.To {
		rec := backend.AuditRecord{Action: "store.migrate", ObjectType: "store", ObjectID: "layout", Change: mg, Detail: mg.String()}
		if _, err := m.Audit.Append(backend.WithActor(ctx, backend.SystemActor("migrate")), rec); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// scanJSON is the embedded store's fast read of a few fields of every
// document, for the database name.
func scanJSON(srv *embedded.Server, name string) func(context.Context, string, []string, func([]byte) error) error {
	return func(ctx context.Context, coll string, fields []string, fn func([]byte) error) error {
		return srv.ScanJSON(ctx, name, coll, fields, fn)
	}
}

// findJSON is the embedded store's direct read of one document, for the
// database name.
func findJSON(srv *embedded.Server, name string) func(context.Context, string, string) ([]byte, error) {
	return func(ctx context.Context, coll, id string) ([]byte, error) {
		return srv.FindJSON(ctx, name, coll, id)
	}
}

// MigrateProgress is how many tasks a migration upgrades between two
// lines of its log.
const MigrateProgress = 1000

// migrate checks the store's layout and upgrades it when Config.Migrate
// says so.
func (m *Main) migrate(ctx context.Context) error {
	v, err := m.DB.Layout(ctx)
	if err != nil {
		return err
	}
	if v >= backend.TaskSchema {
		m.Migration = &mongo.Migration{From: v, To: v}
		return nil
	}
	if !m.Config.Migrate {
		return fmt.Errorf("the store is of layout %d, this fieldcheck reads layout %d: run `fieldcheck migrate` with the same store flags first (`fieldcheck serve` migrates when it starts)", v, backend.TaskSchema)
	}
	m.Config.Logger.Info("migrating the store", "from", v, "to", backend.TaskSchema)
	start := time.Now()
	mg, err := m.DB.Migrate(ctx, func(n int) error {
		if n%MigrateProgress == 0 {
			m.Config.Logger.Info("migrating the store", "tasks", n, "seconds", int(time.Since(start).Seconds()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate the store (run it again: it resumes): %w", err)
	}
	m.Migration = mg
	m.Config.Logger.Info(mg.String(), "seconds", time.Since(start).Seconds())
	return nil
}

func (m *Main) build(ctx context.Context) error {
	db := m.DB
	m.Stores = Stores{
		Departments: &mongo.DepartmentStore{DB: db},
		Users:       &mongo.UserStore{DB: db},
		Targets:     &mongo.TargetStore{DB: db},
		Inspectors:  &mongo.InspectorStore{DB: db},
		Items:       &mongo.ItemStore{DB: db},
		Audit:       &mongo.AuditStore{DB: db},
		Tokens:      &mongo.TokenStore{DB: db},
		Throttle:    &mongo.ThrottleStore{DB: db},
		Plans:       &mongo.PlanStore{DB: db},
		Rounds:      &mongo.RoundStore{DB: db},
		Checks:      &mongo.CheckBookStore{DB: db},
		Draws:       &mongo.DrawStore{DB: db},
		Tasks:       &mongo.TaskStore{DB: db},
		CheckIns:    &mongo.CheckInStore{DB: db},
		Devices:     &mongo.DeviceStore{DB: db},
		Feed:        &mongo.FeedStore{DB: db},
		Results:     &mongo.PublishedResultStore{DB: db},
		Register:    &mongo.ResultStore{DB: db},
		Uploads:     &mongo.UploadStore{DB: db},
		CodeKeys:    &mongo.CodeKeyStore{DB: db},
		Blobs:       &mongo.GridFSStore{DB: db},
	}
	if m.embedded != nil {
		m.Stores.Blobs = &blobfs.Store{Dir: filepath.Join(m.Config.DataDir, "evidence")}
	}
	m.Audit = &backend.AuditLog{Store: m.Stores.Audit, Now: m.Config.Now}
	db.Audit = m.Audit // the stores' outbox appends through the one log (group commit)
	m.Intents = &backend.Intents{Store: &mongo.IntentStore{DB: db}, Audit: m.Audit, Now: m.Config.Now}
	m.Directory = &backend.Directory{
		Departments: m.Stores.Departments,
		Targets:     m.Stores.Targets,
		Inspectors:  m.Stores.Inspectors,
		Items:       m.Stores.Items,
		Users:       m.Stores.Users,
		Audit:       m.Audit,
		Now:         m.Config.Now,
	}
	// Admission control of this process's CPU: one gate for every password
	// hash (both logins and the users' administration), one for pushes.
	m.Hashes, m.Pushes = backend.NewPasswordGate(), fcsync.NewPushGate()
	m.Users = &backend.Users{Store: m.Stores.Users, Departments: m.Stores.Departments, Codes: m.Stores.CodeKeys, Audit: m.Audit, Intents: m.Intents, Now: m.Config.Now, Hashes: m.Hashes}
	m.Devices = &backend.Devices{Store: m.Stores.Devices, Users: m.Stores.Users, Tokens: m.Stores.Tokens, Codes: m.Stores.CodeKeys, Audit: m.Audit, Intents: m.Intents, Now: m.Config.Now}
	m.Users.RegisterIntents()
	m.Devices.RegisterIntents()
	m.Planning = &planning.Service{
		Plans: m.Stores.Plans, Draws: m.Stores.Draws, Tasks: m.Stores.Tasks,
		Targets: m.Stores.Targets, Inspectors: m.Stores.Inspectors, Items: m.Stores.Items, Departments: m.Stores.Departments,
		CheckIns: m.Stores.CheckIns, Results: m.Stores.Results, Register: m.Stores.Register, Counts: m.Stores.Tasks, Rounds: m.Stores.Rounds, Checks: m.Stores.Checks, VisitCaps: m.Config.VisitCaps,
		Blobs: m.Stores.Blobs, Records: planning.NewRecordGate(), Audit: m.Audit, Intents: m.Intents, Now: m.Config.Now,
	}
	m.Planning.Credit, m.Planning.Throttle = &mongo.CreditStore{DB: db}, m.Stores.Throttle
	m.Planning.Devices = m.Devices
	m.Planning.RegisterIntents()
	importer.RegisterIntents(m.Intents, m.Stores.Targets)
	if err := newAuth(ctx, m); err != nil {
		return err
	}
	m.Mobile.Devices = m.Stores.Devices
	m.Mobile.ApproveDevices = m.Config.DeviceApproval
	var cert *api.Certificate
	if m.Config.TLSCert != "" || m.Config.TLSKey != "" {
		if m.Config.TLSCert == "" || m.Config.TLSKey == "" {
			return fmt.Errorf("HTTPS needs both a certificate and its key (--tls-cert and --tls-key)")
		}
		c, err := api.LoadCertificate(m.Config.TLSCert, m.Config.TLSKey)
		if err != nil {
			return fmt.Errorf("%s", backend.ErrorMessage(err))
		}
		cert = c
	}
	base := strings.TrimRight(m.Config.BaseURL, "/")
	if base == "" {
		base = m.Scheme() + "://" + m.Config.Addr
		if m.Config.Addr == "" {
			base = m.Scheme() + "://localhost"
		}
	}
	if err := qr.CheckBase(base); err != nil {
		return fmt.Errorf("base URL of printed codes: %s", backend.ErrorMessage(err))
	}
	m.Codes = qr.NewKeyring(m.Stores.CodeKeys, base)
	m.Codes.Now = m.Config.Now
	m.Codes.Revocations = m.Stores.CodeKeys
	if err := m.Codes.Load(ctx); err != nil {
		return err
	}
	m.Planning.LicenceCodes = enterpriseCodes{m.Codes}
	m.Planning.PublicURL = func(ctx context.Context, targetID string) (string, error) {
		// The enterprise's public page is opened by its signed licence
		// code; a target without a USCC has no such page.
		if backend.ValidateUSCC(targetID) != nil {
			return "", nil
		}
		c, err := m.Codes.SignEnterpriseCode(ctx, targetID)
		if err != nil {
			return "", err
		}
		return c.String(), nil
	}
	if err := newAuditHeads(ctx, m, base); err != nil {
		return err
	}
	m.Visit = &visit.Service{
		CheckIns: m.Stores.CheckIns, Tasks: m.Stores.Tasks, Targets: m.Stores.Targets, Inspectors: m.Stores.Inspectors, Results: m.Stores.Results,
		Codes: enterpriseCodes{m.Codes}, Inspection: inspectionCodes{m.Codes}, Items: m.Stores.Items, Departments: m.Stores.Departments,
		RatingStore: &mongo.RatingStore{DB: db}, Complaints: &mongo.ComplaintStore{DB: db}, Throttle: m.Stores.Throttle,
		Traces: &mongo.TeamTraceStore{DB: db}, Counts: &mongo.VisitCountStore{DB: db}, RatingWindow: m.Config.RatingWindow, Audit: m.Audit, Now: m.Config.Now, Issued: m.Stores.CodeKeys, Sessions: m.Mobile,
	}
	m.Sync = &fcsync.Service{
		Tasks: m.Stores.Tasks, Feed: m.Stores.Feed, Targets: m.Stores.Targets, Inspectors: m.Stores.Inspectors,
		Results: m.Stores.Results, Items: m.Stores.Items, Planning: m.Planning, Visit: m.Visit, Keys: m.Codes.PublicKeySet, Audit: m.Audit, Now: m.Config.Now,
	}
	m.Sync.Evidence = m.Config.Evidence
	m.Sync.Pushes = m.Pushes
	m.Evidence = &evidence.Service{
		Uploads: m.Stores.Uploads, Store: m.Stores.Blobs, Derivatives: &mongo.DerivativeStore{DB: db}, Tasks: m.Stores.Tasks,
		Audit: m.Audit, Limits: m.Config.Evidence, Expiry: m.Config.UploadExpiry, Now: m.Config.Now,
		Exclusive: m.embedded != nil,
	}
	m.Metrics = metrics.New(metrics.Sources{
		AuditLength: func(ctx context.Context) (int64, error) {
			h, err := m.Stores.Audit.FindAuditHead(ctx)
			if err != nil {
				return 0, err
			}
			return h.Seq, nil
		},
		SweepBacklog:  db.SweepBacklog,
		StoreFailures: db.CommandFailures,
		Refusals: func() map[string]int64 {
			return map[string]int64{"password_checks": m.Hashes.Refused(), "sync_pushes": m.Pushes.Refused()}
		},
	}, metrics.Routes{Sync: mobileapi.SyncPath, Uploads: mobileapi.UploadsPath, UploadPatches: mobileapi.UploadsPath + "/:id"})
	m.Sync.Observe = m.Metrics.ObserveMutation
	m.Evidence.Finished = m.Metrics.ObserveUpload
	m.Evidence.Prepared = func(sha string, err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			m.Config.Logger.Warn("make the thumbnail of an arrived image (made on its first view instead)", "sha256", sha, "err", err)
		}
	}
	mobile := &mobileapi.Routes{Auth: m.Mobile, Planning: m.Planning, Visit: m.Visit, Sync: m.Sync, Evidence: m.Evidence, App: inspectorapp.FS()}
	m.HTTP = &api.Server{
		Directory: m.Directory,
		Users:     m.Users,
		Planning:  m.Planning,
		Codes:     m.Codes,
		Visit:     m.Visit,
		Extra: []func(*httpkit.Router){mobile.Register, api.DeviceRoutes(m.Devices),
			evidenceapi.Routes(m.Evidence, "/api/v1/tasks", nil), api.AuditHeadRoutes(m.AuditHeads, m.AuditKeys),
			api.KeyRoutes(&keyring.Admin{Rings: map[string]*keyring.Ring{"tokens": m.TokenKeys, "codes": m.Codes.Ring, "audit": m.AuditKeys}, Audit: m.Audit}), api.ConsoleRoutes(console.FS())},
		Auth:  m.Auth,
		Audit: m.Audit,
		Importer: &importer.Importer{Targets: m.Stores.Targets, Inspectors: m.Stores.Inspectors, Items: m.Stores.Items,
			Departments: m.Stores.Departments, Audit: m.Audit, Intents: m.Intents},
		Store:        db,
		Throttle:     m.Stores.Throttle,
		PortalLimit:  m.Config.PortalLimit,
		TLS:          cert,
		Metrics:      m.Metrics,
		MetricsToken: m.Config.MetricsToken,
		Doctor: func(ctx context.Context) []api.DoctorCheck {
			var out []api.DoctorCheck
			for _, c := range m.Doctor(ctx) {
				out = append(out, api.DoctorCheck{Name: c.Name, Status: c.Status, Detail: c.Detail})
			}
			return out
		},
		Router: httpkit.Router{Logger: m.Config.Logger, TrustedProxies: m.Config.TrustedProxies,
			Observe: func(c *fiber.Ctx, route string, status int, took time.Duration) {
				m.Metrics.ObserveRequest(c.Method(), route, status, took, c.Request().Header.ContentLength())
			}},
	}
	return nil
}

// DemoStores are the stores the demo county is seeded into.
func (m *Main) DemoStores() demo.Stores {
	return demo.Stores{
		Departments: m.Stores.Departments, Users: m.Stores.Users, Targets: m.Stores.Targets,
		Inspectors: m.Stores.Inspectors, Items: m.Stores.Items, Audit: m.Audit,
	}
}

// DemoScale is the demo's field work at scale on m's services; progress
// hears how far it is.
func (m *Main) DemoScale(progress io.Writer) *demo.Scale {
	return &demo.Scale{
		Users: m.Users, Directory: m.Directory, Planning: m.Planning, Sync: m.Sync, Tasks: m.Stores.Tasks, Targets: m.Stores.Targets,
		Code: func(ctx context.Context, uscc string) (string, error) {
			c, err := m.Codes.SignEnterpriseCode(ctx, uscc)
			if err != nil {
				return "", err
			}
			return c.String(), nil
		},
		Upload: func(ctx context.Context, taskID, slotID string, data []byte) error {
			u, err := m.Evidence.Create(ctx, evidence.CreateRequest{TaskID: taskID, SlotID: slotID, Length: int64(len(data))})
			if err != nil {
				return err
			}
			_, err = m.Evidence.Write(ctx, evidence.WriteRequest{ID: u.ID, Length: int64(len(data)), Body: bytes.NewReader(data)})
			return err
		},
		Now: m.Config.Now, Progress: progress,
	}
}

// DemoPendingDeviceID is the phone DemoPendingDevice records.
const DemoPendingDeviceID = "demo-new-phone"

// DemoPendingDevice records a first login of user's new phone that waits
// for an administrator's approval, as it does on a deployment started
// with --device-approval, so that the demo's 系统 → 设备审批 and 工作台
// have a phone to decide on. A device recorded pending stays so whatever
// the deployment's setting: its logins are refused until an
// administrator decides. It goes through the phones' login (the same
// record and audit entry), with approval turned on for that one login:
// call it before Serve.
func (m *Main) DemoPendingDevice(ctx context.Context, user string) (*backend.Device, error) {
	approve := m.Mobile.ApproveDevices
	m.Mobile.ApproveDevices = true
	defer func() { m.Mobile.ApproveDevices = approve }()
	d := backend.DeviceInfo{ID: DemoPendingDeviceID, Name: "新领用的执法终端", Platform: backend.PlatformAndroid}
	if _, err := m.Mobile.LoginDevice(auth.WithClientAddr(ctx, "local"), user, demo.DemoPassword(user), d); !backend.IsCode(err, backend.EDEVICEPENDING) {
		return nil, fmt.Errorf("demo pending device: the login of %s from %s answered %v, not pending", user, d.ID, err)
	}
	return m.Stores.Devices.FindDeviceByID(ctx, backend.DeviceKey(user, d.ID))
}

// Bootstrap creates the first administrator on an empty store and prints
// the password once when it was generated.
func (m *Main) Bootstrap(ctx context.Context) error {
	created, pw, err := m.Users.Bootstrap(ctx, m.Config.AdminPassword)
	if err != nil {
		return fmt.Errorf("create the first administrator: %w", err)
	}
	if created && m.Config.AdminPassword == "" {
		fmt.Fprintf(os.Stderr, "\nFirst start: created administrator %q with password\n\n    %s\n\nIt is shown only this once. Change it with `fieldcheck user reset-password admin`.\n\n", "admin", pw)
	}
	return nil
}

// DefaultShutdownGrace is how long a server told to stop (SIGTERM,
// SIGINT) waits for the requests in flight before it closes their
// connections.
const DefaultShutdownGrace = 10 * time.Second

// PurgeInterval is how often the server deletes expired throttle counters
// and sessions.
const PurgeInterval = time.Hour

// SweepInterval is how often the server looks for task writes whose
// change-feed entries were not written (the process stopped in between);
// on the embedded store each look reads the task collection.
const SweepInterval = time.Minute

// UploadSweepInterval is how often the server drops uploads that expired
// (and their staged bytes).
const UploadSweepInterval = 10 * time.Minute

// Scheme is how the server is reached at Config.Addr: https with a
// certificate, else http.
func (m *Main) Scheme() string {
	if m.Config.TLSCert != "" {
		return "https"
	}
	return "http"
}

// ReloadTLS reads the certificate and key files again (on SIGHUP: a
// renewed certificate is served from the next handshake on). A bad pair
// keeps the certificate served so far; the error says why, and both
// outcomes are logged.
func (m *Main) ReloadTLS() error {
	cert := m.HTTP.TLS
	if cert == nil {
		return nil
	}
	if err := cert.Reload(); err != nil {
		m.Config.Logger.Error("TLS certificate not reloaded; keeping the one served", "err", backend.ErrorMessage(err), "serving", cert.Describe())
		return err
	}
	m.Config.Logger.Info("TLS certificate reloaded", "serving", cert.Describe())
	return nil
}

// Serve listens on Config.Addr until ctx is cancelled, then shuts down
// gracefully. Meanwhile it purges expired records every PurgeInterval; with
// several instances each does, which is harmless. On FerretDB it stops with
// an error when another process took the store's writer lease.
func (m *Main) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if lost := m.DB.LeaseLost(); lost != nil {
		go func() {
			select {
			case <-lost:
				cancel(errors.New("another process took this FerretDB database's writer lease: stopped, so that it is not written by two processes"))
			case <-ctx.Done():
			}
		}()
	}
	go m.every(ctx, PurgeInterval, false, "purge expired records", "purged expired records", func(ctx context.Context) (int64, error) {
		return m.DB.PurgeExpired(ctx, m.Config.Now())
	})
	go m.every(ctx, UploadSweepInterval, true, "drop expired uploads", "dropped expired uploads", func(ctx context.Context) (int64, error) {
		n, err := m.Evidence.Sweep(ctx)
		return int64(n), err
	})
	// The feed sweep writes the change-feed entries and audit records that
	// a stopped write left behind (backend/outbox.go). On MongoDB it
	// leaves marks younger than the feed's lease to their writers, which
	// may be other instances. On the embedded store, whose one writer is
	// this process, every mark found at start is of a write that stopped
	// with the last process: they are all settled before the server
	// answers, so that a restart (or a start then a stop) always completes
	// what a crash cut short.
	const sweepWhat, sweepDone = "sweep the change feeds", "wrote change-feed entries and audit records that a stopped write left behind"
	sweep := func(grace time.Duration) func(context.Context) (int64, error) {
		return func(ctx context.Context) (int64, error) {
			n, err := m.Stores.Tasks.SweepFeed(ctx, grace)
			if err == nil {
				var more int
				more, err = m.DB.SweepOutbox(ctx, grace)
				n += more
			}
			return int64(n), err
		}
	}
	if m.embedded != nil {
		if n, err := sweep(0)(ctx); err != nil {
			m.Config.Logger.Warn(sweepWhat, "err", err)
		} else if n > 0 {
			m.Config.Logger.Info(sweepDone, "count", n)
		}
	}
	go m.every(ctx, SweepInterval, m.embedded == nil, sweepWhat, sweepDone, sweep(backend.FeedLease))
	go m.every(ctx, SweepInterval, true, "roll forward operations that stopped", "completed operations that stopped", func(ctx context.Context) (int64, error) {
		n, err := m.Intents.RollForward(ctx, backend.IntentGrace)
		return int64(n), err
	})
	go m.every(ctx, CheckpointInterval, true, "make the day's audit checkpoint", "made the day's audit checkpoint", func(ctx context.Context) (int64, error) {
		_, made, err := m.AuditHeads.Checkpoint(ctx)
		if made {
			return 1, err
		}
		return 0, err
	})
	// Once told to stop, uploads under way record their progress and
	// end at once (evidence.Service.Stop); other requests in flight have
	// the grace to finish.
	go func() {
		<-ctx.Done()
		m.Evidence.Stop()
	}()
	grace := cmp.Or(m.Config.ShutdownGrace, DefaultShutdownGrace)
	if err := m.HTTP.Listen(ctx, m.Config.Addr, grace); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		m.Config.Logger.Warn("requests still in flight after the shutdown grace: their connections are closed", "grace", grace.String())
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// every runs job every interval until ctx ends (at once first when now),
// logging failures and, when it did something, how much.
func (m *Main) every(ctx context.Context, interval time.Duration, now bool, what, done string, job func(context.Context) (int64, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if now {
			if n, err := job(ctx); err != nil && ctx.Err() == nil {
				m.Config.Logger.Warn(what, "err", err)
			} else if n > 0 {
				m.Config.Logger.Info(done, "count", n)
			}
		}
		now = true
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the store and stops the embedded server.
func (m *Main) Close() error {
	if m.Evidence != nil {
		// Thumbnails still being made after uploads end before the store
		// closes (a second Stop after Run's is harmless).
		m.Evidence.Stop()
	}
	if m.DB != nil {
		_ = m.DB.Close()
	}
	if m.stopProxy != nil {
		m.stopProxy()
	}
	if m.embedded != nil {
		_ = m.embedded.Close()
	}
	return nil
}
