package mongo_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestDeviceStore runs the device store and the revocation of a device's
// sessions on the FerretDB path and the MongoDB path.
func TestDeviceStore(t *testing.T) {
	onBothPaths(t, func(t *testing.T, db *mongo.DB) {
		ctx := context.Background()
		s := &mongo.DeviceStore{DB: db}
		t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		phone := func(user, id, name string, at time.Time) *backend.Device {
			return &backend.Device{ID: backend.DeviceKey(user, id), UserID: user, DeviceID: id, Name: name,
				Platform: backend.PlatformAndroid, FirstSeen: at, LastSeen: at}
		}

		got, err := s.UpsertDevice(ctx, phone("li", "phone-0001", "Mate 60", t0))
		if err != nil {
			t.Fatalf("first UpsertDevice: %v", err)
		}
		if !got.FirstSeen.Equal(t0) || !got.LastSeen.Equal(t0) || got.Name != "Mate 60" {
			t.Fatalf("first upsert stored %+v, want first=last=%v", got, t0)
		}
		t1 := t0.Add(time.Hour)
		got, err = s.UpsertDevice(ctx, phone("li", "phone-0001", "Mate 60 Pro", t1))
		if err != nil {
			t.Fatalf("second UpsertDevice: %v", err)
		}
		if !got.FirstSeen.Equal(t0) || !got.LastSeen.Equal(t1) || got.Name != "Mate 60 Pro" {
			t.Fatalf("second upsert stored first=%v last=%v name=%q, want %v %v Mate 60 Pro", got.FirstSeen, got.LastSeen, got.Name, t0, t1)
		}
		if _, err := s.UpsertDevice(ctx, phone("li", "phone-0002", "", t1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertDevice(ctx, phone("wang", "phone-0001", "", t1)); err != nil {
			t.Fatal(err)
		}
		list, err := s.FindDevicesOfUser(ctx, "li")
		if err != nil {
			t.Fatalf("FindDevicesOfUser: %v", err)
		}
		if len(list) != 2 {
			t.Fatalf("li has %d devices, want 2", len(list))
		}
		if list, err := s.FindDevicesOfUser(ctx, "nobody"); err != nil || len(list) != 0 {
			t.Fatalf("FindDevicesOfUser(nobody)=%v, %v; want none", list, err)
		}

		revoke := func(id, reason string) error {
			return s.RevokeDevice(ctx, &backend.Device{ID: id, RevokedAt: &t1, RevokedBy: "admin", Reason: reason})
		}
		if err := revoke("li/phone-0001", "lost"); err != nil {
			t.Fatalf("RevokeDevice: %v", err)
		}
		if err := revoke("li/phone-0001", "again"); !backend.IsCode(err, backend.ECONFLICT) {
			t.Fatalf("second RevokeDevice: %v, want conflict", err)
		}
		if err := revoke("li/phone-9999", "x"); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("RevokeDevice(unknown): %v, want not found", err)
		}
		// A later login keeps the revocation.
		got, err = s.UpsertDevice(ctx, phone("li", "phone-0001", "thief", t1.Add(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(t1) || got.RevokedBy != "admin" || got.Reason != "lost" || !got.FirstSeen.Equal(t0) {
			t.Fatalf("after revocation and upsert: %+v, want revoked at %v by admin for lost, first seen %v", got, t1, t0)
		}
		if _, err := s.FindDeviceByID(ctx, "li/phone-9999"); !backend.IsCode(err, backend.ENOTFOUND) {
			t.Fatalf("FindDeviceByID(unknown): %v, want not found", err)
		}

		// Only the open sessions of that user on that device are revoked.
		tok := &mongo.TokenStore{DB: db}
		for _, f := range []*backend.TokenFamily{
			{ID: "f1", UserID: "li", DeviceID: "phone-0001"},
			{ID: "f2", UserID: "li", DeviceID: "phone-0001"},
			{ID: "f3", UserID: "li", DeviceID: "phone-0002"},
			{ID: "f4", UserID: "wang", DeviceID: "phone-0001"},
			{ID: "f5", UserID: "li"},
		} {
			if err := tok.CreateTokenFamily(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := tok.RevokeTokenFamily(ctx, "f2", t0, "logout"); err != nil {
			t.Fatal(err)
		}
		n, err := tok.RevokeDeviceTokenFamilies(ctx, "li", "phone-0001", t1, "device revoked")
		if err != nil || n != 1 {
			t.Fatalf("RevokeDeviceTokenFamilies=%d, %v; want 1", n, err)
		}
		for id, want := range map[string]string{"f1": "device revoked", "f2": "logout", "f3": "", "f4": "", "f5": ""} {
			f, err := tok.FindTokenFamily(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if f.Reason != want || (want == "") != (f.RevokedAt == nil) {
				t.Errorf("family %s: revokedAt=%v reason=%q, want reason %q", id, f.RevokedAt, f.Reason, want)
			}
		}
	})
}
