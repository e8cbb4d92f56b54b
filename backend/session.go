package backend

import (
	"context"
	"time"
)

// CodeIssue records an inspection code (检查码) handed to a phone: which
// login and device it went to, so that ending their sessions can withdraw
// the codes that are still valid (an enterprise must not be shown a valid
// code from a stolen phone).
type CodeIssue struct {
	Serial    string    `bson:"_id"` // the code's serial (qr.InspectionToken.Serial)
	UserID    string    `bson:"userId"`
	DeviceID  string    `bson:"deviceId,omitempty"`
	TaskID    string    `bson:"taskId"`
	IssuedAt  time.Time `bson:"issuedAt"`
	ExpiresAt time.Time `bson:"expiresAt"`

	// The audit outbox of its write (outbox.go): code.issue.
	Outbox `bson:",inline"`
}

// CodeIssueStore keeps the codes issued and withdraws them. The records
// live until their codes expire.
type CodeIssueStore interface {
	RecordCodeIssue(ctx context.Context, c *CodeIssue) error
	// FindCodeIssue returns the record of the code with the serial
	// (ENOTFOUND once it has been purged, an hour after it expired).
	FindCodeIssue(ctx context.Context, serial string) (*CodeIssue, error)
	// RevokeIssuedCodes puts every code issued to the user (only from
	// deviceID, unless it is empty) that has not expired at at on the
	// revocation list, and returns how many it withdrew.
	RevokeIssuedCodes(ctx context.Context, userID, deviceID string, at time.Time, reason string) (int, error)
}

// withdrawCodes withdraws the codes of a user (of one device when deviceID
// is set) when codes are tracked at all (codes not nil).
func withdrawCodes(ctx context.Context, codes CodeIssueStore, userID, deviceID string, at time.Time, reason string) (int, error) {
	if codes == nil {
		return 0, nil
	}
	return codes.RevokeIssuedCodes(ctx, userID, deviceID, at, reason)
}
