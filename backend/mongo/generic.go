package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// findOneBy decodes the one document whose field key equals value (a
// unique field: certificate number, login).
func findOneBy[T any](ctx context.Context, c *mongo.Collection, op, what, key string, value any) (*T, error) {
	var v T
	err := c.FindOne(ctx, bson.D{{Key: key, Value: value}}).Decode(&v)
	if err == mongo.ErrNoDocuments {
		return nil, notFound(op, what, fmt.Sprint(value))
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return &v, nil
}

// findByID decodes the document with the given _id. Lookups by _id are the
// one query FerretDB's SQLite backend answers without a scan.
func findByID[T any](ctx context.Context, c *mongo.Collection, op, what string, id any) (*T, error) {
	return findOneBy[T](ctx, c, op, what, "_id", id)
}

// findPage returns one page of documents matching filter, in the order
// and with the cursor of the engine (pageQuery).
func findPage[T any](ctx context.Context, db *DB, c *mongo.Collection, op string, filter bson.D, p backend.PageRequest, idOf func(*T) string) (*backend.Page[*T], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	if filter == nil {
		filter = bson.D{}
	}
	filter, opts, next, err := db.engine.pageQuery(filter, p)
	if err != nil {
		return nil, err
	}
	return readPage(ctx, c, op, filter, opts, p.Limit, func(last *T) string { return next(idOf(last)) })
}

// readPage runs a query asking for one more than limit documents and
// makes them a page, the cursor being cursor(the page's last) when there
// were more.
func readPage[T any](ctx context.Context, c *mongo.Collection, op string, q bson.D, opts *options.FindOptions, limit int, cursor func(last *T) string) (*backend.Page[*T], error) {
	cur, err := c.Find(ctx, q, opts)
	if err != nil {
		return nil, translate(op, err)
	}
	items := make([]*T, 0, limit+1)
	if err := cur.All(ctx, &items); err != nil {
		return nil, translate(op, err)
	}
	page := &backend.Page[*T]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = cursor(page.Items[limit-1])
	}
	return page, nil
}

// findSortedPage returns one page of documents matching filter in the
// order of (field, _id), both ascending, the cursor being the last one's
// backend.SortCursor named sort (keyset: the same on MongoDB and
// FerretDB). keyOf gives a document's field value and id.
func findSortedPage[T any](ctx context.Context, c *mongo.Collection, op string, filter bson.D, p backend.PageRequest, sort, field string, keyOf func(*T) (string, string)) (*backend.Page[*T], error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	var parts bson.A
	if len(filter) > 0 {
		parts = append(parts, filter)
	}
	if p.After != "" {
		key, id, err := backend.ParseSortCursor(sort, p.After)
		if err != nil {
			return nil, err
		}
		parts = append(parts, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: field, Value: bson.D{{Key: "$gt", Value: key}}}},
			bson.D{{Key: field, Value: key}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: id}}}},
		}}})
	}
	q := bson.D{}
	if len(parts) > 0 {
		q = bson.D{{Key: "$and", Value: parts}}
	}
	opts := options.Find().SetSort(bson.D{{Key: field, Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(p.Limit + 1))
	return readPage(ctx, c, op, q, opts, p.Limit, func(last *T) string {
		key, id := keyOf(last)
		return backend.SortCursor(sort, key, id)
	})
}

// replaceVersioned replaces the document with _id id whose version is
// expected; the stored version becomes expected+1. A missing document gives
// ENOTFOUND, a different version ECONFLICT.
func replaceVersioned(ctx context.Context, db *DB, c *mongo.Collection, op, what, id string, expected int64, doc any) error {
	ok, err := db.engine.updateIf(ctx, c, id, bson.D{{Key: "version", Value: expected}}, doc, true)
	if err != nil {
		return translate(op, err)
	}
	if ok {
		return nil
	}
	n, err := c.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return notFound(op, what, id)
	}
	return versionConflict(op, what, id)
}

// in returns {"$in": values} for a typed slice.
func in[T any](values []T) bson.D {
	a := make(bson.A, len(values))
	for i, v := range values {
		a[i] = v
	}
	return bson.D{{Key: "$in", Value: a}}
}

// insertBatchSize bounds one InsertMany: well under the 16 MiB message limit
// for the documents fieldcheck stores.
const insertBatchSize = 1000

// insertAll inserts docs in batches. Ordered, a duplicate stops the insert
// there and is returned as a conflict. With keepDuplicates the batches are
// unordered and documents that exist already are skipped silently.
func insertAll[T any](ctx context.Context, c *mongo.Collection, op string, docs []T, keepDuplicates bool) error {
	opts := options.InsertMany().SetOrdered(!keepDuplicates)
	for start := 0; start < len(docs); start += insertBatchSize {
		batch := make([]any, 0, min(insertBatchSize, len(docs)-start))
		for _, d := range docs[start:min(start+insertBatchSize, len(docs))] {
			batch = append(batch, d)
		}
		_, err := c.InsertMany(ctx, batch, opts)
		if err != nil && !(keepDuplicates && onlyDuplicates(err)) {
			return translate(op, err)
		}
	}
	return nil
}
