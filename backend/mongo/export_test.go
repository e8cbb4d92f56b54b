package mongo

// UseMongoDBPath makes db take the code paths written for MongoDB (conditions
// in update filters, pages sorted by _id) even on FerretDB, where they are
// slower but correct, so that the tests exercise them without a MongoDB.
func UseMongoDBPath(db *DB) {
	db.ferret = false
	db.SingleProcess = false
}

// SlowFeedWriter makes s call f after taking numbers and before writing
// the entries: a writer that commits late, or (f blocks) never.
func SlowFeedWriter(s *FeedStore, f func(user string, first int64)) { s.beforeInsert = f }

// RenewLeaseNow renews db's writer lease at once, as its ticker would, and
// reports whether it found the lease lost.
func RenewLeaseNow(db *DB) bool { return db.renewLeaseOnce() }

// SameLocks reports whether a and b share their striped locks.
func SameLocks(a, b *DB) bool { return a.store != nil && a.store == b.store }

// LeaseHolder is this process's name in writer leases.
func LeaseHolder() string { return processID }
