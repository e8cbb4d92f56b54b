package backend

import (
	"slices"
	"strings"
)

// QuestionChangeKind says what became of a question between two versions
// of a checklist template.
type QuestionChangeKind string

const (
	QuestionAdded     QuestionChangeKind = "added"
	QuestionRemoved   QuestionChangeKind = "removed"
	QuestionChanged   QuestionChangeKind = "changed"
	QuestionUnchanged QuestionChangeKind = "unchanged"
)

// QuestionChange is one line of a template diff. Questions are matched by
// their id, which stays the same across versions (answers are keyed by it).
type QuestionChange struct {
	ID     string             `json:"id"`
	Change QuestionChangeKind `json:"change"`
	From   *Question          `json:"from,omitempty"` // absent when added
	To     *Question          `json:"to,omitempty"`   // absent when removed
	// Fields names what differs in a changed question: text, type,
	// options, required, photoRequired, basis.
	Fields []string `json:"fields"`
}

// TemplateDiff is what changed from one version of an item's checklist to
// another: every question of both, in the order of the newer one (To);
// a removed question comes just before the first question after it that
// both versions have, or at the end.
type TemplateDiff struct {
	ItemCode  string           `json:"itemCode"`
	From      int              `json:"from"`
	To        int              `json:"to"`
	Questions []QuestionChange `json:"questions"`
	Added     int              `json:"added"`
	Removed   int              `json:"removed"`
	Changed   int              `json:"changed"`
	Unchanged int              `json:"unchanged"`
}

// questionFields returns the fields in which a and b differ.
func questionFields(a, b *Question) []string {
	out := []string{}
	if a.Text != b.Text {
		out = append(out, "text")
	}
	if a.Type != b.Type {
		out = append(out, "type")
	}
	if !slices.Equal(a.Options, b.Options) {
		out = append(out, "options")
	}
	if a.Required != b.Required {
		out = append(out, "required")
	}
	if a.PhotoRequired != b.PhotoRequired {
		out = append(out, "photoRequired")
	}
	if a.Basis != b.Basis {
		out = append(out, "basis")
	}
	return out
}

// DiffTemplates compares two versions of a checklist, from (the older, in
// general) to to. It is pure: the same two templates give the same diff.
func DiffTemplates(from, to *ChecklistTemplate) *TemplateDiff {
	d := &TemplateDiff{ItemCode: to.ItemCode, From: from.Version, To: to.Version, Questions: []QuestionChange{}}
	inTo := make(map[string]bool, len(to.Questions))
	for _, q := range to.Questions {
		inTo[q.ID] = true
	}
	fromIndex := make(map[string]int, len(from.Questions))
	for i, q := range from.Questions {
		fromIndex[q.ID] = i
	}
	// next is the first question of from not yet walked past: removed
	// ones are emitted when the walk through to reaches a question of
	// from that comes after them.
	next := 0
	placed := make([]bool, len(from.Questions))
	removedUpTo := func(end int) {
		for ; next < end; next++ {
			if !inTo[from.Questions[next].ID] && !placed[next] {
				placed[next] = true
				q := from.Questions[next]
				d.Questions = append(d.Questions, QuestionChange{ID: q.ID, Change: QuestionRemoved, From: &q, Fields: []string{}})
				d.Removed++
			}
		}
	}
	for _, q := range to.Questions {
		q := q
		i, ok := fromIndex[q.ID]
		if !ok {
			d.Questions = append(d.Questions, QuestionChange{ID: q.ID, Change: QuestionAdded, To: &q, Fields: []string{}})
			d.Added++
			continue
		}
		if i >= next {
			removedUpTo(i)
			next = i + 1
		}
		placed[i] = true
		old := from.Questions[i]
		c := QuestionChange{ID: q.ID, Change: QuestionUnchanged, From: &old, To: &q, Fields: questionFields(&old, &q)}
		if len(c.Fields) > 0 {
			c.Change = QuestionChanged
			d.Changed++
		} else {
			d.Unchanged++
		}
		d.Questions = append(d.Questions, c)
	}
	removedUpTo(len(from.Questions))
	return d
}

// String writes the diff as one word per question, "change:id" with the
// changed fields in brackets: "changed:licence[text] added:storage".
func (d *TemplateDiff) String() string {
	words := make([]string, len(d.Questions))
	for i, c := range d.Questions {
		words[i] = string(c.Change) + ":" + c.ID
		if len(c.Fields) > 0 {
			words[i] += "[" + strings.Join(c.Fields, ",") + "]"
		}
	}
	return strings.Join(words, " ")
}
