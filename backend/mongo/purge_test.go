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
	n, err := db.PurgeExpired(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("purged %d, want 2", n)
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
