package backend

import (
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
