package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestInspectorSearch: the team-member pickers' search, by name (contains)
// or id (prefix), paged, with its limit and no way to pass an operator.
func TestInspectorSearch(t *testing.T) {
	e := newEnv(t)
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	for i, in := range []struct{ id, name string }{
		{"ins-zhang-01", "张三"}, {"ins-zhang-02", "张三丰"}, {"ins-li-01", "李四"}, {"ins-wang-01", "王五"}, {"ins-x-01", "a.b*c"},
	} {
		v := &backend.Inspector{ID: in.id, Name: in.name, DepartmentID: "scjg", CertNo: "SC35040400" + string(rune('1'+i)), CertExpiry: "2028-06-30", Active: true}
		if err := e.m.Directory.CreateInspector(sys, v); err != nil {
			t.Fatal(err)
		}
	}
	q := func(s string) string { return "/api/v1/inspectors?q=" + url.QueryEscape(s) }
	e.run(t, []scenario{
		{Name: "OK/NameContains", Method: "GET", URL: q("三"), User: "manager", WantStatus: 200, WantContent: []string{`"ins-zhang-01"`, `"ins-zhang-02"`}},
		{Name: "OK/IDPrefix", Method: "GET", URL: q("ins-li"), User: "manager", WantStatus: 200, WantContent: []string{`"ins-li-01"`}},
		{Name: "OK/Paged", Method: "GET", URL: q("张") + "&limit=1", User: "reviewer", WantStatus: 200, WantContent: []string{`"ins-zhang-01"`, `"nextCursor"`}},
		{Name: "OK/RegexQuoted", Method: "GET", URL: q("."), User: "manager", WantStatus: 200, WantContent: []string{`"ins-x-01"`}},
		{Name: "OK/Spaces", Method: "GET", URL: q("  王五 "), User: "manager", WantStatus: 200, WantContent: []string{`"ins-wang-01"`}},
		{Name: "ErrTooLong", Method: "GET", URL: q(strings.Repeat("张", 51)), User: "manager", WantStatus: 400, WantCode: "invalid", WantContent: []string{"search"}},
		{Name: "ErrNoToken", Method: "GET", URL: q("张"), WantStatus: 401, WantCode: "unauthenticated"},
	})
	for _, tt := range []struct{ name, q string }{{"RegexQuoted", "."}, {"IDNotContains", "zhang"}, {"Operator", `{"$ne":""}`}} {
		t.Run("Count/"+tt.name, func(t *testing.T) {
			var page backend.Page[*backend.Inspector]
			e.do("GET", q(tt.q), e.login("manager"), "", nil).JSON(t, &page)
			want := map[string]int{"RegexQuoted": 1, "IDNotContains": 0, "Operator": 0}[tt.name]
			if len(page.Items) != want {
				t.Fatalf("q=%q found %d inspectors, want %d", tt.q, len(page.Items), want)
			}
		})
	}
}
