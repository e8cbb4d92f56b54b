package mongo

import (
	"context"

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

func (s *CreditStore) CreateListing(ctx context.Context, l *backend.Listing) error {
	now := s.DB.now()
	l.Version, l.CreatedAt, l.UpdatedAt = 1, now, now
	if err := s.DB.insertAudited(ctx, colListings, "listing", "CreateListing", l.ID, l); err != nil {
		l.Version = 0
		return err
	}
	return nil
}

func (s *CreditStore) FindListing(ctx context.Context, id string) (*backend.Listing, error) {
	return findByID[backend.Listing](ctx, s.DB.c(colListings), "FindListing", "listing", id)
}

func (s *CreditStore) UpdateListing(ctx context.Context, l *backend.Listing) error {
	expected := l.Version
	l.Version, l.UpdatedAt = expected+1, s.DB.now()
	err := s.DB.replaceAudited(ctx, colListings, "listing", "UpdateListing", l.ID, expected, l)
	if err != nil {
		l.Version = expected
	}
	return err
}

func (s *CreditStore) FindListings(ctx context.Context, f backend.ListingFilter, p backend.PageRequest) (*backend.Page[*backend.Listing], error) {
	filter := bson.D{}
	if len(f.Departments) > 0 {
		filter = append(filter, bson.E{Key: "department", Value: in(f.Departments)})
	}
	if f.TargetID != "" {
		filter = append(filter, bson.E{Key: "targetId", Value: f.TargetID})
	}
	if f.State != "" {
		filter = append(filter, bson.E{Key: "state", Value: string(f.State)})
	}
	return findPage(ctx, s.DB, s.DB.c(colListings), "FindListings", filter, p, func(l *backend.Listing) string { return l.ID })
}

func (s *CreditStore) CreateCreditApplication(ctx context.Context, a *backend.CreditApplication) error {
	now := s.DB.now()
	a.Version, a.CreatedAt, a.UpdatedAt = 1, now, now
	if err := s.DB.insertAudited(ctx, colCreditApplications, "credit-application", "CreateCreditApplication", a.ID, a); err != nil {
		a.Version = 0
		return err
	}
	return nil
}

func (s *CreditStore) FindCreditApplication(ctx context.Context, id string) (*backend.CreditApplication, error) {
	return findByID[backend.CreditApplication](ctx, s.DB.c(colCreditApplications), "FindCreditApplication", "credit application", id)
}

func (s *CreditStore) UpdateCreditApplication(ctx context.Context, a *backend.CreditApplication) error {
	expected := a.Version
	a.Version, a.UpdatedAt = expected+1, s.DB.now()
	err := s.DB.replaceAudited(ctx, colCreditApplications, "credit-application", "UpdateCreditApplication", a.ID, expected, a)
	if err != nil {
		a.Version = expected
	}
	return err
}

func (s *CreditStore) FindCreditApplications(ctx context.Context, f backend.CreditFilter, p backend.PageRequest) (*backend.Page[*backend.CreditApplication], error) {
	filter := bson.D{}
	if len(f.Departments) > 0 {
		filter = append(filter, bson.E{Key: "department", Value: in(f.Departments)})
	}
	if f.TargetID != "" {
		filter = append(filter, bson.E{Key: "targetId", Value: f.TargetID})
	}
	if f.State != "" {
		filter = append(filter, bson.E{Key: "state", Value: string(f.State)})
	}
	return findPage(ctx, s.DB, s.DB.c(colCreditApplications), "FindCreditApplications", filter, p, func(a *backend.CreditApplication) string { return a.ID })
}
