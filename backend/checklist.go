package backend

import (
	"fmt"
	"regexp"
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
	PhotoRequired bool         `json:"photoRequired" bson:"photoRequired"`
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
