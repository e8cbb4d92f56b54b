package backend

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
