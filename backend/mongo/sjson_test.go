package mongo_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

// TestDirectTaskRead: on the embedded store a task read straight from
// SQLite (DB.FindJSON) is the task FerretDB answers through the wire, to
// the last field: pointers and nils, empty and missing lists, maps, dates,
// numbers of every width, nested documents.
func TestDirectTaskRead(t *testing.T) {
	db := mongotest.Open(t)
	if db.FindJSON == nil {
		t.Skip("no direct read on this store:", mongotest.String())
	}
	ctx := context.Background()
	s := &mongo.TaskStore{DB: db}
	at := time.Date(2026, 5, 12, 9, 30, 0, 123_000_000, time.UTC)
	dist := 12.5
	full := submittedTask(1)
	full.Trigger = &backend.Trigger{Kind: "complaint", Reason: "投诉：无证经营"}
	full.Consents = []backend.Consent{{DepartmentID: "yjgl", State: backend.ConsentAccepted, RequestedBy: "manager", RequestedAt: at, DecidedBy: "other", DecidedAt: &at}}
	full.Evidence[0].Position = &backend.GeoPoint{Lat: 26.0745, Lng: 119.2965}
	full.Evidence[0].Received = &backend.EvidenceReceipt{By: "officer01", DeviceID: "phone-officer01", At: at, ContentType: "image/jpeg", Width: 4032, Height: 3024, UploadID: "u-1"}
	full.CheckIns[0].DistanceM = &dist
	full.Reviews = []backend.ReviewNote{{Status: backend.TaskReturned, Comment: "照片模糊\n请补拍", Reviewer: "reviewer", At: at}}
	full.Start, full.End, full.Due = "2026-05-01", "2026-05-31", "2026-06-30"
	full.OpsFloor, full.OpCount = 3, 19
	bare := &backend.Task{ID: "task-bare", TargetID: makeUSCC(2), Items: []string{}, Status: backend.TaskAssigned}
	huge := submittedTask(3)
	huge.Order, huge.PRN = math.MaxInt32+7, "ffffffffffffffff" // an int over 32 bits is stored as a long
	tests := []struct {
		name string
		task *backend.Task
	}{{"OK/Submitted", full}, {"OK/Bare", bare}, {"OK/LongNumbers", huge}}
	var ts []*backend.Task
	for _, tt := range tests {
		ts = append(ts, tt.task)
	}
	if err := s.CreateTasks(ctx, ts); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mongo.ForgetCachedTask(db, tt.task.ID)
			got, err := s.FindTaskByID(ctx, tt.task.ID)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mongo.ReadTaskThroughFerretDB(ctx, db, tt.task.ID)
			if err != nil {
				t.Fatal(err)
			}
			got.Form = want.Form // filled by the store, not read
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.FindTaskByID(ctx, "no-such-task"); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("err=%v, want ENOTFOUND", err)
		}
	})
}

// TestDirectTargetAndAuditRead: a target, a user, a session and an audit entry read
// straight from SQLite are what FerretDB gives through the wire protocol:
// a target with every optional field and one with none, an entry with a
// change (nested values) and one without.
func TestDirectTargetAndAuditRead(t *testing.T) {
	db := mongotest.Open(t)
	if db.FindJSON == nil {
		t.Skip("no direct read on this store:", mongotest.String())
	}
	ctx := context.Background()
	ts := &mongo.TargetStore{DB: db}
	full := makeTarget(1)
	full.Whitelisted, full.KeySupervision, full.LegalRep, full.Tags = true, true, "张三", []string{"食品经营", "重点"}
	bare := &backend.Target{ID: makeUSCC(2), Kind: backend.KindEnterprise, Name: "某某", RegionCode: "350404", Tags: []string{}, Status: backend.StatusActive}
	if err := ts.CreateTargets(ctx, []*backend.Target{full, bare}); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []*backend.Target{full, bare} {
		got, err := ts.FindTargetByID(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadTargetThroughFerretDB(ctx, db, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
		}
	}
	if _, err := ts.FindTargetByID(ctx, makeUSCC(3)); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("missing target: err=%v, want ENOTFOUND", err)
	}

	// What every request's session check reads: the user and the session.
	us := &mongo.UserStore{DB: db}
	if err := us.CreateUser(ctx, &backend.User{ID: "reviewer1", DisplayName: "审核员", Role: backend.RoleReviewer, Departments: []string{"scjg", "yjgl"}, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA"}); err != nil {
		t.Fatal(err)
	}
	gotUser, err := us.FindUserByID(ctx, "reviewer1")
	if err != nil {
		t.Fatal(err)
	}
	if wantUser, err := mongo.ReadThroughFerretDB[backend.User](ctx, db, "users", "reviewer1"); err != nil || !reflect.DeepEqual(gotUser, wantUser) {
		t.Fatalf("user: direct read\n%+v\nwant (through FerretDB, %v)\n%+v", gotUser, err, wantUser)
	}
	tks := &mongo.TokenStore{DB: db}
	at := time.Date(2026, 5, 12, 9, 30, 0, 123_000_000, time.UTC)
	for i, revoke := range []bool{false, true} {
		f := &backend.TokenFamily{ID: fmt.Sprint("fam-", i), UserID: "reviewer1", Audience: "api", DeviceID: "phone-1", UserEpoch: 2, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		if err := tks.CreateTokenFamily(ctx, f); err != nil {
			t.Fatal(err)
		}
		if revoke {
			if err := tks.RevokeTokenFamily(ctx, f.ID, at.Add(time.Minute), "logout"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tks.FindTokenFamily(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadThroughFerretDB[backend.TokenFamily](ctx, db, "token_families", f.ID)
		if err != nil || !reflect.DeepEqual(got, want) || (got.RevokedAt != nil) != revoke {
			t.Fatalf("session (revoked %v): direct read\n%+v\nwant (through FerretDB, %v)\n%+v", revoke, got, err, want)
		}
	}

	as := &mongo.AuditStore{DB: db}
	log := &backend.AuditLog{Store: as}
	for _, r := range []backend.AuditRecord{
		{Action: "task.reassign", ObjectType: "task", ObjectID: "t1", Change: map[string]any{"team": []string{"a", "b"}, "n": 3, "at": time.Date(2026, 5, 1, 2, 3, 4, 0, time.UTC)}, Detail: "重新派组"},
		{Action: "target.create", ObjectType: "target", ObjectID: full.ID},
	} {
		e, err := log.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := as.FindAuditEntry(ctx, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mongo.ReadAuditEntryThroughFerretDB(ctx, db, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("direct read\n%+v\nwant (through FerretDB)\n%+v", got, want)
		}
	}
}

// TestSJSONToBSON: what the conversion does not know (a regex), or a
// value that is not its schema's type, is an error, so that the store
// reads through FerretDB instead.
func TestSJSONToBSON(t *testing.T) {
	tests := []struct{ name, in string }{
		{"ErrRegex", `{"$s":{"p":{"r":{"t":"regex","o":""}},"$k":["r"]},"r":"^a"}`},
		{"ErrWrongType", `{"$s":{"p":{"n":{"t":"int"}},"$k":["n"]},"n":"seven"}`},
		{"ErrIntOverflow", `{"$s":{"p":{"n":{"t":"int"}},"$k":["n"]},"n":4294967296}`},
		{"ErrNoSchema", `{"a":1}`},
		{"ErrArrayShorterSchema", `{"$s":{"p":{"a":{"t":"array","i":[]}},"$k":["a"]},"a":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := mongo.SJSONToBSON([]byte(tt.in)); err == nil {
				t.Fatalf("converted %s to %x, want an error", tt.in, b)
			}
		})
	}
}
