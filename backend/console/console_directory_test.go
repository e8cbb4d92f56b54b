package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// TestConsoleDirectory: an administrator finds an inspector by name in
// 检查人员, is refused a malformed certificate number (the server's
// message, in Chinese next to the field), sets the certificate's last
// valid day to ten days from today
// and sees the expiry warning (the store has the new day, and the list
// narrowed to certificates expiring within 30 days shows the inspector);
// then opens an item from 检查事项, reads its legal basis, makes a new
// version of its checklist from the current one (one question changed,
// one added), finds it listed as current while the old one stays, and
// compares the two versions: the changed and the added question. Last,
// an expert is added (an empty form is refused next to its field). A
// manager of another department sees both read-only, and the server
// refuses the version the page does not offer.
func TestConsoleDirectory(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 60, now)
	in := validInspector(t, m, now)
	it := itemWithTemplate(t, m)
	base := serve(t, m)

	p := newPage(t)
	p.login(base, "admin")
	expiry := backend.DateOf(now.AddDate(0, 0, 10))

	t.Run("OK/CertificateExpiryWarning", func(t *testing.T) {
		p := p.on(t)
		search := `input[placeholder="姓名或执法证号"]`
		p.do("find the inspector",
			chromedp.Click(menu("检查人员")),
			chromedp.WaitVisible(search),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		p.screenshot("console-inspectors")
		p.do("open the inspector",
			chromedp.SendKeys(search, in.Name+"\r"),
			chromedp.WaitVisible(`//table//td//span[contains(@class,"mono")][normalize-space()="`+in.CertNo+`"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(`//table//td//span[contains(@class,"mono")][normalize-space()="`+in.CertNo+`"]`),
			chromedp.WaitVisible(`input[name="certExpiry"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		if got := value(p, "the expiry shown", chromedp.Value(`input[name="certExpiry"]`)); got != string(in.CertExpiry) {
			t.Fatalf("the form shows expiry %q, want %s", got, in.CertExpiry)
		}
		p.do("a certificate number the server refuses",
			chromedp.Click(`input[name="certNo"]`),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
			chromedp.SendKeys(`input[name="certNo"]`, "证-1"),
			chromedp.Click(`[data-action="save"]`),
			chromedp.WaitVisible(`//*[contains(@class,"el-form-item__error")][starts-with(normalize-space(),"执法证号应为 4 至 32 位")]`),
			chromedp.Click(`input[name="certNo"]`),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
			chromedp.SendKeys(`input[name="certNo"]`, in.CertNo),
		)
		p.screenshot("console-inspector-refused")
		p.do("change the expiry and save",
			chromedp.Click(`input[name="certExpiry"]`),
			chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
			chromedp.SendKeys(`input[name="certExpiry"]`, string(expiry)),
			chromedp.Click(`input[name="name"]`), // closes the calendar
			chromedp.Click(`[data-action="save"]`),
			chromedp.WaitVisible(`[data-notice]`),
			chromedp.WaitVisible(`[data-cert-alert="expiring"]`),
		)
		warning := value(p, "read the warning", chromedp.Text(`[data-cert-alert]`))
		if !strings.Contains(warning, string(expiry)) || !strings.Contains(warning, "30 天内") {
			t.Fatalf("warning %q, want the day %s and the 30-day window", warning, expiry)
		}
		p.screenshot("console-inspector")
		stored, err := m.Stores.Inspectors.FindInspectorByID(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.CertExpiry != expiry || stored.Version != in.Version+1 {
			t.Fatalf("stored expiry %s version %d, want %s version %d", stored.CertExpiry, stored.Version, expiry, in.Version+1)
		}
		p.do("the list of certificates expiring within 30 days",
			chromedp.Navigate(base+"/console/inspectors?cert=expiring&q="+in.CertNo),
			chromedp.WaitVisible(`//table//td//span[@data-cert="expiring"][contains(., "`+string(expiry)+`")]`),
		)
		tag := value(p, "read the row", chromedp.Text(`//table//td//span[@data-cert="expiring"]`))
		if !strings.Contains(tag, "30 天内到期") {
			t.Fatalf("the row says %q, want 30 天内到期", tag)
		}
	})

	t.Run("OK/TemplateNewVersionAndDiff", func(t *testing.T) {
		p := p.on(t)
		row := `//table//td//span[contains(@class,"mono")][normalize-space()="` + it.Code + `"]`
		p.do("open the item list",
			chromedp.Click(menu("检查事项")),
			chromedp.WaitVisible(`[data-template-version]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		p.screenshot("console-items")
		p.do("find the item",
			chromedp.SendKeys(`input[placeholder="事项名称或代码"]`, it.Code+"\r"),
			chromedp.WaitVisible(row),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		p.do("open the item",
			chromedp.Click(row),
			chromedp.WaitVisible(`[data-field="legalBasis"]`),
			chromedp.WaitVisible(`[data-template]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
		)
		if got := value(p, "the legal basis", chromedp.Text(`[data-field="legalBasis"]`)); got != it.LegalBasis {
			t.Fatalf("legal basis %q, want %q", got, it.LegalBasis)
		}
		p.screenshot("console-item")
		before := len(template(t, m, it.Code, it.TemplateVersion).Questions)
		p.do("make a new version",
			chromedp.Click(`[data-action="new-version"]`),
			chromedp.WaitVisible(`textarea[name="q1-text"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.SendKeys(`textarea[name="q1-text"]`, "（须现场核对原件）"),
			chromedp.Click(`[data-action="add-question"]`),
			chromedp.WaitVisible(`textarea[name="q`+itoa(before+1)+`-text"]`),
			chromedp.SendKeys(`textarea[name="q`+itoa(before+1)+`-text"]`, "是否建立进货查验记录"),
			chromedp.Click(`//input[@name="q`+itoa(before+1)+`-photo"]/ancestor::label`),
		)
		p.screenshot("console-template-form")
		p.do("save it",
			chromedp.Click(`[data-action="save-template"]`),
			chromedp.WaitVisible(`//*[@data-version="`+itoa(it.TemplateVersion+1)+`"]/following-sibling::*[contains(., "当前")]`),
			chromedp.WaitVisible(`//*[@data-version="`+itoa(it.TemplateVersion)+`"]`),
		)
		stored := template(t, m, it.Code, it.TemplateVersion+1)
		if len(stored.Questions) != before+1 || !stored.Questions[before].PhotoRequired || !strings.HasSuffix(stored.Questions[0].Text, "（须现场核对原件）") {
			t.Fatalf("stored version %+v, want the first question changed and a photo question added", stored.Questions)
		}
		if old := template(t, m, it.Code, it.TemplateVersion); len(old.Questions) != before {
			t.Fatalf("the old version has %d questions, want %d (unchanged)", len(old.Questions), before)
		}
		p.do("compare the two versions",
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(`[data-action="compare"]`),
			chromedp.WaitVisible(`[data-diff-summary]`),
			chromedp.WaitVisible(`[data-change="changed"][data-question="`+stored.Questions[0].ID+`"]`),
			chromedp.WaitVisible(`[data-change="added"][data-question="`+stored.Questions[before].ID+`"]`),
		)
		summary := value(p, "read the summary", chromedp.Text(`[data-diff-summary]`))
		if want := "新增 1 题，删除 0 题，修改 1 题，未变 " + itoa(before-1) + " 题"; !strings.Contains(summary, want) {
			t.Fatalf("summary %q, want %q", summary, want)
		}
		if url := value(p, "the URL", chromedp.Location()); !strings.Contains(url, "from="+itoa(it.TemplateVersion)) || !strings.Contains(url, "to="+itoa(it.TemplateVersion+1)) {
			t.Fatalf("the comparison is not in the URL %s", url)
		}
		p.do("scroll to the comparison", chromedp.ScrollIntoView(`[data-diff]`))
		p.screenshot("console-template-diff")
	})
	t.Run("OK/AddExpert", func(t *testing.T) {
		p := p.on(t)
		p.do("open the expert form",
			chromedp.Click(menu("专家")),
			chromedp.WaitVisible(`[data-list="experts"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.Click(`//button[normalize-space()="新增专家"]`),
			chromedp.WaitVisible(`input[name="expertId"]`),
			chromedp.Click(`[data-action="save-expert"]`),
			chromedp.WaitVisible(`//*[contains(@class,"el-form-item__error")][normalize-space()="请填写专家编号。"]`),
			chromedp.SendKeys(`input[name="expertId"]`, "exp-test-lin"),
			chromedp.SendKeys(`input[name="expertName"]`, "林检测"),
			chromedp.SendKeys(`input[name="organisation"]`, "三明市食品药品检验所"),
			chromedp.Click(`[data-action="save-expert"]`),
			chromedp.WaitNotVisible(`input[name="expertId"]`),
			chromedp.Navigate(base+"/console/experts?q="+"林检测"),
			chromedp.WaitVisible(`//table//td[normalize-space()="三明市食品药品检验所"]`),
		)
		p.screenshot("console-experts")
		e, err := m.Stores.Inspectors.FindExpertByID(ctx, "exp-test-lin")
		if err != nil || e.Name != "林检测" || !e.Active {
			t.Fatalf("stored expert %+v, %v; want 林检测, active", e, err)
		}
	})
	t.Run("ErrOtherDepartmentsManager", func(t *testing.T) {
		other := newPage(t)
		other.login(base, "yjgl.manager")
		other.do("open a market-supervision inspector and item by URL",
			chromedp.Navigate(base+"/console/inspectors/"+in.ID),
			chromedp.WaitVisible(`//p[normalize-space()="只有该人员所属部门的负责人和系统管理员可以修改。"]`),
			chromedp.WaitNotPresent(`[data-action="save"]`),
			chromedp.Navigate(base+"/console/items/"+it.Code),
			chromedp.WaitVisible(`[data-list="versions"]`),
			chromedp.WaitNotPresent(`.el-loading-mask`),
			chromedp.WaitNotPresent(`[data-action="new-version"]`),
		)
		// The hidden buttons are no permission withheld: the server refuses.
		status := value(other, "a new version sent anyway", chromedp.Evaluate[int](`fetch('/api/v1/auth/session').then(r => r.json()).then(s =>
			fetch('/api/v1/items/`+it.Code+`/templates', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken},
				body: JSON.stringify({questions: [{id: 'x', text: '越权', type: 'yesno', required: true}]})})).then(r => r.status)`, chromedp.EvalAwaitPromise))
		if status != 403 {
			t.Fatalf("another department's manager posting a version: status=%d, want 403", status)
		}
		noBrowserErrors(t, other)
	})
	noBrowserErrors(t, p)
}

// validInspector is an active officer of the market-supervision
// department whose certificate is valid for more than 30 days.
func validInspector(t *testing.T, m *app.Main, now time.Time) *backend.Inspector {
	t.Helper()
	active := true
	page, err := m.Stores.Inspectors.FindInspectors(context.Background(), backend.InspectorFilter{DepartmentIDs: []string{"scjg"}, Active: &active}, backend.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range page.Items {
		if in.CertExpiry > backend.CertHorizon(now) {
			return in
		}
	}
	t.Fatal("no inspector of scjg with a certificate valid beyond 30 days")
	return nil
}

// itemWithTemplate is an item of the market-supervision department with
// a checklist.
func itemWithTemplate(t *testing.T, m *app.Main) *backend.Item {
	t.Helper()
	page, err := m.Stores.Items.FindItems(context.Background(), backend.ItemFilter{DepartmentID: "scjg"}, backend.PageRequest{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.TemplateVersion > 0 && it.DepartmentID == "scjg" {
			return it
		}
	}
	t.Fatal("no item of scjg with a checklist")
	return nil
}

func template(t *testing.T, m *app.Main, code string, v int) *backend.ChecklistTemplate {
	t.Helper()
	tpl, err := m.Stores.Items.FindTemplate(context.Background(), code, v)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

var itoa = strconv.Itoa
