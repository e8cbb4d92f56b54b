package backend_test

import (
	"strings"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"github.com/fieldcheck/fieldcheck/backend"
)

// TestWorkingDaysAgainstLunarGo checks every day of every covered year
// against lunar-go, which carries the same State Council notices: a day
// lunar-go lists is a working day exactly when it says "work", any other
// day is one exactly when it falls on Monday to Friday.
func TestWorkingDaysAgainstLunarGo(t *testing.T) {
	years := backend.HolidayYears()
	if len(years) < 3 {
		t.Fatalf("the calendar covers %d years, want at least 2025–2027", len(years))
	}
	for _, y := range years {
		days := 0
		for d := time.Date(y.Year, 1, 1, 0, 0, 0, 0, backend.China); d.Year() == y.Year; d = d.AddDate(0, 0, 1) {
			day := backend.DateOf(d)
			got, err := backend.IsWorkingDay(day)
			if err != nil {
				t.Fatalf("IsWorkingDay(%s): %v", day, err)
			}
			want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
			if h := HolidayUtil.GetHoliday(string(day)); h != nil {
				want = h.IsWork()
			}
			if got != want {
				t.Errorf("IsWorkingDay(%s, %s) = %v, lunar-go says %v", day, d.Weekday(), got, want)
			}
			if got {
				days++
			}
		}
		// A year has 365 or 366 days, about 104 weekend days and 11–13
		// days of holiday on weekdays: a table that lost a period shows.
		if days < 240 || days > 252 {
			t.Errorf("%d has %d working days, want 240–252", y.Year, days)
		}
		if y.Notice.Title == "" || !strings.Contains(y.Notice.Title, "年部分节假日安排的通知") {
			t.Errorf("%d: source %q is not a State Council holiday notice", y.Year, y.Notice.Title)
		}
	}
}

// TestMadeUpWorkingDays2026 checks the weekend days worked in 2026 as the
// notice of 2025-11-04 lists them (and DESIGN.md repeats them).
func TestMadeUpWorkingDays2026(t *testing.T) {
	want := []backend.Date{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}
	var got []backend.Date
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, backend.China); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			continue
		}
		ok, err := backend.IsWorkingDay(backend.DateOf(d))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, backend.DateOf(d))
		}
	}
	if strings.Join(dates(got), ",") != strings.Join(dates(want), ",") {
		t.Errorf("weekend working days of 2026 = %v, want %v", got, want)
	}
}

func dates(ds []backend.Date) []string {
	var s []string
	for _, d := range ds {
		s = append(s, string(d))
	}
	return s
}

func TestAddWorkingDays(t *testing.T) {
	tests := []struct {
		name string
		from backend.Date
		n    int
		want backend.Date
	}{
		{"ZeroIsTheDayItself", "2026-12-04", 0, "2026-12-04"},
		{"TheDayItselfNotCounted", "2026-12-07", 1, "2026-12-08"},
		{"FridayToMonday", "2026-12-04", 1, "2026-12-07"},
		{"FromASunday", "2026-12-06", 1, "2026-12-07"},
		// 中秋 (09-25–27) and 国庆 (10-01–07), with Sunday 09-20 and
		// Saturday 10-10 worked.
		{"AcrossGuoqing2026", "2026-09-18", 20, "2026-10-22"},
		{"MadeUpSundayCounts", "2026-09-18", 1, "2026-09-20"},
		{"MadeUpSaturdayCounts", "2026-10-09", 1, "2026-10-10"},
		{"HolidayEveToAfter", "2026-09-30", 1, "2026-10-08"},
		// 春节 2026-02-15–23, with Saturdays 02-14 and 02-28 worked.
		{"IntoChunjie2026", "2026-02-13", 1, "2026-02-14"},
		{"AcrossChunjie2026", "2026-02-13", 2, "2026-02-24"},
		{"AfterChunjie2026", "2026-02-24", 4, "2026-02-28"},
		{"FromInsideChunjie", "2026-02-18", 1, "2026-02-24"},
		// A result of late 2026 is due in 2027: across 元旦 2027.
		{"AcrossNewYear", "2026-12-04", 20, "2027-01-04"},
		// 春节 2025 (01-28–02-04), Sunday 01-26 and Saturday 02-08 worked.
		{"AcrossChunjie2025", "2025-01-24", 2, "2025-01-27"},
		{"Chunjie2025MadeUp", "2025-02-07", 1, "2025-02-08"},
		{"Chunjie2027", "2027-02-04", 1, "2027-02-14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := backend.AddWorkingDays(tt.from, tt.n)
			if err != nil {
				t.Fatalf("AddWorkingDays(%s, %d): %v", tt.from, tt.n, err)
			}
			if got != tt.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
			// Counting back gives the period again.
			if n, err := backend.WorkingDaysBetween(tt.from, got); err != nil || n != tt.n {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", tt.from, got, n, err, tt.n)
			}
		})
	}
}

func TestWorkingDaysRefused(t *testing.T) {
	tests := []struct {
		name    string
		call    func() error
		message string
	}{
		{"UncoveredYearBefore", func() error { _, err := backend.AddWorkingDays("2024-12-31", 1); return err }, "未收录 2024 年"},
		{"UncoveredYearAfter", func() error { _, err := backend.IsWorkingDay("2028-01-03"); return err }, "未收录 2028 年"},
		{"PeriodRunsOutOfTheTable", func() error { _, err := backend.AddWorkingDays("2027-12-01", 30); return err }, "未收录 2028 年"},
		{"CountRunsOutOfTheTable", func() error { _, err := backend.WorkingDaysBetween("2027-12-20", "2028-01-10"); return err }, "未收录 2028 年"},
		{"NegativePeriod", func() error { _, err := backend.AddWorkingDays("2026-01-05", -1); return err }, "outside 0–366"},
		{"PeriodOverTheLimit", func() error { _, err := backend.AddWorkingDays("2025-01-02", backend.MaxWorkingDays+1); return err }, "outside 0–366"},
		{"BadDate", func() error { _, err := backend.AddWorkingDays("2026-02-30", 1); return err }, "must be YYYY-MM-DD"},
		{"BadDateInCount", func() error { _, err := backend.WorkingDaysBetween("2026-01-05", "tomorrow"); return err }, "must be YYYY-MM-DD"},
		{"SpanOverTheLimit", func() error { _, err := backend.WorkingDaysBetween("2025-01-01", "2027-12-31"); return err }, "longer than any period"},
		{"NoticeOfUncoveredYear", func() error { _, err := backend.NoticeOf(2030); return err }, "未收录 2030 年"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if backend.ErrorCode(err) != backend.EINVALID {
				t.Fatalf("error %v (code %q), want EINVALID", err, backend.ErrorCode(err))
			}
			if !strings.Contains(backend.ErrorMessage(err), tt.message) {
				t.Errorf("message %q does not say %q", backend.ErrorMessage(err), tt.message)
			}
		})
	}
}

func TestMaxWorkingDaysIsAccepted(t *testing.T) {
	// The limit itself is a valid period (it fits in the table from the
	// table's first day).
	got, err := backend.AddWorkingDays("2025-01-01", backend.MaxWorkingDays)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := backend.WorkingDaysBetween("2025-01-01", got); n != backend.MaxWorkingDays {
		t.Errorf("%s is %d working days after 2025-01-01, want %d", got, n, backend.MaxWorkingDays)
	}
}

func TestHolidayOf(t *testing.T) {
	tests := []struct {
		day    backend.Date
		name   string
		madeUp bool
	}{
		{"2026-02-17", "春节", false},
		{"2026-02-14", "", true},
		{"2026-10-05", "国庆节", false},
		{"2025-10-06", "国庆节、中秋节", false},
		{"2026-12-04", "", false},
	}
	for _, tt := range tests {
		name, madeUp, err := backend.HolidayOf(tt.day)
		if err != nil || name != tt.name || madeUp != tt.madeUp {
			t.Errorf("HolidayOf(%s) = %q, %v, %v; want %q, %v", tt.day, name, madeUp, err, tt.name, tt.madeUp)
		}
	}
	n, err := backend.NoticeOf(2025)
	if err != nil || n.Number != "国办发明电〔2024〕12号" || n.Issued != "2024-11-12" {
		t.Errorf("NoticeOf(2025) = %+v, %v", n, err)
	}
}
