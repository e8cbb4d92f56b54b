package storefault_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	mgo "go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/backend/mongo/storefault"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// connect opens a driver connection to the embedded store through a proxy.
func connect(t *testing.T) (*storefault.Proxy, *mgo.Collection) {
	t.Helper()
	p, uri, err := storefault.StartURI(mongotest.URI(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mgo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	db := c.Database(mongotest.DatabaseName())
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return p, db.Collection("things")
}

// TestProxyDelaysReplies: through the proxy the store answers as it
// would directly; with a delay every reply is held at least that long and
// counted, and nothing is lost; set back to 0 nothing more is held.
func TestProxyDelaysReplies(t *testing.T) {
	p, coll := connect(t)
	ctx := context.Background()
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "a", "n": 1}); err != nil {
		t.Fatal(err)
	}
	const delay = 60 * time.Millisecond
	p.SetDelay(delay)
	before := p.Delayed()
	for i := range 5 {
		began := time.Now()
		if _, err := coll.InsertOne(ctx, bson.M{"_id": string(rune('b' + i)), "n": i + 2}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took < delay {
			t.Fatalf("an insert through a proxy delaying %s took %s", delay, took)
		}
	}
	if got := p.Delayed() - before; got < 5 {
		t.Fatalf("%d replies held back, want at least 5", got)
	}
	p.SetDelay(0)
	held := p.Delayed()
	n, err := coll.CountDocuments(ctx, bson.M{})
	if err != nil || n != 6 {
		t.Fatalf("count = %d, %v; want 6 (nothing lost through the proxy)", n, err)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.M{"_id": "f"}).Decode(&got); err != nil || got.N != 6 {
		t.Fatalf("find f = %+v, %v", got, err)
	}
	// The driver's monitor may have a hello in flight that was held; the
	// commands above were not.
	if extra := p.Delayed() - held; extra > 1 {
		t.Fatalf("%d replies held back with no delay", extra)
	}
}

// TestProxyFollowsControlFile: the delay follows the file, a bad file
// keeps the delay it had, a removed file is no delay.
func TestProxyFollowsControlFile(t *testing.T) {
	p, _ := connect(t)
	path := filepath.Join(t.TempDir(), "slow")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan time.Duration, 8)
	errs := make(chan error, 8)
	go p.Watch(ctx, path, 10*time.Millisecond, func(d time.Duration) { changes <- d }, func(err error) { errs <- err })
	want := func(d time.Duration) {
		t.Helper()
		select {
		case got := <-changes:
			if got != d || p.Delay() != d {
				t.Fatalf("delay %s (proxy %s), want %s", got, p.Delay(), d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the delay did not become %s", d)
		}
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write("150ms\n")
	want(150 * time.Millisecond)
	write("forever")
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "forever") {
			t.Fatalf("error %v does not name what the file holds", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a bad control file was not reported")
	}
	if p.Delay() != 150*time.Millisecond {
		t.Fatalf("a bad file changed the delay to %s", p.Delay())
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	want(0)
}

func TestReadDelayFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, content string
		missing       bool
		want          time.Duration
		bad           bool
	}{
		{name: "missing", missing: true},
		{name: "empty", content: ""},
		{name: "blank", content: " \n"},
		{name: "zero", content: "0s"},
		{name: "delay", content: "250ms\n", want: 250 * time.Millisecond},
		{name: "the limit", content: "30s", want: storefault.MaxDelay},
		{name: "over the limit", content: "31s", bad: true},
		{name: "negative", content: "-1s", bad: true},
		{name: "no unit", content: "100", bad: true},
		{name: "words", content: "slow", bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if !c.missing {
				if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := storefault.ReadDelayFile(path)
			if c.bad {
				if err == nil {
					t.Fatalf("%q read as %s, want an error", c.content, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("%q read as %s, %v; want %s", c.content, got, err, c.want)
			}
		})
	}
}

func TestStartURIRefuses(t *testing.T) {
	for _, uri := range []string{"", "http://127.0.0.1:1/", "mongodb://a:1,b:2/", "mongodb+srv://db.example/", "mongodb:///x"} {
		if p, _, err := storefault.StartURI(uri); err == nil {
			p.Close()
			t.Errorf("StartURI(%q) started a proxy", uri)
		}
	}
}
