package fcsync

import (
	"fmt"
	"reflect"
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
		{User: "scjg.inspector1", Seq: 42, Full: true, AfterTask: "p-1-v1-d1-00007", Templates: []string{"SCJG-03@1", "SCJG-04@2"}},
		{User: "a.b", Seq: 1 << 40},
		{User: "a.b", Seq: 3, Templates: []string{"X@1"}},
	} {
		got, err := parseCursor(c.String(), c.User)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("%+v -> %q -> %+v, %v", c, c.String(), got, err)
		}
		if _, err := parseCursor(c.String(), "someone.else"); !backend.IsCode(err, backend.EINVALID) {
			t.Fatalf("another login's cursor accepted: %v", err)
		}
	}
}

// TestCursorTemplates: a cursor remembers the templates sent up to its
// bounds; past them it keeps only the last page's, and a page too large
// even for that leaves it remembering none, so that the cursor it makes is
// always one the server accepts.
func TestCursorTemplates(t *testing.T) {
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%02d@1", prefix, i)
		}
		return out
	}
	for _, tt := range []struct {
		name       string
		had, sent  []string
		want       int
		wantHasOld bool
	}{
		{"Adds", ids("A", 3), ids("B", 2), 5, true},
		{"SameAgainOnce", ids("A", 3), ids("A", 3), 3, true},
		{"OverCountKeepsThePage", ids("A", MaxCursorTemplates-1), ids("B", 2), 2, false},
		{"PageOverCountKeepsNone", nil, ids("B", MaxCursorTemplates+1), 0, false},
		{"OverLengthKeepsThePage", ids(strings.Repeat("L", 39), 40), ids("B", 2), 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cursor{User: "u.one", Seq: 9, Templates: tt.had}
			c.sent(tt.sent)
			if len(c.Templates) != tt.want || len(tt.had) > 0 && c.has(tt.had[0]) != tt.wantHasOld {
				t.Fatalf("remembers %d (%v), want %d; the first old one kept: %v, want %v", len(c.Templates), c.Templates, tt.want, c.has(tt.had[0]), tt.wantHasOld)
			}
			if _, err := parseCursor(c.String(), "u.one"); err != nil {
				t.Fatalf("the cursor made is refused: %v", err)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tt := range []struct {
		v  string
		ok bool
	}{{"2", true}, {"", false}, {"1", false}, {"3", false}, {"02", false}, {"2.0", false}, {" 2", false}} {
		err := CheckVersion(tt.v)
		if (err == nil) != tt.ok || err != nil && (!backend.IsCode(err, backend.EINVALID) || !strings.Contains(backend.ErrorMessage(err), "v=2")) {
			t.Fatalf("CheckVersion(%q) = %v, want ok %v (else invalid, naming v=2)", tt.v, err, tt.ok)
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
	f.Add(cursor{User: "u.one", Seq: 3, Templates: []string{"A@1", "B@2"}}.String())
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
