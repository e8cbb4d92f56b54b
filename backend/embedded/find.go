package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
)

// readers are the read-only SQLite connections of FindJSON, one pool per
// database, and the table of each collection.
type readers struct {
	mu     sync.Mutex
	dbs    map[string]*sql.DB
	tables map[[2]string]string // database, collection → table
}

// FindJSON returns the document of collection whose _id is the string id
// as FerretDB stores it (its JSON with the type schema under "$s"), read
// straight from the SQLite file, or nil when there is none.
//
// Through the wire protocol FerretDB turns every value of the document
// into Go values and back into BSON: a submitted task, with some 300
// values, takes it about a millisecond; the stored JSON is read by the
// _id index (AddIDIndexes) in a fraction of that. Like ScanJSON it reads
// what is committed.
func (s *Server) FindJSON(ctx context.Context, database, collection, id string) ([]byte, error) {
	key, err := json.Marshal(id) // how FerretDB compares _id: its JSON
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		db, table, err := s.reader(ctx, database, collection)
		if err != nil || table == "" {
			return nil, err
		}
		var b []byte
		err = db.QueryRowContext(ctx, fmt.Sprintf(`SELECT _ferretdb_sjson FROM "%s" WHERE _ferretdb_sjson->'$._id' = ?`, table), string(key)).Scan(&b)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, nil
		case err != nil && attempt == 0 && strings.Contains(err.Error(), "no such table"):
			s.forgetTable(database, collection) // dropped and made again
			continue
		case err != nil:
			return nil, fmt.Errorf("embedded store: find in %s: %w", collection, err)
		}
		return b, nil
	}
}

// reader returns the pool of database and the table of collection ("" if
// the collection does not exist).
func (s *Server) reader(ctx context.Context, database, collection string) (*sql.DB, string, error) {
	r := &s.readers
	r.mu.Lock()
	defer r.mu.Unlock()
	db := r.dbs[database]
	if db == nil {
		path := filepath.Join(s.dir, database+".sqlite")
		var err error
		if db, err = sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)"); err != nil {
			return nil, "", err
		}
		if r.dbs == nil {
			r.dbs, r.tables = map[string]*sql.DB{}, map[[2]string]string{}
		}
		r.dbs[database] = db
	}
	if t, ok := r.tables[[2]string{database, collection}]; ok {
		return db, t, nil
	}
	var table string
	err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table)
	if errors.Is(err, sql.ErrNoRows) {
		return db, "", nil // not made yet: not remembered
	}
	if err != nil {
		return nil, "", fmt.Errorf("embedded store: find in %s: %w", collection, err)
	}
	if strings.ContainsAny(table, "\"\x00") {
		return nil, "", fmt.Errorf("embedded store: find in %s: unexpected table name %q", collection, table)
	}
	r.tables[[2]string{database, collection}] = table
	return db, table, nil
}

func (s *Server) forgetTable(database, collection string) {
	s.readers.mu.Lock()
	defer s.readers.mu.Unlock()
	delete(s.readers.tables, [2]string{database, collection})
}

// closeReaders closes the pools of FindJSON.
func (s *Server) closeReaders() {
	s.readers.mu.Lock()
	defer s.readers.mu.Unlock()
	for _, db := range s.readers.dbs {
		_ = db.Close()
	}
	s.readers.dbs, s.readers.tables = nil, nil
}
