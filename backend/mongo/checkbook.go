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
	return s.audited(ctx, b, nil, func() error {
		_, err := s.DB.c(colCheckBooks).InsertOne(ctx, b)
		return translate("CreateCheckBook", err)
	})
}

func (s *CheckBookStore) UpdateCheckBook(ctx context.Context, b *backend.CheckBook) error {
	expected, pending := b.Version, b.AuditPending
	b.Version, b.UpdatedAt = expected+1, s.DB.now()
	err := s.audited(ctx, b, pending, func() error {
		return replaceVersioned(ctx, s.DB, s.DB.c(colCheckBooks), "UpdateCheckBook", "check book", b.ID, expected, b)
	})
	if err != nil {
		b.Version, b.AuditPending = expected, pending
	}
	return err
}

// audited runs write, a write of b, through the audit outbox (outbox.go).
func (s *CheckBookStore) audited(ctx context.Context, b *backend.CheckBook, pending []backend.AuditEntry, write func() error) error {
	err := s.DB.outboxWrite(ctx, colCheckBooks, "check_book", b.ID, b.Version, b.Audit, pending, func(es []backend.AuditEntry) { b.AuditPending = es }, write)
	if err == nil {
		b.Audit = nil
	}
	return err
}
