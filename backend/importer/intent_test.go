package importer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
	"github.com/fieldcheck/fieldcheck/backend/mongo"
)

// killedAtFlush is an audit store in which the import dies when it would
// record a batch: the targets are written, their entry is not.
type killedAtFlush struct{ backend.AuditStore }

func (k killedAtFlush) InsertAuditEntries(ctx context.Context, es []*backend.AuditEntry) (int, error) {
	for _, e := range es {
		if e.Action == "import.targets" && e.ObjectType == "import" {
			return 0, backend.Errorf(backend.EUNAVAILABLE, "killed")
		}
	}
	return k.AuditStore.InsertAuditEntries(ctx, es)
}

// TestImportBatchSurvivesACrash: a batch of created targets whose entry
// was never written (the import died in between) is recorded by the
// roll-forward, once.
func TestImportBatchSurvivesACrash(t *testing.T) {
	e := newEnv(t)
	intents := &backend.Intents{Store: &mongo.IntentStore{DB: e.db}, Audit: e.audit}
	importer.RegisterIntents(intents, e.targets)
	dying := *e.im
	dying.Audit = &backend.AuditLog{Store: killedAtFlush{e.auditStore}}
	dying.Intents = &backend.Intents{Store: intents.Store, Audit: dying.Audit}
	sum, err := dying.ImportFile(e.ctx, importer.Targets, fixture("enterprises_zh.csv"))
	if err == nil || sum == nil || sum.Imported == 0 {
		t.Fatalf("import: %v, %+v; want targets written and then the crash", err, sum)
	}
	count := func() (entries int) {
		err := e.auditStore.ScanAudit(context.Background(), func(x *backend.AuditEntry) error {
			if x.Action == "import.targets" && x.ObjectType == "import" {
				entries++
				if !strings.Contains(x.Detail, "new") {
					t.Errorf("detail %q names no count", x.Detail)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return entries
	}
	if n := count(); n != 0 {
		t.Fatalf("%d batch entries before the roll-forward, want 0", n)
	}
	for range 2 {
		if _, err := intents.RollForward(e.ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d batch entries after the roll-forward, want 1", n)
	}
	if _, problem, err := e.audit.Verify(e.ctx); err != nil || problem != nil {
		t.Fatalf("verify: %v %v", problem, err)
	}
}
