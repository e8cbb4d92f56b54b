package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	"github.com/fieldcheck/fieldcheck/backend/record/recordtest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestRoundJointResultParts works a joint visit of the demo round on the
// team's phones (answers to every plan's items, a photo on a question of
// each of two plans, the result with findings) and reads it over the API
// as the staff of two departments: until it is published, each department
// reads only its plans' part (items, answers, checklist, evidence) in the
// task, the task list, the review and the evidence files, the visit's
// lead with the visit's findings, the other without; the administrator
// and the team read it whole; once published, everyone of its departments
// does. Each department's reviewer approves its own part; the visit is
// approved with the last, and its result splits into an entry per leading
// department, each in its own register, published by its own managers.
func TestRoundJointResultParts(t *testing.T) {
	e, plans := newRoundEnv(t)
	ctx := context.Background()
	joint := e.drawJointRound(plans)
	task := e.storedTask(joint.ID)
	lead := task.LeadDepartment
	pi := slices.IndexFunc(task.Parts, func(p backend.TaskPart) bool { return p.LeadDepartment != lead })
	if pi < 0 {
		t.Fatalf("task %s: every part is of %s", task.ID, lead)
	}
	part := task.Parts[pi]
	other := part.LeadDepartment
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	for _, u := range []*backend.User{
		{ID: "lead.rev", DisplayName: "牵头审核", Role: backend.RoleReviewer, Departments: []string{lead}},
		{ID: "lead.mgr", DisplayName: "牵头经理", Role: backend.RoleManager, Departments: []string{lead}},
		{ID: "part.rev", DisplayName: "参与审核", Role: backend.RoleReviewer, Departments: []string{other}},
		{ID: "part.mgr", DisplayName: "参与经理", Role: backend.RoleManager, Departments: []string{other}},
		{ID: "test.admin", DisplayName: "管理员", Role: backend.RoleAdmin},
	} {
		if err := e.m.Users.CreateUser(sys, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	leadItem, partItem := task.Parts[0].Items[0], part.Items[0]
	question := func(item string) string {
		for _, s := range task.Form.Sections {
			if s.ItemCode == item && len(s.Questions) > 0 {
				return backend.AnswerKey(item, s.Questions[0].ID)
			}
		}
		t.Fatalf("task %s: no question of item %s", task.ID, item)
		return ""
	}
	leadQ, partQ := question(leadItem), question(partItem)

	// The team's work: answers, a photo on a question of each part, two
	// check-ins, the result; the files arrive.
	e.m.Visit.Now = func() time.Time { return afterResult.Add(time.Hour) } // the officers' certificates are valid then
	a, b := e.fieldPhone(task.TeamUsers[0]), e.fieldPhone(task.TeamUsers[1])
	a.pull()
	a.answerAll(task, "现场")
	photo := func(id, q string) (backend.EvidenceInput, []byte) {
		data := []byte("photo of " + id)
		sum := sha256.Sum256(data)
		return backend.EvidenceInput{ID: id, Type: backend.EvidencePhoto, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
			ContentType: "image/jpeg", Question: q, CapturedAt: afterResult.Add(time.Hour)}, data
	}
	var files []backend.EvidenceInput
	for id, q := range map[string]string{"lead-photo": leadQ, "part-photo": partQ} {
		f, data := photo(id, q)
		files = append(files, f)
		if _, _, err := e.m.Stores.Blobs.Put(ctx, bytes.NewReader(data), f.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	for i, q := range task.PhotosMissing() {
		if q != leadQ && q != partQ {
			f, _ := photo(fmt.Sprint("site-photo-", i), q)
			files = append(files, f)
		}
	}
	a.push(fcsync.EntityEvidence, task.ID, task.Version, fcsync.EvidencePayload{Files: files})
	code := e.syncCheckInsAt(task, afterResult.Add(time.Hour), a, b)
	const findings = "燃气管道老化，已责令改正"
	a.push(fcsync.EntityResult, task.ID, e.storedTask(task.ID).Version, fcsync.ResultPayload{Code: backend.ResultCorrected, Findings: findings, FollowUp: "责令改正", DeviceTime: afterResult.Add(time.Hour)})
	e.evidenceArrived(task.ID)
	if st := e.storedTask(task.ID).Status; st != backend.TaskSubmitted {
		t.Fatalf("after the phone's result: %s", st)
	}

	// The licence-code page counts the visit once, as joint.
	link, err := url.Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	page := func(want ...string) {
		t.Helper()
		r := e.do("GET", link.Path+"?"+link.RawQuery, "", "", nil)
		for _, w := range want {
			if r.Status != 200 || !strings.Contains(string(r.Body), w) {
				t.Fatalf("licence page: %d, want %q in %s", r.Status, w, r.Body)
			}
		}
	}
	page("本年度已接受检查 1 次", "部门联合检查 1 次")

	// whole and partial check a task as read by one who reads it whole
	// and by one of the other department.
	whole := func(t *testing.T, tk *backend.Task) {
		t.Helper()
		if !slices.Equal(tk.Items, task.Items) || len(tk.Parts) != len(task.Parts) || tk.Result == nil || tk.Result.Findings != findings {
			t.Fatalf("items %v, %d parts, result %+v; want %v, %d, findings %q", tk.Items, len(tk.Parts), tk.Result, task.Items, len(task.Parts), findings)
		}
		if _, ok := tk.Answers[leadQ]; !ok {
			t.Fatalf("the lead part's answer %s is missing", leadQ)
		}
	}
	leadItems := task.PartItemsOf(lead)
	leadPart := func(t *testing.T, tk *backend.Task) {
		t.Helper()
		if !slices.Equal(tk.Items, leadItems) || tk.Result == nil || tk.Result.Findings != findings {
			t.Fatalf("items %v, result %+v; want the lead's items %v with the visit's findings", tk.Items, tk.Result, leadItems)
		}
		if _, ok := tk.Answers[partQ]; ok {
			t.Fatalf("the lead reads the other part's answer %s", partQ)
		}
		if _, ok := tk.FindEvidence("part-photo"); ok {
			t.Fatal("the lead reads the other part's photo")
		}
		if _, ok := tk.FindEvidence("lead-photo"); !ok {
			t.Fatal("the lead's own photo is missing")
		}
	}
	partial := func(t *testing.T, tk *backend.Task) {
		t.Helper()
		if !slices.Equal(tk.Items, part.Items) || len(tk.Parts) != 1 || tk.Parts[0].PlanID != part.PlanID {
			t.Fatalf("items %v, parts %+v; want only part %s's items %v", tk.Items, tk.Parts, part.PlanID, part.Items)
		}
		for k := range tk.Answers {
			if !slices.Contains(part.Items, strings.SplitN(k, "/", 2)[0]) {
				t.Fatalf("answer %s of another plan's item", k)
			}
		}
		if _, ok := tk.Answers[partQ]; !ok {
			t.Fatalf("the part's own answer %s is missing", partQ)
		}
		if _, ok := tk.FindEvidence("lead-photo"); ok {
			t.Fatal("the lead part's photo is shown")
		}
		if _, ok := tk.FindEvidence("part-photo"); !ok {
			t.Fatal("the part's own photo is missing")
		}
		if tk.Result == nil || tk.Result.Code != backend.ResultCorrected || tk.Result.Findings != "" || tk.Result.FollowUp != "" {
			t.Fatalf("result %+v: want its code without findings nor follow-up", tk.Result)
		}
		for _, c := range tk.Checklist {
			if !slices.Contains(part.Items, c.Item) {
				t.Fatalf("checklist of item %s", c.Item)
			}
		}
	}
	asTask := func(check func(*testing.T, *backend.Task)) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			var tk backend.Task
			r.JSON(t, &tk)
			check(t, &tk)
		}
	}
	asList := func(check func(*testing.T, *backend.Task)) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			var pg backend.Page[*backend.Task]
			r.JSON(t, &pg)
			i := slices.IndexFunc(pg.Items, func(tk *backend.Task) bool { return tk.ID == task.ID })
			if i < 0 {
				t.Fatalf("task %s not in the list of %d", task.ID, len(pg.Items))
			}
			check(t, pg.Items[i])
		}
	}
	asReview := func(isLead bool) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			v := reviewOf(t, r)
			var items []string
			for _, s := range v.Checklist {
				items = append(items, s.ItemCode)
			}
			ev := slices.IndexFunc(v.Evidence, func(x planning.ReviewEvidence) bool { return x.ID == "lead-photo" })
			pe := slices.IndexFunc(v.Evidence, func(x planning.ReviewEvidence) bool { return x.ID == "part-photo" })
			switch {
			case isLead && (!slices.Equal(items, leadItems) || ev < 0 || pe >= 0 || v.Result.Findings != findings || v.MyPart != lead):
				t.Fatalf("checklist of %v, lead photo at %d, part photo at %d, findings %q, my part %q: want the lead's part", items, ev, pe, v.Result.Findings, v.MyPart)
			case !isLead && (!slices.Equal(items, part.Items) || ev >= 0 || v.Result.Findings != "" || !slices.Equal(v.Items, part.Items) || v.MyPart != other):
				t.Fatalf("checklist of %v, items %v, lead photo at %d, findings %q, my part %q: want only part %s", items, v.Items, ev, v.Result.Findings, v.MyPart, part.PlanID)
			}
			// Every part's state, the plans and items of one's own only.
			if len(v.Parts) != len(task.ReviewParts()) || !v.CanReview {
				t.Fatalf("parts %+v, can review %v: want %d parts and a decision", v.Parts, v.CanReview, len(task.ReviewParts()))
			}
			for _, p := range v.Parts {
				if mine := p.Department == v.MyPart; mine != (len(p.Items) > 0) || p.State != backend.ReviewReceived {
					t.Fatalf("part %+v read by %s's reviewer", p, v.MyPart)
				}
			}
		}
	}
	url := "/api/v1/tasks/" + task.ID
	list := "/api/v1/tasks?drawId=" + task.DrawID + "&limit=200"
	evidence := url + "/evidence/"
	e.run(t, []scenario{
		{Name: "OK/TaskOfLeadManagerIsItsPart", Method: "GET", URL: url, User: "lead.mgr", WantStatus: 200, After: asTask(leadPart)},
		{Name: "OK/TaskOfAdmin", Method: "GET", URL: url, User: "test.admin", WantStatus: 200, After: asTask(whole)},
		{Name: "OK/TaskOfOtherManagerIsItsPart", Method: "GET", URL: url, User: "part.mgr", WantStatus: 200, After: asTask(partial)},
		{Name: "OK/TaskOfOtherReviewerIsItsPart", Method: "GET", URL: url, User: "part.rev", WantStatus: 200, After: asTask(partial)},
		{Name: "OK/ListOfLeadManagerIsItsPart", Method: "GET", URL: list, User: "lead.mgr", WantStatus: 200, After: asList(leadPart)},
		{Name: "OK/ListOfOtherManagerIsItsPart", Method: "GET", URL: list, User: "part.mgr", WantStatus: 200, After: asList(partial)},
		{Name: "OK/ReviewOfLeadReviewerIsItsPart", Method: "GET", URL: "/api/v1/reviews/" + task.ID, User: "lead.rev", WantStatus: 200, After: asReview(true)},
		{Name: "OK/ReviewOfOtherReviewerIsItsPart", Method: "GET", URL: "/api/v1/reviews/" + task.ID, User: "part.rev", WantStatus: 200, After: asReview(false)},
		{Name: "OK/OwnPartsPhoto", Method: "GET", URL: evidence + "part-photo", User: "part.rev", WantStatus: 200},
		{Name: "ErrOtherPartsPhoto", Method: "GET", URL: evidence + "lead-photo", User: "part.rev", WantStatus: 404, WantCode: "not_found"},
		{Name: "OK/LeadReadsItsPhoto", Method: "GET", URL: evidence + "lead-photo", User: "lead.rev", WantStatus: 200},
		{Name: "ErrLeadReadsOtherPartsPhoto", Method: "GET", URL: evidence + "part-photo", User: "lead.rev", WantStatus: 404, WantCode: "not_found"},
	})
	// The team's phone still has the whole visit.
	a.pull()
	if v := a.tasks[task.ID]; v == nil || !slices.Equal(v.Task.Items, task.Items) || v.Task.Result == nil || v.Task.Result.Findings != findings {
		t.Fatalf("the team's phone: %+v; want the whole visit", v)
	}
	stored := e.storedTask(task.ID)
	if _, ok := stored.FindEvidence("lead-photo"); !ok || stored.Result.Findings != findings || len(stored.Answers) != len(e.storedTask(task.ID).Answers) {
		t.Fatal("reading parts changed the stored task")
	}

	// An officer off the team checks in without a task (a complaint): a
	// second visit, unplanned; a second check-in of it the same day is the
	// same visit.
	ins, err := e.m.Stores.Inspectors.FindInspectors(ctx, backend.InspectorFilter{DepartmentIDs: []string{other}}, backend.PageRequest{Limit: backend.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	oi := slices.IndexFunc(ins.Items, func(in *backend.Inspector) bool {
		return in.UserID != "" && !slices.Contains(task.TeamUsers, in.UserID) && in.CertValidOn(backend.DateOf(afterResult))
	})
	if oi < 0 {
		t.Fatalf("no officer of %s off the team", other)
	}
	off := e.fieldPhone(ins.Items[oi].UserID)
	where := e.locationOf(task.TargetID)
	for i := range 2 {
		off.push(fcsync.EntityCheckIn, "", 0, fcsync.CheckInPayload{Code: code, Position: &where, AccuracyM: 8,
			DeviceTime: afterResult.Add(time.Duration(30+i) * time.Minute), Reason: backend.ReasonComplaint, Reference: "TS-2026-0001"})
	}
	page("本年度已接受检查 2 次", "部门联合检查 1 次", "未列入检查任务的到场检查 1 次")
	// As the enterprise sees it, on a phone.
	br := browsertest.Start(t, browsertest.Options{})
	br.Do(chromedp.Navigate(apptest.Serve(t, e.m) + link.Path + "?" + link.RawQuery))
	br.WaitFor(`document.querySelector("#burden h2") !== null`)
	if text := br.Text(); !strings.Contains(text, "本年度已接受检查 2 次") || !strings.Contains(text, "部门联合检查 1 次") {
		t.Fatalf("the licence page in the browser: %s", text)
	}
	br.Shot("licence-page-burden")

	// Each department approves its part (the lead first: the visit stays
	// submitted), the visit is approved with the last, published by the
	// lead manager: the other department then reads the whole visit.
	// Review per part: each department decides its own part only.
	reviewURL := "/api/v1/reviews/" + task.ID
	version := func() int64 { return e.storedTask(task.ID).Version }
	body := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	partState := func(user, dept string, want backend.ReviewState) func(*testing.T, *response) {
		return func(t *testing.T, r *response) {
			v := reviewOf(t, r)
			for _, p := range v.Parts {
				if p.Department == dept && p.State != want {
					t.Fatalf("%s reads part %s as %s, want %s", user, dept, p.State, want)
				}
			}
		}
	}
	e.run(t, []scenario{
		{Name: "OK/QueueOfOtherReviewerHasThePart", Method: "GET", URL: "/api/v1/reviews", User: "part.rev", WantStatus: 200, WantContent: []string{`"taskId":"` + task.ID + `"`, `"parts":[`}},
		{Name: "ErrIssueOnTheOtherPart", Method: "POST", URL: reviewURL + "/issues", User: "part.rev", WantStatus: 400, WantCode: "invalid",
			Body: body(`{"version":%d,"comment":"看一下","issues":[{"question":%q,"comment":"不清楚"}]}`, version(), leadQ)},
		{Name: "ErrIssueOnTheOtherPartsPhoto", Method: "POST", URL: reviewURL + "/issues", User: "part.rev", WantStatus: 400, WantCode: "invalid",
			Body: body(`{"version":%d,"comment":"看一下","issues":[{"evidence":"lead-photo","comment":"不清楚"}]}`, version())},
		{Name: "OK/IssueOnItsPart", Method: "POST", URL: reviewURL + "/issues", User: "part.rev", WantStatus: 200, WantContent: []string{`"state":"has_issues"`},
			Body: body(`{"version":%d,"comment":"照片模糊","issues":[{"question":%q,"comment":"请补拍"}]}`, version(), partQ)},
		{Name: "OK/LeadSeesTheStateNotTheIssues", Method: "GET", URL: reviewURL, User: "lead.rev", WantStatus: 200, After: func(t *testing.T, r *response) {
			partState("lead.rev", other, backend.ReviewHasIssues)(t, r)
			if v := reviewOf(t, r); len(v.Issues) != 0 || strings.Contains(string(r.Body), "请补拍") || strings.Contains(string(r.Body), "照片模糊") {
				t.Fatalf("the lead reads the other part's issues or note: %+v %+v", v.Issues, v.History)
			}
		}},
		{Name: "ErrGenericTransition", Method: "POST", URL: url + "/transitions", User: "lead.rev", WantStatus: 400, WantCode: "invalid",
			Body: body(`{"to":"approved","version":%d}`, version())},
		{Name: "ErrManagerReviews", Method: "POST", URL: reviewURL + "/approve", User: "part.mgr", WantStatus: 404, WantCode: "not_found",
			Body: body(`{"version":%d}`, version())},
	})
	// The lead approves its part; the other department returns the visit:
	// the team gets it back, and after it submits again every part is to
	// be reviewed again.
	r := e.do("POST", reviewURL+"/approve", e.login("lead.rev"), "application/json", strings.NewReader(body(`{"version":%d,"comment":"本部门部分无误"}`, version())))
	if v := reviewOf(t, r); v.Status != backend.TaskSubmitted || v.CanReview || v.MyPart != lead {
		t.Fatalf("after the lead's part is approved: %s, can review %v, my part %q", v.Status, v.CanReview, v.MyPart)
	}
	e.run(t, []scenario{
		{Name: "ErrApproveTwice", Method: "POST", URL: reviewURL + "/approve", User: "lead.rev", WantStatus: 400, WantCode: "invalid", Body: body(`{"version":%d}`, version())},
		{Name: "OK/OtherSeesTheLeadApproved", Method: "GET", URL: reviewURL, User: "part.rev", WantStatus: 200, After: partState("part.rev", lead, backend.ReviewApproved)},
		{Name: "OK/ReturnOfThePart", Method: "POST", URL: reviewURL + "/return", User: "part.rev", WantStatus: 200, WantContent: []string{`"status":"returned"`},
			Body: body(`{"version":%d,"comment":"请补拍本部门检查项的照片"}`, version())},
	})
	if st := e.storedTask(task.ID); st.Status != backend.TaskReturned || st.Reviews[len(st.Reviews)-1].Part != other || len(st.Reviews[len(st.Reviews)-1].Issues) != 1 {
		t.Fatalf("the returned visit: %s, last note %+v", st.Status, st.Reviews[len(st.Reviews)-1])
	}
	a.pull()
	a.push(fcsync.EntityResult, task.ID, version(), fcsync.ResultPayload{Code: backend.ResultCorrected, Findings: findings, FollowUp: "责令改正", DeviceTime: afterResult.Add(2 * time.Hour)})
	e.run(t, []scenario{
		{Name: "OK/SubmittedAgainEveryPartReceived", Method: "GET", URL: reviewURL, User: "lead.rev", WantStatus: 200, After: func(t *testing.T, r *response) {
			v := reviewOf(t, r)
			for _, p := range v.Parts {
				if p.State != backend.ReviewReceived {
					t.Fatalf("after the new submission part %s is %s", p.Department, p.State)
				}
			}
			if !v.CanReview {
				t.Fatal("the lead cannot review its part again")
			}
		}},
	})

	reviewers := []string{"lead.rev", "part.rev"}
	for _, d := range task.ReviewParts() {
		if d != lead && d != other { // a third department leading a part
			u := &backend.User{ID: d + ".rev", DisplayName: "审核", Role: backend.RoleReviewer, Departments: []string{d}}
			if err := e.m.Users.CreateUser(sys, u, testPassword); err != nil {
				t.Fatal(err)
			}
			reviewers = append(reviewers, u.ID)
		}
	}
	for i, user := range reviewers {
		rev := e.login(user)
		v := reviewOf(t, e.do("GET", "/api/v1/reviews/"+task.ID, rev, "", nil))
		v = reviewOf(t, e.do("POST", "/api/v1/reviews/"+task.ID+"/approve", rev, "application/json", strings.NewReader(fmt.Sprintf(`{"version":%d,"comment":"同意"}`, v.Version))))
		if want := map[bool]backend.TaskStatus{false: backend.TaskSubmitted, true: backend.TaskApproved}[i == len(reviewers)-1]; v.Status != want {
			t.Fatalf("after %s approves (%d of %d parts): %s, want %s", user, i+1, len(reviewers), v.Status, want)
		}
	}
	// The inspection record of the approved visit: the lead's has the
	// findings, the other department's has not.
	for user, want := range map[string]bool{"lead.rev": true, "part.rev": false} {
		r := e.do("GET", url+"/record.pdf", e.login(user), "", nil)
		if r.Status != 200 {
			t.Fatalf("%s's record: %d %s", user, r.Status, r.Body)
		}
		if got := strings.Contains(flatText(recordtest.MustText(t, r.Body)), findings); got != want {
			t.Fatalf("%s's record has the findings: %v, want %v", user, got, want)
		}
	}
	// The approved visit's result is split per leading department: the
	// lead's entry (the task's id) and the other's part entry, each in its
	// own department's register only, with its parts' items; the other
	// department publishes its part itself, and the lead's stays pending.
	partID := backend.PartEntryID(task.ID, other)
	var partItems []string
	for _, p := range task.Parts {
		if p.LeadDepartment == other {
			partItems = append(partItems, p.Items...)
		}
	}
	registerIDs := func(t *testing.T, r *apptest.Response) []string {
		var reg planning.Register
		r.JSON(t, &reg)
		var ids []string
		for _, it := range reg.Items {
			ids = append(ids, it.ID)
			if it.ID == partID && (it.PartOf != task.ID || it.LeadDepartment != other || !slices.Equal(it.Items, partItems) || slices.Contains(it.Items, leadItem)) {
				t.Fatalf("the part entry %+v: want part of %s, led by %s, items %v", it.ResultEntry, task.ID, other, partItems)
			}
		}
		return ids
	}
	e.run(t, []scenario{
		{Name: "OK/LeadRegisterHasTheLeadEntry", Method: "GET", URL: "/api/v1/results", User: "lead.mgr", WantStatus: 200, After: func(t *testing.T, r *apptest.Response) {
			if ids := registerIDs(t, r); !slices.Contains(ids, task.ID) || slices.Contains(ids, partID) {
				t.Fatalf("the lead's register %v: want %s and not %s", ids, task.ID, partID)
			}
		}},
		{Name: "OK/PartRegisterHasOnlyItsPart", Method: "GET", URL: "/api/v1/results", User: "part.mgr", WantStatus: 200, After: func(t *testing.T, r *apptest.Response) {
			if ids := registerIDs(t, r); !slices.Contains(ids, partID) || slices.Contains(ids, task.ID) {
				t.Fatalf("the other department's register %v: want %s and not %s", ids, partID, task.ID)
			}
		}},
		{Name: "ErrLeadEntryOfOtherDepartment", Method: "GET", URL: "/api/v1/results/" + task.ID, User: "part.mgr", WantStatus: 404, WantCode: "not_found"},
		{Name: "ErrPartPublishedByTheLead", Method: "POST", URL: "/api/v1/results/" + partID + "/publish", User: "lead.mgr", WantStatus: 403, WantCode: "forbidden"},
		{Name: "OK/PartPublishedByItsDepartment", Method: "POST", URL: "/api/v1/results/" + partID + "/publish", User: "part.mgr", WantStatus: 200, WantContent: []string{`"state":"published"`, `"partOf":"` + task.ID + `"`}},
		{Name: "OK/PartIsPublicAlone", Method: "GET", URL: "/public/results.json?department=" + other, WantStatus: 200, WantContent: []string{`"id":"` + partID + `"`}, After: func(t *testing.T, r *apptest.Response) {
			if strings.Contains(string(r.Body), `"id":"`+task.ID+`"`) {
				t.Fatalf("the lead's entry is public before its publication: %s", r.Body)
			}
		}},
	})
	// 责令改正 on each department's part: each has its own re-check (复查)
	// of its own items, led by its department, for the same team.
	inspector := backend.WithActor(ctx, &backend.Actor{UserID: task.TeamUsers[0], Role: backend.RoleInspector, ClientAddr: "test", Fresh: true})
	partEntry, err := e.m.Planning.Register.FindResultEntry(ctx, partID)
	if err != nil {
		t.Fatal(err)
	}
	deadline, err := backend.AddWorkingDays(partEntry.ResultDate, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, dept string
		items    []string
	}{{partID, other, partItems}, {task.ID, lead, leadItems}} {
		got, err := e.m.Planning.SetFollowUp(inspector, c.id, backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: deadline})
		if err != nil || got.FollowUp == nil || got.FollowUp.RecheckTaskID != planning.RecheckID(c.id) {
			t.Fatalf("责令改正 on entry %s: %+v, %v; want its own re-check %s", c.id, got, err, planning.RecheckID(c.id))
		}
		rc := e.storedTask(planning.RecheckID(c.id))
		if rc.Trigger == nil || rc.Trigger.Kind != backend.TriggerRecheck || rc.Trigger.Reference != c.id || rc.LeadDepartment != c.dept ||
			!slices.Equal(rc.Items, c.items) || !slices.Equal(rc.TeamUsers, task.TeamUsers) || rc.Random || rc.Status != backend.TaskAssigned || len(rc.Parts) != 0 || rc.Start <= deadline {
			t.Fatalf("re-check of %s: %+v; want %s's items %v for the same team after %s", c.id, rc, c.dept, c.items, deadline)
		}
		for _, ref := range rc.Checklist {
			if !slices.Contains(c.items, ref.Item) {
				t.Fatalf("re-check of %s has the checklist of item %s", c.id, ref.Item)
			}
		}
	}
	if _, err := e.m.Planning.SetFollowUp(inspector, partID, backend.FollowUpInput{Action: backend.FollowUpNotify, Department: "县应急管理局"}); !backend.IsCode(err, backend.ECONFLICT) {
		t.Fatalf("a second follow-up on the part: %v, want conflict", err)
	}
	// The part's re-check finds it corrected; the part's own reviewer
	// approves it: the part's follow-up is closed and its public result is
	// 发现问题经责令已改正 (a new version); the lead's stays open.
	rcID := planning.RecheckID(partID)
	apptest.MustSubmit(t, e.m.Stores.Tasks, rcID, afterResult.Add(30*24*time.Hour))
	partRev := e.login("part.rev")
	rv := reviewOf(t, e.do("GET", "/api/v1/reviews/"+rcID, partRev, "", nil))
	reviewOf(t, e.do("POST", "/api/v1/reviews/"+rcID+"/approve", partRev, "application/json", strings.NewReader(fmt.Sprintf(`{"version":%d,"comment":"已改正"}`, rv.Version))))
	if pe, err := e.m.Planning.Register.FindResultEntry(ctx, partID); err != nil || pe.FollowUp.ClosedAt == nil || pe.FollowUp.Outcome != backend.ResultNoProblem || pe.Code != backend.ResultRectified {
		t.Fatalf("the part after its re-check: %+v, %v; want closed, 发现问题经责令已改正", pe, err)
	}
	if le, err := e.m.Planning.Register.FindResultEntry(ctx, task.ID); err != nil || le.FollowUp.ClosedAt != nil {
		t.Fatalf("the lead's entry after the part's re-check: %+v, %v; want its follow-up open", le, err)
	}
	e.run(t, []scenario{
		{Name: "OK/PartPublicAsRectified", Method: "GET", URL: "/public/results.json?department=" + other, WantStatus: 200,
			WantContent: []string{`"id":"` + partID + `"`, `"code":"rectified"`, "发现问题经责令已改正"}},
	})
	r = e.do("POST", url+"/transitions", e.login("lead.mgr"), "application/json", strings.NewReader(fmt.Sprintf(`{"to":"published","version":%d}`, e.storedTask(task.ID).Version)))
	if r.Status != 200 {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	e.run(t, []scenario{
		{Name: "OK/PublishedTaskOfOtherManagerIsWhole", Method: "GET", URL: url, User: "part.mgr", WantStatus: 200, After: asTask(whole)},
	})
}
