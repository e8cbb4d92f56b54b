package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// PurgeExpired deletes what has expired by now: login throttle counters of
// past windows, backoffs forgotten and account locks ended, refresh
// tokens, the records of sessions that ended, and the
// records of inspection codes issued and revoked that have expired, and
// requests to let go of uploads. The
// server calls it periodically (MongoDB TTL indexes would do the same, but
// FerretDB v1 does not expire documents). It returns how many documents
// went.
func (db *DB) PurgeExpired(ctx context.Context, now time.Time) (int64, error) {
	expired := bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: now.UTC()}}}}
	var total int64
	for _, col := range []string{colThrottle, colLoginLocks, colRefreshTokens, colTokenFamilies, colIssuedCodes, colRevoked, colUploadTakeovers} {
		res, err := db.c(col).DeleteMany(ctx, expired)
		if err != nil {
			return total, translate("PurgeExpired", err)
		}
		total += res.DeletedCount
	}
	return total, nil
}
