package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/planning"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// layout1Tasks is how many tasks writeLayout1 stores, and which of them.
const (
	layout1Tasks     = 30
	layout1Submitted = 10 // tasks 0-9 are submitted, 0 and 1 with issues recorded
	layout1Ops       = 25 // operation records of each submitted task
)

// writeLayout1 makes the store of m one that the code before issue 13
// left: the demo county seeded, then tasks written with the driver as
// that code stored them (layout 1) — each with its merged checklist, every
// operation record and the feed mark in the document, no key beside it —
// and no layout recorded. Task 29 names a template version the store does
// not have (its copy in the task is all there is).
func writeLayout1(t *testing.T, m *app.Main) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	county := demo.GenerateAt(demo.DefaultSeed, 300, now)
	if _, err := demo.Seed(backend.WithActor(ctx, backend.SystemActor("test")), m.DemoStores(), county); err != nil {
		t.Fatal(err)
	}
	tpl, err := m.Stores.Items.FindTemplate(ctx, "SCJG-03", 1)
	if err != nil {
		t.Fatal(err)
	}
	section := func(version int) bson.D {
		return bson.D{{Key: "itemCode", Value: "SCJG-03"}, {Key: "itemName", Value: "食品经营许可及经营行为检查"}, {Key: "departmentId", Value: "scjg"},
			{Key: "templateVersion", Value: version}, {Key: "questions", Value: tpl.Questions}}
	}
	team, users := bson.A{"ins-scjg-001", "ins-scjg-002"}, bson.A{"scjg.inspector1", "scjg.inspector2"}
	var ids []string
	docs := make([]any, 0, layout1Tasks)
	for i := range layout1Tasks {
		id := fmt.Sprintf("2026-scjg-0011223344-v1-d1-%05d", i+1)
		ids = append(ids, id)
		target := county.Targets[i]
		version := 9
		if i < layout1Tasks-1 {
			version = 1
		}
		d := bson.M{"_id": id, "planId": "2026-scjg-0011223344", "planVersion": 1, "drawId": "2026-scjg-0011223344-v1-d1", "random": true,
			"targetId": target.ID, "targetName": target.Name, "stratum": "B", "prn": "0123456789abcdef", "order": i + 1,
			"items": bson.A{"SCJG-03"}, "method": "on-site", "leadDepartment": "scjg", "departments": bson.A{"scjg"},
			"team": team, "teamUsers": users, "batch": "第一批", "start": "2026-12-01", "end": "2026-12-31", "due": "2026-12-31",
			"checklist": bson.D{{Key: "sections", Value: bson.A{section(version)}}}, "status": "assigned",
			"answers": bson.M{}, "evidence": bson.A{}, "checkIns": bson.A{}, "reviews": bson.A{}, "ops": bson.A{},
			"version": int64(1), "createdAt": now, "updatedAt": now, "feedUsers": users, "feedPending": i%7 == 3}
		if i < layout1Submitted {
			var ops bson.A
			for v := range layout1Ops {
				ops = append(ops, bson.D{{Key: "key", Value: fmt.Sprintf("scjg.inspector1/old-phone/op-%d", v)}, {Key: "hash", Value: "h"}, {Key: "version", Value: int64(v + 2)}})
			}
			answers := bson.M{}
			var evidence bson.A
			for j, q := range tpl.Questions {
				key := backend.AnswerKey("SCJG-03", q.ID)
				answers[key] = bson.D{{Key: "value", Value: "是"}, {Key: "editedAt", Value: now}, {Key: "editedBy", Value: "scjg.inspector1"}, {Key: "deviceId", Value: "old-phone"}}
				if q.PhotoRequired {
					evidence = append(evidence, bson.D{{Key: "id", Value: fmt.Sprint("p", j)}, {Key: "type", Value: "photo"}, {Key: "sha256", Value: strings.Repeat("a", 64)},
						{Key: "size", Value: int64(1000)}, {Key: "contentType", Value: "image/jpeg"}, {Key: "question", Value: key}, {Key: "capturedAt", Value: now},
						{Key: "declaredBy", Value: "scjg.inspector1"}, {Key: "deviceId", Value: "old-phone"}, {Key: "declaredAt", Value: now}, {Key: "uploaded", Value: false}})
				}
			}
			entered := now.Add(time.Duration(-i) * time.Minute)
			d["status"], d["version"], d["ops"], d["answers"], d["evidence"] = "submitted", int64(layout1Ops+1), ops, answers, evidence
			d["result"] = bson.D{{Key: "code", Value: "no-problem"}, {Key: "label", Value: "未发现问题"}, {Key: "labelsVersion", Value: 1},
				{Key: "enteredBy", Value: "scjg.inspector1"}, {Key: "enteredAt", Value: entered}, {Key: "deviceTime", Value: entered}}
			if i < 2 {
				d["reviews"] = bson.A{bson.D{{Key: "status", Value: "has_issues"}, {Key: "comment", Value: "照片不清楚"}, {Key: "reviewer", Value: "scjg.reviewer"}, {Key: "at", Value: now}}}
			}
		}
		docs = append(docs, d)
	}
	if _, err := m.DB.Database.Collection("tasks").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := m.DB.Database.Collection("meta").DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestMigrateLayout1: a store left by the code before issue 13 is refused
// by the commands until it is migrated; migrate upgrades every task (its
// checklist to references, its old operation records beside it, its
// review fields, a key beside it, a missing template restored from the
// task's copy), says so once in the audit log, and afterwards the tasks
// read, the review queue lists them, a phone syncs them, a replay of an
// operation from before is still recognised, and the audit log verifies.
// A second migrate has nothing to do.
func TestMigrateLayout1(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	ids := writeLayout1(t, c.open())

	if _, stderr, code := c.run("", "audit", "verify"); code != 1 || !strings.Contains(stderr, "fieldcheck migrate") {
		t.Fatalf("audit verify on a layout 1 store: exit %d, %q; want it refused, naming migrate", code, stderr)
	}
	out, stderr, code := c.run("", "migrate")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("from layout 1 to 2: %d tasks upgraded (0 were already), %d operation records moved beside their tasks, 1 templates restored",
		layout1Tasks, layout1Submitted*(layout1Ops-backend.MaxRecentOps))) {
		t.Fatalf("migrate: exit %d, %q %q", code, out, stderr)
	}
	if out, _, code := c.run("", "migrate"); code != 0 || !strings.Contains(out, "nothing to migrate") {
		t.Fatalf("migrate again: exit %d, %q", code, out)
	}

	m := c.open()
	for i, id := range ids {
		tk, err := m.Stores.Tasks.FindTaskByID(ctx, id)
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
		wantVersion := 1
		if i == layout1Tasks-1 {
			wantVersion = 9
		}
		if !slices.Equal(tk.Checklist, []backend.ChecklistRef{{Item: "SCJG-03", Version: wantVersion}}) || tk.Form == nil || len(tk.Form.Sections[0].Questions) == 0 || tk.Schema != backend.TaskSchema {
			t.Fatalf("task %d: checklist %v, form %v, schema %d", i, tk.Checklist, tk.Form, tk.Schema)
		}
		if i < layout1Submitted && (len(tk.Ops) != backend.MaxRecentOps || tk.OpCount != layout1Ops || tk.SubmittedAt == nil || tk.Review == "") {
			t.Fatalf("submitted task %d: %d records (count %d), submitted %v, review %q", i, len(tk.Ops), tk.OpCount, tk.SubmittedAt, tk.Review)
		}
	}
	for _, coll := range []string{"tasks", "task_keys"} {
		if n, err := m.DB.Database.Collection(coll).CountDocuments(ctx, bson.D{}); err != nil || n != layout1Tasks {
			t.Fatalf("%s: %d documents, %v; want %d", coll, n, err, layout1Tasks)
		}
	}

	// Tasks whose feed entries the old code had not confirmed (feedPending)
	// have their keys marked: the sweeper notifies their feeds.
	marked, _ := m.DB.Database.Collection("task_keys").CountDocuments(ctx, bson.D{{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}})
	if swept, err := m.Stores.Tasks.SweepFeed(ctx, 0); err != nil || marked != 4 || swept != 4 {
		t.Fatalf("%d keys marked, %d swept (%v); want the 4 tasks the old code had marked", marked, swept, err)
	}

	reviewer := backend.WithActor(ctx, &backend.Actor{UserID: "scjg.reviewer", Role: backend.RoleReviewer, Departments: []string{"scjg"}, Fresh: true})
	q, err := m.Planning.ReviewQueue(reviewer, planning.ReviewQuery{}, backend.PageRequest{Limit: 50})
	if err != nil || len(q.Items) != layout1Submitted || q.Items[0].TaskID != ids[layout1Submitted-1] {
		t.Fatalf("review queue: %v, %v; want the %d submitted tasks, the last submitted first", q, err, layout1Submitted)
	}
	issues, _ := m.Planning.ReviewQueue(reviewer, planning.ReviewQuery{State: backend.ReviewHasIssues}, backend.PageRequest{})
	if len(issues.Items) != 2 {
		t.Fatalf("%d with issues, want 2", len(issues.Items))
	}

	// A phone downloads the migrated tasks with their template, answers
	// one, and replays an operation an old phone made before the migration.
	ph := phoneOf(t, m, "scjg.inspector1", "old-phone")
	var pull fcsync.PullResponse
	if st := ph.call("GET", fcsync.PullPath("", 200), nil, &pull); st != 200 || len(pull.Tasks) != layout1Tasks || len(pull.Templates) != 2 {
		t.Fatalf("pull: %d, %d tasks, %d templates; want %d and 2", st, len(pull.Tasks), len(pull.Templates), layout1Tasks)
	}
	open := ids[layout1Submitted]
	answer := fcsync.AnswersPayload{Answers: []backend.AnswerInput{{Question: "SCJG-03/licence", Value: "是", EditedAt: time.Now()}}}
	mut, _ := fcsync.NewMutation(fcsync.EntityAnswers, open, 1, answer)
	mut.OpID = "after-migration-1"
	old, _ := fcsync.NewMutation(fcsync.EntityAnswers, ids[0], 1, answer)
	old.OpID = "op-0" // recorded before the migration, now beside the task; its body differs
	var push fcsync.PushResponse
	if st := ph.call("POST", fcsync.PushPath(), fcsync.PushRequest{Mutations: []fcsync.Mutation{mut, old}}, &push); st != 200 {
		t.Fatalf("push: %d", st)
	}
	if push.Results[0].Status != fcsync.Applied || push.Results[1].Status != fcsync.Conflict || !strings.Contains(push.Results[1].Message, "different body") {
		t.Fatalf("push after the migration: %+v", push.Results)
	}

	out, _, code = c.run("", "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify after the migration: exit %d, %q", code, out)
	}
	var migrated int
	err = m.Audit.Store.ScanAudit(ctx, func(e *backend.AuditEntry) error {
		if e.Action == "store.migrate" {
			migrated++
		}
		return nil
	})
	if err != nil || migrated != 1 {
		t.Fatalf("%d store.migrate entries, %v; want 1", migrated, err)
	}
}

// TestMigrateResumes: a migration stopped half-way leaves the store of
// the old layout, refused by the commands; the next one upgrades only
// what is left.
func TestMigrateResumes(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	m := c.open()
	writeLayout1(t, m)
	stop := errors.New("stopped")
	if _, err := m.DB.Migrate(ctx, func(n int) error {
		if n == 12 {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) {
		t.Fatalf("Migrate: %v, want it stopped", err)
	}
	if _, stderr, code := c.run("", "keys", "list"); code != 1 || !strings.Contains(stderr, "layout 1") {
		t.Fatalf("a command on a half-migrated store: exit %d, %q", code, stderr)
	}
	out, stderr, code := c.run("", "migrate")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d tasks upgraded (12 were already)", layout1Tasks-12)) {
		t.Fatalf("migrate after a stop: exit %d, %q %q", code, out, stderr)
	}
}

// mobilePhone is a logged-in phone speaking to m's HTTP handler.
type mobilePhone struct {
	t     *testing.T
	m     *app.Main
	token string
}

func phoneOf(t *testing.T, m *app.Main, user, device string) *mobilePhone {
	p := &mobilePhone{t: t, m: m}
	var tok struct{ AccessToken string }
	if st := p.call("POST", "/mobile/v1/auth/login", map[string]any{"username": user, "password": demo.DemoPassword(user),
		"device": map[string]string{"id": device, "platform": "android"}}, &tok); st != 200 {
		t.Fatalf("login %s: %d", user, st)
	}
	p.token = tok.AccessToken
	return p
}

func (p *mobilePhone) call(method, path string, body, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.m.HTTP.App().Test(req, -1)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}
