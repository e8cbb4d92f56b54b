package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
)

// TestPortalResultsInBrowser: on the demo's last year (seven results
// published), the portal's results list in a phone's Chromium filters by
// category with its form (no script on the page), pages on with 下一页,
// and its CSV and JSON links carry the page's filters and cursor and give
// exactly the rows the page shows.
func TestPortalResultsInBrowser(t *testing.T) {
	m, sum := apptest.OpenLastYear(t, time.Now())
	base := apptest.Serve(t, m)
	b := browsertest.Start(t, browsertest.Options{})
	rows := func() []string {
		var ids []string
		b.Eval(`[...document.querySelectorAll('#results tbody tr')].map(tr => tr.dataset.id)`, &ids)
		return ids
	}

	b.Do(chromedp.Navigate(base+"/public/"), chromedp.WaitVisible(`a[href="/public/results"]`))
	b.Eval(`document.querySelector('a[href="/public/results"]').click()`, nil)
	b.Do(chromedp.WaitVisible(`#results`))
	if got := rows(); len(got) != sum.Published {
		t.Fatalf("%d rows on the results list, want the %d published", len(got), sum.Published)
	}
	var scripts int
	b.Eval(`document.scripts.length`, &scripts)
	if scripts != 0 {
		t.Errorf("the results page has %d scripts, want none", scripts)
	}
	b.Shot("portal-results-phone")
	desktop(b, "portal-results-desktop")

	t.Run("OK/FilterByCategory", func(t *testing.T) {
		b.Do(chromedp.SetValue(`#code`, string(backend.ResultNoProblem)), chromedp.Submit(`#code`), chromedp.WaitVisible(`#results`))
		var loc string
		b.Eval(`location.search`, &loc)
		if !strings.Contains(loc, "code=no-problem") {
			t.Fatalf("after filtering the page is at %q", loc)
		}
		var labels []string
		b.Eval(`[...document.querySelectorAll('#results td[data-label="结果"]')].map(td => td.textContent)`, &labels)
		if len(labels) == 0 || len(labels) == sum.Published {
			t.Fatalf("%d rows under 未发现问题 of %d published", len(labels), sum.Published)
		}
		for _, l := range labels {
			if !strings.HasPrefix(l, "未发现问题") {
				t.Fatalf("a row under 未发现问题 says %q", l)
			}
		}
	})

	t.Run("OK/PagesAndDownloads", func(t *testing.T) {
		b.Do(chromedp.Navigate(base+"/public/results?limit=2"), chromedp.WaitVisible(`#next`))
		first := rows()
		b.Eval(`document.getElementById('next').click()`, nil)
		b.Do(chromedp.WaitVisible(`#first`))
		second := rows()
		if len(first) != 2 || len(second) != 2 || slices.Contains(first, second[0]) || slices.Contains(first, second[1]) {
			t.Fatalf("pages %v then %v: want two rows each, none twice", first, second)
		}
		var csvHref, jsonHref string
		b.Eval(`document.getElementById('csv').getAttribute('href')`, &csvHref)
		b.Eval(`document.getElementById('json').getAttribute('href')`, &jsonHref)
		for _, h := range []string{csvHref, jsonHref} {
			u, err := url.Parse(h)
			if err != nil {
				t.Fatal(err)
			}
			if q := u.Query(); q.Get("limit") != "2" || q.Get("after") == "" {
				t.Fatalf("download link %s: want the page's limit and cursor", h)
			}
		}
		resp, body := get(t, base+csvHref, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: status=%d type=%s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		table, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(table[0], "任务编号")
		var csvIDs []string
		for _, r := range table[1:] {
			csvIDs = append(csvIDs, r[col])
		}
		if !slices.Equal(csvIDs, second) {
			t.Fatalf("the CSV's rows %v, the page's %v", csvIDs, second)
		}
		var page struct {
			Items []struct{ ID string }
		}
		_, body = get(t, base+jsonHref, nil)
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		var jsonIDs []string
		for _, it := range page.Items {
			jsonIDs = append(jsonIDs, it.ID)
		}
		if !slices.Equal(jsonIDs, second) {
			t.Fatalf("the JSON's rows %v, the page's %v", jsonIDs, second)
		}
	})

	t.Run("OK/FiltersCarried", func(t *testing.T) {
		b.Do(chromedp.Navigate(base+"/public/results?department=scjg&plan="+url.QueryEscape(sum.PlanID)+"&code=no-problem&from=2000-01-01&to=2100-12-31&limit=1"), chromedp.WaitVisible(`#next`))
		var hrefs []string
		b.Eval(`['csv','json','next'].map(id => document.getElementById(id).getAttribute('href'))`, &hrefs)
		for _, h := range hrefs {
			u, _ := url.Parse(h)
			q := u.Query()
			if q.Get("department") != "scjg" || q.Get("plan") != sum.PlanID || q.Get("code") != "no-problem" || q.Get("from") != "2000-01-01" || q.Get("to") != "2100-12-31" || q.Get("limit") != "1" {
				t.Fatalf("link %s does not carry the filters", h)
			}
		}
		var selected string
		b.Eval(`document.getElementById('plan').value + ' ' + document.getElementById('department').value`, &selected)
		if selected != sum.PlanID+" scjg" {
			t.Fatalf("the form shows %q, want the filters", selected)
		}
	})

	t.Run("ErrDate", func(t *testing.T) {
		resp, body := get(t, base+"/public/results?from=yesterday", map[string]string{"Accept": browserAccept})
		if resp.StatusCode != 400 || !strings.Contains(string(body), "查询条件不正确") {
			t.Fatalf("status=%d %.300s", resp.StatusCode, body)
		}
	})
}
