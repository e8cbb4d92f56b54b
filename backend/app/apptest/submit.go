package apptest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// MustSubmit makes task id submitted with a result (no problem found)
// entered at, answers to every question, the given evidence and an
// arrived photo for each question that requires one and has none, as the
// team's phone would: the phone's path is sync's, tested there and in the
// API's review test. The task is then ready for a reviewer's decision.
func MustSubmit(tb testing.TB, tasks backend.TaskStore, id string, at time.Time, evidence ...backend.EvidenceSlot) *backend.Task {
	tb.Helper()
	tk, err := backend.UpdateTaskWith(context.Background(), tasks, id, func(tk *backend.Task) (bool, error) {
		tk.Answers = map[string]backend.Answer{}
		for _, s := range tk.Form.Sections {
			for _, q := range s.Questions {
				tk.Answers[backend.AnswerKey(s.ItemCode, q.ID)] = backend.Answer{Value: "是", EditedAt: at, EditedBy: tk.TeamUsers[0], DeviceID: "phone"}
			}
		}
		tk.Evidence = append(tk.Evidence, evidence...)
		for i, q := range tk.PhotosMissing() {
			tk.Evidence = append(tk.Evidence, backend.EvidenceSlot{ID: fmt.Sprint("required-", i), Type: backend.EvidencePhoto, SHA256: strings.Repeat("e", 64),
				Size: 1000, ContentType: "image/jpeg", Question: q, CapturedAt: at, Uploaded: true})
		}
		tk.Result = &backend.Result{Code: backend.ResultNoProblem, Label: backend.ResultNoProblem.Label(), EnteredBy: tk.TeamUsers[0], EnteredAt: at.UTC().Truncate(time.Millisecond), DeviceTime: at}
		tk.Status = backend.TaskSubmitted
		return true, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}
