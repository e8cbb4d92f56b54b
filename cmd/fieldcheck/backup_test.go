package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/backup"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// smallJPEG is a distinct little photo for each n.
func smallJPEG(t *testing.T, n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = byte(n*7 + i)
	}
	img.Set(0, 0, color.RGBA{byte(n), byte(n >> 8), 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadPhoto declares slot and uploads data in one PATCH.
func (s *server) uploadPhoto(token, taskID, slot string, data []byte) {
	t := s.t
	t.Helper()
	sum := sha256.Sum256(data)
	s.declareEvidence(token, taskID, slot, data, hex.EncodeToString(sum[:]))
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	resp, err := s.tus("POST", "/mobile/v1/uploads", token, map[string]string{
		"Upload-Length": strconv.Itoa(len(data)), "Upload-Metadata": "taskId " + b64(taskID) + ",slotId " + b64(slot)}, nil)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create upload %s: %v %v", slot, resp, err)
	}
	resp, err = s.tus("PATCH", resp.Header.Get("Location"), token, map[string]string{
		"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0", "Content-Length": strconv.Itoa(len(data))}, bytes.NewReader(data))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("upload %s: %v %v", slot, resp, err)
	}
}

// cursorOf pulls from an empty cursor to the end and returns the cursor.
func (s *server) cursorOf(token string) string {
	cursor := ""
	for {
		var pull fcsync.PullResponse
		if st := s.api("GET", fcsync.PullPath(cursor, 200), token, nil, &pull); st != 200 {
			s.t.Fatalf("pull: %d", st)
		}
		cursor = pull.Cursor
		if !pull.More {
			return cursor
		}
	}
}

// storeDump is every document of every collection of the embedded store
// in dir, by collection then _id, as stored; and the evidence files by
// path. Collections that an opening writes (the writer lease) are left
// out.
func storeDump(t *testing.T, dir string) (map[string][]bson.Raw, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	m, err := app.Open(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	names, err := m.DB.Database.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]bson.Raw{}
	for _, name := range names {
		if name == "leases" {
			continue
		}
		cur, err := m.DB.Database.Collection(name).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var list []bson.Raw
		if err := cur.All(ctx, &list); err != nil {
			t.Fatal(err)
		}
		docs[name] = list
	}
	blobs := map[string][]byte{}
	root := filepath.Join(dir, "evidence")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		blobs[rel] = b
		return nil
	})
	return docs, blobs
}

// TestBackupRestore: a backup taken while phones push and upload restores
// into a store whose audit log verifies and is a prefix of the live one,
// and whose every evidence blob is the file its name hashes; a backup of
// the stopped server restores to the same collections and blobs
// document for document and byte for byte; a phone whose cursor is ahead
// of a restored store is told 409 to download again.
func TestBackupRestore(t *testing.T) {
	root := t.TempDir()
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: filepath.Join(root, "data")}
	s.start("demo", "--targets", "200")
	task, token := s.teamPhone("backup-phone")
	s.uploadPhoto(token, task.ID, "before", smallJPEG(t, 0))

	// Load: a phone declaring and uploading photos, until the backup is
	// taken and one more photo has gone in after it.
	var backedUp atomic.Bool
	loaded := make(chan int)
	go func() {
		n := 1
		for after := 0; after < 2; n++ {
			if backedUp.Load() {
				after++
			}
			s.uploadPhoto(token, task.ID, fmt.Sprintf("load-%d", n), smallJPEG(t, n))
		}
		loaded <- n
	}()
	during := filepath.Join(root, "during")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--data", s.dir, "--to", during}, &out, &errb); err != nil {
		t.Fatalf("backup during load: %v\n%s", err, errb.String())
	}
	backedUp.Store(true)
	n := <-loaded
	t.Logf("%d uploads under load; %s", n, strings.TrimSpace(out.String()))
	cursor := s.cursorOf(token) // ahead of the backup taken during the load
	s.stopGracefully()

	// The refusals: a non-empty target, a damaged backup.
	t.Run("ErrRestoreIntoNonEmpty", func(t *testing.T) {
		err := run(context.Background(), []string{"restore", "--from", during, "--data", s.dir}, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("restore over the live data: %v, want refused", err)
		}
	})
	t.Run("ErrDamagedBackup", func(t *testing.T) {
		damaged := filepath.Join(root, "damaged")
		if err := exec.Command("cp", "-r", during, damaged).Run(); err != nil {
			t.Fatal(err)
		}
		m, err := backup.Verify(damaged)
		if err != nil {
			t.Fatal(err)
		}
		var blob string
		for _, f := range m.Files {
			if strings.HasPrefix(f.Path, "evidence/") && !strings.Contains(f.Path, "staging") {
				blob = filepath.Join(damaged, f.Path)
			}
		}
		b, _ := os.ReadFile(blob)
		b[len(b)/2] ^= 1
		if err := os.WriteFile(blob, b, 0o600); err != nil {
			t.Fatal(err)
		}
		err = run(context.Background(), []string{"restore", "--from", damaged, "--data", filepath.Join(root, "never")}, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "the manifest says") {
			t.Fatalf("restore of a damaged backup: %v, want refused naming the file", err)
		}
		if _, err := os.Stat(filepath.Join(root, "never")); err == nil {
			t.Fatal("a damaged backup was partly restored")
		}
	})

	// The quiescent backup restores to the same store exactly.
	quiet, restoredQuiet := filepath.Join(root, "quiet"), filepath.Join(root, "restored-quiet")
	for _, args := range [][]string{{"backup", "--data", s.dir, "--to", quiet}, {"restore", "--from", quiet, "--data", restoredQuiet}} {
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%s: %v", args[0], err)
		}
	}
	wantDocs, wantBlobs := storeDump(t, s.dir)
	gotDocs, gotBlobs := storeDump(t, restoredQuiet)
	if len(gotDocs) != len(wantDocs) {
		t.Fatalf("%d collections restored, want %d", len(gotDocs), len(wantDocs))
	}
	for name, want := range wantDocs {
		got := gotDocs[name]
		if len(got) != len(want) {
			t.Errorf("collection %s: %d documents restored, want %d", name, len(got), len(want))
			continue
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("collection %s: document %d differs:\n got %s\nwant %s", name, i, got[i], want[i])
				break
			}
		}
	}
	if len(gotBlobs) != len(wantBlobs) || len(wantBlobs) < n {
		t.Fatalf("%d evidence files restored, want %d (at least the %d uploaded)", len(gotBlobs), len(wantBlobs), n)
	}
	for path, want := range wantBlobs {
		if !bytes.Equal(gotBlobs[path], want) {
			t.Fatalf("evidence file %s differs", path)
		}
	}

	// The backup taken under load: its audit log verifies and is the
	// start of the live one; its blobs are what their names say.
	restored := filepath.Join(root, "restored-during")
	if err := run(context.Background(), []string{"restore", "--from", during, "--data", restored}, &out, &errb); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if out, err := exec.Command(s.bin, "audit", "verify", "--data", restored).CombinedOutput(); err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("audit verify on the restored copy: %v\n%s", err, out)
	}
	liveDocs, duringDocs := wantDocs, func() map[string][]bson.Raw { d, _ := storeDump(t, restored); return d }()
	live, old := liveDocs["audit"], duringDocs["audit"]
	if len(old) == 0 || len(old) >= len(live) {
		t.Fatalf("audit entries: %d restored, %d live; want fewer restored (the load went on)", len(old), len(live))
	}
	for i := range old {
		if !bytes.Equal(old[i], live[i]) {
			t.Fatalf("restored audit entry %d is not the live one", i)
		}
	}
	_, duringBlobs := storeDump(t, restored)
	for path, b := range duringBlobs {
		if strings.HasPrefix(path, "staging") {
			continue
		}
		sum := sha256.Sum256(b)
		if filepath.Base(path) != hex.EncodeToString(sum[:]) {
			t.Fatalf("restored evidence %s hashes to %x", path, sum)
		}
	}

	// A phone that pulled past the restored point is told to start over.
	s.dir = restored
	s.start("serve")
	var body struct{ Code string }
	if st := s.api("GET", fcsync.PullPath(cursor, 200), token, nil, &body); st != 409 || body.Code != backend.ECONFLICT {
		t.Fatalf("pull with a cursor ahead of the restored store: %d %q, want 409 conflict", st, body.Code)
	}
}
