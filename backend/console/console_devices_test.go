package console_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleDeviceApproval: on a deployment that approves phones, an
// inspector's first login from a new phone waits; the administrator sees
// it on the dashboard and approves it there (the phone then logs in),
// rejects a second one in 系统 → 设备审批 with a reason (its login is
// refused as rejected), sees a phone unused for months among those to
// revoke, and changes another inspector's role in 用户与角色 (the store has
// it, and the administrator's own role cannot be changed from the page).
func TestConsoleDeviceApproval(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 60, time.Now())
	m.Mobile.ApproveDevices = true
	inspector := firstInspectorLogin(t, m)
	first := backend.DeviceInfo{ID: "phone-new-00001", Name: "小米 14", Platform: backend.PlatformAndroid}
	second := backend.DeviceInfo{ID: "phone-new-00002", Name: "OPPO Find X7", Platform: backend.PlatformAndroid}
	for _, d := range []backend.DeviceInfo{first, second} {
		if r := apptest.PhoneLogin(t, m, inspector, demo.DemoPassword(inspector), d); r.Status != 403 {
			t.Fatalf("first login from %s: %d %s, want 403 device_pending", d.ID, r.Status, r.Body)
		}
	}
	old := time.Now().UTC().AddDate(0, 0, -backend.DeviceStaleDays-30).Truncate(time.Millisecond)
	if _, err := m.Stores.Devices.UpsertDevice(ctx, &backend.Device{ID: backend.DeviceKey(inspector, "phone-drawer-01"), UserID: inspector, DeviceID: "phone-drawer-01",
		Name: "旧手机", Platform: backend.PlatformIOS, FirstSeen: old, LastSeen: old}); err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)
	p := newPage(t)
	p.login(base, "admin")

	t.Run("OK/ApproveOnDashboard", func(t *testing.T) {
		p := p.on(t)
		p.do("the dashboard lists the phones",
			chromedp.WaitVisible(`//*[@data-figure="待批准设备"][normalize-space()="2"]`),
			chromedp.WaitVisible(`//*[@data-figure="长期未用设备"][normalize-space()="1"]`),
			chromedp.WaitVisible(`[data-list="devices-pending"] [data-device="`+first.ID+`"]`),
		)
		if n := value(p, "loading masks", chromedp.Evaluate[int](`document.querySelectorAll('.el-loading-mask, [data-loading]').length`)); n != 0 {
			t.Fatalf("%d loading masks on the drawn dashboard, want none", n)
		}
		p.screenshot("console-dashboard-devices")
		p.do("approve the first phone",
			chromedp.Click(`[data-list="devices-pending"] [data-device="`+first.ID+`"] [data-action="approve"]`),
			chromedp.WaitVisible(`[data-action="decide"]`),
			chromedp.Click(`[data-action="decide"]`),
			chromedp.WaitVisible(`//*[@data-figure="待批准设备"][normalize-space()="1"]`),
			chromedp.WaitNotPresent(`[data-list="devices-pending"] [data-device="`+first.ID+`"]`),
		)
		d, err := m.Stores.Devices.FindDeviceByID(ctx, backend.DeviceKey(inspector, first.ID))
		if err != nil || d.Approval != backend.DeviceApproved || d.DecidedBy != "admin" {
			t.Fatalf("stored %+v, %v; want approved by admin", d, err)
		}
		apptest.MustPhoneLogin(t, m, inspector, demo.DemoPassword(inspector), first)
	})

	t.Run("OK/RejectInSystem", func(t *testing.T) {
		p := p.on(t)
		p.do("系统 → 设备审批",
			chromedp.Navigate(base+"/console/system?tab=devices"),
			chromedp.WaitVisible(`[data-list="devices-pending"] [data-device="`+second.ID+`"]`),
			chromedp.WaitVisible(`[data-list="devices-stale"] [data-device="phone-drawer-01"]`),
		)
		p.screenshot("console-system-device-approval")
		p.do("reject the second phone",
			chromedp.Click(`[data-list="devices-pending"] [data-device="`+second.ID+`"] [data-action="reject"]`),
			chromedp.WaitVisible(`input[name="decisionReason"]`),
			chromedp.SendKeys(`input[name="decisionReason"]`, "非单位配发手机"),
			chromedp.Click(`[data-action="decide"]`),
			chromedp.WaitVisible(`//*[@data-notice][contains(., "已拒绝")]`),
			chromedp.WaitVisible(`//*[@data-list="devices-pending"]//div[contains(@class,"empty")][normalize-space()="没有等待批准的设备。"]`),
		)
		d, err := m.Stores.Devices.FindDeviceByID(ctx, backend.DeviceKey(inspector, second.ID))
		if err != nil || d.Approval != backend.DeviceRejected || d.DecisionNote != "非单位配发手机" {
			t.Fatalf("stored %+v, %v; want rejected with the reason", d, err)
		}
		if r := apptest.PhoneLogin(t, m, inspector, demo.DemoPassword(inspector), second); r.Status != 403 {
			t.Fatalf("login from the rejected phone: %d %s, want 403", r.Status, r.Body)
		}
	})

	t.Run("OK/ChangeRole", func(t *testing.T) {
		p := p.on(t)
		p.do("用户与角色",
			chromedp.Navigate(base+"/console/system?tab=users"),
			chromedp.WaitVisible(`[data-user="`+inspector+`"] [data-action="role"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`), // it would take the click
		)
		if dis := value(p, "own role button", chromedp.Evaluate[bool](`document.querySelector('[data-user="admin"] [data-action="role"]')?.disabled ?? true`)); !dis {
			t.Fatal("the administrator's own 角色 button is enabled")
		}
		p.do("make the inspector a reviewer",
			chromedp.Click(`[data-user="`+inspector+`"] [data-action="role"]`),
			chromedp.WaitVisible(`[data-field="role"]`),
			chromedp.Click(`[data-field="role"]`),
			chromedp.WaitVisible(`//li[contains(@class,"el-select-dropdown__item")][normalize-space()="审核人员"]`),
			// Clicked by script: the dropdown is still moving into place.
			void(chromedp.Evaluate[bool](`(() => { const li = [...document.querySelectorAll('li.el-select-dropdown__item')].find(e => e.textContent.trim() === '审核人员'); li.click(); return true })()`)),
			chromedp.WaitVisible(`//*[@data-field="role"]//*[normalize-space()="审核人员"]`),
		)
		p.screenshot("console-system-role")
		p.do("save",
			chromedp.Click(`[data-action="save-role"]`),
			chromedp.WaitVisible(`//*[@data-notice][contains(., "角色已改为审核人员")]`),
			chromedp.WaitVisible(`//*[@data-list="users"]//tr[.//*[@data-user="`+inspector+`"]]//td[normalize-space()="审核人员"]`),
		)
		u, err := m.Stores.Users.FindUserByID(ctx, inspector)
		if err != nil || u.Role != backend.RoleReviewer || len(u.Departments) == 0 {
			t.Fatalf("stored %+v, %v; want a reviewer of the inspector's departments", u, err)
		}
		// The phone approved above was the inspector's: its session is over.
		if r := apptest.PhoneLogin(t, m, inspector, demo.DemoPassword(inspector), first); r.Status != 403 {
			t.Fatalf("phone login of the new reviewer: %d %s, want 403 (inspectors only)", r.Status, r.Body)
		}
	})
	noBrowserErrors(t, p)
}
