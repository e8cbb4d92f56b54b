package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/blobfs"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// TestMeasureEvidence produces the evidence figures of docs/benchmarks.md
// against the real binary. It runs only when asked (it writes ~1.2 GB):
//
//	FIELDCHECK_MEASURE=1 go test ./cmd/fieldcheck -run TestMeasureEvidence -v -timeout 30m
func TestMeasureEvidence(t *testing.T) {
	if os.Getenv("FIELDCHECK_MEASURE") == "" {
		t.Skip("set FIELDCHECK_MEASURE=1 to measure (writes ~1.2 GB)")
	}
	for _, store := range []string{"embedded", "mongo-uri"} {
		t.Run(store, func(t *testing.T) { measure(t, store) })
	}
}

// mp4 is size bytes that sniff as an MP4 video: an ftyp box, then noise.
func mp4(size int) []byte {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	copy(b, "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
	return b
}

func vmKB(t *testing.T, pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func measure(t *testing.T, store string) {
	ctx := context.Background()
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: t.TempDir()}
	args := []string{"demo", "--targets", "200"}
	name := mongotest.DatabaseName()
	db, err := mongo.Open(ctx, mongotest.URI(t), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Database.Drop(context.Background()); db.Close() })
	if store == "mongo-uri" {
		args = append(args, "--mongo-uri", mongotest.URI(t), "--db", name)
	}
	s.start(args...)
	var mgr struct{ AccessToken string }
	s.api("POST", "/api/v1/auth/login", "", map[string]string{"username": "scjg.manager", "password": "demo-scjg.manager"}, &mgr)
	var list struct{ Items []backend.Task }
	s.api("GET", "/api/v1/tasks?limit=50", mgr.AccessToken, nil, &list)
	task := list.Items[0]
	user := task.TeamUsers[0]
	c := &fcsync.Client{BaseURL: "http://" + s.addr, Username: user, Password: "demo-" + user,
		Device: backend.DeviceInfo{ID: "measure-phone", Name: "measure", Platform: backend.PlatformAndroid}, Queue: mustQueue(t)}
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	upload := func(typ backend.EvidenceType, data []byte) (string, time.Duration) {
		t.Helper()
		n++
		slot := fmt.Sprintf("m%d", n)
		sum := sha256.Sum256(data)
		v := c.Task(task.ID)
		m, err := fcsync.NewMutation(fcsync.EntityEvidence, task.ID, v.Task.Version, fcsync.EvidencePayload{Files: []backend.EvidenceInput{{
			ID: slot, Type: typ, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), ContentType: "video/mp4", CapturedAt: time.Now()}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Enqueue(m); err != nil {
			t.Fatal(err)
		}
		if res, err := c.Push(ctx); err != nil || res[0].Status != fcsync.Applied {
			t.Fatalf("declare: %v %+v", err, res)
		}
		var url string
		start := time.Now()
		if err := c.UploadFile(ctx, task.ID, slot, bytes.NewReader(data), int64(len(data)), &url, 1<<30); err != nil {
			t.Fatal(err)
		}
		return slot, time.Since(start)
	}
	pid := s.cmd.Process.Pid

	// 1. 50 MB over loopback vs the same bytes written straight into the store.
	fifty := mp4(50_000_000)
	var ups []time.Duration
	for range 3 {
		_, d := upload(backend.EvidenceVideo, fifty[:len(fifty)-n]) // other bytes each time
		ups = append(ups, d)
	}
	direct := map[string][]time.Duration{}
	for i := range 3 {
		data := fifty[:len(fifty)-100-i]
		start := time.Now()
		bs := &blobfs.Store{Dir: t.TempDir()}
		if _, _, err := bs.Put(ctx, bytes.NewReader(data), ""); err != nil {
			t.Fatal(err)
		}
		direct["directory"] = append(direct["directory"], time.Since(start))
		start = time.Now()
		b, _ := gridfs.NewBucket(db.Database, options.GridFSBucket().SetName("direct"))
		if _, err := b.UploadFromStream("direct", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		direct["driver GridFS"] = append(direct["driver GridFS"], time.Since(start))
	}
	slices.Sort(ups)
	t.Logf("[%s] 50 MB upload over loopback with the Go tus client: %v (median %v)", store, ups, ups[1])
	for k, ds := range direct {
		slices.Sort(ds)
		t.Logf("[%s]   the same bytes straight into the store (%s): %v (median %v); ratio %.2f", store, k, ds, ds[1], float64(ds[1])/float64(ups[1]))
	}

	// 2. A 5 MB photo's download, with nothing else much stored and then with 1 GB more.
	photo := bigJPEG(t, 1800, 1400) // ~5 MB
	pslot, _ := upload(backend.EvidencePhoto, photo)
	dl := func() time.Duration {
		var ds []time.Duration
		for range 15 {
			req, _ := http.NewRequest("GET", "http://"+s.addr+"/mobile/v1/tasks/"+task.ID+"/evidence/"+pslot, nil)
			tok, _ := c.AccessToken(ctx)
			req.Header.Set("Authorization", "Bearer "+tok)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || got != int64(len(photo)) {
				t.Fatalf("download: %d %d", resp.StatusCode, got)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	before := dl()

	// 3. Peak memory of the server during a 500 MB upload.
	big := mp4(500_000_000)
	rss := vmKB(t, pid, "VmRSS")
	_, d := upload(backend.EvidenceVideo, big)
	hwm := vmKB(t, pid, "VmHWM")
	t.Logf("[%s] 500 MB upload: %v (%.0f MB/s); server RSS before %d MB, peak during %d MB: +%d MB",
		store, d.Round(time.Millisecond), 500/d.Seconds(), rss/1024, hwm/1024, (hwm-rss)/1024)
	if store != "embedded" {
		return // GridFS on FerretDB reads grow with what is stored (docs/evidence.md): not a production setup
	}
	big[100] ^= 1
	_, _ = upload(backend.EvidenceVideo, big) // 1 GB of other evidence now
	after := dl()
	t.Logf("[%s] %d-byte photo download, median of 15: %v with ~150 MB stored, %v with ~1.15 GB stored", store, len(photo), before, after)
	out, _ := json.Marshal(map[string]any{"store": store, "pid": pid})
	t.Log(string(out))
}

func mustQueue(t *testing.T) *fcsync.Queue {
	q, err := fcsync.OpenQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}
