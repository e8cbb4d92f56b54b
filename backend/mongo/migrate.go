package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

// The store's layout has a version, backend.TaskSchema, kept in the meta
// collection once every document is of it. Layout 1 (before issue 13)
// stored each task with its merged checklist, every operation record and
// the feed mark in the task, and no key beside it; Migrate upgrades such a
// store in place, task by task. Each task is done in three writes — its
// old operation records beside it, its key, then the task itself with its
// new schema — so that a migration that stops half-way (a crash, a
// signal) resumes where it stopped: a task whose document has the new
// schema is done, any other is done again from the start, and redoing a
// task's first two writes is harmless.

const (
	colMeta  = "meta"
	layoutID = "layout"
)

type layoutDoc struct {
	ID     string    `bson:"_id"`
	Schema int       `bson:"schema"`
	At     time.Time `bson:"at"`
}

// Layout returns the layout version of the store: the one recorded, else
// the current one for a store without tasks (new: it is recorded), else 1.
func (db *DB) Layout(ctx context.Context) (int, error) {
	const op = "mongo.Layout"
	var l layoutDoc
	err := db.c(colMeta).FindOne(ctx, bson.D{{Key: "_id", Value: layoutID}}).Decode(&l)
	if err == nil {
		return l.Schema, nil
	}
	if err != mongo.ErrNoDocuments {
		return 0, translate(op, err)
	}
	err = db.c(colTasks).FindOne(ctx, bson.D{}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if err == mongo.ErrNoDocuments {
		return backend.TaskSchema, db.setLayout(ctx, backend.TaskSchema)
	}
	if err != nil {
		return 0, translate(op, err)
	}
	return 1, nil
}

func (db *DB) setLayout(ctx context.Context, v int) error {
	_, err := db.c(colMeta).ReplaceOne(ctx, bson.D{{Key: "_id", Value: layoutID}}, layoutDoc{ID: layoutID, Schema: v, At: db.now()}, options.Replace().SetUpsert(true))
	return translate("mongo.setLayout", err)
}

// Migration says what Migrate did.
type Migration struct {
	From, To  int // layout versions
	Tasks     int // tasks upgraded
	Done      int // tasks found upgraded already (a migration that stopped, resumed)
	Ops       int // operation records moved beside their tasks
	Templates int // templates restored from a task's copy of their questions
}

func (m *Migration) String() string {
	if m.From == m.To {
		return fmt.Sprintf("the store is of layout %d: nothing to migrate", m.To)
	}
	return fmt.Sprintf("migrated the store from layout %d to %d: %d tasks upgraded (%d were already), %d operation records moved beside their tasks, %d templates restored",
		m.From, m.To, m.Tasks, m.Done, m.Ops, m.Templates)
}

// Migrate upgrades the store to the current layout. progress, when set,
// is called after each task upgraded with the number so far; an error it
// returns stops the migration there (what is done stays done). Run it
// before the stores are used: it writes documents directly.
func (db *DB) Migrate(ctx context.Context, progress func(n int) error) (*Migration, error) {
	from, err := db.Layout(ctx)
	if err != nil {
		return nil, err
	}
	m := &Migration{From: from, To: backend.TaskSchema}
	if from >= backend.TaskSchema {
		return m, nil
	}
	type idSchema struct {
		ID     string `bson:"_id"`
		Schema int    `bson:"schema"`
	}
	cur, err := db.c(colTasks).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "schema", Value: 1}}).SetBatchSize(2000))
	if err != nil {
		return nil, translate("mongo.Migrate", err)
	}
	var ids []idSchema
	if err := cur.All(ctx, &ids); err != nil {
		return nil, translate("mongo.Migrate", err)
	}
	for _, x := range ids {
		if x.Schema >= backend.TaskSchema {
			m.Done++
			continue
		}
		if err := db.migrateTask(ctx, x.ID, m); err != nil {
			return m, fmt.Errorf("task %s: %w", x.ID, err)
		}
		m.Tasks++
		if progress != nil {
			if err := progress(m.Tasks); err != nil {
				return m, err
			}
		}
	}
	if db.engine.secondaryIndexes() {
		// The feed mark's index of layout 1.
		_, _ = db.c(colTasks).Indexes().DropOne(ctx, "feedPending_1")
	}
	return m, db.setLayout(ctx, backend.TaskSchema)
}

// legacySection is a section of a layout 1 task's merged checklist.
type legacySection struct {
	ItemCode        string             `bson:"itemCode"`
	TemplateVersion int                `bson:"templateVersion"`
	Questions       []backend.Question `bson:"questions"`
}

// migrateTask upgrades one task of layout 1.
func (db *DB) migrateTask(ctx context.Context, id string, m *Migration) error {
	var doc bson.M
	if err := db.c(colTasks).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return translate("mongo.Migrate", err)
	}
	// The merged checklist becomes references to its templates, each
	// restored from the task's copy if it went missing.
	var sections []legacySection
	if cl, ok := doc["checklist"].(bson.M); ok {
		raw, err := bson.Marshal(cl)
		if err != nil {
			return err
		}
		var old struct {
			Sections []legacySection `bson:"sections"`
		}
		if err := bson.Unmarshal(raw, &old); err != nil {
			return err
		}
		sections = old.Sections
	}
	refs := bson.A{}
	for _, s := range sections {
		refs = append(refs, bson.D{{Key: "item", Value: s.ItemCode}, {Key: "version", Value: s.TemplateVersion}})
		restored, err := db.restoreTemplate(ctx, s)
		if err != nil {
			return err
		}
		if restored {
			m.Templates++
		}
	}
	doc["checklist"] = refs
	pending, _ := doc["feedPending"].(bool)
	delete(doc, "feedPending")
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	var t backend.Task
	if err := bson.Unmarshal(raw, &t); err != nil {
		return err
	}
	t.OpCount = len(t.Ops)
	t.TrimOps()
	t.SetDerived()
	t.Schema = backend.TaskSchema
	s := &TaskStore{DB: db}
	if err := s.keepOps(ctx, t.Spilled); err != nil {
		return err
	}
	m.Ops += len(t.Spilled)
	t.Spilled = nil
	nonce := ""
	if pending {
		// Its feed entries may not all be written: the sweeper's.
		nonce = "migrated-" + newNonce()
	}
	k := keyOf(&t, nonce, t.UpdatedAt)
	if err := s.putKey(ctx, k); err != nil {
		return err
	}
	_, err = db.c(colTasks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, &t)
	return translate("mongo.Migrate", err)
}

// restoreTemplate stores the template a task's section was merged from if
// the store does not have it, from the section's questions (templates
// never change, so the copy is the template).
func (db *DB) restoreTemplate(ctx context.Context, s legacySection) (bool, error) {
	items := &ItemStore{DB: db}
	_, err := items.FindTemplate(ctx, s.ItemCode, s.TemplateVersion)
	if !backend.IsCode(err, backend.ENOTFOUND) {
		return false, err
	}
	t := &backend.ChecklistTemplate{ID: backend.TemplateID(s.ItemCode, s.TemplateVersion), ItemCode: s.ItemCode, Version: s.TemplateVersion,
		Questions: s.Questions, CreatedBy: "system:migrate", CreatedAt: db.now()}
	if err := items.CreateTemplate(ctx, t); err != nil && !backend.IsCode(err, backend.ECONFLICT) {
		return false, err
	}
	return true, nil
}
