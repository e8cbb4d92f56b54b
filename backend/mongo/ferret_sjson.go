package mongo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/fieldcheck/fieldcheck/backend"
)

// FerretDB v1 keeps a document in SQLite as JSON beside its type schema
// ("$s": {"p": {field: {"t": type, ...}}, "$k": [field order]}). Decoding
// that through the wire protocol costs FerretDB a fresh JSON decoder for
// every value and a conversion to BSON: about a millisecond for a
// submitted task (docs/benchmarks.md, "The house"). On the embedded store
// the task store reads a task's stored JSON straight from SQLite
// (DB.FindJSON) and turns it into BSON here, once, for the driver's own
// decoder: the same task, a fraction of the time.

// errSJSONType is a type this conversion does not know (regex,
// timestamp: no task field has one); the caller reads through FerretDB.
var errSJSONType = fmt.Errorf("sjson: a type the direct read does not convert")

// sjsonToBSON converts a stored FerretDB document to BSON.
func sjsonToBSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	schema, ok := doc["$s"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("sjson: no schema")
	}
	d, err := sjsonDocument(doc, schema)
	if err != nil {
		return nil, err
	}
	return bson.Marshal(d)
}

func sjsonDocument(m map[string]any, schema map[string]any) (bson.D, error) {
	keys, _ := schema["$k"].([]any)
	props, _ := schema["p"].(map[string]any)
	d := make(bson.D, 0, len(keys))
	for _, k := range keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("sjson: a key is not a string")
		}
		elem, ok := props[key].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("sjson: no schema for %q", key)
		}
		v, err := sjsonValue(m[key], elem)
		if err != nil {
			return nil, err
		}
		d = append(d, bson.E{Key: key, Value: v})
	}
	return d, nil
}

func sjsonValue(v any, elem map[string]any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("sjson: %v is not a %v", v, elem["t"]) }
	switch elem["t"] {
	case "object":
		m, ok := v.(map[string]any)
		schema, ok2 := elem["$s"].(map[string]any)
		if !ok || !ok2 {
			return bad()
		}
		return sjsonDocument(m, schema)
	case "array":
		list, ok := v.([]any)
		items, _ := elem["i"].([]any)
		if !ok || len(items) != len(list) {
			return bad()
		}
		out := make(bson.A, len(list))
		for i := range list {
			ie, ok := items[i].(map[string]any)
			if !ok {
				return bad()
			}
			x, err := sjsonValue(list[i], ie)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "bool":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "null":
		if v == nil {
			return nil, nil
		}
	case "double":
		if n, ok := v.(json.Number); ok {
			f, err := n.Float64()
			if err == nil {
				return f, nil
			}
		}
	case "int":
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err == nil && int64(int32(i)) == i {
				return int32(i), nil
			}
		}
	case "long":
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
	case "date":
		if n, ok := v.(json.Number); ok {
			if ms, err := n.Int64(); err == nil {
				return primitive.DateTime(ms), nil
			}
		}
	case "objectId":
		if s, ok := v.(string); ok {
			if id, err := primitive.ObjectIDFromHex(s); err == nil {
				return id, nil
			}
		}
	case "binData":
		s, ok := v.(string)
		sub, ok2 := elem["s"].(json.Number)
		if ok && ok2 {
			data, err := base64.StdEncoding.DecodeString(s)
			st, err2 := sub.Int64()
			if err == nil && err2 == nil && st >= 0 && st < 256 {
				return primitive.Binary{Subtype: byte(st), Data: data}, nil
			}
		}
	default:
		return nil, errSJSONType
	}
	return bad()
}

// readTask reads task id from SQLite when the store offers it (readByID).
func (e *ferretEngine) readTask(ctx context.Context, db *DB, id string) (*backend.Task, error) {
	return readByID[backend.Task](ctx, db, colTasks, "FindTaskByID", "task", id)
}

// readByID reads the document of collection with the string _id id
// straight from SQLite when the store offers it (FindJSON: the embedded
// store, whose one writer is this process), through FerretDB otherwise,
// and when the direct read fails or the document holds what the
// conversion does not know. A page of 50 targets or audit entries read
// by _id pays FerretDB's conversion of every value 50 times otherwise.
func readByID[T any](ctx context.Context, db *DB, collection, op, what, id string) (*T, error) {
	wire := func() (*T, error) {
		return findByID[T](ctx, db.c(collection), op, what, id)
	}
	if db.FindJSON == nil || !db.SingleProcess {
		return wire()
	}
	b, err := db.FindJSON(ctx, collection, id)
	if err != nil {
		return wire()
	}
	if b == nil {
		return nil, notFound(op, what, id)
	}
	raw, err := sjsonToBSON(b)
	if err != nil {
		return wire()
	}
	var v T
	if err := bson.Unmarshal(raw, &v); err != nil {
		return nil, translate(op, err)
	}
	return &v, nil
}

// readPiece reads a piece of a draw record. A piece is up to 4 MiB of
// bytes, which FerretDB keeps as base64 in its JSON: on the embedded store
// the stored JSON is decoded here straight into the piece (encoding/json
// decodes base64 into []byte), without FerretDB's conversion (~190 ms of
// CPU for a county's 5.6 MB record, profiled) or the generic one to BSON
// (~90 ms); through readByID when its schema is not the expected one.
func readPiece(ctx context.Context, db *DB, id string) (*recordPiece, error) {
	const op, what = "LoadDrawRecord", "draw record"
	if db.FindJSON == nil || !db.SingleProcess {
		return readByID[recordPiece](ctx, db, colDrawRecords, op, what, id)
	}
	b, err := db.FindJSON(ctx, colDrawRecords, id)
	if err != nil {
		return readByID[recordPiece](ctx, db, colDrawRecords, op, what, id)
	}
	if b == nil {
		return nil, notFound(op, what, id)
	}
	var doc struct {
		ID     string `json:"_id"`
		N, Of  int
		Data   []byte `json:"data"`
		Schema struct {
			P struct {
				Data struct {
					T string          `json:"t"`
					S json.RawMessage `json:"s"`
				} `json:"data"`
			} `json:"p"`
		} `json:"$s"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.ID != id || doc.Schema.P.Data.T != "binData" || string(doc.Schema.P.Data.S) != "0" {
		return readByID[recordPiece](ctx, db, colDrawRecords, op, what, id)
	}
	return &recordPiece{ID: doc.ID, N: doc.N, Of: doc.Of, Data: doc.Data}, nil
}
