package embedded_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend/embedded"
)

// TestScanJSON: the fields of every document, read from SQLite, are the
// values written through the driver: strings, numbers, booleans, arrays,
// nested fields, dates as milliseconds, null for a missing field; a
// collection that does not exist has no documents, and a field that is no
// path is refused.
func TestScanJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := embedded.Start(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	docs := []any{
		bson.D{{Key: "_id", Value: "a"}, {Key: "s", Value: "值"}, {Key: "n", Value: int64(7)}, {Key: "b", Value: true}, {Key: "tags", Value: bson.A{"x", "y"}},
			{Key: "q", Value: bson.D{{Key: "at", Value: at}}}},
		bson.D{{Key: "_id", Value: "b"}, {Key: "s", Value: ""}, {Key: "b", Value: false}},
	}
	if _, err := c.Database("db").Collection("things").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	err = s.ScanJSON(ctx, "db", "things", []string{"_id", "s", "n", "b", "tags", "q.at"}, func(b []byte) error {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"_id": "a", "s": "值", "n": float64(7), "b": true, "tags": []any{"x", "y"}, "q.at": float64(at.UnixMilli())},
		{"_id": "b", "s": "", "n": nil, "b": false, "tags": nil, "q.at": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanned %v\nwant %v", got, want)
	}
	n := 0
	if err := s.ScanJSON(ctx, "db", "nothing", []string{"_id"}, func([]byte) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("a missing collection: %d documents, %v", n, err)
	}
	if err := s.ScanJSON(ctx, "db", "things", []string{"_id') FROM x; --"}, func([]byte) error { return nil }); err == nil {
		t.Fatal("a field that is no path was accepted")
	}
}
