package backend

import (
	"context"
	"regexp"
	"time"
)

// ItemCategory says whether an item is a key item (重点检查事项, no ratio
// cap, e.g. food and production safety) or a general item (一般检查事项,
// sampled at no more than its cap).
type ItemCategory string

const (
	ItemKey     ItemCategory = "key"
	ItemGeneral ItemCategory = "general"
)

// CheckMethod is how an item is checked.
type CheckMethod string

const (
	MethodOnSite   CheckMethod = "onsite"   // 现场检查
	MethodDocument CheckMethod = "document" // 书面检查
	MethodOnline   CheckMethod = "online"   // 网络监测
	MethodSampling CheckMethod = "sampling" // 抽样检测
	MethodOther    CheckMethod = "other"
)

func (m CheckMethod) valid() bool {
	switch m {
	case MethodOnSite, MethodDocument, MethodOnline, MethodSampling, MethodOther:
		return true
	}
	return false
}

// Remote reports whether a check of this method needs no visit to the
// premises (by documents or online): it does not count toward VisitCaps.
func (m CheckMethod) Remote() bool { return m == MethodDocument || m == MethodOnline }

// Item is an entry of the spot-check item list (抽查事项清单). Its code is
// its id. Nothing may be inspected that is not on the list (清单之外无检查).
type Item struct {
	Code                   string       `json:"code" bson:"_id"`
	Name                   string       `json:"name" bson:"name"`
	LegalBasis             string       `json:"legalBasis" bson:"legalBasis"`
	DepartmentID           string       `json:"departmentId" bson:"departmentId"`
	CooperatingDepartments []string     `json:"cooperatingDepartments" bson:"cooperatingDepartments"`
	TargetKind             TargetKind   `json:"targetKind" bson:"targetKind"`
	Content                string       `json:"content" bson:"content"`
	Standard               string       `json:"standard,omitempty" bson:"standard,omitempty"`
	Method                 CheckMethod  `json:"method" bson:"method"`
	Category               ItemCategory `json:"category" bson:"category"`
	RatioCapBp             int          `json:"ratioCapBp,omitempty" bson:"ratioCapBp,omitempty"` // general items: most of the population sampled, in basis points
	Frequency              string       `json:"frequency,omitempty" bson:"frequency,omitempty"`
	TemplateVersion        int          `json:"templateVersion" bson:"templateVersion" api:"server"` // current checklist template; 0 = none yet
	Version                int64        `json:"version" bson:"version" api:"replace"`
	CreatedAt              time.Time    `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt              time.Time    `json:"updatedAt" bson:"updatedAt" api:"server"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

var itemCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$`)

// ValidItemCode reports whether s is a well-formed item code.
func ValidItemCode(s string) bool { return itemCodePattern.MatchString(s) }

// Validate checks the item's fields and the rule that general items carry a
// ratio cap while key items carry none.
func (it *Item) Validate() error {
	if !ValidItemCode(it.Code) {
		return Errorf(EINVALID, "item code %q must be 1-40 letters, digits, '.', '_' or '-'", it.Code)
	}
	if err := checkText("name", it.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("legal basis", it.LegalBasis, 1, 2000); err != nil {
		return err
	}
	if !ValidID(it.DepartmentID) {
		return Errorf(EINVALID, "department %q is malformed", it.DepartmentID)
	}
	if err := checkList("cooperating departments", it.CooperatingDepartments, 16, 64); err != nil {
		return err
	}
	for _, d := range it.CooperatingDepartments {
		if d == it.DepartmentID {
			return Errorf(EINVALID, "the lead department %s cannot also be a cooperating department", d)
		}
		if !ValidID(d) {
			return Errorf(EINVALID, "department %q is malformed", d)
		}
	}
	if !it.TargetKind.Valid() {
		return Errorf(EINVALID, "target kind %q is unknown", it.TargetKind)
	}
	if err := checkText("content", it.Content, 1, 4000); err != nil {
		return err
	}
	if err := checkText("standard", it.Standard, 0, 4000); err != nil {
		return err
	}
	if !it.Method.valid() {
		return Errorf(EINVALID, "method %q must be onsite, document, online, sampling or other", it.Method)
	}
	switch it.Category {
	case ItemKey:
		if it.RatioCapBp != 0 {
			return Errorf(EINVALID, "key item %s has no ratio cap; leave ratioCapBp empty", it.Code)
		}
	case ItemGeneral:
		if it.RatioCapBp < 1 || it.RatioCapBp > 10000 {
			return Errorf(EINVALID, "general item %s needs a ratio cap between 1 and 10000 basis points", it.Code)
		}
	default:
		return Errorf(EINVALID, "category %q must be key or general", it.Category)
	}
	if err := checkText("frequency", it.Frequency, 0, 100); err != nil {
		return err
	}
	return nil
}

// Departments returns the lead department followed by the cooperating ones.
func (it *Item) Departments() []string {
	return append([]string{it.DepartmentID}, it.CooperatingDepartments...)
}

// SameContent reports whether two items hold the same list data.
func (it *Item) SameContent(o *Item) bool {
	return sameContent(*it, *o, func(x *Item) { x.Version, x.CreatedAt, x.UpdatedAt = 0, time.Time{}, time.Time{} })
}

// ItemFilter selects items.
type ItemFilter struct {
	DepartmentID string // lead or cooperating
	Category     ItemCategory
	TargetKind   TargetKind
	Q            string // part of the name or of the code
}

// ItemStore persists the item list and the checklist templates.
type ItemStore interface {
	FindItemByCode(ctx context.Context, code string) (*Item, error)
	FindItems(ctx context.Context, f ItemFilter, p PageRequest) (*Page[*Item], error)
	CreateItem(ctx context.Context, it *Item) error
	UpdateItem(ctx context.Context, it *Item) error // it.Version is the expected current version

	// CreateTemplate stores a new template version; templates never change
	// once stored. A second template with the same item and version fails
	// with ECONFLICT.
	CreateTemplate(ctx context.Context, t *ChecklistTemplate) error
	FindTemplate(ctx context.Context, itemCode string, version int) (*ChecklistTemplate, error)
}
