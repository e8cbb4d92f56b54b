package api_test

// Probes of issue 12's holes 5, 6, 8 and 9 (separation of duties, ratings,
// check-in devices, required photos), each over HTTP as the attacker made
// it.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// loginDevice opens a phone session of user on device and returns its
// access token.
func (e *env) loginDevice(t *testing.T, user, device string) string {
	t.Helper()
	r := e.doT(t, "POST", "/mobile/v1/auth/login", "", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+testPassword+`","device":{"id":"`+device+`","platform":"android"}}`))
	if r.Status != 200 {
		t.Fatalf("mobile login %s on %s: %d %s", user, device, r.Status, r.Body)
	}
	var tok struct{ AccessToken string }
	r.json(t, &tok)
	return tok.AccessToken
}

// licenceCode returns the scanned form of an enterprise's licence code.
func (e *env) licenceCode(t *testing.T, uscc string) string {
	t.Helper()
	c, err := e.m.Codes.SignEnterpriseCode(context.Background(), uscc)
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

// firstTarget is the first target seedDirectory stored.
func firstTarget(t *testing.T, e *env) *backend.Target {
	t.Helper()
	page, err := e.m.Stores.Targets.FindTargets(context.Background(), backend.TargetFilter{}, backend.PageRequest{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no target: %v", err)
	}
	return page.Items[0]
}

// Hole 8: a check-in took its device from the request body, so a phone
// could record its check-ins as made from another device. The device is
// the session's; a body naming one is refused.
func TestSecurityCheckInDeviceFromSession(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	target := firstTarget(t, e)
	phone := e.loginDevice(t, "inspector", "duties-phone-1")
	body := func(id, extra string) string {
		return fmt.Sprintf(`{"id":%q,"code":%q,"position":{"lat":26.26,"lng":117.63},"accuracyM":10,"deviceTime":%q,"reason":"complaint","reference":"12315-2026-0101"%s}`,
			id, e.licenceCode(t, target.ID), time.Now().UTC().Format(time.RFC3339), extra)
	}
	e.run(t, []scenario{
		{Name: "ErrDeviceInBody", Method: "POST", URL: "/mobile/v1/checkins", Token: phone, Body: body("ci-duties-0001", `,"deviceId":"someone-elses-phone"`),
			WantStatus: 400, WantCode: "invalid", WantContent: []string{"deviceId"}},
		{Name: "OK/SessionDevice", Method: "POST", URL: "/mobile/v1/checkins", Token: phone, Body: body("ci-duties-0002", ""),
			WantStatus: 201, WantContent: []string{`"deviceId":"duties-phone-1"`}},
	})
	if _, err := e.m.Stores.CheckIns.FindCheckIn(context.Background(), "ci-duties-0001"); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("the refused check-in was stored: %v", err)
	}
	c, err := e.m.Stores.CheckIns.FindCheckIn(context.Background(), "ci-duties-0002")
	if err != nil || c.DeviceID != "duties-phone-1" {
		t.Fatalf("stored check-in %+v (%v), want device duties-phone-1", c, err)
	}
}

var _ = url.QueryEscape
