package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/clocktest"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// outboxKind is one kind of audited write: prepare stores what the write
// needs (the audit log up), write makes it with its record (the log
// down), again (when set) repeats the request (a retry, a resent form),
// which must chain nothing more; col and id name the document that
// carries the record.
type outboxKind struct {
	name    string
	col, id string
	key     string // the record's audit key
	prepare func(ctx context.Context, db *mongo.DB) error
	write   func(ctx context.Context, db *mongo.DB) error
	again   func(ctx context.Context, db *mongo.DB) error
}

func rec(action, typ, id string) backend.AuditRecord {
	return backend.AuditRecord{Action: action, ObjectType: typ, ObjectID: id, Detail: "test"}
}

func outboxKinds() []outboxKind {
	t0 := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	dept := func() *backend.Department {
		d := &backend.Department{ID: "scjg", Name: "市场监管"}
		d.Record(rec("department.create", "department", d.ID))
		return d
	}
	item := func() *backend.Item {
		it := &backend.Item{Code: "SC-01", Name: "食品"}
		it.Record(rec("item.create", "item", it.Code))
		return it
	}
	user := func() *backend.User {
		u := &backend.User{ID: "li", DisplayName: "李", Role: backend.RoleInspector, Departments: []string{}}
		u.Record(rec("user.create", "user", u.ID))
		return u
	}
	plan := func() *backend.Plan {
		p := &backend.Plan{ID: "2026-scjg-01", Name: "计划", Year: 2026, LeadDepartment: "scjg"}
		p.Record(rec("plan.create", "plan", p.ID))
		return p
	}
	checkIn := func() *backend.CheckIn {
		c := &backend.CheckIn{ID: "ci-0001", TargetID: "tg", Flags: []string{}}
		c.Record(rec("checkin.create", "target", "tg"))
		return c
	}
	return []outboxKind{
		{name: "department create", col: "departments", id: "scjg", key: "department/scjg/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.DepartmentStore{DB: db}).CreateDepartment(ctx, dept())
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.DepartmentStore{DB: db}).CreateDepartment(ctx, dept())
			}},
		{name: "department update", col: "departments", id: "scjg", key: "department/scjg/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.DepartmentStore{DB: db}).CreateDepartment(ctx, dept())
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				d := &backend.Department{ID: "scjg", Name: "市场监督管理局", Version: 1}
				d.Record(rec("department.update", "department", d.ID))
				return (&mongo.DepartmentStore{DB: db}).UpdateDepartment(ctx, d)
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				d := &backend.Department{ID: "scjg", Name: "市场监督管理局", Version: 1} // the same form, sent again
				d.Record(rec("department.update", "department", d.ID))
				return (&mongo.DepartmentStore{DB: db}).UpdateDepartment(ctx, d)
			}},
		{name: "expert create", col: "experts", id: "e1", key: "expert/e1/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				e := &backend.Expert{ID: "e1", Name: "王"}
				e.Record(rec("expert.create", "expert", e.ID))
				return (&mongo.InspectorStore{DB: db}).CreateExpert(ctx, e)
			}},
		{name: "item create", col: "items", id: "SC-01", key: "item/SC-01/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.ItemStore{DB: db}).CreateItem(ctx, item())
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.ItemStore{DB: db}).CreateItem(ctx, item())
			}},
		{name: "template create", col: "templates", id: backend.TemplateID("SC-01", 1), key: "template/" + backend.TemplateID("SC-01", 1) + "/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				t := &backend.ChecklistTemplate{ItemCode: "SC-01", Version: 1}
				t.Record(rec("template.create", "item", "SC-01"))
				return (&mongo.ItemStore{DB: db}).CreateTemplate(ctx, t)
			}},
		{name: "user create", col: "users", id: "li", key: "user/li/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.UserStore{DB: db}).CreateUser(ctx, user())
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.UserStore{DB: db}).CreateUser(ctx, user())
			}},
		{name: "user update (password reset, disable, sessions ended)", col: "users", id: "li", key: "user/li/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.UserStore{DB: db}).CreateUser(ctx, user())
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				s := &mongo.UserStore{DB: db}
				u, err := s.FindUserByID(ctx, "li")
				if err != nil {
					return err
				}
				u.SessionEpoch++
				u.Record(rec("user.reset_password", "user", u.ID))
				return s.UpdateUser(ctx, u)
			}},
		{name: "device revoke", col: "devices", id: "li/phone-0001", key: "device/li/phone-0001/1",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				_, err := (&mongo.DeviceStore{DB: db}).UpsertDevice(ctx, &backend.Device{ID: "li/phone-0001", UserID: "li", DeviceID: "phone-0001", FirstSeen: t0, LastSeen: t0})
				return err
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				d := &backend.Device{ID: "li/phone-0001", RevokedAt: &t0, RevokedBy: "root", Reason: "lost"}
				d.Record(rec("device.revoke", "device", d.ID))
				return (&mongo.DeviceStore{DB: db}).RevokeDevice(ctx, d)
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				d := &backend.Device{ID: "li/phone-0001", RevokedAt: &t0, RevokedBy: "root", Reason: "lost"}
				d.Record(rec("device.revoke", "device", d.ID))
				return (&mongo.DeviceStore{DB: db}).RevokeDevice(ctx, d)
			}},
		{name: "rating", col: "ratings", id: "t1", key: "rating/t1/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				r := &backend.Rating{ID: "t1", TaskID: "t1", Seq: 1, Flags: []string{}}
				r.Record(rec("visit.rate", "task", "t1"))
				return (&mongo.RatingStore{DB: db}).CreateRating(ctx, r)
			}},
		{name: "complaint", col: "complaints", id: "c-1", key: "complaint/c-1/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				c := &backend.Complaint{ID: "c-1", Status: "received"}
				c.Record(rec("complaint.create", "target", "tg"))
				return (&mongo.ComplaintStore{DB: db}).CreateComplaint(ctx, c)
			}},
		{name: "check-in without a task", col: "checkins", id: "ci-0001", key: "checkin/ci-0001/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.CheckInStore{DB: db}).CreateCheckIn(ctx, checkIn())
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.CheckInStore{DB: db}).CreateCheckIn(ctx, checkIn())
			}},
		{name: "emergency back-fill", col: "checkins", id: "ci-0001", key: "checkin/ci-0001/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.CheckInStore{DB: db}).CreateCheckIn(ctx, checkIn())
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				s := &mongo.CheckInStore{DB: db}
				c, err := s.FindCheckIn(ctx, "ci-0001")
				if err != nil {
					return err
				}
				c.TaskID = "t1"
				c.Record(rec("checkin.backfill", "checkin", c.ID))
				return s.UpdateCheckIn(ctx, c)
			}},
		{name: "inspection code issue", col: "issued_codes", id: "00000000000000a1", key: "code/00000000000000a1/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				c := &backend.CodeIssue{Serial: "00000000000000a1", UserID: "li", TaskID: "t1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
				c.Record(rec("code.issue", "task", "t1"))
				return (&mongo.CodeKeyStore{DB: db}).RecordCodeIssue(ctx, c)
			}},
		{name: "plan create", col: "plans", id: "2026-scjg-01", key: "plan/2026-scjg-01/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.PlanStore{DB: db}).CreatePlan(ctx, plan())
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.PlanStore{DB: db}).CreatePlan(ctx, plan())
			}},
		{name: "plan publish", col: "plans", id: "2026-scjg-01", key: "plan/2026-scjg-01/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.PlanStore{DB: db}).CreatePlan(ctx, plan())
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				s := &mongo.PlanStore{DB: db}
				p, err := s.FindPlanByID(ctx, "2026-scjg-01")
				if err != nil {
					return err
				}
				p.State, p.PublicVersion = backend.PlanPublished, 1
				p.Record(rec("plan.publish", "plan", p.ID))
				return s.UpdatePlan(ctx, p)
			}},
		{name: "round open", col: "rounds", id: "2026-round-01", key: "round/2026-round-01/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				r := &backend.Round{ID: "2026-round-01", Year: 2026, Name: "联合"}
				r.Record(rec("round.open", "round", r.ID))
				return (&mongo.RoundStore{DB: db}).CreateRound(ctx, r)
			}},
		{name: "key rotation", col: "audit_keys", id: "k1", key: "key/k1/1",
			write: func(ctx context.Context, db *mongo.DB) error {
				k := &backend.SigningKey{ID: "k1", Algorithm: "Ed25519", Seed: make([]byte, 32), CreatedAt: t0, ActivatedAt: t0}
				k.Record(rec("keys.rotate", "key-ring", "audit"))
				return (&mongo.AuditKeyStore{DB: db}).CreateSigningKey(ctx, k)
			}},
		{name: "key retirement", col: "audit_keys", id: "k1", key: "key/k1/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.AuditKeyStore{DB: db}).CreateSigningKey(ctx, &backend.SigningKey{ID: "k1", Algorithm: "Ed25519", Seed: make([]byte, 32), CreatedAt: t0, ActivatedAt: t0})
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.AuditKeyStore{DB: db}).RetireSigningKey(ctx, "k1", t0, rec("keys.retire", "key-ring", "audit"))
			},
			again: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.AuditKeyStore{DB: db}).RetireSigningKey(ctx, "k1", t0, rec("keys.retire", "key-ring", "audit"))
			}},
		{name: "import batch of target updates", col: "targets", id: "91110000000000001X", key: "target/91110000000000001X/2",
			prepare: func(ctx context.Context, db *mongo.DB) error {
				return (&mongo.TargetStore{DB: db}).CreateTargets(ctx, []*backend.Target{{ID: "91110000000000001X", Name: "甲", Tags: []string{}}})
			},
			write: func(ctx context.Context, db *mongo.DB) error {
				t := &backend.Target{ID: "91110000000000001X", Name: "甲乙", Tags: []string{}, Version: 1}
				t.Record(rec("import.targets", "target", t.ID))
				errs, err := (&mongo.TargetStore{DB: db}).UpdateTargets(ctx, []*backend.Target{t})
				if err != nil {
					return err
				}
				return errs[0]
			}},
	}
}

// TestOutboxKinds: for every kind of audited write other than tasks'
// (which TestTaskOutbox covers), with the audit log down the change is
// stored with its pending entry and its mark; when the log is back the
// sweep appends exactly one entry of its key, with the change's actor; a
// repeated request, and a second sweep, chain nothing more.
func TestOutboxKinds(t *testing.T) {
	for _, k := range outboxKinds() {
		t.Run(k.name, func(t *testing.T) {
			db := mongotest.Open(t)
			clk := clocktest.New(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
			db.Now = clk.Now
			log := &backend.AuditLog{Store: &mongo.AuditStore{DB: db}, Now: clk.Now}
			ctx := backend.WithActor(context.Background(), &backend.Actor{UserID: "root", Role: backend.RoleAdmin, ClientAddr: "10.1.1.1"})
			db.Audit = log
			if k.prepare != nil {
				if err := k.prepare(ctx, db); err != nil {
					t.Fatalf("prepare: %v", err)
				}
			}
			before := keysOf(t, log)

			down := &downAudit{}
			db.Audit = down
			if err := k.write(ctx, db); err != nil {
				t.Fatalf("write with the audit log down: %v, want the change stored", err)
			}
			if down.calls == 0 {
				t.Fatal("the write did not try to append its record")
			}
			var stored struct {
				AuditPending []backend.AuditEntry `bson:"auditPending"`
			}
			if err := db.Database.Collection(k.col).FindOne(ctx, bson.D{{Key: "_id", Value: k.id}}).Decode(&stored); err != nil {
				t.Fatalf("read %s %s: %v", k.col, k.id, err)
			}
			carried := false
			for _, e := range stored.AuditPending {
				carried = carried || e.Key == k.key
			}
			if !carried {
				t.Fatalf("stored document carries %+v, want the entry of %s", stored.AuditPending, k.key)
			}
			if n, err := db.Database.Collection("outbox").CountDocuments(ctx, bson.D{}); err != nil || n == 0 {
				t.Fatalf("%d outbox marks (%v), want the write's", n, err)
			}

			db.Audit = log
			clk.Advance(time.Minute)
			if n, err := db.SweepOutbox(context.Background(), 30*time.Second); err != nil || n == 0 {
				t.Fatalf("sweep: %d, %v; want the write settled", n, err)
			}
			if k.again != nil {
				_ = k.again(ctx, db) // refused or a no-op: either way no second entry
			}
			if n, err := db.SweepOutbox(context.Background(), 0); err != nil || n != 0 {
				t.Fatalf("second sweep: %d, %v; want nothing left", n, err)
			}
			got := keysOf(t, log)
			if got[k.key] != 1 || len(got) != len(before)+1 {
				t.Fatalf("audit keys %v (before the write %v), want %s once and nothing else new", got, before, k.key)
			}
			var e *backend.AuditEntry
			if err := log.Store.ScanAudit(context.Background(), func(x *backend.AuditEntry) error {
				if x.Key == k.key {
					e = x
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if e.Actor != "root" || e.ClientAddr != "10.1.1.1" || !e.Time.Equal(clk.Now().Add(-time.Minute)) {
				t.Fatalf("entry %+v, want root's from 10.1.1.1 at the time of the change", e)
			}
		})
	}
}
