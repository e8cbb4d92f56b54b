package mongo

import (
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colCheckBooks = "check_books"

// CheckBookStore implements backend.CheckBookStore: one document per
// enterprise and year, read and written by _id only.
type CheckBookStore struct{ DB *DB }

var _ backend.CheckBookStore = (*CheckBookStore)(nil)

func (s *CheckBookStore) FindCheckBook(ctx context.Context, year int, targetID string) (*backend.CheckBook, error) {
	return findByID[backend.CheckBook](ctx, s.DB.c(colCheckBooks), "FindCheckBook", "check book", backend.CheckBookID(year, targetID))
}

func (s *CheckBookStore) CreateCheckBook(ctx context.Context, b *backend.CheckBook) error {
	b.Version, b.CreatedAt, b.UpdatedAt = 1, s.DB.now(), s.DB.now()
	return s.DB.insertAudited(ctx, colCheckBooks, "check_book", "CreateCheckBook", b.ID, b)
}

func (s *CheckBookStore) UpdateCheckBook(ctx context.Context, b *backend.CheckBook) error {
	expected := b.Version
	b.Version, b.UpdatedAt = expected+1, s.DB.now()
	err := s.DB.replaceAudited(ctx, colCheckBooks, "check_book", "UpdateCheckBook", b.ID, expected, b)
	if err != nil {
		b.Version = expected
	}
	return err
}
