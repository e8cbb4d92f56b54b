package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

// targetFile writes a target directory CSV of four rows; with bad, row 3
// has a wrong check character and row 5 no credit class.
func targetFile(t *testing.T, name string, bad bool) (string, []string) {
	t.Helper()
	var ids []string
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称,行政区划,信用风险分类\n")
	for i := 1; i <= 4; i++ {
		first := fmt.Sprintf("91350403MA%07d", 7000+i)
		c, _ := backend.USCCCheckChar(first)
		id, credit := first+string(c), "C"
		ids = append(ids, id)
		if bad && i == 2 {
			id = first + map[bool]string{true: "1", false: "0"}[c == '0']
		}
		if bad && i == 4 {
			credit = ""
		}
		fmt.Fprintf(&b, "%s,浏览器导入测试商行%d,350403,%s\n", id, i, credit)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

// TestConsoleImport: an administrator imports a target file with bad rows
// through the console: the dry run lists them (row, column, the problem in
// Chinese) and writes nothing, the list downloads as CSV; the fixed file's
// dry run is clean, and its import stores the rows.
func TestConsoleImport(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	apptest.SeedDemo(t, m, 50, time.Now())
	base := serve(t, m)
	bad, ids := targetFile(t, "名录-有错.csv", true)
	fixed, _ := targetFile(t, "名录-已改正.csv", false)
	downloads := t.TempDir()

	pg := newPage(t)
	pg.login(base, "admin")
	pg.do("open the import page from the directory",
		chromedp.Navigate(base+"/console/targets"),
		chromedp.WaitVisible(`//button[normalize-space()="导入名录"]`),
		chromedp.Click(`//button[normalize-space()="导入名录"]`),
		chromedp.WaitVisible(`//button[contains(.,"试导入")]`),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: ptr(true),
			})
			return err
		}),
	)
	pg.do("check the file with bad rows",
		chromedp.SetUploadFiles(`input[type="file"]`, []string{bad}),
		chromedp.WaitVisible(`//span[contains(@class,"file-name")][contains(.,"名录-有错.csv")]`),
		chromedp.Click(`//button[contains(.,"试导入")]`),
		chromedp.WaitVisible(`[data-figure="有错误"]`),
	)
	if n := value(pg, "read the figures", chromedp.Text(`[data-figure="有错误"]`)); n != "2" {
		t.Fatalf("the dry run shows %s rows with errors, want 2", n)
	}
	for _, row := range []struct{ n, column, says string }{{"3", "统一社会信用代码", "校验位错误"}, {"5", "信用风险分类", "缺少信用风险分类"}} {
		pg.do("find the error of row "+row.n,
			chromedp.WaitVisible(`//div[contains(@class,"row-errors")]//tr[td[1][normalize-space()="`+row.n+`"]][td[2][normalize-space()="`+row.column+`"]][contains(.,"`+row.says+`")]`),
		)
	}
	if _, err := m.Stores.Targets.FindTargetByID(ctx, ids[0]); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("the dry run stored a target (err %v)", err)
	}
	pg.screenshot("console-import-errors")

	dctx, cancel := context.WithTimeout(pg.ctx, browserTimeout)
	defer cancel()
	progress := chromedp.Events(dctx, browser.DownloadProgress)
	pg.do("download the row errors", chromedp.Click(`//button[contains(.,"下载错误清单")]`))
	var csv []byte
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			files, _ := filepath.Glob(filepath.Join(downloads, "*.csv"))
			if len(files) != 1 {
				t.Fatalf("downloaded %v, want one CSV", files)
			}
			if csv, err = os.ReadFile(files[0]); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if text := string(csv); !strings.HasPrefix(text, "\ufeff\"行号\",\"列\",\"问题\"") || !strings.Contains(text, `"3","统一社会信用代码"`) || !strings.Contains(text, `"5","信用风险分类"`) {
		t.Fatalf("the downloaded errors are %q", text)
	}

	pg.do("check the fixed file, then import it",
		chromedp.SetUploadFiles(`input[type="file"]`, []string{fixed}),
		chromedp.WaitVisible(`//span[contains(@class,"file-name")][contains(.,"名录-已改正.csv")]`),
		chromedp.Click(`//button[contains(.,"试导入")]`),
		chromedp.WaitVisible(`//*[contains(@class,"el-alert__title")][contains(.,"没有发现错误")]`),
		chromedp.Click(`//button[normalize-space()="确认导入"]`),
		chromedp.WaitVisible(`//*[@data-figure="新增"][contains(.,"新增 4 条")]`),
	)
	pg.screenshot("console-import-done")

	// A larger file over a slow upload: the progress bar shows while it
	// is sent (Chromium's network emulation throttles the upload).
	big := filepath.Join(t.TempDir(), "名录-大.csv")
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称,行政区划,信用风险分类,地址\n")
	for i := 1; i <= 2000; i++ {
		first := fmt.Sprintf("91350403MA%07d", 100000+i)
		c, _ := backend.USCCCheckChar(first)
		fmt.Fprintf(&b, "%s%c,进度测试商行%d,350403,B,三明市三元区列东街道进度测试路%d号附属用房\n", first, c, i, i)
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	pg.do("check a larger file over a slow upload",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: 40 << 10}},
			})
			if err != nil {
				// Debian bookworm's Chromium 148 refuses the rule form
				// (-32602); it has the older, deprecated command, which
				// cdproto no longer names.
				_, err = chromedp.Call(ctx, emulateNetworkConditions, legacyNetworkConditions{DownloadThroughput: -1, UploadThroughput: 40 << 10})
			}
			return err
		}),
		chromedp.SetUploadFiles(`input[type="file"]`, []string{big}),
		chromedp.WaitVisible(`//span[contains(@class,"file-name")][contains(.,"名录-大.csv")]`),
		chromedp.Click(`//button[contains(.,"试导入")]`),
		chromedp.WaitVisible(`.progress .el-progress`),
		chromedp.WaitVisible(`//*[contains(@class,"progress")]//*[contains(.,"正在上传文件")]`),
	)
	// The bar moves: some reading between 0 and 100 % while it is sent
	// (each reading is a round trip to the browser; no sleeping).
	moved := false
	for range 2000 {
		pct := value(pg, "read the progress", chromedp.Evaluate[string](`(document.querySelector('.progress .el-progress__text') || {}).textContent || ''`))
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(pct), "%")); err == nil && n > 0 && n < 100 {
			moved = true
			break
		}
		if pct == "" {
			break // the upload ended
		}
	}
	if !moved {
		t.Fatal("the progress bar never showed a reading between 0 and 100 %")
	}
	pg.screenshot("console-import-progress")
	pg.do("see the dry run of the larger file",
		chromedp.WaitVisible(`//*[@data-figure="可导入"][normalize-space()="2000"]`),
	)
	for _, id := range ids {
		if _, err := m.Stores.Targets.FindTargetByID(ctx, id); err != nil {
			t.Fatalf("target %s after the import: %v", id, err)
		}
	}
	noBrowserErrors(t, pg)
}

func ptr[T any](v T) *T { return &v }

// legacyNetworkConditions are the parameters of Network.emulateNetworkConditions,
// deprecated for Network.emulateNetworkConditionsByRule, which the
// Chromium of Debian bookworm (148) does not take in the form cdproto sends.
type legacyNetworkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var emulateNetworkConditions = cdp.Command[legacyNetworkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}
