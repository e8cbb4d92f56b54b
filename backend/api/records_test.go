package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/record/recordtest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// signatureBytes is an enterprise's signature as the phone's pad writes
// it: dark strokes on a transparent PNG.
func signatureBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 480, 160))
	for x := 40; x < 440; x++ {
		for dy := -2; dy <= 2; dy++ {
			img.Set(x, 80+(x%80-40)/2+dy, color.NRGBA{R: 20, G: 20, B: 120, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTaskRecordPDF works a drawn task to its approval through the phones
// and the review, then reads its inspection record back as a person's
// tools do: pdftotext gives the enterprise, its USCC, an item and the
// result label in Chinese, and the QR code decodes to the enterprise's
// public page. Before the approval the record is refused; another
// department's staff are told the task does not exist.
func TestTaskRecordPDF(t *testing.T) {
	e, tasks := newReviewEnv(t)
	ctx := context.Background()
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	if err := e.m.Users.CreateUser(sys, &backend.User{ID: "other.manager", DisplayName: "卫健经理", Role: backend.RoleManager, Departments: []string{"wsjk"}}, testPassword); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return len(tk.TeamUsers) == 2 })
	if i < 0 {
		t.Fatal("no drawn task has a team of two logins")
	}
	task := tasks[i]
	url := "/api/v1/tasks/" + task.ID + "/record.pdf"

	// The team's work: answers, evidence with the signature, two
	// check-ins, the result.
	a, b := e.fieldPhone(task.TeamUsers[0]), e.fieldPhone(task.TeamUsers[1])
	a.pull()
	a.answerAll(task, "现场核查")
	sig := signatureBytes(t)
	sum := sha256.Sum256(sig)
	sigSHA := hex.EncodeToString(sum[:])
	files := []backend.EvidenceInput{{ID: "signature", Type: backend.EvidenceSignature, SHA256: sigSHA, Size: int64(len(sig)), ContentType: "image/png", CapturedAt: time.Now()}}
	for i, q := range task.PhotosMissing() {
		files = append(files, backend.EvidenceInput{ID: fmt.Sprint("site-photo-", i), Type: backend.EvidencePhoto, SHA256: fmt.Sprintf("%064x", i+1),
			Size: 90000, ContentType: "image/jpeg", Question: q, CapturedAt: time.Now()})
	}
	a.push(fcsync.EntityEvidence, task.ID, task.Version, fcsync.EvidencePayload{Files: files})
	code := e.syncCheckIns(task, a, b)
	target, err := e.m.Stores.Targets.FindTargetByID(ctx, task.TargetID)
	if err != nil {
		t.Fatal(err)
	}
	a.push(fcsync.EntityResult, task.ID, e.storedTask(task.ID).Version, fcsync.ResultPayload{Code: backend.ResultNoProblem, Findings: "经营场所整洁，台账齐全", FollowUp: "无需后续处置", DeviceTime: time.Now()})
	// The files arrive (the upload path is not this test's): the
	// signature's bytes in the blob store.
	if _, _, err := e.m.Stores.Blobs.Put(ctx, bytes.NewReader(sig), sigSHA); err != nil {
		t.Fatal(err)
	}
	e.evidenceArrived(task.ID)

	e.run(t, []scenario{
		{Name: "ErrSubmittedNotApproved", Method: "GET", URL: url, User: "lead.reviewer", WantStatus: 400, WantCode: "invalid", WantContent: []string{"submitted", "approved"}},
		{Name: "ErrOtherDepartmentBeforeApproval", Method: "GET", URL: url, User: "other.manager", WantStatus: 404, WantCode: "not_found"},
	})
	lead := e.login("lead.reviewer")
	v := reviewOf(t, e.do("GET", "/api/v1/reviews/"+task.ID, lead, "", nil))
	reviewOf(t, e.do("POST", "/api/v1/reviews/"+task.ID+"/approve", lead, "application/json", strings.NewReader(fmt.Sprintf(`{"version":%d,"comment":"同意"}`, v.Version))))
	before := e.storedTask(task.ID)

	isPDF := func(t *testing.T, r *response) {
		if ct := r.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
			t.Fatalf("Content-Type %q, body starts %q: want a PDF", ct, r.Body[:min(len(r.Body), 8)])
		}
	}
	e.run(t, []scenario{
		{Name: "OK/LeadReviewer", Method: "GET", URL: url, User: "lead.reviewer", WantStatus: 200, After: isPDF},
		{Name: "OK/ManagerOfLeadDepartment", Method: "GET", URL: url, User: "test.manager", WantStatus: 200, After: isPDF},
		{Name: "OK/ReviewerOfJointDepartment", Method: "GET", URL: url, User: "joint.reviewer", WantStatus: 200, After: isPDF},
		{Name: "OK/Admin", Method: "GET", URL: url, User: "test.admin", WantStatus: 200, After: isPDF},
		{Name: "ErrManagerOfOtherDepartment", Method: "GET", URL: url, User: "other.manager", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrReviewerOfOtherDepartment", Method: "GET", URL: url, User: "other.reviewer", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrInspector", Method: "GET", URL: url, User: "test.inspector", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrNoToken", Method: "GET", URL: url, WantStatus: 401, WantCode: "unauthenticated"},
		{Name: "ErrUnknownTask", Method: "GET", URL: "/api/v1/tasks/nope/record.pdf", User: "lead.reviewer", WantStatus: 404, WantCode: "not_found"},
	})
	if after := e.storedTask(task.ID); after.Version != before.Version {
		t.Fatalf("reading the record changed the task: version %d, was %d", after.Version, before.Version)
	}

	r := e.do("GET", url, lead, "", nil)
	if r.Status != 200 {
		t.Fatalf("status=%d, want 200: %s", r.Status, r.Body)
	}
	if dir := os.Getenv("FIELDCHECK_SCREENSHOTS"); dir != "" {
		recordtest.MustPagePNGs(t, r.Body, dir, 100)
	}
	text := flatText(recordtest.MustText(t, r.Body))
	item, err := e.m.Stores.Items.FindItemByCode(ctx, task.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	cert := e.storedTask(task.ID).CheckIns[0].CertNo
	for _, want := range []string{target.Name, target.ID, "未发现问题", item.Name, "经营场所整洁，台账齐全", "无需后续处置", cert, sigSHA, "现场核查", "共"} {
		if !strings.Contains(text, flatText(want)) {
			t.Errorf("the record's text lacks %q:\n%s", want, text)
		}
	}
	codes := recordtest.MustQRCodes(t, r.Body)
	if len(codes) != 1 || codes[0] != code {
		t.Fatalf("QR codes %q, want the enterprise's public page %q", codes, code)
	}
	if !strings.HasPrefix(codes[0], "https://fc.example.gov.cn/e/"+target.ID+"?") {
		t.Fatalf("the QR code %q is not the public page under the configured base URL", codes[0])
	}
	if !bytes.Contains(r.Body, []byte("/Subtype /Image")) {
		t.Error("the signature image is not in the record")
	}

	// Published: the record says so.
	manager := e.login("test.manager")
	if r := e.do("POST", "/api/v1/tasks/"+task.ID+"/transitions", manager, "application/json",
		strings.NewReader(fmt.Sprintf(`{"to":"published","version":%d}`, e.storedTask(task.ID).Version))); r.Status != 200 {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	r = e.do("GET", url, manager, "", nil)
	if r.Status != 200 {
		t.Fatalf("the published task's record: %d %s", r.Status, r.Body)
	}
	if text := flatText(recordtest.MustText(t, r.Body)); !strings.Contains(text, "（已公示）") || strings.Contains(text, "（已审核）") {
		t.Fatalf("the published task's record does not say 已公示:\n%s", text)
	}

	// Renderings are admitted per instance: one more than the gate holds
	// is refused at once with a time to come back, and served once a
	// slot is free.
	t.Run("ErrBusy", func(t *testing.T) {
		saved := e.m.Planning.Records
		t.Cleanup(func() { e.m.Planning.Records = saved })
		gate := backend.NewGate(backend.GateConfig{Name: "inspection records", Slots: 1, Queue: 0, MaxWait: time.Second, Typical: time.Second})
		e.m.Planning.Records = gate
		release, err := gate.Enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do("GET", url, lead, "", nil)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || !bytes.Contains(r.Body, []byte(`"code":"too_many_requests"`)) {
			t.Fatalf("with every slot taken: %d Retry-After %q %s, want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		release()
		if r := e.do("GET", url, lead, "", nil); r.Status != 200 {
			t.Fatalf("with a slot free: %d %s", r.Status, r.Body)
		}
	})
}

// flatText is extracted text without the breaks and spaces of the layout.
func flatText(s string) string { return strings.NewReplacer("\n", "", " ", "", "\f", "").Replace(s) }
