package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestPurgeExpired(t *testing.T) {
	db := mongotest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	th := &mongo.ThrottleStore{DB: db}
	tok := &mongo.TokenStore{DB: db}
	if _, err := th.AddThrottle(ctx, "acct:old", 15*time.Minute, now.Add(-time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := th.AddThrottle(ctx, "acct:new", 15*time.Minute, now, 1); err != nil {
		t.Fatal(err)
	}
	for _, rt := range []*backend.RefreshToken{
		{ID: "old", Family: "f1", UserID: "u", CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		{ID: "live", Family: "f1", UserID: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := tok.CreateRefreshToken(ctx, rt); err != nil {
			t.Fatal(err)
		}
	}
	// Login locks, backoffs, issued and revoked inspection codes: one
	// ended and one in force of each.
	for _, l := range []*backend.LoginLock{{Username: "old", LockedAt: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour), Failures: 100},
		{Username: "new", LockedAt: now, Until: now.Add(time.Hour), Failures: 100}} {
		if err := th.PutLoginLock(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	noDelay := func(int) time.Duration { return 0 }
	if _, _, err := th.TakeBackoff(ctx, "pair:old", now.Add(-48*time.Hour), 24*time.Hour, noDelay); err != nil {
		t.Fatal(err)
	}
	if _, _, err := th.TakeBackoff(ctx, "pair:new", now, 24*time.Hour, noDelay); err != nil {
		t.Fatal(err)
	}
	codes := &mongo.CodeKeyStore{DB: db}
	for _, c := range []*backend.CodeIssue{{Serial: "0000000000000001", UserID: "u", TaskID: "t", IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-2*time.Hour + 10*time.Minute)},
		{Serial: "0000000000000002", UserID: "u", TaskID: "t", IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute)}} {
		if err := codes.RecordCodeIssue(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := codes.Revoke(ctx, c.Serial, "test", c.IssuedAt, c.ExpiresAt); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.PurgeExpired(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2+4 {
		t.Fatalf("purged %d, want 6", n)
	}
	if _, err := th.FindLoginLock(ctx, "new"); err != nil {
		t.Fatalf("lock in force purged: %v", err)
	}
	if _, err := th.FindLoginLock(ctx, "old"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("ended lock still there: %v", err)
	}
	if revoked, err := codes.IsRevoked(ctx, "0000000000000002"); err != nil || !revoked {
		t.Fatalf("revocation of a valid code purged: %v %v", revoked, err)
	}
	// The old code's revocation is kept an hour beyond its expiry: gone;
	// a backoff forgotten a day after its last failure: gone.
	if revoked, _ := codes.IsRevoked(ctx, "0000000000000001"); revoked {
		t.Fatal("revocation of a code expired long ago still there")
	}
	if _, err := tok.FindRefreshToken(ctx, "old"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("expired token still there: %v", err)
	}
	if _, err := tok.FindRefreshToken(ctx, "live"); err != nil {
		t.Fatalf("live token purged: %v", err)
	}
	if c, _ := th.AddThrottle(ctx, "acct:new", 15*time.Minute, now, 0); c != 1 {
		t.Fatalf("current window counter = %d, want 1", c)
	}
}
