package draw

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// Replace replaces targetID, a drawn target that proved closed or
// unreachable, by the next eligible target of its stratum in draw order that
// is neither selected nor already a replacement, gives the replacement a team
// and appends the replacement to rec.Replacements.
//
// The record must verify. targetID must be active: selected or a replacement,
// and not replaced yet. Errors are *backend.Error: EINVALID (record does not
// verify, empty reason, stratum exhausted), ENOTFOUND (not a drawn target),
// ECONFLICT (already replaced).
func Replace(rec *Record, targetID, reason string) (*Replacement, error) {
	const op = "draw.Replace"
	e, want, diffs := replay(rec)
	if len(diffs) > 0 {
		return nil, notVerified(op, diffs)
	}
	r, err := e.replace(want.Selected, want.Replacements, targetID, reason, op)
	if err != nil {
		return nil, err
	}
	rec.Replacements = append(rec.Replacements, *r)
	return r, nil
}

// Reassign re-matches the team of targetID, an active target of the record,
// when the inspectors in unavailable can no longer take it: the team is
// rebuilt by the draw's rules and keys without them, counting the cap use of
// every other active target (but not that of the target's current team). It
// does not change the record.
func Reassign(rec *Record, targetID string, unavailable []string) (*Assignment, error) {
	const op = "draw.Reassign"
	e, want, diffs := replay(rec)
	if len(diffs) > 0 {
		return nil, notVerified(op, diffs)
	}
	if _, err := e.findActive(want.Selected, want.Replacements, targetID, op); err != nil {
		return nil, err
	}
	mask := make([]bool, len(e.insp))
	for _, id := range unavailable {
		r, ok := e.rankOf[id]
		if !ok {
			return nil, invalid(op, "inspector %q is not in the draw's pool", id)
		}
		mask[r] = true
	}
	m := e.activeUse(want.Selected, want.Replacements, targetID)
	a := m.assignOne(targetID, e.planTeam(), mask)
	return &a, nil
}

// findActive returns the stratum of an active target.
func (e *engine) findActive(sel []Selection, reps []Replacement, target, op string) (string, error) {
	for _, r := range reps {
		if r.Replaced == target {
			return "", &backend.Error{Code: backend.ECONFLICT, Op: op, Message: fmt.Sprintf("target %q was already replaced by %q", target, r.Replacement)}
		}
	}
	for _, s := range sel {
		if s.ID == target {
			return s.Stratum, nil
		}
	}
	for _, r := range reps {
		if r.Replacement == target {
			return r.Stratum, nil
		}
	}
	return "", &backend.Error{Code: backend.ENOTFOUND, Op: op, Message: fmt.Sprintf("target %q was not drawn in this record", target)}
}

// activeUse returns a matcher whose cap use counts the teams of every active
// target except the one named.
func (e *engine) activeUse(sel []Selection, reps []Replacement, except string) *matcher {
	replaced := make(map[string]bool, len(reps))
	for _, r := range reps {
		replaced[r.Replaced] = true
	}
	m := e.newMatcher()
	for _, s := range sel {
		if s.ID != except && !replaced[s.ID] {
			m.count(s.Team)
		}
	}
	for _, r := range reps {
		if r.Replacement != except && !replaced[r.Replacement] {
			m.count(r.Team)
		}
	}
	return m
}

// replace computes the replacement of target given the selection and the
// replacements made so far.
func (e *engine) replace(sel []Selection, reps []Replacement, target, reason, op string) (*Replacement, error) {
	if err := checkText(op, "reason", reason, true); err != nil {
		return nil, err
	}
	stratum, err := e.findActive(sel, reps, target, op)
	if err != nil {
		return nil, err
	}
	s, ok := slices.BinarySearchFunc(e.strata, stratum, func(s Stratum, key string) int { return strings.Compare(s.Key, key) })
	if !ok {
		return nil, invalid(op, "target %q has unknown stratum %q", target, stratum)
	}
	taken := make(map[string]bool, len(sel)+len(reps))
	for _, x := range sel {
		taken[x.ID] = true
	}
	for _, r := range reps {
		taken[r.Replacement] = true
	}
	pop := e.in.Population
	for _, r := range e.order {
		c := &pop[r.idx]
		if e.stratumOf[r.idx] != int32(s) || c.Excluded != "" || taken[c.ID] {
			continue
		}
		m := e.activeUse(sel, reps, target)
		a := m.assignOne(c.ID, e.planTeam(), nil)
		return &Replacement{
			Replaced:    target,
			Replacement: c.ID,
			Stratum:     c.Stratum,
			PRN:         FormatPRN(r.prn),
			Reason:      reason,
			Assignment:  a,
		}, nil
	}
	return nil, invalid(op, "stratum %q has no eligible target left to replace %q", stratum, target)
}
