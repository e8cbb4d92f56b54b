package backend

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Auto-match (综合查一次, issue 17): non-random checks a department
// registers ahead — a complaint's follow-up, a campaign, a re-check — with
// a window of days are matched with the drawn visits and the other
// registered checks on the same enterprise whose windows overlap, and
// proposed to the departments involved as one visit. When every one of
// them accepts, the checks are merged (into the drawn visit when there is
// one: its task takes their items, a part per check); any of them may
// decline with a reason, and the checks stay registered on their own.
//
// An enterprise's registered checks and proposals of a year live in one
// document, its CheckBook, keyed by year and enterprise: matching reads
// and writes that one document by id (the embedded engine serves _id
// lookups from SQL), and its version makes two registrations on one
// enterprise at once come out as if one came after the other.

// CheckKind is why a registered check exists.
type CheckKind string

const (
	CheckComplaint CheckKind = "complaint" // a complaint's follow-up (投诉举报核查)
	CheckCampaign  CheckKind = "campaign"  // a campaign (专项整治)
	CheckRecheck   CheckKind = "recheck"   // a re-check after 责令改正 (复查)
)

// Valid reports whether k is a known kind.
func (k CheckKind) Valid() bool {
	return k == CheckComplaint || k == CheckCampaign || k == CheckRecheck
}

// CheckState is where a registered check stands.
type CheckState string

const (
	CheckRegistered CheckState = "registered" // on its own, matched with nothing (or declined)
	CheckProposed   CheckState = "proposed"   // in a proposal waiting for the departments
	CheckMerged     CheckState = "merged"     // one visit with others
)

// RegisteredCheck is a non-random check registered ahead.
type RegisteredCheck struct {
	ID           string     `json:"id" bson:"id"`
	Department   string     `json:"department" bson:"department"`
	Kind         CheckKind  `json:"kind" bson:"kind" enum:"complaint,campaign,recheck"`
	Reference    string     `json:"reference" bson:"reference"` // complaint number, campaign document, task re-checked
	Reason       string     `json:"reason" bson:"reason"`
	Items        []string   `json:"items" bson:"items"`
	From         Date       `json:"from" bson:"from"`
	To           Date       `json:"to" bson:"to"`
	State        CheckState `json:"state" bson:"state" enum:"registered,proposed,merged"`
	Proposal     string     `json:"proposal,omitempty" bson:"proposal,omitempty"` // the proposal it is in, or was merged by
	TaskID       string     `json:"taskId,omitempty" bson:"taskId,omitempty"`     // the drawn visit it was merged into
	RegisteredBy string     `json:"registeredBy" bson:"registeredBy"`
	RegisteredAt time.Time  `json:"registeredAt" bson:"registeredAt"`
}

// Overlaps reports whether the windows [from, to] and [c.From, c.To] share a day.
func (c *RegisteredCheck) Overlaps(from, to Date) bool { return c.From <= to && from <= c.To }

// ProposalState is where a proposal stands.
type ProposalState string

const (
	ProposalOpen     ProposalState = "proposed"
	ProposalMerged   ProposalState = "merged"
	ProposalDeclined ProposalState = "declined"
)

// MatchAnswer is one department's answer to a proposal.
type MatchAnswer struct {
	Department string       `json:"department" bson:"department"`
	State      ConsentState `json:"state" bson:"state" enum:"requested,accepted,declined"`
	By         string       `json:"by,omitempty" bson:"by,omitempty"`
	At         *time.Time   `json:"at,omitempty" bson:"at,omitempty"`
	Reason     string       `json:"reason,omitempty" bson:"reason,omitempty"`
}

// MatchProposal proposes one visit for checks on one enterprise in
// overlapping windows, and a drawn visit when there is one.
type MatchProposal struct {
	ID      string        `json:"id" bson:"id"`
	Checks  []string      `json:"checks" bson:"checks"`                     // registered checks, in registration order
	TaskID  string        `json:"taskId,omitempty" bson:"taskId,omitempty"` // the drawn visit they would join
	From    Date          `json:"from" bson:"from"`                         // the windows' common days
	To      Date          `json:"to" bson:"to"`
	State   ProposalState `json:"state" bson:"state" enum:"proposed,merged,declined"`
	Answers []MatchAnswer `json:"answers" bson:"answers"` // one per department involved, in byte order
	At      time.Time     `json:"at" bson:"at"`
}

// Involves reports whether any of depts must answer p.
func (p *MatchProposal) Involves(depts []string) bool {
	return slices.ContainsFunc(p.Answers, func(a MatchAnswer) bool { return slices.Contains(depts, a.Department) })
}

// CheckBook holds an enterprise's registered checks and proposals of a year.
type CheckBook struct {
	ID        string            `json:"id" bson:"_id"` // CheckBookID
	Year      int               `json:"year" bson:"year"`
	TargetID  string            `json:"targetId" bson:"targetId"`
	Checks    []RegisteredCheck `json:"checks" bson:"checks"`
	Proposals []MatchProposal   `json:"proposals" bson:"proposals"`
	Version   int64             `json:"version" bson:"version"`
	CreatedAt time.Time         `json:"createdAt" bson:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt" bson:"updatedAt"`

	// The records of the write under way, and those kept until they are
	// in the log (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// CheckBookID is the id of an enterprise's book of a year.
func CheckBookID(year int, targetID string) string { return fmt.Sprintf("%d:%s", year, targetID) }

// Limits of registered checks.
const (
	MaxChecksPerBook   = 200 // registered checks of one enterprise in a year
	MaxCheckWindowDays = 366
	MaxCheckReference  = 100
	MaxCheckReason     = 500
	MaxCheckItems      = 10
)

// Check finds a registered check of the book.
func (b *CheckBook) Check(id string) *RegisteredCheck {
	i := slices.IndexFunc(b.Checks, func(c RegisteredCheck) bool { return c.ID == id })
	if i < 0 {
		return nil
	}
	return &b.Checks[i]
}

// Proposal finds a proposal of the book.
func (b *CheckBook) Proposal(id string) *MatchProposal {
	i := slices.IndexFunc(b.Proposals, func(p MatchProposal) bool { return p.ID == id })
	if i < 0 {
		return nil
	}
	return &b.Proposals[i]
}

// CheckBookStore persists check books. UpdateCheckBook writes b with its
// Audit records in the same write (the outbox); b.Version is the expected
// current version. CreateCheckBook reports ECONFLICT when one exists.
type CheckBookStore interface {
	FindCheckBook(ctx context.Context, year int, targetID string) (*CheckBook, error)
	CreateCheckBook(ctx context.Context, b *CheckBook) error
	UpdateCheckBook(ctx context.Context, b *CheckBook) error
}
