package backend

import (
	"encoding/base64"
	"strings"
)

// Page limits for every list endpoint. A request for more than MaxPageLimit
// items is refused rather than silently truncated, so clients learn the limit.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// PageRequest asks for one page of a list ordered by id. After is the last id
// of the previous page ("" for the first page).
type PageRequest struct {
	After string
	Limit int
}

// Normalize applies the default limit and checks bounds.
func (p *PageRequest) Normalize() error {
	if p.Limit == 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit < 0 {
		return Errorf(EINVALID, "limit must be positive")
	}
	if p.Limit > MaxPageLimit {
		return Errorf(EINVALID, "limit %d is over the maximum of %d", p.Limit, MaxPageLimit)
	}
	if len(p.After) > 200 {
		return Errorf(EINVALID, "cursor is too long")
	}
	return nil
}

// Page is one page of a list. NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// SortCursor is the cursor of a page in the order of a sort key (keyset:
// the same on MongoDB and FerretDB): the sort's name, the last item's key
// and its id, the tiebreak.
func SortCursor(sort, key, id string) string {
	return sort + "/" + base64.RawURLEncoding.EncodeToString([]byte(key)) + "/" + id
}

// ParseSortCursor reads a SortCursor of the sort named.
func ParseSortCursor(sort, c string) (key, id string, err error) {
	parts := strings.SplitN(c, "/", 3)
	if len(parts) != 3 || parts[0] != sort || parts[2] == "" {
		return "", "", Errorf(EINVALID, "malformed cursor %q for sort %s", c, sort)
	}
	k, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", "", Errorf(EINVALID, "malformed cursor %q for sort %s", c, sort)
	}
	return string(k), parts[2], nil
}
