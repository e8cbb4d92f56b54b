package api_test

// The security probes of issue 12 that concern the HTTP layer itself:
// addresses behind proxies, strings that outlive a request, bad text and
// page sizes, and the headers every page carries. Each one failed before its
// fix.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
)

func httpDo(t *testing.T, method, url, token string, header map[string]string, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Behind a trusted proxy, rotating the first X-Forwarded-For hop used to give
// every guess a fresh address: the address throttle never fired and the
// audit recorded whatever the client wrote.
func TestTrustedProxyAddress(t *testing.T) {
	e := newEnv(t)
	e.m.HTTP.TrustedProxies = []string{"127.0.0.1"}
	base := e.serve(t)
	const real = "203.0.113.7"
	status := 0
	limit := 0
	for i := 1; i <= 30 && status != 429; i++ {
		// A different unknown account each time: only the address counts.
		body := fmt.Sprintf(`{"username":"nobody%d","password":"wrong-password-x"}`, i)
		status, _ = httpDo(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d, %s", i, real)}, body)
		limit = i
	}
	if status != 429 {
		t.Fatalf("30 failed logins from %s behind the proxy, each with a new first hop: last status %d, want 429", real, status)
	}
	// Another client behind the same proxy is not locked out.
	if st, b := httpDo(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"X-Forwarded-For": "203.0.113.8"}, `{"username":"reviewer","password":"`+testPassword+`"}`); st != 200 {
		t.Fatalf("login of another client after %d refusals of %s: %d %s", limit, real, st, b)
	}
	// The audit records validated addresses only: the client's own text
	// and an absent header both give a real IP.
	for _, h := range []map[string]string{{"X-Forwarded-For": "<script>alert(1)</script>"}, nil} {
		httpDo(t, "POST", base+"/api/v1/auth/login", "", h, `{"username":"manager","password":"wrong-password-x"}`)
	}
	list, err := e.m.Audit.Entries(backend.WithActor(context.Background(), backend.SystemActor("test")), "user", "manager", 10)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, en := range list {
		if en.Action != "auth.login_failed" {
			continue
		}
		failed++
		if _, err := netip.ParseAddr(en.ClientAddr); err != nil || en.ClientAddr != "127.0.0.1" {
			t.Fatalf("audit entry %s records address %q, want the peer 127.0.0.1", en.Action, en.ClientAddr)
		}
	}
	if failed != 2 {
		t.Fatalf("%d failed logins of manager audited, want 2", failed)
	}
}

// A target's id taken from the path used to be Fiber's zero-copy view of
// the request buffer; the in-memory target index kept it as a key, and once
// the buffer was reused searches panicked with a nil pointer (500).
func TestTargetUpdateThenSearchUnderTraffic(t *testing.T) {
	e := newEnv(t)
	base := e.serve(t)
	token := e.login("manager")
	ids := []string{"91440300708461136T", "91350100M000100Y43"}
	for i, id := range ids {
		body := strings.Replace(targetJSON, "91440300708461136T", id, 1)
		body = strings.Replace(body, "华为技术有限公司", fmt.Sprintf("测试企业%d有限公司", i), 1)
		if st, b := httpDo(t, "POST", base+"/api/v1/targets", token, nil, body); st != 201 {
			t.Fatalf("create %s: %d %s", id, st, b)
		}
	}
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		for _, id := range ids {
			body := strings.Replace(targetJSON, "91440300708461136T", id, 1)
			body = strings.Replace(body, `"kind"`, fmt.Sprintf(`"version":%d,"kind"`, round+1), 1)
			body = strings.Replace(body, "华为技术有限公司", "更新企业有限公司", 1)
			if st, b := httpDo(t, "PUT", base+"/api/v1/targets/"+id, token, nil, body); st != 200 {
				t.Fatalf("update %s: %d %s", id, st, b)
			}
		}
		// Traffic that reuses the server's request buffers.
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for k := 0; k < 10; k++ {
					httpDo(t, "GET", fmt.Sprintf("%s/api/v1/targets/9135%014d?x=%d", base, w*100+k, k), token, nil, "")
				}
			}(w)
		}
		wg.Wait()
	}
	for _, q := range []string{"?q=%E6%9B%B4%E6%96%B0", "?tag=%E7%89%B9%E7%A7%8D%E8%AE%BE%E5%A4%87%E4%BD%BF%E7%94%A8", "?region=44"} {
		st, b := httpDo(t, "GET", base+"/api/v1/targets"+q, token, nil, "")
		if st != 200 {
			t.Fatalf("search %s after updates: %d %s", q, st, b)
		}
		for _, id := range ids {
			if !strings.Contains(b, id) {
				t.Fatalf("search %s: %s lacks %s", q, b, id)
			}
		}
	}
}

// Text that is not UTF-8 used to be stored with U+FFFD in its place, without
// a word; limit=0 was taken as "the default"; a compressed body was inflated
// past the body limit; the print sheet had no Content-Security-Policy.
func TestBadTextAndLimits(t *testing.T) {
	e := newEnv(t)
	base := strings.Replace(targetJSON, "91440300708461136T", "91350100M000100Y43", 1)
	e.run(t, []scenario{
		{Name: "ErrBodyNotUTF8", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(base, "华为技术", "华为\xff\xfe技术", 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"UTF-8"}},
		{Name: "ErrBodyTruncatedRune", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(base, "华为技术", "华为\xe6\x8a", 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"UTF-8"}},
		{Name: "ErrLoneHighSurrogate", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(base, "华为技术", `华为\ud83d技术`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"surrogate"}},
		{Name: "ErrLoneLowSurrogate", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(base, "华为技术", `\ude00华为技术`, 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"surrogate"}},
		{Name: "ErrQueryNotUTF8", Method: "GET", URL: "/api/v1/targets?q=%FF%FE", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"UTF-8"}},
		{Name: "ErrMobilePushNotUTF8", Method: "POST", URL: "/mobile/v1/sync?v=2", Body: "{\"mutations\":[{\"opId\":\"\xff\"}]}", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/EscapedBackslashBeforeU", Method: "GET", URL: "/api/v1/targets?q=%5Cud800", User: "reviewer", WantStatus: 200},
		{Name: "OK/SurrogatePair", Method: "POST", URL: "/api/v1/targets", User: "manager", Body: strings.Replace(base, "华为技术", `华为\ud83d\ude00技术`, 1), WantStatus: 201, WantContent: []string{"华为😀技术"}},
		{Name: "ErrLimitZero", Method: "GET", URL: "/api/v1/targets?limit=0", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"1 to 200"}},
		{Name: "ErrLimitNegative", Method: "GET", URL: "/api/v1/inspectors?limit=-1", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrAuditLimitZero", Method: "GET", URL: "/api/v1/audit?objectType=user&objectId=admin&limit=0", User: "admin", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/LimitOne", Method: "GET", URL: "/api/v1/targets?limit=1", User: "reviewer", WantStatus: 200},
	})
	// Nothing refused was stored: the one target is the one with the pair.
	list, err := e.m.Stores.Targets.FindTargetByID(context.Background(), "91350100M000100Y43")
	if err != nil || list.Name != "华为😀技术有限公司" {
		t.Fatalf("stored target %+v, %v; want only the valid one", list, err)
	}

	token := e.login("manager")
	t.Run("ErrCompressedBody", func(t *testing.T) {
		req := httptestRequest("POST", "/api/v1/targets", targetJSON)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := e.m.HTTP.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"code":"invalid"`) {
			t.Fatalf("gzip body: %d %s, want 400 invalid", resp.StatusCode, b)
		}
	})
	t.Run("OK/PrintSheetCSP", func(t *testing.T) {
		r := e.do("GET", "/api/v1/enterprise-codes/sheet?ids=91350100M000100Y43", token, "", nil)
		if r.Status != 200 {
			t.Fatalf("sheet: %d %s", r.Status, r.Body)
		}
		if got := r.Header.Get("Content-Security-Policy"); got != api.PageCSP {
			t.Fatalf("sheet CSP %q, want %q", got, api.PageCSP)
		}
	})
}

func httptestRequest(method, url, body string) *http.Request {
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}
