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
