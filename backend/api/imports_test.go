package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/api"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

func importUSCC(n int) string {
	first := fmt.Sprintf("91350404MA%07d", n)
	c, _ := backend.USCCCheckChar(first)
	return first + string(c)
}

// importCSV is a target file of good rows and, when bad, two bad ones: a
// wrong check digit (row 3) and a missing credit class (row 5).
func importCSV(bad bool) string {
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称,行政区划,信用风险分类\n")
	for i := 1; i <= 4; i++ {
		id, credit := importUSCC(i), "B"
		if bad && i == 2 {
			id = id[:17] + "0"
			if id == importUSCC(i) {
				id = id[:17] + "1"
			}
		}
		if bad && i == 4 {
			credit = ""
		}
		fmt.Fprintf(&b, "%s,导入测试企业%d,350404,%s\n", id, i, credit)
	}
	return b.String()
}

// TestImportTargets: an administrator's dry run lists the bad rows with
// their row number and column and writes nothing; the corrected file is
// imported; others may not import; bad requests are 400.
func TestImportTargets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.login("admin")
	post := func(url, token, body string) *response {
		return e.do("POST", url, token, "text/csv", strings.NewReader(body))
	}

	r := post("/api/v1/imports/targets/check?name=targets.csv", admin, importCSV(true))
	if r.Status != 200 {
		t.Fatalf("dry run: status=%d %s", r.Status, r.Body)
	}
	var sum importer.Summary
	r.JSON(t, &sum)
	if sum.Imported != 2 || sum.Rejected != 2 || len(sum.Errors) != 2 {
		t.Fatalf("dry run: %+v, want 2 valid and 2 rejected rows", sum)
	}
	for i, want := range []importer.RowError{{Row: 3, Column: "统一社会信用代码"}, {Row: 5, Column: "信用风险分类"}} {
		if got := sum.Errors[i]; got.Row != want.Row || got.Column != want.Column || got.Reason == "" {
			t.Errorf("error %d = %+v, want row %d, column %s and a reason", i, got, want.Row, want.Column)
		}
	}
	if _, err := e.m.Stores.Targets.FindTargetByID(ctx, importUSCC(1)); !backend.IsCode(err, backend.ENOTFOUND) {
		t.Fatalf("after the dry run the first row's target is stored (err %v)", err)
	}

	r = post("/api/v1/imports/targets?name=targets.csv", admin, importCSV(false))
	if r.Status != 200 {
		t.Fatalf("import: status=%d %s", r.Status, r.Body)
	}
	sum = importer.Summary{}
	r.JSON(t, &sum)
	if sum.Imported != 4 || sum.Rejected != 0 {
		t.Fatalf("import: %+v, want 4 imported", sum)
	}
	got, err := e.m.Stores.Targets.FindTargetByID(ctx, importUSCC(4))
	if err != nil || got.Name != "导入测试企业4" {
		t.Fatalf("stored %+v, %v", got, err)
	}

	cases := []struct {
		name, url, user, body string
		want                  int
	}{
		{"ManagerMayNotCheck", "/api/v1/imports/targets/check", "manager", importCSV(false), 403},
		{"ManagerMayNotImport", "/api/v1/imports/targets", "manager", importCSV(false), 403},
		{"UnknownKind", "/api/v1/imports/plans", "admin", importCSV(false), 400},
		{"Empty", "/api/v1/imports/targets", "admin", "", 400},
		{"UnknownHeader", "/api/v1/imports/targets/check", "admin", "统一社会信用代码,名字\n", 400},
		{"NoLogin", "/api/v1/imports/targets", "", importCSV(false), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := ""
			if c.user != "" {
				tok = e.login(c.user)
			}
			r := post(c.url, tok, c.body)
			if r.Status != c.want || !strings.Contains(string(r.Body), `"code"`) {
				t.Fatalf("status=%d %s, want %d with a code", r.Status, r.Body, c.want)
			}
		})
	}
}

// TestImportTooLarge: a file announced larger than MaxImportBytes is
// refused with 400 at once, without waiting for its body.
func TestImportTooLarge(t *testing.T) {
	e := newEnv(t)
	base := apptest.Serve(t, e.m)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/imports/targets/check?name=big.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n", e.login("admin"), api.MaxImportBytes+1)
	// The server reads the start of a streamed body before the handler
	// runs: send some, never the whole.
	go func() { _, _ = conn.Write(make([]byte, 256<<10)) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "larger than 64 MiB") {
		t.Fatalf("status=%d %s, want 400 saying the file is too large", resp.StatusCode, body)
	}
}
