package backend

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// QuestionType is the kind of answer a checklist question takes.
type QuestionType string

const (
	QYesNo    QuestionType = "yesno"
	QSingle   QuestionType = "single"
	QMultiple QuestionType = "multiple"
	QNumber   QuestionType = "number"
	QText     QuestionType = "text"
	QPhoto    QuestionType = "photo"
)

// Question is one line of a checklist (检查细则).
type Question struct {
	ID            string       `json:"id" bson:"id"`
	Text          string       `json:"text" bson:"text"`
	Type          QuestionType `json:"type" bson:"type"`
	Options       []string     `json:"options,omitempty" bson:"options,omitempty"`
	Required      bool         `json:"required" bson:"required"`
	PhotoRequired bool         `json:"photoRequired" bson:"photoRequired" api:"optional"`
	Basis         string       `json:"basis,omitempty" bson:"basis,omitempty"`
}

// ChecklistTemplate is a version of an item's checklist. Versions are
// immutable: a change makes a new version, and tasks keep the version they
// were issued with.
type ChecklistTemplate struct {
	ID        string     `json:"id" bson:"_id"` // "<itemCode>@<version>"
	ItemCode  string     `json:"itemCode" bson:"itemCode"`
	Version   int        `json:"version" bson:"version"`
	Questions []Question `json:"questions" bson:"questions"`
	CreatedBy string     `json:"createdBy" bson:"createdBy"`
	CreatedAt time.Time  `json:"createdAt" bson:"createdAt"`

	// The audit outbox of its writes (outbox.go).
	Outbox `json:"-" bson:",inline"`
}

// TemplateID returns the id of version v of an item's template.
func TemplateID(itemCode string, v int) string { return fmt.Sprintf("%s@%d", itemCode, v) }

var questionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidateQuestions checks a list of questions.
func ValidateQuestions(qs []Question) error {
	if len(qs) == 0 {
		return Errorf(EINVALID, "a checklist needs at least one question")
	}
	if len(qs) > 200 {
		return Errorf(EINVALID, "a checklist has at most 200 questions")
	}
	seen := map[string]bool{}
	for i, q := range qs {
		if !questionIDPattern.MatchString(q.ID) {
			return Errorf(EINVALID, "question %d: id %q must be 1-32 lower-case letters, digits, '-' or '_'", i+1, q.ID)
		}
		if seen[q.ID] {
			return Errorf(EINVALID, "question id %q is used twice", q.ID)
		}
		seen[q.ID] = true
		if err := checkText(fmt.Sprintf("question %s text", q.ID), q.Text, 1, 500); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("question %s basis", q.ID), q.Basis, 0, 500); err != nil {
			return err
		}
		switch q.Type {
		case QSingle, QMultiple:
			if len(q.Options) < 2 {
				return Errorf(EINVALID, "question %s: a choice needs at least two options", q.ID)
			}
			if err := checkList(fmt.Sprintf("question %s options", q.ID), q.Options, 50, 100); err != nil {
				return err
			}
		case QYesNo, QNumber, QText, QPhoto:
			if len(q.Options) != 0 {
				return Errorf(EINVALID, "question %s: only choices take options", q.ID)
			}
		default:
			return Errorf(EINVALID, "question %s: type %q must be yesno, single, multiple, number, text or photo", q.ID, q.Type)
		}
	}
	return nil
}

// ChecklistSection is the part of a merged form that comes from one item.
type ChecklistSection struct {
	ItemCode        string     `json:"itemCode" bson:"itemCode"`
	ItemName        string     `json:"itemName" bson:"itemName"`
	DepartmentID    string     `json:"departmentId" bson:"departmentId"`
	TemplateVersion int        `json:"templateVersion" bson:"templateVersion"`
	Questions       []Question `json:"questions" bson:"questions"`
}

// Checklist is the one form (一表通查) a joint visit fills in: one section per
// item, in the order the items were given. A question's key in answers is
// "<itemCode>/<questionId>", unique across the merged form.
type Checklist struct {
	Sections []ChecklistSection `json:"sections" bson:"sections"`
}

// ChecklistRef names the template version of one item in a task's form:
// a task refers to its templates, which never change, instead of holding
// a copy of their questions.
type ChecklistRef struct {
	Item    string `json:"item" bson:"item"`
	Version int    `json:"version" bson:"version"`
}

// TemplateID returns the id of the template the reference names.
func (r ChecklistRef) TemplateID() string { return TemplateID(r.Item, r.Version) }

// Refs returns the references to the templates the form was merged from,
// in its order.
func (c *Checklist) Refs() []ChecklistRef {
	out := make([]ChecklistRef, 0, len(c.sections()))
	for _, s := range c.sections() {
		out = append(out, ChecklistRef{Item: s.ItemCode, Version: s.TemplateVersion})
	}
	return out
}

// FormOf merges the templates that refs name (templates[i] for refs[i])
// into a form of questions only: item names and departments, which may
// change, are not part of it.
func FormOf(refs []ChecklistRef, templates []*ChecklistTemplate) (*Checklist, error) {
	if len(refs) != len(templates) {
		return nil, Errorf(EINTERNAL, "%d checklist references but %d templates", len(refs), len(templates))
	}
	cl := &Checklist{Sections: make([]ChecklistSection, len(refs))}
	for i, r := range refs {
		t := templates[i]
		if t == nil || t.ItemCode != r.Item || t.Version != r.Version {
			return nil, Errorf(EINTERNAL, "no checklist template %s", r.TemplateID())
		}
		cl.Sections[i] = ChecklistSection{ItemCode: r.Item, TemplateVersion: r.Version, Questions: t.Questions}
	}
	return cl, nil
}

// HasQuestion reports whether k (<itemCode>/<questionId>) names a
// question of the form.
func (c *Checklist) HasQuestion(k string) bool {
	item, q, ok := strings.Cut(k, answerKeySeparator)
	if !ok {
		return false
	}
	for _, s := range c.sections() {
		if s.ItemCode == item {
			return slices.ContainsFunc(s.Questions, func(x Question) bool { return x.ID == q })
		}
	}
	return false
}

// MergeChecklists merges the templates of several items into one form.
// templates[i] belongs to items[i]; a duplicate item is an error.
func MergeChecklists(items []*Item, templates []*ChecklistTemplate) (*Checklist, error) {
	if len(items) != len(templates) {
		return nil, Errorf(EINVALID, "%d items but %d templates", len(items), len(templates))
	}
	cl := &Checklist{}
	seen := map[string]bool{}
	for i, it := range items {
		t := templates[i]
		if t == nil || t.ItemCode != it.Code {
			return nil, Errorf(EINVALID, "item %s has no checklist template", it.Code)
		}
		if seen[it.Code] {
			return nil, Errorf(EINVALID, "item %s is listed twice", it.Code)
		}
		seen[it.Code] = true
		cl.Sections = append(cl.Sections, ChecklistSection{
			ItemCode: it.Code, ItemName: it.Name, DepartmentID: it.DepartmentID,
			TemplateVersion: t.Version, Questions: append([]Question(nil), t.Questions...),
		})
	}
	return cl, nil
}

// AnswerKey returns the key of a question in a merged checklist's answers.
func AnswerKey(itemCode, questionID string) string { return itemCode + "/" + questionID }
