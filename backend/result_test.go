package backend_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestPublicationDeadline: the 20th working day after the result date,
// the day itself not counted, across 春节 and 国庆 with their make-up
// weekend days; a deadline running into a year the calendar does not
// cover is an error in words staff understand, never a guess.
func TestPublicationDeadline(t *testing.T) {
	tests := []struct {
		name       string
		resultDate backend.Date
		want       backend.Date
		err        string
	}{
		// Fri 02-06: 02-09..13 (5), Sat 02-14 worked (6), 02-15..23 off,
		// 02-24..27 (10), Sat 02-28 worked (11), 03-02..06 (16), 03-09..12 (20).
		{"OK/SpringFestival2026", "2026-02-06", "2026-03-12", ""},
		// Fri 02-13: Sat 02-14 worked is the first day.
		{"OK/SpringFestivalEve2026", "2026-02-13", "2026-03-19", ""},
		// Fri 09-18: Sun 09-20 worked, 中秋 09-25..27 and 国庆 10-01..07 off, Sat 10-10 worked.
		{"OK/NationalDay2026", "2026-09-18", "2026-10-22", ""},
		// Wed 09-30: 10-08 (1), 10-09 (2), Sat 10-10 worked (3) … 11-03 (20).
		{"OK/NationalDayEve2026", "2026-09-30", "2026-11-03", ""},
		// Fri 09-26: Sun 09-28 worked, 10-01..08 off, Sat 10-11 worked.
		{"OK/NationalDay2025", "2025-09-26", "2025-10-30", ""},
		// A result on a holiday counts from the next working day.
		{"OK/OnAHoliday", "2026-10-03", "2026-11-03", ""}, // as from 09-30: 10-08 is the first
		{"OK/AcrossTheYear", "2026-12-31", "2027-01-29", ""},
		{"ErrYearNotCovered", "2027-12-20", "", "工作日历未收录 2028 年"},
		{"ErrResultDateNotCovered", "2024-06-03", "", "工作日历未收录 2024 年"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &backend.ResultEntry{ResultDate: tt.resultDate}
			e.SetDeadline()
			if e.Deadline != tt.want || !strings.Contains(e.DeadlineError, tt.err) || (tt.err == "") != (e.DeadlineError == "") {
				t.Fatalf("deadline %q (error %q), want %q (error with %q)", e.Deadline, e.DeadlineError, tt.want, tt.err)
			}
		})
	}
}

// TestResultView: a pending entry is overdue the day after its deadline,
// not on it; an entry without a known deadline is never called overdue.
func TestResultView(t *testing.T) {
	e := &backend.ResultEntry{State: backend.ResultPending, ResultDate: "2026-09-18", Deadline: "2026-10-22"}
	tests := []struct {
		name  string
		state backend.ResultState
		today backend.Date
		noDL  bool
		want  backend.RegisterView
	}{
		{"OK/PendingBefore", backend.ResultPending, "2026-10-21", false, backend.ViewPending},
		{"OK/PendingOnTheDay", backend.ResultPending, "2026-10-22", false, backend.ViewPending},
		{"OK/OverdueAfter", backend.ResultPending, "2026-10-23", false, backend.ViewOverdue},
		{"OK/UnknownDeadline", backend.ResultPending, "2030-01-01", true, backend.ViewPending},
		{"OK/PublishedLate", backend.ResultPublished, "2026-11-30", false, backend.ViewPublished},
		{"OK/Withheld", backend.ResultWithheld, "2026-11-30", false, backend.ViewWithheld},
		{"OK/Proposed", backend.ResultWithholdProposed, "2026-11-30", false, backend.ViewWithholdProposed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := *e
			x.State = tt.state
			if tt.noDL {
				x.Deadline = ""
			}
			if got := x.View(tt.today); got != tt.want {
				t.Fatalf("view %q, want %q", got, tt.want)
			}
			f := backend.ResultFilter{States: []backend.ResultState{backend.ResultPending}, DeadlineBefore: tt.today}
			if got, want := f.Matches(&x), tt.want == backend.ViewOverdue; got != want {
				t.Fatalf("overdue filter matches=%v, want %v", got, want)
			}
		})
	}
}

// TestFollowUpInput: each official action with what it needs.
func TestFollowUpInput(t *testing.T) {
	const day = backend.Date("2026-03-02")
	tests := []struct {
		name string
		in   backend.FollowUpInput
		err  string
	}{
		{"OK/None", backend.FollowUpInput{Action: backend.FollowUpNone}, ""},
		{"OK/Rectify", backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: "2026-03-16"}, ""},
		{"OK/Referral", backend.FollowUpInput{Action: backend.FollowUpReferral, Department: "县公安局"}, ""},
		{"OK/Notify", backend.FollowUpInput{Action: backend.FollowUpNotify, Department: "县卫生健康委员会"}, ""},
		{"OK/Other", backend.FollowUpInput{Action: backend.FollowUpOther, Note: "约谈负责人"}, ""},
		{"ErrUnknownAction", backend.FollowUpInput{Action: "stop"}, "not one of"},
		{"ErrRectifyWithoutDeadline", backend.FollowUpInput{Action: backend.FollowUpRectify}, "rectification deadline"},
		{"ErrRectifyDeadlineNotAfter", backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: day}, "must be after"},
		{"ErrRectifyDeadlineTooFar", backend.FollowUpInput{Action: backend.FollowUpRectify, Deadline: "2026-12-31"}, "more than 120 working days"},
		{"ErrReferralWithoutDepartment", backend.FollowUpInput{Action: backend.FollowUpReferral, Department: "  "}, "give its name in department"},
		{"ErrOtherWithoutNote", backend.FollowUpInput{Action: backend.FollowUpOther}, "give the description in note"},
		{"ErrDeadlineNotRectify", backend.FollowUpInput{Action: backend.FollowUpNone, Deadline: "2026-03-16"}, "责令改正 only"},
		{"ErrNoteTooLong", backend.FollowUpInput{Action: backend.FollowUpOther, Note: strings.Repeat("a", backend.MaxFollowUpNote+1)}, "limited to"},
		{"ErrDepartmentTooLong", backend.FollowUpInput{Action: backend.FollowUpNotify, Department: strings.Repeat("局", 40)}, "limited to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate(day)
			if (tt.err == "") != (err == nil) || err != nil && !strings.Contains(backend.ErrorMessage(err), tt.err) {
				t.Fatalf("Validate: %v, want %q", err, tt.err)
			}
		})
	}
}

// TestPublishedOf: the public result is the current version with the
// earlier ones, and never names who published.
func TestPublishedOf(t *testing.T) {
	at := time.Date(2026, 3, 5, 9, 0, 0, 0, backend.China)
	e := &backend.ResultEntry{ID: "t1", ResultDate: "2026-03-02", State: backend.ResultPublished, Versions: []backend.ResultVersion{
		{N: 1, Code: backend.ResultCorrected, Label: backend.ResultCorrected.Label(), PublishedAt: at, PublishedBy: "scjg.manager"},
		{N: 2, Code: backend.ResultRectified, Label: backend.ResultRectified.PublicLabel(), Reason: "复查：已改正", PublishedAt: at.Add(time.Hour), PublishedBy: "scjg.manager2"},
	}}
	r := backend.PublishedOf(e)
	if r.Version != 2 || r.Label != "发现问题经责令已改正" || r.Reason != "复查：已改正" || len(r.History) != 1 || r.History[0].Code != backend.ResultCorrected {
		t.Fatalf("published %+v, want version 2 with version 1 in the history", r)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "scjg.manager") || strings.Contains(string(b), "publishedBy") {
		t.Fatalf("the public result names who published: %s", b)
	}
}

// FuzzParseResultCursor: a cursor parses only into a valid date and an id,
// and a parsed cursor prints back to itself.
func FuzzParseResultCursor(f *testing.F) {
	f.Add("2026-03-02|2026-scjg-0123456789-v1-d1-00001")
	f.Add("2026-03-02|")
	f.Add("|x")
	f.Add("2026-02-30|x")
	f.Add("2026-03-02|a|b")
	f.Fuzz(func(t *testing.T, s string) {
		d, id, err := backend.ParseResultCursor(s)
		if err != nil {
			if !backend.IsCode(err, backend.EINVALID) {
				t.Fatalf("%q: %v, want invalid", s, err)
			}
			return
		}
		if !d.Valid() || id == "" {
			t.Fatalf("%q parsed into %q, %q", s, d, id)
		}
		if back := backend.ResultCursor(&backend.ResultEntry{ResultDate: d, ID: id}); back != s {
			t.Fatalf("%q prints back as %q", s, back)
		}
	})
}
