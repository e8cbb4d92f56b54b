package mongo

// UseMongoDBPath makes db take the code paths written for MongoDB (conditions
// in update filters, pages sorted by _id) even on FerretDB, where they are
// slower but correct, so that the tests exercise them without a MongoDB.
func UseMongoDBPath(db *DB) {
	db.ferret = false
	db.SingleProcess = false
}
