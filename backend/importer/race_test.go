package importer_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// TestImportTargetsScanMode covers files too large to look targets up one
// by one: the import learns the directory from one scan.
func TestImportTargetsScanMode(t *testing.T) {
	e := newEnv(t)
	const n = 450
	var buf bytes.Buffer
	if err := genTargetsCSV(&buf, n, ""); err != nil {
		t.Fatal(err)
	}
	file := buf.String()
	checkCounts(t, e.MustImportString(t, importer.Targets, file), n, 0, 0, 0)
	before := e.versions(t)
	checkCounts(t, e.MustImportFile(t, importer.Targets, writeFile(t, "again.csv", []byte(file))), 0, 0, n, 0)
	sameJSON(t, "versions", e.versions(t), before)

	lines := strings.Split(file, "\n")
	lines[7] = strings.Replace(lines[7], "测试", "改名", 1)
	lines[8] = strings.Replace(lines[8], "测试", "", 1) + ",多余" // now ragged
	lines = append(lines[:len(lines)-1], lines[3], "")        // a duplicate of row 4 at the end
	s := e.MustImportFile(t, importer.Targets, writeFile(t, "changed.csv", []byte(strings.Join(lines, "\n"))))
	checkCounts(t, s, 0, 1, n-2, 2)
	checkErrors(t, s.Errors, []string{"9/", "452/统一社会信用代码"})
	after := e.versions(t)
	changed := genUSCC('1', 6) // data row 7 (line index 7) is the 7th generated target, i = 6
	for id, v := range before {
		want := v
		if id == changed {
			want++
		}
		if after[id] != want {
			t.Errorf("%s: version %d, want %d", id, after[id], want)
		}
	}
}

// racingTargets lets a test act just before the importer's bulk insert.
type racingTargets struct {
	*mongo.TargetStore
	before func(ctx context.Context)
}

func (r *racingTargets) CreateTargets(ctx context.Context, ts []*backend.Target) error {
	if f := r.before; f != nil {
		r.before = nil
		f(ctx)
	}
	return r.TargetStore.CreateTargets(ctx, ts)
}

func TestImportTargetsRace(t *testing.T) {
	cases := []struct {
		name     string
		rename   string // the racer's name for target zhTargets[2]; "" = the file's
		imported int
		errors   []string
	}{
		{"CreatedAlikeMeanwhile", "", 6, []string{}},
		{"CreatedOtherwiseMeanwhile", "别人先建的", 5, []string{"4/"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			racer := &racingTargets{TargetStore: e.targets}
			racer.before = func(ctx context.Context) {
				other := *zhTargets[2]
				if c.rename != "" {
					other.Name = c.rename
				}
				if err := e.targets.CreateTarget(ctx, &other); err != nil {
					t.Fatal(err)
				}
			}
			e.im.Targets = racer
			s := e.MustImportFile(t, importer.Targets, fixture("enterprises_zh.csv"))
			checkCounts(t, s, c.imported, 0, 0, 6-c.imported)
			checkErrors(t, s.Errors, c.errors)
			stored := e.storedTargets(t)
			if len(stored) != 6 {
				t.Errorf("%d targets stored, want 6", len(stored))
			}
			want := *zhTargets[2]
			if c.rename != "" {
				want.Name = c.rename
			}
			sameJSON(t, "raced target", stored[want.ID], &want)
		})
	}
}

// onlyReader hides Seek, as a pipe or an upload stream would.
type onlyReader struct{ io.Reader }

func TestImportStreamStopsPartWay(t *testing.T) {
	e := newEnv(t)
	e.im.BatchSize = 2
	csv := zhHeader +
		"91350102MA2Y0A1B3X,a,企业,350102,,,,,,B,否,存续,否,\n" +
		"91350103MA31C4D5E9,b,企业,350103,,,,,,A,否,存续,否,\n" +
		"92350104MA2Y7F8G9H,c,个体工商户,350104,,,,,,C,否,存续,否,\n" +
		`91350102MA2Y0A1C7B,"never closed` + "\n" + strings.Repeat("x\n", 600000)
	s, err := e.im.ImportTargets(e.ctx, onlyReader{strings.NewReader(csv)}, importer.FormatCSV)
	wantCode(t, err, backend.EINVALID)
	if s == nil {
		t.Fatalf("no summary, want the two rows written before the error")
	}
	checkCounts(t, s, 2, 0, 0, 0)
	if n := len(e.storedTargets(t)); n != 2 {
		t.Errorf("%d targets stored, want 2", n)
	}
	var batches []*backend.AuditEntry
	_ = e.auditStore.ScanAudit(e.ctx, func(a *backend.AuditEntry) error {
		batches = append(batches, a)
		return nil
	})
	if len(batches) != 1 || batches[0].ObjectID != "stream" || batches[0].Detail != "batch 1: 2 new, 0 updated" {
		t.Errorf("audit entries %+v, want one batch of the stream", batches)
	}
}

// TestImportPipe covers standard input: an *os.File that cannot seek.
func TestImportPipe(t *testing.T) {
	e := newEnv(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(fixture("enterprises_zh.csv"))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = w.Write(data)
		_ = w.Close()
	}()
	defer r.Close()
	s, err := e.im.ImportTargets(e.ctx, r, importer.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, 6, 0, 0, 0)
}
