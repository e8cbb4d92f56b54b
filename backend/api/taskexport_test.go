package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

// readSheet reads a CSV export: a byte-order mark, then the rows.
func readSheet(t *testing.T, r *response) [][]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("status=%d type %q disposition %q, want a CSV attachment\n%s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), r.Body)
	}
	body, ok := bytes.CutPrefix(r.Body, []byte("\ufeff"))
	if !ok {
		t.Fatal("the CSV has no byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil && !strings.Contains(err.Error(), "wrong number of fields") {
		t.Fatal(err)
	}
	if err != nil { // the note of a cut export is one cell: read it leniently
		rd := csv.NewReader(bytes.NewReader(body))
		rd.FieldsPerRecord = -1
		if rows, err = rd.ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// TestTaskExport: the task list as CSV on the server, with the list's
// filters, names in place of codes, Chinese headers, a byte-order mark, a
// cell that would be a formula made text, an explicit row limit (and the
// note when more match); bad filters and limits are 400, others'
// departments export nothing.
func TestTaskExport(t *testing.T) {
	e, tasks := newReviewEnv(t)
	ctx := context.Background()
	planID := tasks[0].PlanID
	// A name that a spreadsheet would run as a formula.
	evil := e.storedTask(tasks[0].ID)
	evil.TargetName = "=HYPERLINK(\"http://example.com\",\"点击\")"
	if err := e.m.Stores.Tasks.UpdateTask(ctx, evil); err != nil {
		t.Fatal(err)
	}
	tok := e.login("test.manager")

	rows := readSheet(t, e.do("GET", "/api/v1/tasks.csv?plan="+planID, tok, "", nil))
	if len(rows) != len(tasks)+1 || rows[0][0] != "任务编号" || rows[0][len(rows[0])-1] != "是否逾期" {
		t.Fatalf("%d rows, header %v; want the header and %d tasks", len(rows), rows[0], len(tasks))
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	first := byID[tasks[0].ID]
	if first == nil {
		t.Fatalf("no row for %s", tasks[0].ID)
	}
	if first[1] != "'"+evil.TargetName || first[2] != tasks[0].TargetID || first[3] != "随机抽取" || first[4] != "市场监管、应急管理联合抽查" || first[5] != "第一批" || first[9] != "已派发" {
		t.Errorf("first row %q", first)
	}
	if strings.Contains(first[8], tasks[0].Team[0]) || !strings.Contains(first[8], "、") || first[7] == "scjg" || strings.Contains(first[6], "SCJG-03") {
		t.Errorf("first row %q: want the team, items and department by name", first)
	}

	t.Run("OK/SameFiltersAsTheList", func(t *testing.T) {
		sub := e.storedTask(tasks[1].ID)
		sub.Status = backend.TaskSubmitted
		if err := e.m.Stores.Tasks.UpdateTask(ctx, sub); err != nil {
			t.Fatal(err)
		}
		rows := readSheet(t, e.do("GET", "/api/v1/tasks.csv?status=submitted&plan="+planID, tok, "", nil))
		if len(rows) != 2 || rows[1][0] != tasks[1].ID || rows[1][9] != "待审核" {
			t.Fatalf("rows %q, want the header and the one submitted task", rows)
		}
	})
	t.Run("OK/Limit", func(t *testing.T) {
		rows := readSheet(t, e.do("GET", "/api/v1/tasks.csv?limit=2&plan="+planID, tok, "", nil))
		if len(rows) != 4 || !strings.Contains(rows[3][0], "仅导出了前 2 条") {
			t.Fatalf("rows %q, want the header, two tasks and the note that more match", rows)
		}
		rows = readSheet(t, e.do("GET", "/api/v1/tasks.csv?limit="+strconv.Itoa(len(tasks))+"&plan="+planID, tok, "", nil))
		if len(rows) != len(tasks)+1 {
			t.Fatalf("%d rows at a limit of exactly %d, want no note", len(rows), len(tasks))
		}
	})
	t.Run("OK/OtherDepartmentExportsNothing", func(t *testing.T) {
		rows := readSheet(t, e.do("GET", "/api/v1/tasks.csv?plan="+planID, e.login("other.reviewer"), "", nil))
		if len(rows) != 1 {
			t.Fatalf("rows %q, want the header only", rows)
		}
	})
	e.run(t, []scenario{
		{Name: "ErrLimitZero", Method: "GET", URL: "/api/v1/tasks.csv?limit=0", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLimitOver", Method: "GET", URL: "/api/v1/tasks.csv?limit=10001", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrLimitText", Method: "GET", URL: "/api/v1/tasks.csv?limit=all", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownStatus", Method: "GET", URL: "/api/v1/tasks.csv?status=lost", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrUnknownSort", Method: "GET", URL: "/api/v1/tasks.csv?sort=name", User: "test.manager", WantStatus: 400, WantCode: "invalid"},
		{Name: "ErrAnonymous", Method: "GET", URL: "/api/v1/tasks.csv", WantStatus: 401, WantCode: "unauthenticated"},
	})
}
