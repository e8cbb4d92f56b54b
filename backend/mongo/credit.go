package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colListings           = "credit_listings"
	colCreditApplications = "credit_applications"
)

// CreditStore implements backend.CreditStore: the 经营异常名录's
// decisions (_id backend.ListingID of the proposing result) and the
// enterprises' filings (_id "cr-<day>-<random>", so that paging by _id is
// by filing day). Both are small (one listing per proposing result,
// filings rate-limited per enterprise), so the embedded store's scan of a
// filtered query stays cheap.
type CreditStore struct{ DB *DB }

var _ backend.CreditStore = (*CreditStore)(nil)

// stamps are the version and times of a stored document, as its store
// sets them.
type stamps struct {
	version           *int64
	created, updated  *time.Time
	col, kind, op, id string
}

func (s *CreditStore) create(ctx context.Context, st stamps, doc auditedDoc) error {
	now := s.DB.now()
	*st.version, *st.created, *st.updated = 1, now, now
	if err := s.DB.insertAudited(ctx, st.col, st.kind, st.op, st.id, doc); err != nil {
		*st.version = 0
		return err
	}
	return nil
}

func (s *CreditStore) update(ctx context.Context, st stamps, doc auditedDoc) error {
	expected := *st.version
	*st.version, *st.updated = expected+1, s.DB.now()
	err := s.DB.replaceAudited(ctx, st.col, st.kind, st.op, st.id, expected, doc)
	if err != nil {
		*st.version = expected
	}
	return err
}

// creditFilter selects by department, target and state, each when set.
func creditFilter(departments []string, targetID, state string) bson.D {
	filter := bson.D{}
	if len(departments) > 0 {
		filter = append(filter, bson.E{Key: "department", Value: in(departments)})
	}
	if targetID != "" {
		filter = append(filter, bson.E{Key: "targetId", Value: targetID})
	}
	if state != "" {
		filter = append(filter, bson.E{Key: "state", Value: state})
	}
	return filter
}

func listingStamps(l *backend.Listing, op string) stamps {
	return stamps{&l.Version, &l.CreatedAt, &l.UpdatedAt, colListings, "listing", op, l.ID}
}

func applicationStamps(a *backend.CreditApplication, op string) stamps {
	return stamps{&a.Version, &a.CreatedAt, &a.UpdatedAt, colCreditApplications, "credit-application", op, a.ID}
}

func (s *CreditStore) CreateListing(ctx context.Context, l *backend.Listing) error {
	return s.create(ctx, listingStamps(l, "CreateListing"), l)
}

func (s *CreditStore) FindListing(ctx context.Context, id string) (*backend.Listing, error) {
	return findByID[backend.Listing](ctx, s.DB.c(colListings), "FindListing", "listing", id)
}

func (s *CreditStore) UpdateListing(ctx context.Context, l *backend.Listing) error {
	return s.update(ctx, listingStamps(l, "UpdateListing"), l)
}

func (s *CreditStore) FindListings(ctx context.Context, f backend.ListingFilter, p backend.PageRequest) (*backend.Page[*backend.Listing], error) {
	return findPage(ctx, s.DB, s.DB.c(colListings), "FindListings", creditFilter(f.Departments, f.TargetID, string(f.State)), p,
		func(l *backend.Listing) string { return l.ID })
}

func (s *CreditStore) CreateCreditApplication(ctx context.Context, a *backend.CreditApplication) error {
	return s.create(ctx, applicationStamps(a, "CreateCreditApplication"), a)
}

func (s *CreditStore) FindCreditApplication(ctx context.Context, id string) (*backend.CreditApplication, error) {
	return findByID[backend.CreditApplication](ctx, s.DB.c(colCreditApplications), "FindCreditApplication", "credit application", id)
}

func (s *CreditStore) UpdateCreditApplication(ctx context.Context, a *backend.CreditApplication) error {
	return s.update(ctx, applicationStamps(a, "UpdateCreditApplication"), a)
}

func (s *CreditStore) FindCreditApplications(ctx context.Context, f backend.CreditFilter, p backend.PageRequest) (*backend.Page[*backend.CreditApplication], error) {
	return findPage(ctx, s.DB, s.DB.c(colCreditApplications), "FindCreditApplications", creditFilter(f.Departments, f.TargetID, string(f.State)), p,
		func(a *backend.CreditApplication) string { return a.ID })
}
