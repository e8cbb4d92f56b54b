package importer_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

// fixtureInspectors is what inspectors.csv holds.
var fixtureInspectors = []*backend.Inspector{
	{ID: "ins-fj35010001", Name: "林志强", DepartmentID: "scjg", CertNo: "FJ35010001", CertExpiry: "2027-06-30",
		Specialties: []string{"食品安全", "特种设备"}, RegionCode: "350102",
		Conflicts: []backend.Conflict{{TargetID: "91350102MA2Y0A1B3X", Reason: "亲属任职"}}, TaskCap: 20, UserID: "linzq", Active: true},
	{ID: "ins-fj35010002", Name: "陈美玲", DepartmentID: "scjg", CertNo: "FJ35010002", CertExpiry: "2027-12-31",
		Specialties: []string{"药品"}, RegionCode: "350103", TaskCap: 10, Active: true},
	{ID: "ins-fj35010003", Name: "黄伟", DepartmentID: "wjw", CertNo: "FJ35010003", CertExpiry: "2026-09-01",
		Specialties: []string{"卫生监督", "公共场所"},
		Conflicts:   []backend.Conflict{{TargetID: "91350103MA31C4D5E9", Reason: "申报回避"}, {TargetID: "92350104MA2Y7F8G9H", Reason: "申报回避"}},
		UserID:      "huangwei", Active: true},
	{ID: "ins-fj35010004", Name: "吴芳", DepartmentID: "scjg", CertNo: "FJ35010004", CertExpiry: "2028-01-15", RegionCode: "350104", Active: true},
}

func (e *env) inspector(tb testing.TB, certNo string) *backend.Inspector {
	tb.Helper()
	in, err := e.inspectors.FindInspectorByCertNo(e.ctx, certNo)
	if err != nil {
		tb.Fatalf("find inspector %s: %v", certNo, err)
	}
	return in
}

func TestImportInspectors(t *testing.T) {
	e := newEnv(t)
	s := e.MustImportFile(t, importer.Inspectors, fixture("inspectors.csv"))
	checkCounts(t, s, 4, 0, 0, 0)
	for _, w := range fixtureInspectors {
		got := e.inspector(t, w.CertNo)
		sameJSON(t, "inspector "+w.CertNo, got, w)
		if got.Version != 1 {
			t.Errorf("%s: version=%d, want 1", w.CertNo, got.Version)
		}
	}

	t.Run("ReimportChangesNothing", func(t *testing.T) {
		// Leave and a conflict's reason edited in the back office are not the
		// file's business: a re-import keeps them.
		in := e.inspector(t, "FJ35010003")
		in.Leave = []backend.Period{{From: "2026-08-01", To: "2026-08-15"}}
		in.Conflicts[0].Reason = "配偶任该企业法定代表人"
		if err := e.inspectors.UpdateInspector(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		entries := e.auditCount(t)
		s := e.MustImportFile(t, importer.Inspectors, fixture("inspectors.csv"))
		checkCounts(t, s, 0, 0, 4, 0)
		got := e.inspector(t, "FJ35010003")
		sameJSON(t, "inspector", got, in)
		if got.Version != in.Version {
			t.Errorf("version=%d, want %d", got.Version, in.Version)
		}
		if n := e.auditCount(t); n != entries {
			t.Errorf("audit log grew from %d to %d entries", entries, n)
		}
	})

	t.Run("ChangedRowUpdatesKeepingID", func(t *testing.T) {
		csv := "执法证号,姓名,部门,证件有效期,任务上限\nFJ35010002,陈美玲,wjw,2029-12-31,15\n"
		s := e.MustImportString(t, importer.Inspectors, csv)
		checkCounts(t, s, 0, 1, 0, 0)
		got := e.inspector(t, "FJ35010002")
		want := *fixtureInspectors[1]
		want.DepartmentID, want.CertExpiry, want.TaskCap = "wjw", "2029-12-31", 15
		sameJSON(t, "inspector", got, &want)
		if got.Version != 2 {
			t.Errorf("version=%d, want 2", got.Version)
		}
	})
}

func TestImportInspectorsExistingID(t *testing.T) {
	// An inspector entered by hand keeps its id when the file names its certificate.
	e := newEnv(t)
	manual := &backend.Inspector{ID: "wu-fang", Name: "吴 芳", DepartmentID: "wjw", CertNo: "FJ35010004", CertExpiry: "2026-01-01",
		Specialties: []string{}, Conflicts: []backend.Conflict{}, Leave: []backend.Period{}, Active: false}
	if err := e.inspectors.CreateInspector(e.ctx, manual); err != nil {
		t.Fatal(err)
	}
	s := e.MustImportFile(t, importer.Inspectors, fixture("inspectors.csv"))
	checkCounts(t, s, 3, 1, 0, 0)
	got := e.inspector(t, "FJ35010004")
	want := *fixtureInspectors[3]
	want.ID, want.Active = "wu-fang", false
	sameJSON(t, "inspector", got, &want)
}

func TestImportInspectorsBadRows(t *testing.T) {
	e := newEnv(t)
	s := e.MustImportFile(t, importer.Inspectors, fixture("inspectors_bad.csv"))
	checkCounts(t, s, 1, 0, 0, 7)
	checkErrors(t, s.Errors, []string{
		"3/department", "4/certExpiry", "5/certNo", "6/certNo", "7/conflicts", "8/taskCap", "9/user",
	})
	if r := findError(s.Errors, 3, "department"); !strings.Contains(r, `unknown department "xyz"`) {
		t.Errorf("reason %q", r)
	}
	if r := findError(s.Errors, 6, "certNo"); !strings.Contains(r, "also appears in row 2") {
		t.Errorf("reason %q", r)
	}
	if got := e.inspector(t, "FJ35010005"); got.Name != "Zheng Hao" {
		t.Errorf("name=%q, want the first row's", got.Name)
	}
}

func TestImportInspectorsDates(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		cell string
		want backend.Date // "" = rejected
	}{
		{"2027-06-30", "2027-06-30"},
		{"2027/6/3", "2027-06-03"},
		{"2027.06.30", "2027-06-30"},
		{"2027年6月30日", "2027-06-30"},
		{"20270630", "2027-06-30"},
		{"2027-06-30 00:00:00", "2027-06-30"},
		{"2027/6/30 0:00", "2027-06-30"},
		{"46022", "2025-12-31"}, // an Excel serial day
		{"2027-02-30", ""},
		{"30/06/2027", ""},
		{"明年", ""},
	}
	var b strings.Builder
	b.WriteString("certNo,name,department,certExpiry\n")
	for i, c := range cases {
		b.WriteString("D-" + itoa(1000+i) + ",N,scjg," + c.cell + "\n")
	}
	s := e.MustImportString(t, importer.Inspectors, b.String())
	for i, c := range cases {
		in, err := e.inspectors.FindInspectorByCertNo(e.ctx, "D-"+itoa(1000+i))
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%q: stored as %s, want rejected", c.cell, in.CertExpiry)
		case c.want == "" && findError(s.Errors, i+2, "certExpiry") == "":
			t.Errorf("%q: no error for row %d", c.cell, i+2)
		case c.want != "" && err != nil:
			t.Errorf("%q: %v; errors: %v", c.cell, err, s.Errors)
		case c.want != "" && in.CertExpiry != c.want:
			t.Errorf("%q: stored %s, want %s", c.cell, in.CertExpiry, c.want)
		}
	}
}
