package backend

import (
	"fmt"
	"slices"
	"strings"
)

// Review of submitted results. A submitted task waits in the review queue
// of its lead department. Its review state is derived from the task
// itself (its status and its reviewers' notes), so that no second field
// can disagree with them and a phone's submission, which knows nothing of
// reviews, starts a new round by itself:
//
//	submitted, no note since the submission     → received
//	submitted, last note records issues         → has_issues
//	returned                                    → returned (the phone reworks it)
//	approved or published                       → approved
//
// A return is the last note of its round, so a task submitted again after
// one is received again.

// ReviewState is where a task stands in review.
type ReviewState string

const (
	ReviewReceived  ReviewState = "received"   // submitted, nobody has flagged it
	ReviewHasIssues ReviewState = "has_issues" // a reviewer recorded issues; still submitted
	ReviewApproved  ReviewState = "approved"
	ReviewReturned  ReviewState = "returned"
)

// NoteHasIssues is the status of a review note that records issues while
// the task stays submitted. It is a note's status only: no task takes it.
const NoteHasIssues TaskStatus = "has_issues"

// Limits of a review. The comment limit is a transition's too.
const (
	MaxReviewComment = 2000 // bytes of a reviewer's comment, and of an issue's
	MaxReviewIssues  = 100  // issues recorded at a time
)

// ReviewIssue is one thing a reviewer found wrong with one checklist
// answer or one piece of evidence.
type ReviewIssue struct {
	Question string `json:"question,omitempty" bson:"question,omitempty"` // <itemCode>/<questionId>
	Evidence string `json:"evidence,omitempty" bson:"evidence,omitempty"` // evidence slot id
	Comment  string `json:"comment" bson:"comment"`
}

// ReviewState returns the task's review state, or "" for a task that was
// never submitted (or is on its way to its first submission).
func (t *Task) ReviewState() ReviewState {
	switch t.Status {
	case TaskSubmitted:
		if n := len(t.Reviews); n > 0 && t.Reviews[n-1].Status == NoteHasIssues {
			return ReviewHasIssues
		}
		return ReviewReceived
	case TaskReturned:
		return ReviewReturned
	case TaskApproved, TaskPublished:
		return ReviewApproved
	}
	return ""
}

// RecordedIssues returns the issues recorded on the task in its current
// round of review: those of its last note while it has issues, none
// otherwise.
func (t *Task) RecordedIssues() []ReviewIssue {
	if t.ReviewState() != ReviewHasIssues {
		return []ReviewIssue{}
	}
	return slices.Clone(t.Reviews[len(t.Reviews)-1].Issues)
}

// HasQuestion reports whether k (<itemCode>/<questionId>) names a question
// of the task's checklist.
func (t *Task) HasQuestion(k string) bool { return t.hasQuestion(k) }

// CheckIssues checks issues a reviewer records on t: at most
// MaxReviewIssues, each about one question of its checklist or one of its
// evidence slots, with a comment.
func (t *Task) CheckIssues(issues []ReviewIssue) error {
	if len(issues) > MaxReviewIssues {
		return Errorf(EINVALID, "at most %d issues may be recorded at a time; this has %d", MaxReviewIssues, len(issues))
	}
	for i, x := range issues {
		n := i + 1
		switch {
		case x.Question == "" && x.Evidence == "":
			return Errorf(EINVALID, "issue %d names neither a question (%s) nor an evidence slot", n, questionKeyDescribed)
		case x.Question != "" && x.Evidence != "":
			return Errorf(EINVALID, "issue %d names a question and an evidence slot: record one issue for each", n)
		case x.Question != "" && !t.hasQuestion(x.Question):
			return Errorf(EINVALID, "issue %d: %q is not a question of this task's checklist (%s)", n, x.Question, questionKeyDescribed)
		case x.Evidence != "":
			if _, ok := t.FindEvidence(x.Evidence); !ok {
				return Errorf(EINVALID, "issue %d: %q is not an evidence slot of this task", n, x.Evidence)
			}
		}
		if err := CheckReviewComment(fmt.Sprintf("the comment of issue %d", n), x.Comment, true); err != nil {
			return err
		}
	}
	return nil
}

// CheckReviewComment checks a reviewer's comment: UTF-8 text of at most
// MaxReviewComment bytes, and not blank when required.
func CheckReviewComment(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	if len(s) > MaxReviewComment {
		return Errorf(EINVALID, "%s is limited to %d bytes; this one has %d", field, MaxReviewComment, len(s))
	}
	return checkText(field, s, 0, MaxReviewComment)
}
