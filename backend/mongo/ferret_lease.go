package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// On FerretDB a conditional update is lock, read, check, write (engine.go),
// and the lock is a mutex of this process: sound only while one process
// writes the database. Two guards make it so.
//
// Inside one process, every DB opened on the same FerretDB database (two
// app.Main in a test, a command-line tool beside a server in one binary)
// shares one table of striped locks. The database is recognised by a
// random id stored in it at first use (the leases collection, _id
// "store"), whatever address it was reached by.
//
// Across processes, a server holds the database's writer lease (_id
// "writer": which process, where, since when), renewed every LeaseRenew
// and free once LeaseTTL passes without renewal. A second process on the
// same FerretDB database is refused with a message naming the holder
// (HoldWriterLease), whether the store is an external FerretDB or the
// loopback port of another process's embedded one. The embedded store's
// owner takes the lease over unconditionally: its data directory lock
// already proves that no other process runs that FerretDB (a server killed
// a moment ago left its lease behind). A process whose renewal finds
// another holder has lost the store (LeaseLost) and must stop.
//
// The lease is written without atomic conditions, as FerretDB offers
// none but unique _ids: two processes starting within milliseconds of
// each other on an expired lease could both take it; the loser finds out
// at its first renewal. MongoDB needs none of this: its updates carry
// their conditions, and any number of instances share it.
const (
	colLeases = "leases"
	// LeaseTTL is how long a writer lease lasts without renewal.
	LeaseTTL = 30 * time.Second
	// LeaseRenew is how often its holder renews it.
	LeaseRenew = 10 * time.Second

	storeDocID  = "store"
	writerDocID = "writer"
)

// processID names this process in writer leases: every DB of the process
// holds the lease as the same holder.
var processID = func() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// storeDoc identifies a database.
type storeDoc struct {
	ID    string    `bson:"_id"`
	Store string    `bson:"store"`
	At    time.Time `bson:"createdAt"`
}

// writerLease is the writer lease of a FerretDB database.
type writerLease struct {
	ID        string    `bson:"_id"`
	Holder    string    `bson:"holder"`
	Host      string    `bson:"host"`
	PID       int       `bson:"pid"`
	Since     time.Time `bson:"since"`
	RenewedAt time.Time `bson:"renewedAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// storeState is what the DBs of this process on one FerretDB database
// share: the striped locks, and the writer lease while any of them holds
// it.
type storeState struct {
	locks [lockStripes]sync.Mutex
	// requests are the in-memory windows of ThrottleStore.CountRequest.
	requests requestCounts

	mu       sync.Mutex
	holders  int           // DBs of this process holding the lease
	stop     chan struct{} // ends the renewal
	lost     chan struct{} // closed when another process took the lease
	loseOnce *sync.Once
	done     chan struct{} // the renewal has ended
}

var (
	storesMu sync.Mutex
	stores   = map[string]*storeState{} // by store id
)

// sharedStore returns the state of db's database in this process,
// creating the database's id on first use.
func (db *DB) sharedStore(ctx context.Context) (*storeState, error) {
	c := db.c(colLeases)
	var doc storeDoc
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: storeDocID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		doc = storeDoc{ID: storeDocID, Store: hex.EncodeToString(b[:]), At: time.Now().UTC()}
		if _, err = c.InsertOne(ctx, doc); mongo.IsDuplicateKeyError(err) {
			err = c.FindOne(ctx, bson.D{{Key: "_id", Value: storeDocID}}).Decode(&doc) // another was first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("identify the store: %w", err)
	}
	storesMu.Lock()
	defer storesMu.Unlock()
	st := stores[doc.Store]
	if st == nil {
		st = &storeState{}
		stores[doc.Store] = st
	}
	return st, nil
}

// HoldWriterLease makes this process the one writer of the FerretDB
// database, refusing (ECONFLICT, naming the holder) when another process
// holds an unexpired lease; takeOver takes it regardless (the embedded
// store's owner). It is a no-op on MongoDB. The lease is renewed until
// Close; LeaseLost tells when another process took it meanwhile.
func (db *DB) HoldWriterLease(ctx context.Context, takeOver bool) error {
	st := db.engine.shared()
	if st == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.holders > 0 {
		st.holders++
		db.holdsLease = true
		return nil
	}
	if err := db.takeLease(ctx, takeOver); err != nil {
		return err
	}
	st.holders, db.holdsLease = 1, true
	st.stop, st.lost, st.done, st.loseOnce = make(chan struct{}), make(chan struct{}), make(chan struct{}), &sync.Once{}
	go db.renewLease(st.stop, st.done)
	return nil
}

// LeaseLost is closed when another process took the writer lease this
// process held: it must stop writing. Nil (never ready) without a lease.
func (db *DB) LeaseLost() <-chan struct{} {
	if !db.holdsLease {
		return nil
	}
	st := db.engine.shared()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lost
}

// releaseLease ends db's hold; the last DB of the process gives the lease
// up, so that another process can start at once.
func (db *DB) releaseLease() {
	if !db.holdsLease {
		return
	}
	db.holdsLease = false
	st := db.engine.shared()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.holders--; st.holders > 0 {
		return
	}
	close(st.stop)
	<-st.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = db.c(colLeases).DeleteOne(ctx, bson.D{{Key: "_id", Value: writerDocID}, {Key: "holder", Value: processID}})
}

func (db *DB) takeLease(ctx context.Context, takeOver bool) error {
	c := db.c(colLeases)
	host, _ := os.Hostname()
	now := time.Now().UTC().Truncate(time.Millisecond)
	mine := writerLease{ID: writerDocID, Holder: processID, Host: host, PID: os.Getpid(), Since: now, RenewedAt: now, ExpiresAt: now.Add(LeaseTTL)}
	byID := bson.D{{Key: "_id", Value: writerDocID}}
	if takeOver {
		_, err := c.ReplaceOne(ctx, byID, mine, options.Replace().SetUpsert(true))
		return translate("HoldWriterLease", err)
	}
	for range 2 {
		var held writerLease
		err := c.FindOne(ctx, byID).Decode(&held)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
		case err != nil:
			return translate("HoldWriterLease", err)
		case held.Holder != processID && now.Before(held.ExpiresAt):
			return &backend.Error{Code: backend.ECONFLICT, Op: "HoldWriterLease", Message: fmt.Sprintf(
				"this FerretDB database is in use by another fieldcheck process (pid %d on %s, since %s, renewed %s): "+
					"FerretDB is safe with one server process only. Stop that process (its lease lapses %s after its last renewal), "+
					"or use MongoDB to run several instances",
				held.PID, held.Host, held.Since.Format(time.RFC3339), held.RenewedAt.Format(time.RFC3339), LeaseTTL)}
		default: // expired, or this process's own from an earlier Open
			if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: writerDocID}, {Key: "holder", Value: held.Holder}, {Key: "renewedAt", Value: held.RenewedAt}}); err != nil {
				return translate("HoldWriterLease", err)
			}
		}
		_, err = c.InsertOne(ctx, mine)
		if !mongo.IsDuplicateKeyError(err) {
			return translate("HoldWriterLease", err)
		}
		// Another process took it between the read and the insert: look again.
	}
	return &backend.Error{Code: backend.ECONFLICT, Op: "HoldWriterLease", Message: "another fieldcheck process is taking this FerretDB database's writer lease right now"}
}

// renewLease renews the lease every LeaseRenew until stop or until it is
// lost.
func (db *DB) renewLease(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if db.renewLeaseOnce() {
			return
		}
	}
}

// renewLeaseOnce renews the lease, or finds that another process holds it
// (or nobody): then it closes LeaseLost and reports true. A store that
// does not answer is only logged: the lease lasts LeaseTTL, several
// renewals.
func (db *DB) renewLeaseOnce() bool {
	c := db.c(colLeases)
	byID := bson.D{{Key: "_id", Value: writerDocID}}
	ctx, cancel := context.WithTimeout(context.Background(), LeaseRenew)
	defer cancel()
	var held writerLease
	err := c.FindOne(ctx, byID).Decode(&held)
	if errors.Is(err, mongo.ErrNoDocuments) || err == nil && held.Holder != processID {
		slog.Error("another process took the FerretDB writer lease of this database: stopping", "database", db.Database.Name(), "pid", held.PID, "host", held.Host)
		st := db.engine.shared()
		st.loseOnce.Do(func() { close(st.lost) })
		return true
	}
	if err == nil {
		now := time.Now().UTC().Truncate(time.Millisecond)
		held.RenewedAt, held.ExpiresAt = now, now.Add(LeaseTTL)
		_, err = c.ReplaceOne(ctx, byID, held)
	}
	if err != nil {
		slog.Warn("renewing the FerretDB writer lease failed", "database", db.Database.Name(), "err", err)
	}
	return false
}
