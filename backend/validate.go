package backend

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkText checks that a free-text field is valid UTF-8, has no control
// characters and has between min and max characters.
func checkText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if min == 1 {
			return Errorf(EINVALID, "%s is required", field)
		}
		return Errorf(EINVALID, "%s must have at least %d characters", field, min)
	}
	if n > max {
		return Errorf(EINVALID, "%s must have at most %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Errorf(EINVALID, "%s contains a control character", field)
		}
	}
	return nil
}

// checkKey checks a value that may end up as a key or a value in a store
// query: it must not start with '$' and must not contain NUL or '.'-prefixed
// operators. Typed structs already keep client maps out of filters; this
// keeps operator-looking strings out of stored keys too.
func checkKey(field, s string) error {
	if strings.HasPrefix(s, "$") {
		return Errorf(EINVALID, "%s must not start with '$'", field)
	}
	if strings.ContainsRune(s, 0) {
		return Errorf(EINVALID, "%s contains a NUL character", field)
	}
	return nil
}

// checkList checks every element of a list of short strings.
func checkList(field string, list []string, maxItems, maxLen int) error {
	if len(list) > maxItems {
		return Errorf(EINVALID, "%s has %d entries, at most %d allowed", field, len(list), maxItems)
	}
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if err := checkText(field, s, 1, maxLen); err != nil {
			return err
		}
		if err := checkKey(field, s); err != nil {
			return err
		}
		if seen[s] {
			return Errorf(EINVALID, "%s lists %q twice", field, s)
		}
		seen[s] = true
	}
	return nil
}

// Date is a calendar day in China Standard Time, written YYYY-MM-DD. Dates
// such as certificate expiry and leave are days, not instants.
type Date string

// String returns the date as written.
func (d Date) String() string { return string(d) }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", Errorf(EINVALID, "date %q must be YYYY-MM-DD", s)
	}
	return Date(s), nil
}

// Valid reports whether d is a well-formed date.
func (d Date) Valid() bool {
	_, err := time.Parse(time.DateOnly, string(d))
	return err == nil
}

// China is the time zone of every calendar rule (years, dates, working days).
var China = time.FixedZone("CST", 8*3600)

// DateOf returns the calendar day of t in China.
func DateOf(t time.Time) Date { return Date(t.In(China).Format(time.DateOnly)) }

// DayEnd returns the end of t's calendar day in China: the midnight that
// starts the next day.
func DayEnd(t time.Time) time.Time {
	c := t.In(China)
	return time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, China)
}
