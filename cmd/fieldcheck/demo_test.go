package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/auth"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestDemoSeedsPendingDevice: the demo leaves one phone waiting for the
// administrators (on a deployment that does not require approval too),
// listed by 设备审批 and counted by the dashboard; its login stays refused
// until decided, while another phone of the same inspector logs in.
func TestDemoSeedsPendingDevice(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	var out bytes.Buffer
	if err := seedDemo(ctx, m, &out, 300, 0); err != nil {
		t.Fatalf("seedDemo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), demoPendingUser) || !strings.Contains(out.String(), "设备审批") {
		t.Errorf("the demo printed no pending phone:\n%s", out.String())
	}
	admin := backend.WithActor(ctx, &backend.Actor{UserID: "admin", Role: backend.RoleAdmin})
	list, err := m.Devices.FindDevices(admin, backend.DeviceViewPending)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].UserID != demoPendingUser || list.Items[0].DeviceID != app.DemoPendingDeviceID || list.Items[0].UserName == "" {
		t.Fatalf("pending devices %+v, want %s's %s with its name", list.Items, demoPendingUser, app.DemoPendingDeviceID)
	}
	n, _, err := m.Devices.CountDevices(admin, backend.DeviceViewPending)
	if err != nil || n != 1 {
		t.Fatalf("dashboard count of pending devices %d (%v), want 1", n, err)
	}

	phone := auth.WithClientAddr(ctx, "127.0.0.1")
	pw := demo.DemoPassword(demoPendingUser)
	if _, err := m.Mobile.LoginDevice(phone, demoPendingUser, pw, backend.DeviceInfo{ID: app.DemoPendingDeviceID, Platform: backend.PlatformAndroid}); !backend.IsCode(err, backend.EDEVICEPENDING) {
		t.Fatalf("login from the pending phone: %v, want %s", err, backend.EDEVICEPENDING)
	}
	if _, err := m.Mobile.LoginDevice(phone, demoPendingUser, pw, backend.DeviceInfo{ID: "another-phone", Platform: backend.PlatformAndroid}); err != nil {
		t.Fatalf("login from another phone (the demo does not require approval): %v", err)
	}
	if m.Mobile.ApproveDevices {
		t.Fatal("the demo left device approval on")
	}

	// Served again, the demo seeds nothing more.
	out.Reset()
	if err := seedDemo(ctx, m, &out, 300, 0); err != nil {
		t.Fatal(err)
	}
	if list, err := m.Devices.FindDevices(admin, backend.DeviceViewPending); err != nil || len(list.Items) != 1 {
		t.Fatalf("after a second start: %v pending devices (%v), want 1", list, err)
	}
}
