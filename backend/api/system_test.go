package api_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/keyring"
)

// withOversight adds a login of the oversight office to e.
func withOversight(t *testing.T, e *env) *env {
	t.Helper()
	sys := backend.WithActor(context.Background(), backend.SystemActor("test"))
	if err := e.m.Users.CreateUser(sys, &backend.User{ID: "oversight", DisplayName: "监督室", Role: backend.RoleOversight}, testPassword); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSystemRoutesRefuseNonAdmins: the 系统 page's endpoints answer 403 to
// every role but the administrator, with a bearer token and with the
// console's cookie (and its CSRF token); the 监督 page's to all but the
// oversight office and the administrator.
func TestSystemRoutesRefuseNonAdmins(t *testing.T) {
	e := withOversight(t, newEnv(t))
	system := []struct{ method, url, body string }{
		{"GET", "/api/v1/users", ""},
		{"POST", "/api/v1/users", `{"id":"mallory","displayName":"M","role":"admin","password":"correct-horse-battery-2"}`},
		{"POST", "/api/v1/users/admin/disable", ""},
		{"POST", "/api/v1/users/reviewer/reset-password", `{"password":""}`},
		{"POST", "/api/v1/users/reviewer/end-sessions", ""},
		{"GET", "/api/v1/users/inspector/devices", ""},
		{"POST", "/api/v1/users/inspector/devices/phone-0001/revoke", `{"reason":"丢失"}`},
		{"POST", "/api/v1/departments", `{"id":"wsj","name":"卫生健康局"}`},
		{"GET", "/api/v1/keys", ""},
		{"POST", "/api/v1/keys/codes/rotate", `{}`},
		{"POST", "/api/v1/keys/tokens/x/retire", ""},
		{"GET", "/api/v1/audit?objectType=user&objectId=admin", ""},
		{"POST", "/api/v1/audit/verify", ""},
	}
	oversight := []string{"/api/v1/complaints", "/api/v1/ratings", "/api/v1/oversight/checkins", "/api/v1/oversight/figures"}
	var sc []scenario
	for _, user := range []string{"inspector", "manager", "reviewer", "oversight"} {
		for _, r := range system {
			sc = append(sc, scenario{Name: "ErrForbidden/" + user + "/" + r.method + r.url, Method: r.method, URL: r.url, User: user, Body: r.body, WantStatus: 403, WantCode: "forbidden"})
		}
	}
	for _, user := range []string{"inspector", "manager", "reviewer"} {
		for _, url := range oversight {
			sc = append(sc, scenario{Name: "ErrForbidden/" + user + url, Method: "GET", URL: url, User: user, WantStatus: 403, WantCode: "forbidden"})
		}
	}
	for _, user := range []string{"oversight", "admin"} {
		for _, url := range oversight {
			want := `"items":[`
			if strings.HasSuffix(url, "/figures") {
				want = `"enterprises":[`
			}
			sc = append(sc, scenario{Name: "OK/" + user + url, Method: "GET", URL: url, User: user, WantStatus: 200, WantContent: []string{want}})
		}
	}
	sc = append(sc,
		scenario{Name: "OK/OversightDashboard", Method: "GET", URL: "/api/v1/dashboard", User: "oversight", WantStatus: 200},
		scenario{Name: "ErrBadCategory", Method: "GET", URL: "/api/v1/complaints?category=%24ne", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrBadTarget", Method: "GET", URL: "/api/v1/complaints?targetId=123", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrBadYear", Method: "GET", URL: "/api/v1/oversight/checkins?year=abc", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrRatingsBadFlag", Method: "GET", URL: "/api/v1/ratings?flagged=maybe", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrRatingsBadTarget", Method: "GET", URL: "/api/v1/ratings?targetId=%7B%22%24ne%22%3A1%7D", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "OK/RatingsFiltered", Method: "GET", URL: "/api/v1/ratings?flagged=true&disputed=true", User: "oversight", WantStatus: 200, WantContent: []string{`"items":[]`}},
		scenario{Name: "ErrFiguresLimit", Method: "GET", URL: "/api/v1/oversight/figures?limit=101", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrYearOutOfRange", Method: "GET", URL: "/api/v1/oversight/checkins?year=1999", User: "oversight", WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrUnknownRing", Method: "POST", URL: "/api/v1/keys/nope/rotate", User: "admin", Body: `{}`, WantStatus: 404, WantCode: "not_found"},
		scenario{Name: "ErrLaterActivationNotCodes", Method: "POST", URL: "/api/v1/keys/tokens/rotate", User: "admin", Body: `{"activateInDays":30}`, WantStatus: 400, WantCode: "invalid"},
		scenario{Name: "ErrActivationTooLate", Method: "POST", URL: "/api/v1/keys/codes/rotate", User: "admin", Body: `{"activateInDays":366}`, WantStatus: 400, WantCode: "invalid"},
	)
	e.run(t, sc)

	t.Run("ErrForbidden/Cookie", func(t *testing.T) {
		for _, user := range []string{"inspector", "manager"} {
			_, b := e.browserLogin(t, user, nil)
			for _, r := range system {
				if got := e.doBrowser(t, b, r.method, r.url, b.csrf, r.body); got.Status != 403 {
					t.Errorf("%s with %s's cookie: %d %s, want 403", r.method+" "+r.url, user, got.Status, got.Body)
				}
			}
		}
	})
}

// TestKeyRotationWhileRunning: an administrator rotates the codes ring
// through the API; the new key is current, the old one still verifies,
// the rotation is in the audit log, and the old key can then be retired
// (the current one cannot).
func TestKeyRotationWhileRunning(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	list := func() map[string][]keyring.Info {
		r := e.do("GET", "/api/v1/keys", admin, "", nil)
		if r.Status != 200 {
			t.Fatalf("list keys: %d %s", r.Status, r.Body)
		}
		var body struct{ Items []keyring.RingKeys }
		r.JSON(t, &body)
		out := map[string][]keyring.Info{}
		for _, k := range body.Items {
			out[k.Ring] = k.Keys
		}
		return out
	}
	before := list()
	for _, ring := range []string{"tokens", "codes", "audit"} {
		if _, ok := before[ring]; !ok {
			t.Fatalf("rings %v, want tokens, codes and audit", before)
		}
	}
	// The codes ring makes its first key on first use.
	_ = e.do("GET", "/.well-known/fieldcheck-keys.json", "", "", nil)
	old := list()["codes"]
	if len(old) != 1 || old[0].Status != keyring.StatusCurrent {
		t.Fatalf("codes ring before %+v, want one current key", old)
	}
	r := e.do("POST", "/api/v1/keys/codes/rotate", admin, "application/json", strings.NewReader(`{}`))
	if r.Status != 200 {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	after := list()["codes"]
	if len(after) != 2 || after[0].Status != keyring.StatusCurrent || after[1].ID != old[0].ID || after[1].Status != keyring.StatusValid {
		t.Fatalf("codes ring after rotating %+v, want a new current key and the old one valid", after)
	}
	audit := e.do("GET", "/api/v1/audit?objectType=key-ring&objectId=codes", admin, "", nil)
	if !strings.Contains(string(audit.Body), `"action":"keys.rotate"`) || !strings.Contains(string(audit.Body), after[0].ID+" by admin") {
		t.Fatalf("audit of the codes ring %s, want the rotation by admin", audit.Body)
	}
	if r := e.do("POST", "/api/v1/keys/codes/"+after[0].ID+"/retire", admin, "", nil); r.Status != 400 {
		t.Fatalf("retire the current key: %d %s, want 400", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/keys/codes/"+old[0].ID+"/retire", admin, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"status":"retired"`) {
		t.Fatalf("retire the old key: %d %s", r.Status, r.Body)
	}
}

// TestAuditVerifyAPI: the chain verifies through the API while the server
// runs, with its entry count and head; after an entry is altered the
// answer names the first bad entry; each check is itself recorded.
func TestAuditVerifyAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	verify := func() backend.AuditChainReport {
		t.Helper()
		r := e.do("POST", "/api/v1/audit/verify", admin, "", nil)
		if r.Status != 200 {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		var rep backend.AuditChainReport
		r.JSON(t, &rep)
		return rep
	}
	rep := verify()
	if !rep.Intact || rep.Check.Entries < 5 || rep.Check.LastSeq != rep.Check.Entries || len(rep.Check.LastHash) != 64 || rep.Problem != nil {
		t.Fatalf("verify %+v, want intact with the head", rep)
	}
	if again := verify(); again.Check.Entries != rep.Check.Entries+1 {
		t.Fatalf("second verify counts %d entries, want %d: the first check is recorded", again.Check.Entries, rep.Check.Entries+1)
	}
	// Someone with write access to the store changes entry 3 in place.
	if _, err := e.m.DB.Database.Collection("audit").UpdateOne(context.Background(), bson.D{{Key: "seq", Value: 3}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "actor", Value: "mallory"}}}}); err != nil {
		t.Fatal(err)
	}
	bad := verify()
	if bad.Intact || bad.Problem == nil || bad.Problem.Seq != 3 || bad.Check.Entries != 2 || !strings.Contains(bad.Problem.Reason, "altered") {
		t.Fatalf("verify after an edit %+v, want entry 3 named as altered with 2 intact before it", bad)
	}
}
