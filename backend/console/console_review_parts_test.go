package console_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
)

// TestConsoleReviewPerPart: the demo round's joint visit whose parts
// several departments lead, submitted by its team, is reviewed in the
// console part by part. Each department's reviewer finds it in the queue,
// reads only its own part's checklist with the other parts' state, and
// approves its part; the visit stays submitted until the last part is
// approved, and is approved then.
func TestConsoleReviewPerPart(t *testing.T) {
	ctx := context.Background()
	m := apptest.Open(t, "")
	now := time.Now()
	apptest.SeedDemo(t, m, 300, now)
	sys := backend.WithActor(ctx, backend.SystemActor("test"))
	// Every officer of the round's departments gets a login (the team's
	// phones), and every department a reviewer.
	var depts []string
	for _, p := range demo.RoundPlans(now) {
		depts = append(depts, p.Departments...)
	}
	apptest.OfficerLogins(t, m, depts)
	for _, d := range depts {
		u := &backend.User{ID: d + ".reviewer", DisplayName: d + " 审核", Role: backend.RoleReviewer, Departments: []string{d}}
		if err := m.Users.CreateUser(sys, u, demo.DemoPassword(u.ID)); err != nil && !backend.IsCode(err, backend.ECONFLICT) && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	drawn, err := demo.DrawRound(ctx, m.Planning, now)
	if err != nil {
		t.Fatal(err)
	}
	var tk *backend.Task
	for _, x := range drawn.Tasks {
		if len(x.ReviewParts()) >= 2 && !x.Unassigned && len(x.TeamUsers) >= backend.MinOfficers {
			tk = x
			break
		}
	}
	if tk == nil {
		t.Fatal("no joint visit with parts of several departments and a team")
	}
	if err := m.DemoScale(nil).SubmitWithPhotos(ctx, tk, max(2, len(tk.PhotosMissing()))); err != nil {
		t.Fatal(err)
	}
	base := serve(t, m)
	parts := tk.ReviewParts()

	for i, dept := range parts {
		user := dept + ".reviewer"
		p := newPage(t)
		p.login(base, user)
		p.do(user+" opens the queue",
			chromedp.Navigate(base+"/console/reviews"),
			chromedp.WaitVisible(`//td//div[normalize-space()="`+tk.TargetName+`"]`),
		)
		if got := value(p, user+" reads the queue's parts", chromedp.Text(chromedp.CSS(`[data-parts="`+tk.ID+`"]`))); !strings.Contains(got, fmt.Sprintf("通过 %d/%d", i, len(parts))) {
			t.Fatalf("%s's queue says %q of the visit's parts, want %d of %d approved", user, got, i, len(parts))
		}
		if i == 1 {
			p.screenshot("console-reviews-parts")
		}
		p.do(user+" opens the joint visit",
			chromedp.Navigate(base+"/console/reviews/"+tk.ID),
			chromedp.WaitVisible(chromedp.CSS(`#review-parts`)),
		)
		rows := value(p, user+" reads the parts", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#review-parts tbody tr')].map(tr => tr.innerText.replace(/\s+/g, ' '))`))
		if len(rows) != len(parts) {
			t.Fatalf("%s reads %d parts: %v; want %d", user, len(rows), rows, len(parts))
		}
		for k, row := range rows {
			mine := k == i
			want := "待审核"
			if k < i {
				want = "已通过"
			}
			if !strings.Contains(row, want) || strings.Contains(row, "本部门") != mine || strings.Contains(row, "不向其他部门显示") == mine {
				t.Fatalf("%s reads part %d (%s) as %q: want %s, own %v", user, k, parts[k], row, want, mine)
			}
		}
		sections := value(p, user+" reads the checklist", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.section-title .mono')].map(s => s.textContent.trim())`))
		if own := tk.PartItemsOf(dept); !slices.Equal(sections, own) {
			t.Fatalf("%s's checklist has %v, want its part's items %v", user, sections, own)
		}
		if i == 1 {
			p.screenshot("console-review-parts")
		}
		p.do(user+" approves the part",
			chromedp.Click(`//div[contains(@class,"actions")]//button[normalize-space()="通过"]`),
			chromedp.WaitVisible(`//div[contains(@class,"el-dialog")]//button[normalize-space()="确认通过"]`),
			chromedp.Click(`//div[contains(@class,"el-dialog")]//button[normalize-space()="确认通过"]`),
			chromedp.WaitNotPresent(`//div[contains(@class,"el-dialog") and not(contains(@style,"display: none"))]//button[normalize-space()="确认通过"]`),
		)
		want := backend.TaskSubmitted
		if i == len(parts)-1 {
			want = backend.TaskApproved
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := storedTask(t, m, tk.ID)
			if got.Status == want && (want == backend.TaskApproved || got.PartReviews()[i].State == backend.ReviewApproved) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s approves (%d of %d parts): %s, parts %+v; want %s", user, i+1, len(parts), got.Status, got.PartReviews(), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
