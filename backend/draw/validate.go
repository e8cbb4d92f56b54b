package draw

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	maxIDBytes   = 256
	maxTextBytes = 1000
)

func invalid(op, format string, args ...any) error {
	return &backend.Error{Code: backend.EINVALID, Op: op, Message: fmt.Sprintf(format, args...)}
}

// checkID checks an identifier: 1-256 bytes of UTF-8 without control
// characters. It runs once per candidate, so ASCII takes a fast path.
func checkID(op, field, s string) error {
	if s == "" {
		return invalid(op, "%s is required", field)
	}
	if len(s) > maxIDBytes {
		return invalid(op, "%s %.40q… is longer than %d bytes", field, s, maxIDBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return invalid(op, "%s %q contains a control character", field, s)
		}
		if c >= utf8.RuneSelf {
			if !utf8.ValidString(s[i:]) {
				return invalid(op, "%s %q is not valid UTF-8", field, s)
			}
			for _, r := range s[i:] {
				if unicode.IsControl(r) {
					return invalid(op, "%s %q contains a control character", field, s)
				}
			}
			break
		}
	}
	return nil
}

// checkText checks free text (notes, reasons, public entropy).
func checkText(op, field, s string, required bool) error {
	if required && s == "" {
		return invalid(op, "%s is required", field)
	}
	if len(s) > maxTextBytes {
		return invalid(op, "%s is longer than %d bytes", field, maxTextBytes)
	}
	if !utf8.ValidString(s) {
		return invalid(op, "%s is not valid UTF-8", field)
	}
	return nil
}

func validDate(s string) bool {
	if len(s) != len(time.DateOnly) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (r Rule) validate(op, field string) error {
	switch {
	case r.Count != nil && r.RatioBp != nil:
		return invalid(op, "%s gives both a count and a ratio", field)
	case r.Count == nil && r.RatioBp == nil:
		return invalid(op, "%s gives neither a count nor a ratio", field)
	case r.Count != nil && *r.Count < 0:
		return invalid(op, "%s: count %d is negative", field, *r.Count)
	case r.RatioBp != nil && (*r.RatioBp < 0 || *r.RatioBp > 10000):
		return invalid(op, "%s: ratio %d bp is outside 0..10000", field, *r.RatioBp)
	}
	return nil
}

// size returns n for a stratum with eligible targets.
func (r Rule) size(eligible int) int {
	if r.Count != nil {
		return min(*r.Count, eligible)
	}
	return int((int64(*r.RatioBp)*int64(eligible) + 9999) / 10000)
}

func validExclusion(code string) bool {
	switch code {
	case "", ExcludedInactive, ExcludedWhitelist, ExcludedAnnualCap, ExcludedOperator, ExcludedVisitCap:
		return true
	}
	return false
}

func (c *Candidate) validate(op string, i int) error {
	// Field names are built only on failure: this runs once per candidate.
	if err := checkID(op, "id", c.ID); err != nil {
		return invalid(op, "population[%d]: %s", i, backend.ErrorMessage(err))
	}
	if !validExclusion(c.Excluded) {
		return invalid(op, "candidate %q: unknown exclusion code %q", c.ID, c.Excluded)
	}
	if c.Note != "" || c.Excluded == ExcludedOperator {
		if err := checkText(op, "note", c.Note, c.Excluded == ExcludedOperator); err != nil {
			return invalid(op, "candidate %q: %s", c.ID, backend.ErrorMessage(err))
		}
		if c.Excluded == "" {
			return invalid(op, "candidate %q: a note is only for an excluded candidate", c.ID)
		}
	}
	return nil
}

func (in *Inspector) validate(op string, i int) error {
	if err := checkID(op, fmt.Sprintf("inspectors[%d].id", i), in.ID); err != nil {
		return err
	}
	if err := checkID(op, fmt.Sprintf("inspector %q: departmentId", in.ID), in.DepartmentID); err != nil {
		return err
	}
	if !validDate(in.CertExpiry) {
		return invalid(op, "inspector %q: certificate expiry %q must be YYYY-MM-DD", in.ID, in.CertExpiry)
	}
	for _, p := range in.Leave {
		if !validDate(p.From) || !validDate(p.To) || p.To < p.From {
			return invalid(op, "inspector %q: leave %q..%q is not a valid period", in.ID, p.From, p.To)
		}
	}
	for _, t := range in.Conflicts {
		if err := checkID(op, fmt.Sprintf("inspector %q: conflict", in.ID), t); err != nil {
			return err
		}
	}
	if in.OpenTasks < 0 {
		return invalid(op, "inspector %q: open tasks %d is negative", in.ID, in.OpenTasks)
	}
	if in.TaskCap < 0 {
		return invalid(op, "inspector %q: task cap %d is negative", in.ID, in.TaskCap)
	}
	return nil
}

// eligibleOn reports the eligibility facts that do not depend on the target
// or on the draw's progress.
func (in *Inspector) eligibleOn(day string) bool {
	if in.CertExpiry < day {
		return false
	}
	for _, p := range in.Leave {
		if p.From <= day && day <= p.To {
			return false
		}
	}
	return true
}
