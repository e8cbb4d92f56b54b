package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// inspectorJSON is an inspector of department scjg whose certificate's
// last valid day is days from today.
func inspectorJSON(id, name, cert string, days int) string {
	expiry := backend.DateOf(time.Now().AddDate(0, 0, days))
	return fmt.Sprintf(`{"id":%q,"name":%q,"departmentId":"scjg","certNo":%q,"certExpiry":%q,"specialties":[],"conflicts":[],"leave":[],"active":true}`, id, name, cert, expiry)
}

// TestInspectorListFilters: the certificate state of each inspector is
// the server's (expired, within 30 days, valid), the list narrows by it
// and by a part of the name or certificate number; bad filters are 400,
// and a state sent by a client is not what is answered.
func TestInspectorListFilters(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{Name: "OK/CreateExpired", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: inspectorJSON("ins-old", "陈过期", "SC-OLD-001", -1), WantStatus: 201, WantContent: []string{`"certState":"expired"`}},
		{Name: "OK/CreateExpiringToday", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: inspectorJSON("ins-today", "林今日", "SC-TODAY-01", 0), WantStatus: 201, WantContent: []string{`"certState":"expiring"`}},
		{Name: "OK/CreateExpiringLastDay", Method: "POST", URL: "/api/v1/inspectors", User: "manager", Body: inspectorJSON("ins-soon", "周将至", "SC-SOON-001", backend.CertificateWarningDays), WantStatus: 201, WantContent: []string{`"certState":"expiring"`}},
		{Name: "OK/CreateValidClientStateIgnored", Method: "POST", URL: "/api/v1/inspectors", User: "manager",
			Body:       strings.Replace(inspectorJSON("ins-ok", "吴有效", "SC-VALID-01", backend.CertificateWarningDays+1), `"active"`, `"certState":"expired","active"`, 1),
			WantStatus: 201, WantContent: []string{`"certState":"valid"`}},
		{Name: "OK/ListExpired", Method: "GET", URL: "/api/v1/inspectors?cert=expired", User: "reviewer", WantStatus: 200, After: wantIDs("ins-old")},
		{Name: "OK/ListExpiring", Method: "GET", URL: "/api/v1/inspectors?cert=expiring", User: "reviewer", WantStatus: 200, After: wantIDs("ins-soon", "ins-today")},
		{Name: "OK/ListValid", Method: "GET", URL: "/api/v1/inspectors?cert=valid&department=scjg", User: "reviewer", WantStatus: 200, After: wantIDs("ins-ok")},
		{Name: "OK/SortByExpiry", Method: "GET", URL: "/api/v1/inspectors?sort=certExpiry&limit=1", User: "reviewer", WantStatus: 200, After: wantIDs("ins-old")},
		{Name: "OK/SortByExpiryNextPage", Method: "GET", URL: "/api/v1/inspectors?sort=certExpiry&limit=1&after=certExpiry/" + base64.RawURLEncoding.EncodeToString([]byte(backend.DateOf(time.Now().AddDate(0, 0, -1)))) + "/ins-old", User: "reviewer", WantStatus: 200, After: wantIDs("ins-today")},
		{Name: "OK/SortByName", Method: "GET", URL: "/api/v1/inspectors?sort=name&limit=1", User: "reviewer", WantStatus: 200, After: wantIDs("ins-ok")}, // 吴 is U+5434, the lowest
		{Name: "ErrUnknownSort", Method: "GET", URL: "/api/v1/inspectors?sort=department", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"name, certExpiry"}},
		{Name: "OK/SearchName", Method: "GET", URL: "/api/v1/inspectors?q=" + url.QueryEscape("将至"), User: "manager", WantStatus: 200, After: wantIDs("ins-soon")},
		{Name: "OK/SearchCertAnyCase", Method: "GET", URL: "/api/v1/inspectors?q=sc-today", User: "manager", WantStatus: 200, After: wantIDs("ins-today")},
		{Name: "OK/SearchIsNotAPattern", Method: "GET", URL: "/api/v1/inspectors?q=" + url.QueryEscape(".*"), User: "manager", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "OK/OtherDepartmentEmpty", Method: "GET", URL: "/api/v1/inspectors?department=yjgl&cert=expired", User: "reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrCertState", Method: "GET", URL: "/api/v1/inspectors?cert=soon", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"expired, expiring or valid"}},
		{Name: "ErrSearchTooLong", Method: "GET", URL: "/api/v1/inspectors?q=" + strings.Repeat("a", 51), User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrInspectorReads", Method: "GET", URL: "/api/v1/inspectors?cert=expired", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrOtherDepartmentEdits", Method: "PUT", URL: "/api/v1/inspectors/ins-old", User: "other.manager",
			Body: strings.Replace(inspectorJSON("ins-old", "陈过期", "SC-OLD-001", 300), `"active"`, `"version":1,"active"`, 1), WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/RenewCertificate", Method: "PUT", URL: "/api/v1/inspectors/ins-old", User: "manager",
			Body: strings.Replace(inspectorJSON("ins-old", "陈过期", "SC-OLD-001", 300), `"active"`, `"version":1,"active"`, 1), WantStatus: 200, WantContent: []string{`"certState":"valid"`, `"version":2`}},
		{Name: "OK/CreateExpert", Method: "POST", URL: "/api/v1/experts", User: "manager", Body: `{"id":"exp-zheng","name":"郑专家","organisation":"市食品检测中心","specialties":[],"conflicts":[],"active":true}`, WantStatus: 201},
		{Name: "OK/ExpertSearch", Method: "GET", URL: "/api/v1/experts?q=" + url.QueryEscape("检测") + "&active=true", User: "reviewer", WantStatus: 200, WantContent: []string{`"id":"exp-zheng"`}},
		{Name: "OK/ExpertSearchNone", Method: "GET", URL: "/api/v1/experts?q=" + url.QueryEscape("检测") + "&active=false", User: "reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
		{Name: "ErrExpertActive", Method: "GET", URL: "/api/v1/experts?active=maybe", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrExpertSearchTooLong", Method: "GET", URL: "/api/v1/experts?q=" + strings.Repeat("a", 51), User: "reviewer", WantStatus: 400, WantCode: "invalid"},
	})
	in, err := e.m.Stores.Inspectors.FindInspectorByID(context.Background(), "ins-ok")
	if err != nil {
		t.Fatal(err)
	}
	if in.CertState != "" {
		t.Fatalf("stored certState %q, want none (it is never stored)", in.CertState)
	}
}

// TestTemplateVersionsAPI: an item's versions are listed newest first,
// two of them compared, a new one made by the lead department's manager
// (the old one stays as it was); other departments' managers and
// reviewers may not make one; bad versions are 400, missing ones 404.
func TestTemplateVersionsAPI(t *testing.T) {
	e := newEnv(t)
	item := `{"code":"SCJG-SPAQ-01","name":"食品经营许可及经营行为检查","legalBasis":"《中华人民共和国食品安全法》第八十七条","departmentId":"scjg",
	 "targetKind":"enterprise","content":"检查食品经营许可证","method":"onsite","category":"key"}`
	v1 := `{"questions":[{"id":"licence","text":"是否持有有效食品经营许可证","type":"yesno","required":true},
	 {"id":"staff","text":"从业人员是否持有健康证明","type":"yesno","required":true}]}`
	v2 := `{"questions":[{"id":"licence","text":"是否持有有效食品经营许可证并在醒目位置公示","type":"yesno","required":true,"photoRequired":true},
	 {"id":"storage","text":"贮存条件","type":"single","options":["符合","不符合"],"required":true}]}`
	diff := "/api/v1/items/SCJG-SPAQ-01/templates/diff"
	e.run(t, []scenario{
		{Name: "OK/CreateItem", Method: "POST", URL: "/api/v1/items", User: "manager", Body: item, WantStatus: 201},
		{Name: "OK/NoVersionsYet", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "reviewer", WantStatus: 200, WantContent: []string{`[]`}},
		{Name: "OK/Version1", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "manager", Body: v1, WantStatus: 201, WantContent: []string{`"version":1`}},
		{Name: "ErrOtherDepartmentsManager", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "other.manager", Body: v2, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrReviewer", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "reviewer", Body: v2, WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrChoiceWithoutOptions", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "manager", Body: strings.Replace(v2, `"options":["符合","不符合"],`, "", 1), WantStatus: 400, WantCode: "invalid", WantContent: []string{"at least two options"}},
		{Name: "ErrNoQuestions", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "manager", Body: `{"questions":[]}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownField", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "manager", Body: `{"questions":[],"version":7}`, WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDiffOneVersion", Method: "GET", URL: diff + "?from=1&to=2", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/Version2", Method: "POST", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "admin", Body: v2, WantStatus: 201, WantContent: []string{`"version":2`}},
		{Name: "OK/Versions", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01/templates", User: "reviewer", WantStatus: 200,
			WantContent: []string{`"version":2,"questions":2,"createdBy":"admin"`, `"version":1,"questions":2,"createdBy":"manager"`}, After: func(t *testing.T, r *response) {
				var vs []backend.TemplateVersion
				r.JSON(t, &vs)
				if len(vs) != 2 || vs[0].Version != 2 || !vs[0].Current || vs[1].Current {
					t.Fatalf("versions %+v, want 2 (current) then 1", vs)
				}
			}},
		{Name: "OK/OldVersionKept", Method: "GET", URL: "/api/v1/items/SCJG-SPAQ-01/templates/1", User: "inspector", WantStatus: 200, WantContent: []string{"staff", "从业人员是否持有健康证明"}},
		{Name: "OK/Diff", Method: "GET", URL: diff + "?from=1&to=2", User: "reviewer", WantStatus: 200, After: func(t *testing.T, r *response) {
			var d backend.TemplateDiff
			r.JSON(t, &d)
			if got := d.String(); got != "changed:licence[text,photoRequired] added:storage removed:staff" {
				t.Fatalf("diff %q", got)
			}
			if d.Added != 1 || d.Removed != 1 || d.Changed != 1 || d.Unchanged != 0 {
				t.Fatalf("diff counts %+v", d)
			}
		}},
		{Name: "OK/DiffBackwards", Method: "GET", URL: diff + "?from=2&to=1", User: "manager", WantStatus: 200, WantContent: []string{`"from":2,"to":1`, `"change":"added"`, `"id":"staff"`}},
		{Name: "ErrDiffSameVersion", Method: "GET", URL: diff + "?from=2&to=2", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDiffMissingTo", Method: "GET", URL: diff + "?from=1", User: "reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"to must be"}},
		{Name: "ErrDiffNotNumber", Method: "GET", URL: diff + "?from=a&to=2", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDiffZero", Method: "GET", URL: diff + "?from=0&to=2", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrDiffNoSuchVersion", Method: "GET", URL: diff + "?from=1&to=9", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDiffNoSuchItem", Method: "GET", URL: "/api/v1/items/NOPE/templates/diff?from=1&to=2", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrVersionsNoSuchItem", Method: "GET", URL: "/api/v1/items/NOPE/templates", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrDiffNoLogin", Method: "GET", URL: diff + "?from=1&to=2", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "OK/ItemSearch", Method: "GET", URL: "/api/v1/items?q=" + url.QueryEscape("经营许可") + "&department=scjg", User: "reviewer", WantStatus: 200, WantContent: []string{`"templateVersion":2`}},
		{Name: "OK/ItemSearchByCode", Method: "GET", URL: "/api/v1/items?q=spaq", User: "reviewer", WantStatus: 200, WantContent: []string{"SCJG-SPAQ-01"}},
		{Name: "OK/ItemSearchOtherDepartment", Method: "GET", URL: "/api/v1/items?q=spaq&department=yjgl", User: "reviewer", WantStatus: 200, WantContent: []string{`"items":[]`}},
	})
	it, err := e.m.Stores.Items.FindItemByCode(context.Background(), "SCJG-SPAQ-01")
	if err != nil {
		t.Fatal(err)
	}
	if it.TemplateVersion != 2 {
		t.Fatalf("item's current template %d, want 2 (the refused versions stored nothing)", it.TemplateVersion)
	}
}

// wantIDs checks that a page of inspectors holds exactly ids (sorted).
func wantIDs(ids ...string) func(t *testing.T, r *response) {
	return func(t *testing.T, r *response) {
		var page backend.Page[*backend.Inspector]
		r.JSON(t, &page)
		var got []string
		for _, in := range page.Items {
			got = append(got, in.ID)
		}
		slices.Sort(got)
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("inspectors %v, want %v", got, ids)
		}
	}
}
