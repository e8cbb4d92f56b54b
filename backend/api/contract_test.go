package api_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestFreshTaskListsAreEmpty: a task nobody has worked on yet has no
// answers, check-ins, evidence or reviews, and says so with {} and [] —
// never null — on the back office's API, the phones' API and in a sync
// pull, as the OpenAPI documents (and the front ends' types) say.
func TestFreshTaskListsAreEmpty(t *testing.T) {
	e, tasks := newReviewEnv(t)
	i := slices.IndexFunc(tasks, func(tk *backend.Task) bool { return len(tk.TeamUsers) > 0 })
	if i < 0 {
		t.Fatal("the draw gave no task with a login on its team")
	}
	task := tasks[i]
	phone := e.fieldPhone(task.TeamUsers[0])
	manager := e.login("test.manager")
	// Each answer is decoded into JSON values, where null and [] differ.
	taskOf := map[string]func(t *testing.T, body []byte) map[string]any{
		"task": func(t *testing.T, body []byte) map[string]any {
			var v map[string]any
			mustUnmarshal(t, body, &v)
			return v
		},
		"list": func(t *testing.T, body []byte) map[string]any {
			var v struct{ Items []map[string]any }
			mustUnmarshal(t, body, &v)
			for _, tk := range v.Items {
				if tk["id"] == task.ID {
					return tk
				}
			}
			t.Fatalf("task %s not in the list", task.ID)
			return nil
		},
		"pull": func(t *testing.T, body []byte) map[string]any {
			var v struct {
				Tasks []struct{ Task map[string]any }
			}
			mustUnmarshal(t, body, &v)
			for _, tv := range v.Tasks {
				if tv.Task["id"] == task.ID {
					return tv.Task
				}
			}
			t.Fatalf("task %s not in the first page of the pull", task.ID)
			return nil
		},
	}
	for _, c := range []struct {
		name, url, token, shape string
	}{
		{"OK/BackOfficeTask", "/api/v1/tasks/" + task.ID, manager, "task"},
		{"OK/BackOfficeList", "/api/v1/tasks?limit=200", manager, "list"},
		{"OK/PhoneTask", "/mobile/v1/tasks/" + task.ID, phone.token, "task"},
		{"OK/PhoneList", "/mobile/v1/tasks", phone.token, "list"},
		{"OK/SyncPull", fcsync.PullPath("", 200), phone.token, "pull"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.doT(t, "GET", c.url, c.token, "", nil)
			if r.Status != 200 {
				t.Fatalf("status=%d, want 200 (%s)", r.Status, r.Body)
			}
			tk := taskOf[c.shape](t, r.Body)
			if got, ok := tk["answers"].(map[string]any); !ok || len(got) != 0 {
				t.Errorf("answers = %#v, want {}", tk["answers"])
			}
			for _, field := range []string{"checkIns", "evidence", "reviews"} {
				if got, ok := tk[field].([]any); !ok || len(got) != 0 {
					t.Errorf("%s = %#v, want []", field, tk[field])
				}
			}
		})
	}
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}
