package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleCredit: the demo's listed enterprise opens its licence-code
// page on a phone, sees its listing, and files an objection to the result
// with a photo and its phone; the manager answers it (维持) in the
// console's 信用管理 queue; the portal shows the answer, without the phone
// or the enterprise's text. Then the enterprise applies for removal, the
// manager grants it, the portal shows the removal and the credit class
// comes back.
func TestConsoleCredit(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	sum, err := demo.SeedLastYear(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)
	listing, err := m.Planning.Credit.FindListing(ctx, backend.ListingID(sum.Listed))
	if err != nil {
		t.Fatal(err)
	}
	code, err := m.Planning.PublicURL(ctx, listing.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(code)
	licence := base + u.RequestURI()
	photo := filepath.Join(t.TempDir(), "营业场所.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	const text = "我单位已搬至新址并办理住所变更登记，现可正常联系。"
	const phone = "13988887777"

	enterprise := newPage(t)
	enterprise.do("a phone", chromedp.EmulateViewport(390, 844))
	file := func(p *page, subject string) {
		p.t.Helper()
		p.do("file "+subject,
			chromedp.Navigate(licence),
			chromedp.WaitVisible(`#credit-form`),
			chromedp.SetValue(`select[name="subject"]`, subject),
			chromedp.SendKeys(`#credit-form textarea[name="text"]`, text),
			chromedp.SendKeys(`#credit-form input[name="contact"]`, phone),
			chromedp.SetUploadFiles(`#credit-form input[type="file"]`, []string{photo}),
			chromedp.Click(`#credit-form button[type="submit"]`),
			chromedp.WaitVisible(`//div[@id="verdict"][contains(.,"申请已受理")]`),
		)
	}
	enterprise.do("open the licence page",
		chromedp.Navigate(licence),
		chromedp.WaitVisible(`//div[@id="credit"]//b[normalize-space()="列入经营异常名录"]`),
		chromedp.WaitVisible(`#credit-form`),
	)
	enterprise.screenshot("credit-licence-phone")
	file(enterprise, "objection:"+sum.Listed)
	enterprise.screenshot("credit-filed-phone")

	staff := newPage(t)
	staff.login(base, "scjg.manager")
	answer := func(p *page, kind, outcome, reason string) {
		p.t.Helper()
		row := `//tr[.//div[normalize-space()="` + kind + `"]][.//div[normalize-space()="` + listing.TargetName + `"]]`
		p.do("answer the "+kind,
			chromedp.Navigate(base+"/console/credit"),
			chromedp.WaitVisible(row),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		p.screenshot("credit-queue-" + outcome)
		p.do("answer "+outcome,
			chromedp.Click(row+`//button[normalize-space()="答复"]`),
			chromedp.WaitVisible(`//label[contains(@class,"el-radio")][normalize-space()="`+map[string]string{"upheld": "维持", "granted": "准予"}[outcome]+`"]`),
			chromedp.Click(`//label[contains(@class,"el-radio")][normalize-space()="`+map[string]string{"upheld": "维持", "granted": "准予"}[outcome]+`"]`),
			chromedp.SendKeys(`#credit-reason`, reason),
		)
		p.screenshot("credit-answer-" + outcome)
		p.do("submit the answer",
			chromedp.Click(`#credit-submit`),
			void(chromedp.Poll[bool](noDialog)),
			chromedp.WaitNotPresent(row),
		)
	}
	answer(staff, "异议", "upheld", "经复核，检查当日登记住所确无该企业，维持原结果")

	enterprise.do("the portal shows the answer",
		chromedp.Navigate(base+"/public/enterprises/"+listing.TargetID),
		chromedp.WaitVisible(`//table[@id="answers"]//td[normalize-space()="维持"]`),
	)
	enterprise.screenshot("credit-portal-phone")
	body := value(enterprise, "read the portal page", chromedp.Text(`body`))
	for _, secret := range []string{phone, text, "scjg.manager"} {
		if strings.Contains(body, secret) {
			t.Fatalf("the portal shows %q", secret)
		}
	}

	// 信用修复 end to end: filed from the licence page, granted in the
	// console, public as the answer and as a new version of the result.
	t.Run("OK/Repair", func(t *testing.T) {
		e, s := enterprise.on(t), staff.on(t)
		file(e, "repair:"+sum.Listed)
		e.screenshot("credit-repair-filed-phone")
		answer(s, "信用修复", "granted", "企业已按期整改并提交证明材料，准予信用修复")
		answered := `//table[@id="answers"]//tr[td[normalize-space()="信用修复"]][td[normalize-space()="准予"]][td[contains(.,"准予信用修复")]]`
		e.do("the portal shows the repair",
			chromedp.Navigate(base+"/public/enterprises/"+listing.TargetID+"?after-repair"),
			chromedp.WaitVisible(answered),
		)
		e.screenshot("credit-repaired-phone")
		e.do("the licence page shows the repair",
			chromedp.Navigate(licence),
			chromedp.WaitVisible(`//*[contains(.,"信用修复")][contains(.,"准予信用修复")]`),
		)
		e.do("the results list shows the result's new version with the repair's reason",
			chromedp.Navigate(base+"/public/results?limit=200&after-repair"),
			chromedp.WaitVisible(`//tr[.//a[contains(@href,"`+listing.TargetID+`")]][contains(.,"信用修复：企业已按期整改")]`),
		)
		e.screenshot("credit-repaired-results-phone")
		body := value(e, "read the results page", chromedp.Text(`body`))
		for _, secret := range []string{phone, text, "scjg.manager"} {
			if strings.Contains(body, secret) {
				t.Fatalf("the results page shows %q", secret)
			}
		}
		var pub struct {
			Items []struct{ ID, Reason string }
		}
		resp, err := http.Get(base + "/public/results.json?limit=200")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&pub)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("results.json: %d, %v", resp.StatusCode, err)
		}
		found := false
		for _, it := range pub.Items {
			found = found || it.ID == sum.Listed && strings.HasPrefix(it.Reason, "信用修复：")
		}
		if !found {
			t.Fatalf("results.json has no version of %s with the repair's reason: %+v", sum.Listed, pub.Items)
		}
	})

	t.Run("OK/Removal", func(t *testing.T) {
		e, s := enterprise.on(t), staff.on(t)
		file(e, "removal:"+listing.ID)
		answer(s, "申请移出经营异常名录", "granted", "已办理住所变更登记，经核实可以联系，准予移出")
		e.do("the portal shows the removal",
			// A new URL: the page is cacheable for a minute.
			chromedp.Navigate(base+"/public/enterprises/"+listing.TargetID+"?after-removal"),
			chromedp.WaitVisible(`//table[@id="listings"]//td[contains(.,"准予移出")]`),
		)
		e.screenshot("credit-removed-phone")
		s.do("the target's page shows its credit record",
			chromedp.Navigate(base+"/console/targets/"+listing.TargetID),
			chromedp.WaitVisible(`//div[@id="credit-record"]//div[normalize-space()="已移出"]`),
			chromedp.WaitVisible(`//div[@id="credit-record"]//div[starts-with(normalize-space(),"准予")]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		s.screenshot("credit-target")
		tg, err := m.Stores.Targets.FindTargetByID(ctx, listing.TargetID)
		if err != nil || tg.CreditClass != listing.PreviousClass {
			t.Fatalf("class after the removal %q, %v; want %q back", tg.CreditClass, err, listing.PreviousClass)
		}
	})
	noBrowserErrors(t, enterprise, staff)
}
