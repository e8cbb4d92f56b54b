package backend

import (
	"context"
	"regexp"
	"time"
)

// Conflict is a declared conflict of interest (回避): the person must never
// be on a team that inspects the target.
type Conflict struct {
	TargetID string `json:"targetId" bson:"targetId"`
	Reason   string `json:"reason" bson:"reason"`
}

// Period is an inclusive range of calendar days, such as a leave.
type Period struct {
	From Date `json:"from" bson:"from"`
	To   Date `json:"to" bson:"to"`
}

// Contains reports whether day d falls in the period.
func (p Period) Contains(d Date) bool { return p.From <= d && d <= p.To }

// Inspector is an entry of the inspector directory (执法检查人员名录库): an
// enforcement officer who holds a certificate (执法证) and may be drawn.
type Inspector struct {
	ID           string     `json:"id" bson:"_id"`
	Name         string     `json:"name" bson:"name"`
	DepartmentID string     `json:"departmentId" bson:"departmentId"`
	CertNo       string     `json:"certNo" bson:"certNo"`
	CertExpiry   Date       `json:"certExpiry" bson:"certExpiry"`
	Specialties  []string   `json:"specialties" bson:"specialties"`
	RegionCode   string     `json:"regionCode" bson:"regionCode" api:"optional"`
	Conflicts    []Conflict `json:"conflicts" bson:"conflicts"`
	Leave        []Period   `json:"leave" bson:"leave"`
	TaskCap      int        `json:"taskCap" bson:"taskCap" api:"optional"` // most open tasks at once; 0 = no cap
	UserID       string     `json:"userId,omitempty" bson:"userId,omitempty"`
	Active       bool       `json:"active" bson:"active"`
	Version      int64      `json:"version" bson:"version" api:"replace"`
	CreatedAt    time.Time  `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt    time.Time  `json:"updatedAt" bson:"updatedAt" api:"server"`

	// CertState is the certificate's state today, as the Directory
	// answers it (CertStateOn); never stored, ignored in requests.
	CertState CertState `json:"certState,omitempty" bson:"-" api:"server"`

	// The audit outbox of its writes, as of a task's (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

var certPattern = regexp.MustCompile(`^[A-Za-z0-9-]{4,32}$`)

// ValidCertNo reports whether s looks like an enforcement certificate number.
func ValidCertNo(s string) bool { return certPattern.MatchString(s) }

// Validate checks the inspector's fields.
func (in *Inspector) Validate() error {
	if !ValidID(in.ID) {
		return Errorf(EINVALID, "inspector id %q is malformed", in.ID)
	}
	if err := checkText("name", in.Name, 1, 50); err != nil {
		return err
	}
	if !ValidID(in.DepartmentID) {
		return Errorf(EINVALID, "department %q is malformed", in.DepartmentID)
	}
	if !ValidCertNo(in.CertNo) {
		return Errorf(EINVALID, "certificate number %q must be 4-32 letters, digits or '-'", in.CertNo)
	}
	if !in.CertExpiry.Valid() {
		return Errorf(EINVALID, "certificate expiry %q must be YYYY-MM-DD", in.CertExpiry)
	}
	if err := checkList("specialties", in.Specialties, 16, 40); err != nil {
		return err
	}
	if in.RegionCode != "" && !ValidRegionCode(in.RegionCode) {
		return Errorf(EINVALID, "region code %q must be a six- or nine-digit administrative division code", in.RegionCode)
	}
	if err := validateConflicts(in.Conflicts); err != nil {
		return err
	}
	if len(in.Leave) > 64 {
		return Errorf(EINVALID, "at most 64 leave periods")
	}
	for _, p := range in.Leave {
		if !p.From.Valid() || !p.To.Valid() || p.To < p.From {
			return Errorf(EINVALID, "leave %s..%s is not a valid period", p.From, p.To)
		}
	}
	if in.TaskCap < 0 || in.TaskCap > 1000 {
		return Errorf(EINVALID, "task cap must be between 0 and 1000")
	}
	if in.UserID != "" && !ValidUsername(in.UserID) {
		return Errorf(EINVALID, "user %q is malformed", in.UserID)
	}
	return nil
}

func validateConflicts(cs []Conflict) error {
	if len(cs) > 256 {
		return Errorf(EINVALID, "at most 256 declared conflicts")
	}
	for _, c := range cs {
		if err := checkText("conflict target", c.TargetID, 1, 80); err != nil {
			return err
		}
		if err := checkKey("conflict target", c.TargetID); err != nil {
			return err
		}
		if err := checkText("conflict reason", c.Reason, 1, 200); err != nil {
			return err
		}
	}
	return nil
}

// CertState is where an enforcement certificate stands on a day: expired
// (the day is after its last valid day), expiring (valid, but its last
// day is within CertificateWarningDays), or valid beyond that.
type CertState string

const (
	CertExpired  CertState = "expired"
	CertExpiring CertState = "expiring"
	CertValid    CertState = "valid"
)

// Valid reports whether s is one of the three states.
func (s CertState) Valid() bool { return s == CertExpired || s == CertExpiring || s == CertValid }

// CertStateOn returns the certificate's state on day; horizon is the last
// day of the warning window (day + CertificateWarningDays, CertHorizon).
func (in *Inspector) CertStateOn(day, horizon Date) CertState {
	switch {
	case in.CertExpiry < day:
		return CertExpired
	case in.CertExpiry <= horizon:
		return CertExpiring
	}
	return CertValid
}

// CertHorizon is the last day of the warning window that starts at now:
// a certificate whose last valid day is on or before it is expiring.
func CertHorizon(now time.Time) Date {
	return DateOf(now.AddDate(0, 0, CertificateWarningDays))
}

// CertValidOn reports whether the certificate is valid on day d.
func (in *Inspector) CertValidOn(d Date) bool { return d <= in.CertExpiry }

// OnLeave reports whether the inspector is on leave on day d.
func (in *Inspector) OnLeave(d Date) bool {
	for _, p := range in.Leave {
		if p.Contains(d) {
			return true
		}
	}
	return false
}

// ConflictsWith reports whether the inspector declared a conflict with the target.
func (in *Inspector) ConflictsWith(targetID string) bool {
	for _, c := range in.Conflicts {
		if c.TargetID == targetID {
			return true
		}
	}
	return false
}

// SameContent reports whether two records hold the same directory data.
func (in *Inspector) SameContent(o *Inspector) bool {
	return sameContent(*in, *o, func(x *Inspector) { x.Version, x.CreatedAt, x.UpdatedAt = 0, time.Time{}, time.Time{} })
}

// InspectorFilter selects inspectors.
type InspectorFilter struct {
	DepartmentIDs []string
	Specialty     string
	Active        *bool
	CertNo        string
	// Q is part of the name or of the certificate number, or the start of
	// the id (at most MaxInspectorSearch characters; the console's
	// team-member pickers search with it too).
	Q string
	// CertState keeps the inspectors whose certificate is in that state
	// today; the Directory turns it into the bounds below.
	CertState CertState
	// CertExpiryFrom and CertExpiryTo bound the certificate's last valid
	// day, inclusive; empty = no bound.
	CertExpiryFrom, CertExpiryTo Date
	// Sort orders the list: "" by id, or one of InspectorSorts, ascending,
	// ties by id (the cursor is then a SortCursor).
	Sort string
}

// InspectorSorts are the keys the inspector list sorts by: the name (as
// bytes) and the certificate's last valid day (the soonest to expire
// first).
var InspectorSorts = []string{"name", "certExpiry"}

// SortKey is in's key in the order of the sort named (one of
// InspectorSorts).
func (in *Inspector) SortKey(sort string) string {
	if sort == "certExpiry" {
		return string(in.CertExpiry)
	}
	return in.Name
}

// ExpertFilter selects experts.
type ExpertFilter struct {
	// Q is part of the name or of the organisation.
	Q      string
	Active *bool
}

// MaxInspectorSearch bounds InspectorFilter.Q.
const MaxInspectorSearch = 50

// Expert is an entry of the expert directory (专家名录库): a specialist who may
// join a team but is not an enforcement officer and never counts toward the
// two officers an on-site check needs.
type Expert struct {
	ID           string     `json:"id" bson:"_id"`
	Name         string     `json:"name" bson:"name"`
	Organisation string     `json:"organisation" bson:"organisation"`
	Specialties  []string   `json:"specialties" bson:"specialties"`
	Conflicts    []Conflict `json:"conflicts" bson:"conflicts"`
	Active       bool       `json:"active" bson:"active"`
	Version      int64      `json:"version" bson:"version" api:"replace"`
	CreatedAt    time.Time  `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt    time.Time  `json:"updatedAt" bson:"updatedAt" api:"server"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// Validate checks the expert's fields.
func (e *Expert) Validate() error {
	if !ValidID(e.ID) {
		return Errorf(EINVALID, "expert id %q is malformed", e.ID)
	}
	if err := checkText("name", e.Name, 1, 50); err != nil {
		return err
	}
	if err := checkText("organisation", e.Organisation, 1, 100); err != nil {
		return err
	}
	if err := checkList("specialties", e.Specialties, 16, 40); err != nil {
		return err
	}
	return validateConflicts(e.Conflicts)
}

// InspectorStore persists the inspector and expert directories.
type InspectorStore interface {
	FindInspectorByID(ctx context.Context, id string) (*Inspector, error)
	FindInspectorByCertNo(ctx context.Context, certNo string) (*Inspector, error)
	// FindInspectorByUserID returns the inspector whose login is userID.
	FindInspectorByUserID(ctx context.Context, userID string) (*Inspector, error)
	FindInspectors(ctx context.Context, f InspectorFilter, p PageRequest) (*Page[*Inspector], error)
	// CountInspectors counts the inspectors FindInspectors would list
	// with f, without reading them.
	CountInspectors(ctx context.Context, f InspectorFilter) (int, error)
	CreateInspector(ctx context.Context, in *Inspector) error
	UpdateInspector(ctx context.Context, in *Inspector) error // in.Version is the expected current version

	FindExpertByID(ctx context.Context, id string) (*Expert, error)
	FindExperts(ctx context.Context, f ExpertFilter, p PageRequest) (*Page[*Expert], error)
	CreateExpert(ctx context.Context, e *Expert) error
	UpdateExpert(ctx context.Context, e *Expert) error
}
