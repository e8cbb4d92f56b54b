package mongo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const (
	colFeed      = "feed"
	colFeedHeads = "feed_heads"
)

// FeedStore implements backend.FeedStore. A feed entry's _id is
// "<login>/<sequence number, 16 digits>", so that on MongoDB a page of a
// feed is one range of the _id index, and on FerretDB (which pushes down
// only _id equality) each entry is one indexed lookup: reading a feed costs
// the entries read, however many other entries are stored.
type FeedStore struct {
	DB *DB
	// Lease is backend.FeedLease unless set (tests shorten it).
	Lease time.Duration

	beforeInsert func(user string, first int64) // test seam: a slow writer
}

var _ backend.FeedStore = (*FeedStore)(nil)

type feedDoc struct {
	ID     string    `bson:"_id"`
	User   string    `bson:"user"`
	Seq    int64     `bson:"seq"`
	TaskID string    `bson:"taskId,omitempty"`
	At     time.Time `bson:"at"`
	Void   bool      `bson:"void,omitempty"`
}

type feedHead struct {
	ID  string    `bson:"_id"`
	Seq int64     `bson:"seq"`
	At  time.Time `bson:"at"` // when the last number was taken
}

func feedKey(user string, seq int64) string { return fmt.Sprintf("%s/%016d", user, seq) }

func (s *FeedStore) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return backend.FeedLease
}

// take reserves n consecutive numbers of user's feed and returns the first.
func (s *FeedStore) take(ctx context.Context, user string, n int) (int64, time.Time, error) {
	// FerretDB's findAndModify reads then writes; one process owns the
	// embedded store, so a lock makes it atomic.
	defer s.DB.engine.exclusive(colFeedHeads, user)()
	now := s.DB.now()
	var h feedHead
	var err error
	for range 3 { // two first upserts of one head race: one fails, and retries as an update
		err = s.DB.c(colFeedHeads).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: user}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(n)}}}, {Key: "$set", Value: bson.D{{Key: "at", Value: now}}}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&h)
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	if err != nil {
		return 0, time.Time{}, translate("FeedStore.take", err)
	}
	return h.Seq - int64(n) + 1, now, nil
}

// maxFeedAttempts bounds how often a writer retries after losing numbers:
// to readers (its write took longer than half the lease) or to other
// writers (an engine whose counter update is not atomic hands one number
// out twice; every round, one of them wins).
const maxFeedAttempts = 50

func (s *FeedStore) Notify(ctx context.Context, taskIDsByUser map[string][]string) error {
	users := make([]string, 0, len(taskIDsByUser))
	for u := range taskIDsByUser {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		if err := s.notifyUser(ctx, u, taskIDsByUser[u]); err != nil {
			return err
		}
	}
	return nil
}

func (s *FeedStore) notifyUser(ctx context.Context, user string, tasks []string) error {
	for attempt := 1; len(tasks) > 0; attempt++ {
		if attempt > maxFeedAttempts {
			return backend.Errorf(backend.EUNAVAILABLE, "the change feed of %s could not be written: the store is too slow", user)
		}
		first, at, err := s.take(ctx, user, len(tasks))
		if err != nil {
			return err
		}
		if s.DB.now().Sub(at) > s.lease()/2 {
			continue // readers may void these numbers any moment: take fresh ones
		}
		if s.beforeInsert != nil {
			s.beforeInsert(user, first)
		}
		docs := make([]any, len(tasks))
		for i, t := range tasks {
			seq := first + int64(i)
			docs[i] = feedDoc{ID: feedKey(user, seq), User: user, Seq: seq, TaskID: t, At: at}
		}
		// Unordered: the entries that were not voided are written; those
		// that were get new numbers in the next round.
		_, err = s.DB.c(colFeed).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		if err == nil {
			return nil
		}
		if !onlyDuplicates(err) {
			return translate("FeedStore.Notify", err)
		}
		// An entry that is not ours lost its number: to a reader's void,
		// or to another writer when the engine's counter is not atomic.
		var lost []string
		for i, t := range tasks {
			var d feedDoc
			err := s.DB.c(colFeed).FindOne(ctx, bson.D{{Key: "_id", Value: feedKey(user, first+int64(i))}}).Decode(&d)
			if err != nil {
				return translate("FeedStore.Notify", err)
			}
			if d.Void || d.TaskID != t || !d.At.Equal(at) {
				lost = append(lost, t)
			}
		}
		tasks = lost
	}
	return nil
}

func (s *FeedStore) head(ctx context.Context, user string) (feedHead, error) {
	var h feedHead
	err := s.DB.c(colFeedHeads).FindOne(ctx, bson.D{{Key: "_id", Value: user}}).Decode(&h)
	if err == mongo.ErrNoDocuments {
		return feedHead{ID: user}, nil
	}
	if err != nil {
		return h, translate("FeedStore.head", err)
	}
	return h, nil
}

func (s *FeedStore) FeedHead(ctx context.Context, user string) (int64, error) {
	h, err := s.head(ctx, user)
	return h.Seq, err
}

// MaxFeedPage bounds one ReadFeed.
const MaxFeedPage = 1000

func (s *FeedStore) ReadFeed(ctx context.Context, user string, after int64, limit int) ([]backend.FeedEntry, int64, error) {
	const op = "FeedStore.ReadFeed"
	if limit <= 0 || limit > MaxFeedPage {
		limit = MaxFeedPage
	}
	if after < 0 {
		return nil, 0, backend.Errorf(backend.EINVALID, "a feed position cannot be negative")
	}
	// The head first: every number up to it has been taken, so a number
	// missing below it is a hole, not the end.
	h, err := s.head(ctx, user)
	if err != nil {
		return nil, 0, err
	}
	upto := min(after+int64(limit), h.Seq)
	if upto <= after {
		return nil, h.Seq, nil
	}
	docs, err := s.fetch(ctx, user, after+1, upto)
	if err != nil {
		return nil, 0, translate(op, err)
	}
	now := s.DB.now()
	out := make([]backend.FeedEntry, 0, upto-after)
	for seq := after + 1; seq <= upto; seq++ {
		d, ok := docs[seq]
		if !ok {
			// A hole: seq was taken, not written. It was taken before any
			// later number, so the later number's time bounds its age.
			takenBy := h.At
			for later := seq + 1; later <= upto; later++ {
				if l, ok := docs[later]; ok {
					takenBy = l.At
					break
				}
			}
			if now.Sub(takenBy) < s.lease() {
				break // its writer may still be at work: never pass it
			}
			if d, err = s.void(ctx, user, seq, now); err != nil {
				return nil, 0, err
			}
		}
		e := backend.FeedEntry{Seq: d.Seq, At: d.At}
		if !d.Void {
			e.TaskID = d.TaskID
		}
		out = append(out, e)
	}
	return out, h.Seq, nil
}

// void fills a hole; if the writer got there first, its entry is returned.
func (s *FeedStore) void(ctx context.Context, user string, seq int64, now time.Time) (*feedDoc, error) {
	d := &feedDoc{ID: feedKey(user, seq), User: user, Seq: seq, At: now, Void: true}
	_, err := s.DB.c(colFeed).InsertOne(ctx, d)
	if err == nil {
		return d, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, translate("FeedStore.void", err)
	}
	d = &feedDoc{}
	if err := s.DB.c(colFeed).FindOne(ctx, bson.D{{Key: "_id", Value: feedKey(user, seq)}}).Decode(d); err != nil {
		return nil, translate("FeedStore.void", err)
	}
	return d, nil
}

// fetch reads the entries from..to of user's feed that exist.
func (s *FeedStore) fetch(ctx context.Context, user string, from, to int64) (map[int64]*feedDoc, error) {
	return s.DB.engine.fetchFeed(ctx, s, user, from, to)
}

// queryFeed reads the entries from..to of user's feed in one range of _id.
func (s *FeedStore) queryFeed(ctx context.Context, user string, from, to int64) (map[int64]*feedDoc, error) {
	out := make(map[int64]*feedDoc, to-from+1)
	cur, err := s.DB.c(colFeed).Find(ctx, bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gte", Value: feedKey(user, from)}, {Key: "$lte", Value: feedKey(user, to)},
	}}})
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		d := &feedDoc{}
		if err := cur.Decode(d); err != nil {
			return nil, err
		}
		out[d.Seq] = d
	}
	return out, cur.Err()
}
