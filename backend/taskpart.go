package backend

import (
	"maps"
	"slices"
	"strings"
)

// A round's joint visit (fc-draw-2) is one task that serves the plans of
// several departments, a part per plan (Task.Parts). Until its result is
// published, each department reads only its own plans' parts of it: the
// items, the answers and the evidence of those items, so that one
// department's findings about an enterprise do not reach another through
// the visit they shared. The visit's lead department (the first part's,
// whose reviewers review the visit and whose managers publish it), the
// team that inspects and administrators read it whole. Other departments
// read the result's code but not its findings nor its follow-up, which
// may speak of items that are not theirs. Once published, what is public
// is public and every department of the visit reads it whole.

// PartsWhole reports whether actor a reads task t whole: a task that is
// not a joint visit of a round, a published one, or a reader who is an
// administrator, of the visit's lead department or was ever on its team.
func (t *Task) PartsWhole(a *Actor) bool {
	switch {
	case len(t.Parts) == 0 || t.Status == TaskPublished:
		return true
	case a == nil:
		return false
	case a.Role == RoleAdmin || a.InDepartment(t.LeadDepartment):
		return true
	}
	return t.WorkedOn(a.UserID)
}

// PartItems are the item codes of t that a reads: those of the parts of
// its departments (nil when a reads t whole, PartsWhole).
func (t *Task) PartItems(a *Actor) []string {
	if t.PartsWhole(a) {
		return nil
	}
	items := []string{}
	for _, p := range t.Parts {
		if a.InDepartment(p.LeadDepartment) || slices.ContainsFunc(p.Departments, a.InDepartment) {
			for _, it := range p.Items {
				if !slices.Contains(items, it) {
					items = append(items, it)
				}
			}
		}
	}
	return items
}

// answerItem is the item code of an answer key (<itemCode>/<questionId>).
func answerItem(key string) string {
	item, _, _ := strings.Cut(key, answerKeySeparator)
	return item
}

// EvidencePartVisible reports whether a may see slot e of t: every slot
// when a reads t whole; otherwise the slots of no question (the visit's
// own: the signature, a photo of the premises) and those of the
// questions of its parts' items.
func (t *Task) EvidencePartVisible(a *Actor, e *EvidenceSlot) bool {
	if t.PartsWhole(a) || e.Question == "" {
		return true
	}
	return slices.Contains(t.PartItems(a), answerItem(e.Question))
}

// ViewFor returns t as actor a may read it: t itself when a reads it
// whole (PartsWhole), else a copy that keeps only a's parts — their items,
// checklist references, form sections, answers and evidence — and the
// result without its findings and follow-up. The copy is for reading:
// nothing must write it back.
func (t *Task) ViewFor(a *Actor) *Task {
	if t.PartsWhole(a) {
		return t
	}
	items := t.PartItems(a)
	mine := func(code string) bool { return slices.Contains(items, code) }
	c := *t
	c.Items = slices.DeleteFunc(slices.Clone(t.Items), func(code string) bool { return !mine(code) })
	c.Parts = slices.DeleteFunc(slices.Clone(t.Parts), func(p TaskPart) bool {
		return !a.InDepartment(p.LeadDepartment) && !slices.ContainsFunc(p.Departments, a.InDepartment)
	})
	c.Checklist = slices.DeleteFunc(slices.Clone(t.Checklist), func(r ChecklistRef) bool { return !mine(r.Item) })
	if t.Form != nil {
		f := &Checklist{Sections: slices.DeleteFunc(slices.Clone(t.Form.Sections), func(s ChecklistSection) bool { return !mine(s.ItemCode) })}
		c.Form = f
	}
	c.Answers = maps.Clone(t.Answers)
	maps.DeleteFunc(c.Answers, func(k string, _ Answer) bool { return !mine(answerItem(k)) })
	c.Evidence = slices.DeleteFunc(slices.Clone(t.Evidence), func(e EvidenceSlot) bool { return !t.EvidencePartVisible(a, &e) })
	if t.Result != nil {
		r := *t.Result
		r.Findings, r.FollowUp = "", ""
		c.Result = &r
	}
	c.Reviews = slices.Clone(t.Reviews)
	for i := range c.Reviews {
		c.Reviews[i].Issues = slices.DeleteFunc(slices.Clone(c.Reviews[i].Issues), func(is ReviewIssue) bool {
			_, seen := c.FindEvidence(is.Evidence)
			return is.Question != "" && !mine(answerItem(is.Question)) || is.Evidence != "" && !seen
		})
	}
	return &c
}
