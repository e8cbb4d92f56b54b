package backend

import (
	"context"
	"time"
)

// ComplaintCategory is what an enterprise complains about an inspection.
type ComplaintCategory string

// The categories follow the oversight office's intake form.
var ComplaintCategories = map[ComplaintCategory]string{
	"no-certificate": "未出示执法证件或检查人员不足两名",
	"conduct":        "态度粗暴、不文明执法",
	"improper-gain":  "吃拿卡要、索取财物",
	"repeated":       "重复检查、检查过多过频",
	"burden":         "影响正常经营",
	"other":          "其他",
}

// Complaint is an enterprise's complaint about inspections (违规行为投诉),
// made from the page its licence code opens. It goes to the oversight
// office.
type Complaint struct {
	ID         string            `json:"id" bson:"_id"`
	TargetID   string            `json:"targetId" bson:"targetId"`
	Category   ComplaintCategory `json:"category" bson:"category"`
	Text       string            `json:"text" bson:"text"`
	Contact    string            `json:"contact,omitempty" bson:"contact,omitempty"`
	CodeKeyID  string            `json:"codeKeyId" bson:"codeKeyId"`
	ClientAddr string            `json:"clientAddr" bson:"clientAddr"`
	Status     string            `json:"status" bson:"status"` // received
	CreatedAt  time.Time         `json:"createdAt" bson:"createdAt"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// Validate checks the complaint's fields.
func (c *Complaint) Validate() error {
	if _, ok := ComplaintCategories[c.Category]; !ok {
		return Errorf(EINVALID, "choose what the complaint is about")
	}
	if err := checkText("complaint", c.Text, 5, 2000); err != nil {
		return Errorf(EINVALID, "describe what happened in 5 to 2000 characters")
	}
	return checkText("contact", c.Contact, 0, 50)
}

// ComplaintFilter narrows the oversight office's list of complaints; the
// zero value lists all.
type ComplaintFilter struct {
	Category ComplaintCategory // one category
	TargetID string            // one enterprise (its USCC)
}

// Validate checks the filter's values.
func (f ComplaintFilter) Validate() error {
	if _, ok := ComplaintCategories[f.Category]; f.Category != "" && !ok {
		return Errorf(EINVALID, "category %q is not one of the complaint categories", f.Category)
	}
	if f.TargetID != "" {
		if err := ValidateUSCC(f.TargetID); err != nil {
			return err
		}
	}
	return nil
}

// ComplaintStore persists complaints.
type ComplaintStore interface {
	CreateComplaint(ctx context.Context, c *Complaint) error
	// FindComplaints pages through the complaints f selects, by id (which
	// begins with the day it was made).
	FindComplaints(ctx context.Context, f ComplaintFilter, p PageRequest) (*Page[*Complaint], error)
}
