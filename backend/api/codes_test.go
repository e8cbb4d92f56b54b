package api_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scan decodes a PNG with zbarimg, as a phone's scanner would.
func scan(t *testing.T, png []byte) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("FIELDCHECK_SKIP_ZBAR") == "1" {
			t.Skip("zbarimg missing and FIELDCHECK_SKIP_ZBAR=1")
		}
		t.Fatal("zbarimg is missing: install zbar-tools (bash .ci/run does)")
	}
	p := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(p, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", p).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestEnterpriseCodesAndCheckIn(t *testing.T) {
	e := newEnv(t)
	seedDirectory(t, e)
	uscc := "91350404MA0000000" // first 17 characters of target 0
	page := e.do("GET", "/api/v1/targets?limit=1", e.login("reviewer"), "", nil)
	if !bytes.Contains(page.Body, []byte(uscc)) {
		t.Fatalf("target list %s", page.Body)
	}
	id := string(page.Body[bytes.Index(page.Body, []byte(uscc)) : bytes.Index(page.Body, []byte(uscc))+18])

	e.run(t, []scenario{
		{Name: "OK/KeySet", Method: "GET", URL: "/.well-known/fieldcheck-keys.json", WantStatus: 200, WantContent: []string{`"alg":"Ed25519"`, `"status":"current"`}},
		{Name: "ErrSizeTooLarge", Method: "GET", URL: "/api/v1/enterprises/" + id + "/qr.png?size=4096", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrSizeNotNumber", Method: "GET", URL: "/api/v1/enterprises/" + id + "/qr.png?size=big", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownEnterprise", Method: "GET", URL: "/api/v1/enterprises/91350100M000100Y43/qr.png", User: "reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrInspectorPrintsCodes", Method: "GET", URL: "/api/v1/enterprises/" + id + "/qr.png", User: "inspector", WantStatus: 403, WantCode: "forbidden"},
		{Name: "ErrNoToken", Method: "GET", URL: "/api/v1/enterprises/" + id + "/qr.svg", WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "OK/SVG", Method: "GET", URL: "/api/v1/enterprises/" + id + "/qr.svg", User: "reviewer", WantStatus: 200, WantContent: []string{"<svg"}},
		{Name: "ErrZIPWithoutRegion", Method: "GET", URL: "/api/v1/enterprise-codes/zip", User: "reviewer", WantStatus: 400, WantCode: "invalid"},
		{Name: "OK/Sheet", Method: "GET", URL: "/api/v1/enterprise-codes/sheet?ids=" + id, User: "reviewer", WantStatus: 200, WantContent: []string{id, "测试商贸0有限公司"}},
	})

	// The served PNG decodes to a genuine code of that enterprise.
	r := e.do("GET", "/api/v1/enterprises/"+id+"/qr.png?size=256", e.login("reviewer"), "", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	code := scan(t, r.Body)
	if !strings.Contains(code, "/e/"+id+"?k=") {
		t.Fatalf("scanned %q", code)
	}

	// The phone checks in with the scanned code.
	mobile := func(user string) string {
		r := e.do("POST", "/mobile/v1/auth/login", "", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+testPassword+`","device":{"id":"codes-test-phone","platform":"android"}}`))
		if r.Status != 200 {
			t.Fatalf("mobile login: %d %s", r.Status, r.Body)
		}
		var tok struct{ AccessToken string }
		r.JSON(t, &tok)
		return tok.AccessToken
	}
	phone := mobile("inspector")
	checkIn := func(token, id, code, reason string) *response {
		body := fmt.Sprintf(`{"id":%q,"code":%q,"position":{"lat":26.26,"lng":117.63},"accuracyM":10,"deviceTime":%q%s}`,
			id, code, time.Now().UTC().Format(time.RFC3339), reason)
		return e.do("POST", "/mobile/v1/checkins", token, "application/json", strings.NewReader(body))
	}
	complaint := `,"reason":"complaint","reference":"12315-2026-0009"`
	// Change one character in the middle of the signature: still canonical
	// base64url, but not a signature of this code.
	i := strings.Index(code, "&s=") + 3 + 20
	swap := byte('A')
	if code[i] == 'A' {
		swap = 'B'
	}
	forged := code[:i] + string(swap) + code[i+1:]
	tests := []struct {
		name   string
		token  string
		id     string
		code   string
		reason string
		want   int
		msg    string
	}{
		{"ErrBackOfficeToken", e.login("inspector"), "ci-test-0001", code, complaint, 401, ""},
		{"ErrNoReason", phone, "ci-test-0002", code, "", 400, "清单之外无检查"},
		{"ErrForged", phone, "ci-test-0003", forged, complaint, 400, "forged"},
		{"ErrGarbage", phone, "ci-test-0004", "hello", complaint, 400, ""},
		{"OK", phone, "ci-test-0005", code, complaint, 201, `"flags":["no-location","no-task"]`},
		{"OK/Replay", phone, "ci-test-0005", code, complaint, 201, `"id":"ci-test-0005"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkIn(tt.token, tt.id, tt.code, tt.reason)
			if r.Status != tt.want || !bytes.Contains(r.Body, []byte(tt.msg)) {
				t.Fatalf("status %d %s; want %d containing %q", r.Status, r.Body, tt.want, tt.msg)
			}
		})
	}

	// The ZIP of a region holds one decodable PNG per enterprise.
	r = e.do("GET", "/api/v1/enterprise-codes/zip?region=350404&credit=D", e.login("reviewer"), "", nil)
	zr, err := zip.NewReader(bytes.NewReader(r.Body), int64(len(r.Body)))
	if err != nil {
		t.Fatalf("zip: %v (%d bytes)", err, len(r.Body))
	}
	if len(zr.File) != 10 {
		t.Fatalf("zip has %d files, want the 10 class-D enterprises", len(zr.File))
	}
	f, _ := zr.File[0].Open()
	var png bytes.Buffer
	png.ReadFrom(f)
	if got := scan(t, png.Bytes()); !strings.Contains(got, "/e/"+strings.TrimSuffix(zr.File[0].Name, ".png")+"?k=") {
		t.Fatalf("zip entry %s scans as %q", zr.File[0].Name, got)
	}
}
