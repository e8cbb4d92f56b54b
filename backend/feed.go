package backend

import (
	"context"
	"time"
)

// The change feed is how phones learn what changed (sync/ builds the pull
// protocol on it). Every login has a feed: a sequence 1, 2, 3 … of entries,
// each naming a task that changed and that the login has, or had, in its
// scope. A phone remembers the last sequence number it has seen and asks
// for what follows.
//
// Several server instances write to one feed at once, and their writes
// commit in any order: a writer takes number n, another takes n+1 and
// commits first. A reader that moved past a hole would miss n for ever. So
// a reader never passes a hole: it stops before it, unless the number was
// taken longer ago than FeedLease, in which case it fills the hole with a
// void entry. The void and the late writer's entry have the same _id, so
// exactly one of them is stored; a writer that loses takes a new number.
//
// A task write and its feed entries are two writes. The task store marks
// the task FeedPending in the same write that changes it and clears the
// mark when every entry is stored; SweepFeed redoes the entries of tasks
// left marked (a crash between the two), so no change is ever lost, at the
// price of a rare duplicate notice (harmless: a phone reads the task's
// current state).

// FeedLease is how long a taken sequence number may stay unwritten before
// readers void it. Writers take a fresh number when they could not write
// within half of it.
const FeedLease = 30 * time.Second

// FeedEntry is one entry of a login's feed.
type FeedEntry struct {
	Seq    int64     `json:"seq"`
	TaskID string    `json:"taskId,omitempty"` // empty for a void
	At     time.Time `json:"at"`               // when the number was taken
}

// FeedStore keeps the logins' change feeds.
type FeedStore interface {
	// Notify appends to each login's feed an entry for each of its tasks,
	// in the order given.
	Notify(ctx context.Context, taskIDsByUser map[string][]string) error
	// ReadFeed returns up to limit entries of user's feed after sequence
	// number after, in order and without holes (see above), and the
	// feed's head: the highest number taken so far.
	ReadFeed(ctx context.Context, user string, after int64, limit int) ([]FeedEntry, int64, error)
	// FeedHead returns the highest sequence number taken in user's feed.
	FeedHead(ctx context.Context, user string) (int64, error)
}
