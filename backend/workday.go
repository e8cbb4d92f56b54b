package backend

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Working days (工作日) are how Chinese law counts administrative periods:
// a result is published within 20 working days of the day it is produced,
// an objection is answered within so many working days. A working day is
// Monday to Friday, except the public holidays of the year, plus the
// weekend days the State Council's notice makes working days (调休上班).
//
// Each year's holidays come from one notice of the General Office of the
// State Council (国务院办公厅关于某年部分节假日安排的通知), published late in
// the year before. The table below holds one entry per year with its
// source; adding a year is one entry. A date in a year the table does not
// hold is an error, never a guess: nobody can know next year's 调休 before
// the notice. The test cross-checks every day against
// github.com/6tail/lunar-go, which carries the same notices.

// HolidayNotice is the source of a year's holidays.
type HolidayNotice struct {
	Title  string `json:"title"`            // 国务院办公厅关于2026年部分节假日安排的通知
	Number string `json:"number,omitempty"` // 国办发明电〔2024〕12号; empty when not recorded
	Issued Date   `json:"issued,omitempty"` // the date the notice bears; empty when not recorded
	Note   string `json:"note,omitempty"`   // what is not yet checked against the notice itself
}

// Holiday is one holiday period of a notice, both ends included.
type Holiday struct {
	Name     string `json:"name"` // 春节
	From, To Date
}

// HolidayYear is one year of the table.
type HolidayYear struct {
	Year     int           `json:"year"`
	Notice   HolidayNotice `json:"notice"`
	Holidays []Holiday     `json:"holidays"`
	Workdays []Date        `json:"workdays"` // weekend days that are working days (调休上班)
}

// holidayYears is the table, one entry per year, in order. Each entry is
// written as the notice states it: the periods of rest, then the weekend
// days worked.
var holidayYears = []HolidayYear{
	{
		Year: 2025,
		Notice: HolidayNotice{
			Title:  "国务院办公厅关于2025年部分节假日安排的通知",
			Number: "国办发明电〔2024〕12号",
			Issued: "2024-11-12",
		},
		Holidays: []Holiday{
			{"元旦", "2025-01-01", "2025-01-01"},
			{"春节", "2025-01-28", "2025-02-04"},
			{"清明节", "2025-04-04", "2025-04-06"},
			{"劳动节", "2025-05-01", "2025-05-05"},
			{"端午节", "2025-05-31", "2025-06-02"},
			{"国庆节、中秋节", "2025-10-01", "2025-10-08"},
		},
		Workdays: []Date{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"},
	},
	{
		Year: 2026,
		Notice: HolidayNotice{
			Title:  "国务院办公厅关于2026年部分节假日安排的通知",
			Issued: "2025-11-04",
			Note:   "文号未录入：日期与各日安排已按新华社 2025-11-04 播发的通知全文核对",
		},
		Holidays: []Holiday{
			{"元旦", "2026-01-01", "2026-01-03"},
			{"春节", "2026-02-15", "2026-02-23"},
			{"清明节", "2026-04-04", "2026-04-06"},
			{"劳动节", "2026-05-01", "2026-05-05"},
			{"端午节", "2026-06-19", "2026-06-21"},
			{"中秋节", "2026-09-25", "2026-09-27"},
			{"国庆节", "2026-10-01", "2026-10-07"},
		},
		Workdays: []Date{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
	},
	{
		Year: 2027,
		Notice: HolidayNotice{
			Title: "国务院办公厅关于2027年部分节假日安排的通知",
			Note:  "文号与日期未录入：各日安排取自 lunar-go v1.4.7（2026-11-06 发布，收录该通知），尚未与通知原文逐条核对",
		},
		Holidays: []Holiday{
			{"元旦", "2027-01-01", "2027-01-03"},
			{"春节", "2027-02-05", "2027-02-13"},
			{"清明节", "2027-04-03", "2027-04-05"},
			{"劳动节", "2027-05-01", "2027-05-05"},
			{"端午节", "2027-06-09", "2027-06-09"},
			{"中秋节", "2027-09-15", "2027-09-15"},
			{"国庆节", "2027-10-01", "2027-10-07"},
		},
		Workdays: []Date{"2027-01-31", "2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09"},
	},
}

// MaxWorkingDays bounds a period counted in working days: the longest
// period the suite counts is a year's (about 250 working days); anything
// longer is a mistake in the request, not a deadline.
const MaxWorkingDays = 366

// HolidayYears returns the years the calendar covers, each with its
// source, in order.
func HolidayYears() []HolidayYear { return slices.Clone(holidayYears) }

// dayKind is what the calendar knows of one day.
type dayKind struct {
	covered bool
	holiday string // name of the holiday, when the day is one
	workday bool   // a weekend day worked (调休上班)
}

// calendar is the table indexed by date, built once.
var calendar = func() map[Date]dayKind {
	m := map[Date]dayKind{}
	for _, y := range holidayYears {
		for _, h := range y.Holidays {
			from, to := mustDay(h.From), mustDay(h.To)
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				m[DateOf(d)] = dayKind{covered: true, holiday: h.Name}
			}
		}
		for _, w := range y.Workdays {
			m[w] = dayKind{covered: true, workday: true}
		}
	}
	return m
}()

var coveredYears = func() map[int]HolidayNotice {
	m := map[int]HolidayNotice{}
	for _, y := range holidayYears {
		m[y.Year] = y.Notice
	}
	return m
}()

// parseDay reads d as midnight of that day in China.
func parseDay(d Date) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, string(d), China)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "date %q must be YYYY-MM-DD", d)
	}
	return t, nil
}

func mustDay(d Date) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, string(d), China)
	if err != nil {
		panic(fmt.Sprintf("holiday table: %v", err))
	}
	return t
}

// errUncovered is the error for a day of a year the table lacks.
func errUncovered(d Date) error {
	first, last := holidayYears[0].Year, holidayYears[len(holidayYears)-1].Year
	return Errorf(EINVALID, "工作日历未收录 %s 年的节假日安排（已收录 %d–%d 年）：无法计算 %s 起的工作日期限。请在国务院办公厅发布该年节假日安排通知后补录", d[:4], first, last, d)
}

// IsWorkingDay says whether d is a working day. A day of a year the
// calendar does not cover is an error.
func IsWorkingDay(d Date) (bool, error) {
	t, err := parseDay(d)
	if err != nil {
		return false, err
	}
	return isWorkingDay(d, t)
}

func isWorkingDay(d Date, t time.Time) (bool, error) {
	if _, ok := coveredYears[t.Year()]; !ok {
		return false, errUncovered(d)
	}
	if k, ok := calendar[d]; ok {
		return k.workday, nil
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkingDays returns the n-th working day after from, from itself not
// counted, as Chinese law counts a period: 20 working days from Friday
// 2026-09-18 end on Thursday 2026-10-22 (Sunday 09-20 and Saturday 10-10
// are worked, 09-25 to 09-27 and 10-01 to 10-07 are not). n = 0 returns
// from. Every day on the way must be in a year the calendar covers.
func AddWorkingDays(from Date, n int) (Date, error) {
	t, err := parseDay(from)
	if err != nil {
		return "", err
	}
	if n < 0 || n > MaxWorkingDays {
		return "", Errorf(EINVALID, "a period of %d working days is outside 0–%d", n, MaxWorkingDays)
	}
	if _, ok := coveredYears[t.Year()]; !ok {
		return "", errUncovered(from)
	}
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		d := DateOf(t)
		ok, err := isWorkingDay(d, t)
		if err != nil {
			return "", err
		}
		if ok {
			n--
		}
	}
	return DateOf(t), nil
}

// WorkingDaysBetween counts the working days after from up to and
// including to (0 when to is not after from): how many working days are
// left from today until a deadline.
func WorkingDaysBetween(from, to Date) (int, error) {
	a, err := parseDay(from)
	if err != nil {
		return 0, err
	}
	b, err := parseDay(to)
	if err != nil {
		return 0, err
	}
	if b.Sub(a) > 2*MaxWorkingDays*24*time.Hour {
		return 0, Errorf(EINVALID, "%s to %s is longer than any period counted in working days", from, to)
	}
	n := 0
	for t := a.AddDate(0, 0, 1); !t.After(b); t = t.AddDate(0, 0, 1) {
		ok, err := isWorkingDay(DateOf(t), t)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// HolidayOf names the holiday d falls in ("" when none), and says whether
// d is a weekend day worked; it is an error for an uncovered year.
func HolidayOf(d Date) (name string, madeUp bool, err error) {
	t, err := parseDay(d)
	if err != nil {
		return "", false, err
	}
	if _, ok := coveredYears[t.Year()]; !ok {
		return "", false, errUncovered(d)
	}
	k := calendar[d]
	return k.holiday, k.workday, nil
}

// NoticeOf returns the source of year's holidays.
func NoticeOf(year int) (HolidayNotice, error) {
	n, ok := coveredYears[year]
	if !ok {
		return HolidayNotice{}, errUncovered(Date(strconv.Itoa(year) + "-01-01"))
	}
	return n, nil
}
