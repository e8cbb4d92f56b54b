package planning_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// testCodes takes "/e/<uscc>?k=ok" for a genuine licence code.
type testCodes struct{}

func (testCodes) VerifyEnterpriseCode(_ context.Context, raw string) (string, string, error) {
	path, q, _ := strings.Cut(raw, "?")
	if q != "k=ok" {
		return "", "", backend.Errorf(backend.EINVALID, "licence code forged")
	}
	return strings.TrimPrefix(path, "/e/"), "k1", nil
}

func withCredit(t *testing.T, f *fixture) *planning.Service {
	svc := withRegister(f)
	svc.Credit = &mongo.CreditStore{DB: f.db}
	svc.Throttle = &mongo.ThrottleStore{DB: f.db}
	svc.Blobs = &blobfs.Store{Dir: t.TempDir()}
	svc.LicenceCodes = testCodes{}
	svc.Departments = f.svc.Departments
	return svc
}

// approveWith submits task id with the result code, has it approved at at
// and published by the manager.
func publishWith(t *testing.T, f *fixture, id string, code backend.ResultCode, at time.Time) *backend.ResultEntry {
	t.Helper()
	submitAt(t, f, id, at.Add(-time.Hour))
	if _, err := backend.UpdateTaskWith(context.Background(), f.svc.Tasks, id, func(tk *backend.Task) (bool, error) {
		tk.Result.Code, tk.Result.Label = code, code.Label()
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	tk, err := f.svc.Tasks.FindTaskByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	was := f.now
	f.now = at
	defer func() { f.now = was }()
	if _, err := f.svc.Transition(leadReviewer, id, planning.TransitionRequest{To: backend.TaskApproved, Version: tk.Version}); err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
	if _, err := f.svc.PublishResults(manager, planning.PublishRequest{IDs: []string{id}}); err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
	return mustEntry(t, f.svc, id)
}

// form is a filing's form, fields in order, then the files.
type form struct {
	fields [][2]string
	files  [][2]string // name, content
}

func (fm form) next() func() (*planning.FormPart, error) {
	var parts []*planning.FormPart
	for _, kv := range fm.fields {
		parts = append(parts, &planning.FormPart{Field: kv[0], Body: strings.NewReader(kv[1])})
	}
	for _, f := range fm.files {
		parts = append(parts, &planning.FormPart{Field: "attachment", FileName: f[0], Body: strings.NewReader(f[1])})
	}
	return func() (*planning.FormPart, error) {
		if len(parts) == 0 {
			return nil, io.EOF
		}
		p := parts[0]
		parts = parts[1:]
		return p, nil
	}
}

func filing(kind, id string) form {
	return form{fields: [][2]string{{"subject", kind + ":" + id}, {"text", "检查当天我单位正常营业，结果有误。"}, {"contact", "13912345678"}}}
}

const pdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

func strataOf(t *testing.T, svc *planning.Service, id string) map[string]int {
	t.Helper()
	pv, err := svc.PreviewPlan(manager, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range pv.Strata {
		out[s.Key] = s.Population
	}
	return out
}

// TestCreditLinkage: a published 无法联系 result proposes a listing; a
// manager of another department cannot decide it; the lead department's
// manager lists the enterprise, whose credit class becomes D and which
// the next preview counts in the D stratum; the enterprise objects to
// another result with a file and its phone, the department corrects it
// (a new public version), the outcome is public without the phone;
// the enterprise applies for removal, which gives its class back.
func TestCreditLinkage(t *testing.T) {
	f := newFixture(t, 300)
	svc := withCredit(t, f)
	tasks := mustDraw(t, f, manager, basePlan())
	if len(tasks) < 3 {
		t.Fatalf("%d tasks, want 3", len(tasks))
	}
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, backend.China)
	listed := publishWith(t, f, tasks[0].ID, backend.ResultUnreachable, at)
	objected := publishWith(t, f, tasks[1].ID, backend.ResultFollowUp, at)
	f.now = time.Date(2026, 4, 2, 9, 0, 0, 0, backend.China)
	target, err := svc.Targets.FindTargetByID(context.Background(), listed.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	if target.CreditClass == backend.CreditD { // the test needs a class that moves
		target.CreditClass = backend.CreditB
		if err := svc.Targets.UpdateTarget(context.Background(), target); err != nil {
			t.Fatal(err)
		}
	}
	was := target.CreditClass

	q, err := svc.CreditQueue(manager)
	if err != nil || len(q.Proposals) != 1 || q.Proposals[0].ResultID != listed.ID {
		t.Fatalf("queue proposals %+v, %v; want the 无法联系 result", q, err)
	}
	if q, err := svc.CreditQueue(otherMgr); err != nil || len(q.Proposals) != 0 {
		t.Fatalf("another department's queue %+v, %v; want empty", q, err)
	}

	next := basePlan()
	next.Name = "2026年度第二批"
	if err := svc.CreatePlan(manager, next); err != nil {
		t.Fatal(err)
	}
	before := strataOf(t, svc, next.ID)

	for _, tt := range []struct {
		name string
		ctx  context.Context
	}{{"ErrOtherDepartment", otherMgr}, {"ErrReviewer", leadReviewer}, {"ErrInspector", as(tasks[0].TeamUsers[0], backend.RoleInspector, "scjg")}} {
		t.Run("DecideListing/"+tt.name, func(t *testing.T) {
			if _, err := svc.DecideListing(tt.ctx, listed.ID, planning.ListingDecision{List: true, Reason: "无法联系"}); !backend.IsCode(err, backend.EFORBIDDEN) {
				t.Fatalf("err %v, want forbidden", err)
			}
		})
	}
	if _, err := svc.DecideListing(manager, objected.ID, planning.ListingDecision{List: true, Reason: "x"}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("list on a result that does not propose it: %v, want invalid", err)
	}
	if _, err := svc.DecideListing(manager, listed.ID, planning.ListingDecision{List: true}); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("list without a reason: %v, want invalid", err)
	}
	l, err := svc.DecideListing(manager, listed.ID, planning.ListingDecision{List: true, Reason: "经实地核查，通过登记的住所无法联系"})
	if err != nil || l.State != backend.ListingListed || l.PreviousClass != was {
		t.Fatalf("list: %+v, %v", l, err)
	}
	if _, err := svc.DecideListing(manager, listed.ID, planning.ListingDecision{List: false, Reason: "再次"}); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("decide twice: %v, want conflict", err)
	}
	if tg, _ := svc.Targets.FindTargetByID(context.Background(), listed.TargetID); tg.CreditClass != backend.CreditD {
		t.Fatalf("credit class after listing %q, want D", tg.CreditClass)
	}
	after := strataOf(t, svc, next.ID)
	if after["D"] != before["D"]+1 || after[string(was)] != before[string(was)]-1 {
		t.Fatalf("strata before %v after %v: the listed target (was %s) should have moved to D", before, after, was)
	}
	if q, _ := svc.CreditQueue(manager); len(q.Proposals) != 0 || len(q.Listed) != 1 {
		t.Fatalf("queue after the decision: %+v", q)
	}

	subjects, err := svc.CreditSubjects(context.Background(), listed.TargetID)
	if err != nil || len(subjects) != 3 || subjects[0].Value != "objection:"+listed.ID || subjects[1].Value != "repair:"+listed.ID || subjects[2].Value != "removal:"+l.ID {
		t.Fatalf("subjects of the listed enterprise %+v, %v; want objection, repair, removal", subjects, err)
	}

	// The objection, with a PDF.
	code := "/e/" + objected.TargetID + "?k=ok"
	obj := filing("objection", objected.ID)
	obj.files = [][2]string{{"说明.pdf", pdf}}
	a, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: code, ClientAddr: "10.0.0.1", Next: obj.next()})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := backend.AddWorkingDays("2026-04-02", backend.CreditWorkingDays); a.Deadline != want || a.Department != "scjg" || len(a.Attachments) != 1 || a.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("filing %+v, want deadline %s, scjg, one PDF", a, want)
	}
	if _, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: code, ClientAddr: "10.0.0.1", Next: filing("objection", objected.ID).next()}); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("the same objection again: %v, want conflict", err)
	}
	q, _ = svc.CreditQueue(manager)
	if len(q.Applications) != 1 || q.Applications[0].DaysLeft == nil || *q.Applications[0].DaysLeft != backend.CreditWorkingDays || q.Applications[0].Overdue {
		t.Fatalf("queue applications %+v, want one with %d days left", q.Applications, backend.CreditWorkingDays)
	}
	if _, err := svc.DecideCreditApplication(otherMgr, a.ID, planning.CreditDecision{Version: a.Version, Outcome: backend.OutcomeUpheld, Reason: "x"}); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("another department answers: %v, want forbidden", err)
	}
	for _, d := range []planning.CreditDecision{
		{Version: a.Version, Outcome: backend.OutcomeGranted, Reason: "x"},                                           // not an objection's answer
		{Version: a.Version, Outcome: backend.OutcomeUpheld},                                                         // no reason
		{Version: a.Version, Outcome: backend.OutcomeCorrected, Reason: "x"},                                         // no code
		{Version: a.Version, Outcome: backend.OutcomeCorrected, Reason: "x", Code: backend.ResultFollowUp},           // the same code
		{Version: a.Version, Outcome: backend.OutcomeUpheld, Reason: strings.Repeat("理", backend.MaxCreditReason+1)}, // too long
	} {
		if _, err := svc.DecideCreditApplication(manager, a.ID, d); !backend.IsCode(err, backend.EINVALID) {
			t.Fatalf("decision %+v: %v, want invalid", d, err)
		}
	}
	f.now = time.Date(2026, 4, 28, 9, 0, 0, 0, backend.China) // after the deadline (04-24)
	if q, _ := svc.CreditQueue(manager); len(q.Applications) != 1 || !q.Applications[0].Overdue {
		t.Fatalf("after the deadline: %+v, want overdue", q.Applications)
	}
	dec, err := svc.DecideCreditApplication(manager, a.ID, planning.CreditDecision{Version: a.Version, Outcome: backend.OutcomeCorrected, Code: backend.ResultNoProblem, Reason: "经复核，检查时已整改到位"})
	if err != nil || dec.State != backend.ApplicationDecided || dec.ResultVersion != 2 {
		t.Fatalf("correct: %+v, %v", dec, err)
	}
	if e := mustEntry(t, svc, objected.ID); e.Code != backend.ResultNoProblem || len(e.Versions) != 2 || !strings.Contains(e.Versions[1].Reason, "经复核") {
		t.Fatalf("entry after the correction: %+v", e.Versions)
	}
	pub, err := svc.PublicCredit(context.Background(), objected.TargetID)
	if err != nil || len(pub.Answers) != 1 || pub.Answers[0].Outcome != "更正" {
		t.Fatalf("public credit %+v, %v", pub, err)
	}
	if b, _ := json.Marshal(pub); bytes.Contains(b, []byte("13912345678")) || bytes.Contains(b, []byte("scjg.manager")) || bytes.Contains(b, []byte("正常营业")) {
		t.Fatalf("the public record holds personal data or staff: %s", b)
	}
	if rec, err := svc.TargetCredit(otherMgr, objected.TargetID); err != nil || len(rec.Applications) != 1 || rec.Applications[0].Contact != "" {
		t.Fatalf("another department's manager reads %+v, %v; want the filing without the phone", rec, err)
	}
	if rec, err := svc.TargetCredit(manager, objected.TargetID); err != nil || rec.Applications[0].Contact != "13912345678" {
		t.Fatalf("the deciding manager reads %+v, %v; want the phone", rec, err)
	}
	if _, _, err := svc.CreditAttachmentBlob(otherMgr, a.ID, 0); !backend.IsCode(err, backend.EFORBIDDEN) {
		t.Fatalf("another department reads the attachment: %v, want forbidden", err)
	}
	if att, b, err := svc.CreditAttachmentBlob(manager, a.ID, 0); err != nil || att.Size != int64(len(pdf)) {
		t.Fatalf("attachment: %+v, %v", att, err)
	} else {
		b.Close()
	}

	// Removal: the enterprise applies, the department grants it.
	rcode := "/e/" + listed.TargetID + "?k=ok"
	r, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: rcode, ClientAddr: "10.0.0.2", Next: filing("removal", l.ID).next()})
	if err != nil || r.Department != "scjg" {
		t.Fatalf("removal: %+v, %v", r, err)
	}
	if _, err := svc.DecideCreditApplication(manager, r.ID, planning.CreditDecision{Version: r.Version, Outcome: backend.OutcomeGranted, Reason: "已变更登记住所，可以联系"}); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Credit.FindListing(context.Background(), l.ID)
	if err != nil || got.State != backend.ListingRemoved || got.RemovalApplication != r.ID || len(got.History) != 3 {
		t.Fatalf("listing after removal %+v, %v", got, err)
	}
	if tg, _ := svc.Targets.FindTargetByID(context.Background(), listed.TargetID); tg.CreditClass != was {
		t.Fatalf("credit class after removal %q, want %q back", tg.CreditClass, was)
	}
	if pub, _ := svc.PublicCredit(context.Background(), listed.TargetID); len(pub.Listings) != 1 || pub.Listings[0].State != backend.ListingRemoved {
		t.Fatalf("public listings after removal: %+v", pub.Listings)
	}

	// A repair granted, and an objection annotated: each a new public
	// version of the same category, made once even when answered again
	// after a stop (the version carries the filing's marker).
	for _, tt := range []struct {
		kind    string
		outcome backend.CreditOutcome
		prefix  string
	}{{"repair", backend.OutcomeGranted, "信用修复："}, {"objection", backend.OutcomeAnnotated, "异议答复（加注）："}} {
		before := mustEntry(t, svc, listed.ID)
		a, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: rcode, ClientAddr: "10.0.0.3", Next: filing(tt.kind, listed.ID).next()})
		if err != nil {
			t.Fatalf("%s: %v", tt.kind, err)
		}
		d, err := svc.DecideCreditApplication(manager, a.ID, planning.CreditDecision{Version: a.Version, Outcome: tt.outcome, Reason: "已于次月整改完毕"})
		if err != nil {
			t.Fatalf("%s %s: %v", tt.kind, tt.outcome, err)
		}
		e := mustEntry(t, svc, listed.ID)
		cur := e.Current()
		if len(e.Versions) != len(before.Versions)+1 || cur.Code != before.Code || !strings.HasPrefix(cur.Reason, tt.prefix) || d.ResultVersion != cur.N {
			t.Fatalf("%s %s: versions %+v, want one more of %s with %q", tt.kind, tt.outcome, e.Versions, before.Code, tt.prefix)
		}
		// The filing stored as if its own write had not happened: answering
		// again makes no second version.
		a.Record(backend.AuditRecord{Action: "test.reset", ObjectType: "credit-application", ObjectID: a.ID})
		a.State, a.Version = backend.ApplicationPending, d.Version
		if err := svc.Credit.UpdateCreditApplication(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DecideCreditApplication(manager, a.ID, planning.CreditDecision{Version: a.Version, Outcome: tt.outcome, Reason: "已于次月整改完毕"}); err != nil {
			t.Fatal(err)
		}
		if again := mustEntry(t, svc, listed.ID); len(again.Versions) != len(e.Versions) {
			t.Fatalf("%s answered again: %d versions, want %d", tt.kind, len(again.Versions), len(e.Versions))
		}
	}

	// Every change is in the audit chain, with the refusals: three
	// listing decisions refused (listing.decide), six answers and one
	// refused (credit.decide), the class set at the listing and back.
	acts := auditActions(t, svc.Audit)
	for action, want := range map[string]int{"listing.list": 1, "listing.remove": 1, "listing.decide": 3, "target.credit-class": 2, "credit.file": 4, "credit.decide": 7, "result.correct": 3} {
		if acts[action] != want {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", action, acts[action], want, acts)
		}
	}
}

// TestCreditFilingRefused: each limit of a filing, in Chinese, and the
// floods per enterprise and per address.
func TestCreditFilingRefused(t *testing.T) {
	f := newFixture(t, 300)
	svc := withCredit(t, f)
	tasks := mustDraw(t, f, manager, basePlan())
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, backend.China)
	e := publishWith(t, f, tasks[0].ID, backend.ResultNoProblem, at)
	other := publishWith(t, f, tasks[1].ID, backend.ResultFollowUp, at)
	code := "/e/" + e.TargetID + "?k=ok"
	ok := func() form { return filing("objection", e.ID) }
	with := func(field, value string) form {
		fm := ok()
		for i := range fm.fields {
			if fm.fields[i][0] == field {
				fm.fields[i][1] = value
			}
		}
		return fm
	}
	files := func(n int, content string) form {
		fm := ok()
		for range n {
			fm.files = append(fm.files, [2]string{"a.pdf", content})
		}
		return fm
	}
	tests := []struct {
		name string
		code string
		form form
		err  string
		want string // in the message
	}{
		{"ErrForgedCode", "/e/" + e.TargetID + "?k=bad", ok(), backend.EINVALID, ""},
		{"ErrKind", code, with("subject", "appeal:"+e.ID), backend.EINVALID, "类别"},
		{"ErrNoSubject", code, with("subject", "objection:"), backend.EINVALID, "针对"},
		{"ErrOtherEnterprisesResult", code, with("subject", "objection:"+other.ID), backend.EINVALID, "没有找到"},
		{"ErrRemovalOfAResult", code, with("subject", "removal:"+e.ID), backend.EINVALID, "没有找到"},
		{"ErrRepairNoProblem", code, filing("repair", e.ID), backend.EINVALID, "无需信用修复"},
		{"ErrTextShort", code, with("text", "有误"), backend.EINVALID, "5 至 2000"},
		{"ErrTextLong", code, with("text", strings.Repeat("字", backend.MaxCreditText+1)), backend.EINVALID, "2000"},
		{"ErrPhone", code, with("contact", "12345"), backend.EINVALID, "联系电话"},
		{"ErrPhoneLetters", code, with("contact", "1391234567a"), backend.EINVALID, "联系电话"},
		{"ErrUnknownField", code, form{fields: append(ok().fields, [2]string{"state", "decided"})}, backend.EINVALID, "没有的内容"},
		{"ErrTwice", code, form{fields: append(ok().fields, [2]string{"text", "再写一遍申请理由。"})}, backend.EINVALID, "两次"},
		{"ErrSixFiles", code, files(backend.MaxCreditAttachments+1, pdf), backend.EINVALID, "最多 5 个"},
		{"ErrNotPDF", code, files(1, "MZ\x90\x00 an executable"), backend.EINVALID, "不是 PDF"},
		{"ErrTooLarge", code, files(1, pdf+strings.Repeat("x", backend.MaxCreditAttachment)), backend.EINVALID, "超过 10 MB"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = at.Add(time.Duration(i+1) * 25 * time.Hour) // a fresh window for each
			_, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: tt.code, ClientAddr: "10.0.0.9", Next: tt.form.next()})
			if !backend.IsCode(err, tt.err) || !strings.Contains(backend.ErrorMessage(err), tt.want) {
				t.Fatalf("err %v, want %s with %q", err, tt.err, tt.want)
			}
		})
	}
	for _, limit := range []struct {
		name  string
		max   int
		addr  func(i int) string
		code  func(i int) string
		every time.Duration
	}{
		{"ErrPerEnterprise", planning.CreditFilingsPerEnterprise, func(i int) string { return "10.1.0." + string(rune('a'+i)) }, func(int) string { return code }, time.Minute},
		{"ErrPerAddress", planning.CreditFilingsPerAddress, func(int) string { return "10.2.0.1" }, func(i int) string {
			return "/e/" + tasks[2+i%3].TargetID + "?k=ok"
		}, time.Second},
	} {
		t.Run(limit.name, func(t *testing.T) {
			f.now = at.Add(40 * 24 * time.Hour)
			if limit.name == "ErrPerAddress" {
				f.now = at.Add(60 * 24 * time.Hour)
			}
			for i := 0; i <= limit.max; i++ {
				_, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: limit.code(i), ClientAddr: limit.addr(i), Next: with("text", "").next()})
				switch {
				case i < limit.max && backend.IsCode(err, backend.ETOOMANY):
					t.Fatalf("filing %d refused as a flood: %v", i+1, err)
				case i == limit.max && (!backend.IsCode(err, backend.ETOOMANY) || !strings.Contains(backend.ErrorMessage(err), "过多")):
					t.Fatalf("filing %d: %v, want too many", i+1, err)
				}
			}
		})
	}
}

// TestCreditFilingRefusedLeavesNoBlob: a filing refused after its files
// were read (a wrong subject, a bad field, a sixth or bad or too large
// file, the same filing pending) stores none of them, and leaves no spool
// file; the accepted filing's files are in the blob store by their
// SHA-256.
func TestCreditFilingRefusedLeavesNoBlob(t *testing.T) {
	f := newFixture(t, 300)
	svc := withCredit(t, f)
	spool := t.TempDir()
	t.Setenv("TMPDIR", spool) // the spool files' directory (os.TempDir), the store's made before
	blobs := svc.Blobs.(*blobfs.Store).Dir
	tasks := mustDraw(t, f, manager, basePlan())
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, backend.China)
	e := publishWith(t, f, tasks[0].ID, backend.ResultNoProblem, at)
	other := publishWith(t, f, tasks[1].ID, backend.ResultFollowUp, at)
	code := "/e/" + e.TargetID + "?k=ok"
	files := func() []string {
		t.Helper()
		var out []string
		for _, dir := range []string{blobs, spool} {
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					out = append(out, path)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	withPDF := func(fm form, name string) form {
		fm.files = append(fm.files, [2]string{name + ".pdf", pdf + name})
		return fm
	}
	set := func(fm form, field, value string) form {
		fm.fields = slices.Clone(fm.fields)
		for i := range fm.fields {
			if fm.fields[i][0] == field {
				fm.fields[i][1] = value
			}
		}
		return fm
	}
	ok := filing("objection", e.ID)
	six := ok
	for i := range backend.MaxCreditAttachments + 1 {
		six = withPDF(six, fmt.Sprint("six-", i))
	}
	day := 0
	nextDay := func() { day++; f.now = at.Add(time.Duration(day) * 25 * time.Hour) } // below the floods' limits
	for _, tt := range []struct {
		name string
		form form
		err  string
	}{
		{"ErrOtherEnterprisesResult", withPDF(filing("objection", other.ID), "other"), backend.EINVALID},
		{"ErrRepairNoProblem", withPDF(filing("repair", e.ID), "repair"), backend.EINVALID},
		{"ErrTextShort", withPDF(set(ok, "text", "有误"), "short"), backend.EINVALID},
		{"ErrPhone", withPDF(set(ok, "contact", "12345"), "phone"), backend.EINVALID},
		{"ErrUnknownFieldAfterAFile", form{fields: append(slices.Clone(ok.fields), [2]string{"state", "x"}), files: [][2]string{{"a.pdf", pdf + "unknown"}}}, backend.EINVALID},
		{"ErrSixFiles", six, backend.EINVALID},
		{"ErrNotPDFAfterAPDF", form{fields: ok.fields, files: [][2]string{{"a.pdf", pdf + "first"}, {"b.exe", "MZ\x90\x00"}}}, backend.EINVALID},
		{"ErrTooLargeAfterAPDF", form{fields: ok.fields, files: [][2]string{{"a.pdf", pdf + "before"}, {"b.pdf", pdf + strings.Repeat("x", backend.MaxCreditAttachment)}}}, backend.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nextDay()
			_, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: code, ClientAddr: "10.0.0.7", Next: tt.form.next()})
			if !backend.IsCode(err, tt.err) {
				t.Fatalf("err %v, want %s", err, tt.err)
			}
			if left := files(); len(left) != 0 {
				t.Fatalf("the refused filing left %v", left)
			}
		})
	}
	nextDay()
	a, err := svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: code, ClientAddr: "10.0.0.7", Next: withPDF(ok, "accepted").next()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Blobs.Open(context.Background(), a.Attachments[0].SHA256)
	if err != nil {
		t.Fatalf("the accepted filing's file: %v", err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if string(got) != pdf+"accepted" || a.Attachments[0].Size != int64(len(got)) {
		t.Fatalf("stored %q (size %d), want the file sent", got, a.Attachments[0].Size)
	}
	nextDay()
	_, err = svc.FileCreditApplication(context.Background(), planning.CreditFiling{Code: code, ClientAddr: "10.0.0.7", Next: withPDF(ok, "again").next()})
	if !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("the same objection again: %v, want conflict", err)
	}
	if left := files(); len(left) != 1 {
		t.Fatalf("after the accepted filing and a refused one: %v, want the accepted file only", left)
	}
}

// TestCreditDeadlineOutsideCalendar: a filing whose 15 working days run
// into a year the calendar does not hold is kept, with the calendar's
// error instead of a deadline, and is never overdue.
func TestCreditDeadlineOutsideCalendar(t *testing.T) {
	a := &backend.CreditApplication{FiledOn: "2027-12-24"}
	a.SetDeadline()
	if a.Deadline != "" || !strings.Contains(a.DeadlineError, "2028") {
		t.Fatalf("deadline %q error %q, want none and the calendar's error naming 2028", a.Deadline, a.DeadlineError)
	}
	a = &backend.CreditApplication{FiledOn: "2026-09-18"}
	a.SetDeadline()
	if a.Deadline != "2026-10-15" {
		t.Fatalf("deadline %q, want 2026-10-15 (15 working days across 中秋 and 国庆, 09-20 and 10-10 worked)", a.Deadline)
	}
}

// TestListingRollsForward: a listing stored by a process that stopped
// before the target's class changed is completed by the roll-forward of
// its intent: the class becomes D, once.
func TestListingRollsForward(t *testing.T) {
	f := newFixture(t, 300)
	svc := withCredit(t, f)
	tasks := mustDraw(t, f, manager, basePlan())
	e := publishWith(t, f, tasks[0].ID, backend.ResultUnreachable, time.Date(2026, 4, 1, 10, 0, 0, 0, backend.China))
	ctx := context.Background()
	tg, err := svc.Targets.FindTargetByID(ctx, e.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	if tg.CreditClass == backend.CreditD {
		tg.CreditClass = backend.CreditA
		if err := svc.Targets.UpdateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	// What DecideListing writes before the class: the intent, the listing.
	l := &backend.Listing{ID: backend.ListingID(e.ID), TargetID: e.TargetID, Department: "scjg", ResultID: e.ID, State: backend.ListingListed, PreviousClass: tg.CreditClass, History: []backend.ListingEvent{}}
	if _, err := svc.Intents.Begin(ctx, "credit-class", l.ID, "listing", l.ID, "listing.list"); err != nil {
		t.Fatal(err)
	}
	l.Record(backend.AuditRecord{Action: "listing.list", ObjectType: "listing", ObjectID: l.ID})
	if err := svc.Credit.CreateListing(ctx, l); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	if n, err := svc.Intents.RollForward(ctx, time.Minute); err != nil || n != 1 {
		t.Fatalf("roll-forward: %d, %v; want 1 completed", n, err)
	}
	if got, _ := svc.Targets.FindTargetByID(ctx, e.TargetID); got.CreditClass != backend.CreditD {
		t.Fatalf("class after the roll-forward %q, want D", got.CreditClass)
	}
	if n, err := svc.Intents.RollForward(ctx, time.Minute); err != nil || n != 0 {
		t.Fatalf("second roll-forward: %d, %v; want nothing left", n, err)
	}
	// The decision itself is not made again: it is stored.
	if _, err := svc.DecideListing(manager, e.ID, planning.ListingDecision{List: true, Reason: "再次"}); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("decide after the roll-forward: %v, want conflict", err)
	}
}
