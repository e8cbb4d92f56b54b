package backend

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// A round's joint visit (fc-draw-2) is one task that serves the plans of
// several departments, a part per plan (Task.Parts). Until its result is
// published, each department reads only its own plans' parts of it: the
// items, the answers and the evidence of those items, so that one
// department's findings about an enterprise do not reach another through
// the visit they shared. The team that inspects and administrators read
// it whole, and so does the visit's lead department (the first part's)
// when it leads every part; when several departments lead parts, each
// reviews its own (ReviewParts) and reads only its own, the lead too. Other departments
// read the result's code but not its findings nor its follow-up, which
// may speak of items that are not theirs. Once published, what is public
// is public and every department of the visit reads it whole.

// PartsWhole reports whether actor a reads task t whole: a task that is
// not a joint visit of a round, a published one, or a reader who is an
// administrator, was ever on its team, or is of the visit's lead
// department when that department leads every part.
func (t *Task) PartsWhole(a *Actor) bool {
	switch {
	case len(t.Parts) == 0 || t.Status == TaskPublished:
		return true
	case a == nil:
		return false
	case a.Role == RoleAdmin:
		return true
	case a.InDepartment(t.LeadDepartment) && t.ReviewParts() == nil:
		// The lead leads every part. When other departments lead parts,
		// each reviews its own (ReviewParts) and the lead reads only its
		// own too.
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
	if t.Result != nil && !a.InDepartment(t.LeadDepartment) {
		// The findings and follow-up are the visit's, one text that may
		// speak of every part: the visit's lead reads them (its entry is
		// the visit's, its re-check the visit's), the others do not.
		r := *t.Result
		r.Findings, r.FollowUp = "", ""
		c.Result = &r
	}
	c.Reviews = slices.Clone(t.Reviews)
	for i := range c.Reviews {
		if n := &c.Reviews[i]; n.Part != "" && !a.InDepartment(n.Part) {
			// Another department's decision on its part: that it was
			// made, by whom and when, not what it says.
			n.Comment, n.Issues = "", nil
			continue
		}
		c.Reviews[i].Issues = slices.DeleteFunc(slices.Clone(c.Reviews[i].Issues), func(is ReviewIssue) bool {
			_, seen := c.FindEvidence(is.Evidence)
			return is.Question != "" && !mine(answerItem(is.Question)) || is.Evidence != "" && !seen
		})
	}
	return &c
}

// Review per part. When the parts of a joint visit are led by several
// departments, each of them reviews its own part (docs/draw2.md, "Review
// per part"): its reviewers record issues on, approve or return the part
// they read, and see of the others only whether they are decided. The
// visit is approved when the last part is; a return of any part sends the
// whole visit back to its team (one task on the phones, one result), and
// after the team submits it again every part is reviewed again: the team
// may have changed any answer. A department's notes carry its id (Part).

// NotePartApproved is the status of the review note by which a department
// approves its part while other parts wait: the task stays submitted. It
// is a note's status only: no task takes it.
const NotePartApproved TaskStatus = "part_approved"

// ReviewParts are the departments that review t part by part: the lead
// departments of its parts in the parts' order (the visit's lead first)
// when there are two or more; nil when one department reviews the whole
// task.
func (t *Task) ReviewParts() []string {
	var depts []string
	for _, p := range t.Parts {
		if !slices.Contains(depts, p.LeadDepartment) {
			depts = append(depts, p.LeadDepartment)
		}
	}
	if len(depts) < 2 {
		return nil
	}
	return depts
}

// PartReview is where one department's part of a joint visit stands in
// the current round of review.
type PartReview struct {
	Department string      `json:"department"`
	State      ReviewState `json:"state" enum:"received,has_issues,approved,returned"`
	// Reviewer and At: who decided the part (approved or returned) and
	// when; empty while it waits.
	Reviewer string     `json:"reviewer,omitempty"`
	At       *time.Time `json:"at,omitempty"`
	// Plans and Items of the part: given only to readers of the part
	// (a department sees of other parts their state alone).
	Plans []string `json:"plans,omitempty"`
	Items []string `json:"items,omitempty"`
	// Issues recorded on the part in this round (has_issues), for its readers.
	Issues []ReviewIssue `json:"issues,omitempty"`
}

// reviewRound is the index in t.Reviews where the current round of review
// begins: after the last return (a return ends its round); for a returned
// task, the round that return ended.
func (t *Task) reviewRound() int {
	skip := t.Status == TaskReturned
	for i := len(t.Reviews) - 1; i >= 0; i-- {
		if t.Reviews[i].Status == TaskReturned {
			if skip {
				skip = false
				continue
			}
			return i + 1
		}
	}
	return 0
}

// PartReviews gives the state of each department's part (ReviewParts, in
// its order) in the current round; nil for a task reviewed whole.
func (t *Task) PartReviews() []PartReview {
	depts := t.ReviewParts()
	if depts == nil {
		return nil
	}
	round := t.Reviews[t.reviewRound():]
	out := make([]PartReview, len(depts))
	for k, d := range depts {
		pr := PartReview{Department: d, State: ReviewReceived}
		for i := range round {
			n := &round[i]
			if n.Part != d {
				continue
			}
			switch n.Status {
			case NoteHasIssues:
				if pr.State != ReviewApproved {
					pr.State, pr.Issues = ReviewHasIssues, slices.Clone(n.Issues)
				}
			case NotePartApproved, TaskApproved:
				pr.State, pr.Reviewer, pr.At, pr.Issues = ReviewApproved, n.Reviewer, &n.At, nil
			case TaskReturned:
				pr.State, pr.Reviewer, pr.At = ReviewReturned, n.Reviewer, &n.At
			}
		}
		if t.Status == TaskApproved || t.Status == TaskPublished {
			pr.State = ReviewApproved
		}
		for _, p := range t.Parts {
			if p.LeadDepartment == d {
				pr.Plans = append(pr.Plans, cmpOr(p.PlanID, p.CheckID))
				for _, it := range p.Items {
					if !slices.Contains(pr.Items, it) {
						pr.Items = append(pr.Items, it)
					}
				}
			}
		}
		out[k] = pr
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// PartItemsOf are the item codes of the parts department dept leads.
func (t *Task) PartItemsOf(dept string) []string {
	items := []string{}
	for _, p := range t.Parts {
		if p.LeadDepartment == dept {
			for _, it := range p.Items {
				if !slices.Contains(items, it) {
					items = append(items, it)
				}
			}
		}
	}
	return items
}

// PartReviewsFor are t's part reviews as actor a may read them: whole for
// a reader of the whole visit, else the plans, items and issues of a's
// departments' parts only.
func (t *Task) PartReviewsFor(a *Actor) []PartReview {
	prs := t.PartReviews()
	if prs == nil || t.PartsWhole(a) {
		return prs
	}
	for i := range prs {
		if !a.InDepartment(prs[i].Department) {
			prs[i].Plans, prs[i].Items, prs[i].Issues = nil, nil, nil
		}
	}
	return prs
}
