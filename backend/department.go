package backend

import (
	"context"
	"regexp"
	"time"
)

// Department is a supervising department (市场监管局, 卫健委 …). Plans, items
// and inspectors belong to departments; joint checks span several.
type Department struct {
	ID        string    `json:"id" bson:"_id"`
	Name      string    `json:"name" bson:"name"`
	Version   int64     `json:"version" bson:"version" api:"replace"`
	CreatedAt time.Time `json:"createdAt" bson:"createdAt" api:"server"`
	UpdatedAt time.Time `json:"updatedAt" bson:"updatedAt" api:"server"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidID reports whether s is a well-formed short identifier (lower-case
// letters, digits, '-' and '_', up to 64 characters).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Validate checks the department's fields.
func (d *Department) Validate() error {
	if !ValidID(d.ID) {
		return Errorf(EINVALID, "department id %q must be 1-64 lower-case letters, digits, '-' or '_'", d.ID)
	}
	if err := checkText("name", d.Name, 1, 100); err != nil {
		return err
	}
	return nil
}

// DepartmentStore persists departments.
type DepartmentStore interface {
	FindDepartmentByID(ctx context.Context, id string) (*Department, error)
	FindDepartments(ctx context.Context) ([]*Department, error)
	CreateDepartment(ctx context.Context, d *Department) error
	UpdateDepartment(ctx context.Context, d *Department) error // d.Version is the expected current version
}
