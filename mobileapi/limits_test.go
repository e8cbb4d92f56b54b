package mobileapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/demo"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
	"github.com/fieldcheck/fieldcheck/mobileapi"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// openWithLimits is apptest.Open with evidence limits configured as
// --evidence-limits takes them ("" for the defaults).
func openWithLimits(t *testing.T, limits string) *app.Main {
	t.Helper()
	lim, err := backend.ParseEvidenceLimits(limits)
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.Open(context.Background(), app.Config{MongoURI: mongotest.URI(t), Database: mongotest.DatabaseName(), Evidence: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.DB.Database.Drop(context.Background())
		m.Close()
	})
	mongotest.Adopt(t, m.DB)
	return m
}

// TestLimitsServedAreEnforced: GET /mobile/v1/limits answers the limits the
// server enforces — the defaults, or those configured — and a declaration
// at a served cap is applied while one byte more is refused.
func TestLimitsServedAreEnforced(t *testing.T) {
	tests := []struct {
		name, config string
		want         map[backend.EvidenceType]int64
	}{
		{"OK/Defaults", "", backend.DefaultEvidenceLimits().MaxSize},
		{"OK/Configured", "photo=1MiB,document=2MiB", func() map[backend.EvidenceType]int64 {
			d := backend.DefaultEvidenceLimits().MaxSize
			d[backend.EvidencePhoto], d[backend.EvidenceDocument] = 1<<20, 2<<20
			return d
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := openWithLimits(t, tt.config)
			now := time.Now()
			apptest.SeedDemo(t, m, 30, now)
			res, err := demo.DrawFirstPlan(context.Background(), m.Planning, now)
			if err != nil {
				t.Fatal(err)
			}
			task := res.Tasks[0]
			user := task.TeamUsers[0]
			tok := apptest.MustPhoneLogin(t, m, user, demo.DemoPassword(user), apptest.TestPhone("limits-phone"))

			if r := apptest.Send(t, m, apptest.NewRequest("GET", mobileapi.LimitsPath, "", "", nil)); r.Status != 401 {
				t.Fatalf("limits without a token: %d, want 401", r.Status)
			}
			r := apptest.Send(t, m, apptest.NewRequest("GET", mobileapi.LimitsPath, tok.AccessToken, "", nil))
			if r.Status != 200 {
				t.Fatalf("limits: %d %s", r.Status, r.Body)
			}
			var got fcsync.Limits
			r.JSON(t, &got)
			if !reflect.DeepEqual(got.Evidence.MaxSize, tt.want) {
				t.Fatalf("served caps %v, want %v", got.Evidence.MaxSize, tt.want)
			}
			if want := fcsync.LimitsOf(m.Sync.Evidence, m.Evidence.UploadChunk()); !reflect.DeepEqual(got, want) {
				t.Fatalf("served %+v, want the sync service's %+v", got, want)
			}
			// The advised PATCH is whole pieces of the store's staging (GridFS
			// here: 16 chunks of 255 KiB), at most 4 MiB.
			if piece := int64(m.Evidence.Store.StageChunk()); got.Uploads.ChunkBytes%piece != 0 || got.Uploads.ChunkBytes > 4<<20 || got.Uploads.ChunkBytes < 4<<20-piece {
				t.Fatalf("served PATCH size %d, want the largest multiple of %d up to 4 MiB", got.Uploads.ChunkBytes, piece)
			}
			if want := (fcsync.PushLimits{MaxMutations: fcsync.MaxPushBatch, MaxBytes: fcsync.MaxPushBytes, MaxPayloadBytes: fcsync.MaxPayloadBytes}); got.Push != want {
				t.Fatalf("served push limits %+v, want %+v", got.Push, want)
			}

			// The served cap is the one a declaration meets.
			photo := got.Evidence.MaxSize[backend.EvidencePhoto]
			for i, c := range []struct {
				size   int64
				status string
			}{{photo + 1, fcsync.Rejected}, {photo, fcsync.Applied}} {
				cur, err := m.Stores.Tasks.FindTaskByID(context.Background(), task.ID)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := json.Marshal(map[string]any{"mutations": []any{map[string]any{
					"opId": fmt.Sprintf("lim-%d", i), "entity": "evidence", "taskId": task.ID, "baseVersion": cur.Version,
					"payload": map[string]any{"files": []any{map[string]any{"id": fmt.Sprintf("p%d", i), "type": "photo", "sha256": strings.Repeat("ab", 32),
						"size": c.size, "contentType": "image/jpeg", "capturedAt": now.UTC().Format(time.RFC3339)}}},
				}}})
				r := apptest.Send(t, m, apptest.NewRequest("POST", mobileapi.SyncPath+"?v=2", tok.AccessToken, "application/json", bytes.NewReader(body)))
				var out struct {
					Results []struct{ Status, Code string } `json:"results"`
				}
				r.JSON(t, &out)
				if r.Status != 200 || len(out.Results) != 1 || out.Results[0].Status != c.status {
					t.Fatalf("a photo of %d bytes (cap %d): %d %s, want %s", c.size, photo, r.Status, r.Body, c.status)
				}
			}
		})
	}
}
