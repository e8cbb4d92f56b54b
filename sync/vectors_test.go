package fcsync_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// vectorsFile holds the protocol's normative examples of the phone's side:
// the Go client runs them here, the app's client runs the same file.
const vectorsFile = "../testdata/sync/v2.json"

type vectorDoc struct {
	Protocol int          `json:"protocol"`
	Cases    []vectorCase `json:"cases"`
}

type vectorCase struct {
	Name     string `json:"name"`
	PageSize int    `json:"pageSize"`
	State    struct {
		Cursor    string             `json:"cursor"`
		Tasks     []*fcsync.TaskView `json:"tasks"`
		Templates []*fcsync.Template `json:"templates"`
	} `json:"state"`
	Queue     []fcsync.Mutation `json:"queue"`
	Call      string            `json:"call"`
	Exchanges []struct {
		Request struct {
			Method string            `json:"method"`
			Path   string            `json:"path"`
			Query  map[string]string `json:"query"`
			Body   json.RawMessage   `json:"body"`
		} `json:"request"`
		Response struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"response"`
		Want vectorState `json:"want"`
	} `json:"exchanges"`
	Result map[string]any `json:"result"`
	Error  *struct {
		Code string `json:"code"`
	} `json:"error"`
}

type vectorState struct {
	Cursor    string              `json:"cursor"`
	Tasks     map[string]int64    `json:"tasks"`
	Templates []string            `json:"templates"`
	Forms     map[string][]string `json:"forms"`
	Keys      bool                `json:"keys"`
	Queue     []string            `json:"queue"`
}

// stateOf is what a vector says of a phone's state.
func stateOf(t *testing.T, c *fcsync.Client, forms map[string][]string) vectorState {
	st := c.Queue.State()
	out := vectorState{Cursor: st.Cursor, Tasks: map[string]int64{}, Templates: slices.Sorted(maps.Keys(st.Templates)),
		Forms: map[string][]string{}, Keys: st.Keys != nil}
	if out.Templates == nil {
		out.Templates = []string{}
	}
	for id, v := range st.Tasks {
		out.Tasks[id] = v.Task.Version
	}
	for id := range forms {
		f, err := st.Form(id)
		if err != nil {
			t.Fatalf("form of %s: %v", id, err)
		}
		keys := []string{}
		for _, s := range f.Sections {
			for _, q := range s.Questions {
				keys = append(keys, backend.AnswerKey(s.ItemCode, q.ID))
			}
		}
		out.Forms[id] = keys
	}
	for _, m := range c.Queue.Pending() {
		out.Queue = append(out.Queue, m.OpID)
	}
	return out
}

func wantState(t *testing.T, where string, c *fcsync.Client, want vectorState) {
	t.Helper()
	if want.Tasks == nil {
		want.Tasks = map[string]int64{}
	}
	if want.Forms == nil {
		want.Forms = map[string][]string{}
	}
	slices.Sort(want.Templates)
	got := stateOf(t, c, want.Forms)
	if want.Queue == nil {
		got.Queue = nil // the vector does not say
	}
	if len(want.Queue) == 0 && want.Queue != nil && got.Queue == nil {
		got.Queue = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: state\n%+v\nwant\n%+v", where, got, want)
	}
}

// TestProtocolVectors runs the Go client through every case of the
// protocol's vectors against a server that answers as the case says and
// checks each request the client sends.
func TestProtocolVectors(t *testing.T) {
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc vectorDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Protocol != fcsync.Version || len(doc.Cases) == 0 {
		t.Fatalf("vectors of protocol %d with %d cases, want protocol %d", doc.Protocol, len(doc.Cases), fcsync.Version)
	}
	for _, vc := range doc.Cases {
		t.Run(vc.Name, func(t *testing.T) {
			q, err := fcsync.OpenQueue(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			st := q.State()
			st.Cursor = vc.State.Cursor
			st.Templates = map[string]*fcsync.Template{}
			for _, v := range vc.State.Tasks {
				st.Tasks[v.Task.ID] = v
			}
			for _, tp := range vc.State.Templates {
				st.Templates[tp.ID()] = tp
			}
			if err := q.SaveState(st); err != nil {
				t.Fatal(err)
			}
			if len(vc.Queue) > 0 {
				if _, err := q.Enqueue(vc.Queue...); err != nil {
					t.Fatal(err)
				}
			}
			var (
				mu   sync.Mutex
				next int
				c    *fcsync.Client
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/mobile/v1/auth/login" {
					_, _ = io.WriteString(w, `{"accessToken":"a","refreshToken":"r","expiresIn":900}`)
					return
				}
				if r.URL.Path == fcsync.LimitsPath {
					// Not part of the protocol's vectors: a server without
					// the route, whose defaults the client keeps.
					w.WriteHeader(http.StatusNotFound)
					_, _ = io.WriteString(w, `{"code":"not_found","message":"no such route"}`)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if next >= len(vc.Exchanges) {
					t.Errorf("request %d (%s %s) beyond the %d the case lists", next+1, r.Method, r.URL, len(vc.Exchanges))
					w.WriteHeader(http.StatusTeapot)
					return
				}
				if next > 0 {
					wantState(t, "before request "+string(rune('1'+next)), c, vc.Exchanges[next-1].Want)
				}
				ex := vc.Exchanges[next]
				next++
				query := map[string]string{}
				for k, v := range r.URL.Query() {
					query[k] = v[0]
				}
				if r.Method != ex.Request.Method || r.URL.Path != ex.Request.Path || !maps.Equal(query, ex.Request.Query) {
					t.Errorf("request %d is %s %s, want %s %s %v", next, r.Method, r.URL, ex.Request.Method, ex.Request.Path, ex.Request.Query)
				}
				if ex.Request.Body != nil {
					body, _ := io.ReadAll(r.Body)
					var got, want any
					_ = json.Unmarshal(body, &got)
					_ = json.Unmarshal(ex.Request.Body, &want)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("request %d body\n%s\nwant\n%s", next, body, ex.Request.Body)
					}
				}
				w.WriteHeader(ex.Response.Status)
				_, _ = w.Write(ex.Response.Body)
			}))
			defer srv.Close()
			c = &fcsync.Client{BaseURL: srv.URL, Username: "scjg.inspector1", Password: "demo-scjg.inspector1",
				Device: backend.DeviceInfo{ID: "vector-phone", Platform: backend.PlatformAndroid}, Queue: q,
				PageSize: vc.PageSize, PendingWait: time.Millisecond, Retry: fcsync.Retry{Attempts: 1}}
			ctx := context.Background()
			var got map[string]any
			switch vc.Call {
			case "pull":
				res, err := c.Pull(ctx)
				if vc.Error != nil {
					if backend.ErrorCode(err) != vc.Error.Code {
						t.Fatalf("pull: %v, want an error %s", err, vc.Error.Code)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				got = map[string]any{"pages": float64(res.Pages), "changed": float64(res.Changed), "removed": float64(res.Removed), "restart": res.Restart, "pending": res.Pending}
			case "push":
				res, err := c.Push(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var statuses []any
				for _, r := range res {
					statuses = append(statuses, r.Status)
				}
				got = map[string]any{"statuses": statuses}
			default:
				t.Fatalf("unknown call %q", vc.Call)
			}
			mu.Lock()
			defer mu.Unlock()
			if next != len(vc.Exchanges) {
				t.Fatalf("%d requests sent, the case lists %d", next, len(vc.Exchanges))
			}
			wantState(t, "at the end", c, vc.Exchanges[len(vc.Exchanges)-1].Want)
			if vc.Result != nil && !reflect.DeepEqual(got, vc.Result) {
				t.Fatalf("result %v, want %v", got, vc.Result)
			}
		})
	}
}
