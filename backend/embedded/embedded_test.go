package embedded_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend/embedded"
)

// TestStartWireProtocol starts the store, writes through the official
// driver, restarts it and reads the document back from disk.
func TestStartWireProtocol(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	put := func(write bool) string {
		s, err := embedded.Start(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c, err := mongo.Connect(ctx, options.Client().ApplyURI(s.URI()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Disconnect(ctx)
		coll := c.Database("t").Collection("c")
		if write {
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "k"}, {Key: "v", Value: "值"}}); err != nil {
				t.Fatal(err)
			}
		}
		var got struct{ V string }
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "k"}}).Decode(&got); err != nil {
			t.Fatal(err)
		}
		return got.V
	}
	put(true)
	if got := put(false); got != "值" {
		t.Fatalf("after restart v=%q, want 值", got)
	}
}

func TestDataDirectoryLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Start(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = embedded.Start(dir, nil)
	if !errors.Is(err, embedded.ErrLocked) {
		t.Fatalf("second Start: %v, want ErrLocked", err)
	}
	s.Close()
	s2, err := embedded.Start(dir, nil)
	if err != nil {
		t.Fatalf("Start after Close: %v", err)
	}
	s2.Close()
}
