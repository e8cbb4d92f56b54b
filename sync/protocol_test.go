package fcsync

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestDecodePushLimits(t *testing.T) {
	one := `{"opId":"x1","entity":"task","taskId":"t","baseVersion":1,"payload":{"to":"accepted"}}`
	for _, tt := range []struct {
		name string
		body string
		code string
	}{
		{"OK", `{"mutations":[` + one + `]}`, ""},
		{"ErrTooLarge", `{"mutations":[` + strings.Replace(one, `"accepted"}`, `"accepted","comment":"`+strings.Repeat("x", MaxPushBytes)+`"}`, 1) + `]}`, backend.ETOOLARGE},
		{"ErrTrailing", `{"mutations":[` + one + `]} {}`, backend.EINVALID},
		{"ErrEmptyBody", ` `, backend.EINVALID},
		{"ErrNegativeWrongType", `{"mutations":[{"opId":"x","entity":"task","taskId":"t","baseVersion":"1"}]}`, backend.EINVALID},
		{"ErrLongOpID", `{"mutations":[` + strings.Replace(one, `"x1"`, `"`+strings.Repeat("a", MaxOpIDLength+1)+`"`, 1) + `]}`, backend.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePush([]byte(tt.body))
			if got := backend.ErrorCode(err); got != tt.code {
				t.Fatalf("%v (code %q), want %q", err, got, tt.code)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{User: "scjg.inspector1", Seq: 0, Full: true},
		{User: "scjg.inspector1", Seq: 42, Full: true, AfterTask: "p-1-v1-d1-00007"},
		{User: "a.b", Seq: 1 << 40},
	} {
		got, err := parseCursor(c.String(), c.User)
		if err != nil || got != c {
			t.Fatalf("%+v -> %q -> %+v, %v", c, c.String(), got, err)
		}
		if _, err := parseCursor(c.String(), "someone.else"); !backend.IsCode(err, backend.EINVALID) {
			t.Fatalf("another login's cursor accepted: %v", err)
		}
	}
}

// FuzzDecodePush: whatever arrives, the decoder answers a request or a
// clear client error, never a panic or an internal error, and what it
// accepts respects every limit.
func FuzzDecodePush(f *testing.F) {
	f.Add([]byte(`{"mutations":[{"opId":"x1","entity":"task","taskId":"t","baseVersion":1,"payload":{"to":"accepted"}}]}`))
	f.Add([]byte(`{"mutations":[]}`))
	f.Add([]byte(`{"mutations":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodePush(body)
		if err != nil {
			if code := backend.ErrorCode(err); code != backend.EINVALID && code != backend.ETOOLARGE {
				t.Fatalf("error code %q for %q", code, body)
			}
			return
		}
		if len(req.Mutations) == 0 || len(req.Mutations) > MaxPushBatch {
			t.Fatalf("accepted %d mutations", len(req.Mutations))
		}
		seen := map[string]bool{}
		for _, m := range req.Mutations {
			if !validOpID(m.OpID) || seen[m.OpID] {
				t.Fatalf("accepted op id %q", m.OpID)
			}
			seen[m.OpID] = true
		}
	})
}

// FuzzParseCursor: a cursor is accepted only if it is one the server
// could have made for this login, and then it reads back the same.
func FuzzParseCursor(f *testing.F) {
	f.Add(cursor{User: "u.one", Seq: 7}.String())
	f.Add(cursor{User: "u.one", Seq: 0, Full: true, AfterTask: "x"}.String())
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s, "u.one")
		if err != nil {
			if !backend.IsCode(err, backend.EINVALID) {
				t.Fatalf("error code %q", backend.ErrorCode(err))
			}
			return
		}
		if s != "" && c.String() != s {
			t.Fatalf("%q parsed to %+v which prints %q", s, c, c.String())
		}
	})
}
