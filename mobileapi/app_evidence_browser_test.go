package mobileapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/app/apptest/browsertest"
	"github.com/fieldcheck/fieldcheck/backend/planning"
)

// phoneEvidence is what the phone's IndexedDB holds of evidence: the
// files, the slots of queued declarations, the tus upload fingerprints and
// the slots named by kept refusals.
type phoneEvidence struct {
	Blobs, Queued, Uploads, Refusals []string
}

func readPhoneEvidence(b *browsertest.Browser) phoneEvidence {
	var out phoneEvidence
	b.Eval(`new Promise((ok, fail) => {
		const q = indexedDB.open('fieldcheck');
		q.onsuccess = () => {
			const tx = q.result.transaction(['blobs', 'outbox', 'uploads', 'outcomes']);
			const all = (name) => new Promise((r) => { const g = tx.objectStore(name).getAll(); g.onsuccess = () => r(g.result); });
			Promise.all(['blobs', 'outbox', 'uploads', 'outcomes'].map(all)).then(([blobs, outbox, uploads, outcomes]) => ok({
				Blobs: blobs.map((x) => x.id),
				Queued: outbox.filter((m) => m.entity === 'evidence').flatMap((m) => m.payload.files.map((f) => f.id)),
				Uploads: uploads.map((u) => u.fingerprint),
				Refusals: outcomes.flatMap((o) => o.slots ?? []),
			}), fail);
		};
		q.onerror = () => fail(q.error);
	})`, &out)
	return out
}

// TestAppRefusedFileDeletedOrReplaced: two "photos" whose bytes are no
// image are refused by the server when uploaded; the task page says so in
// Chinese with the server's words and offers 删除 and 重新选择. One is
// replaced by a real photo (uploaded, its hash as computed on the phone),
// the other deleted; nothing of either is left on the phone (no Blob, no
// queued slot, no upload URL, no refusal), the phone sends a withdrawal of
// each slot (entity withdrawal, docs/sync.md), the server keeps only the
// replacement, and the task, once submitted, is approved: nothing declared
// is waited for.
func TestAppRefusedFileDeletedOrReplaced(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	bad1, _ := randomFile(t, "现场照片-1.jpg", "", 40<<10)
	bad2, _ := randomFile(t, "现场照片-2.jpg", "", 30<<10)
	good, goodSHA := photoFile(t)

	b := browsertest.Start(t, browsertest.Options{})
	tap := func(css string) { b.Eval(fmt.Sprintf(`document.querySelector(%q).click(), true`, css), nil) }
	appLogin(b, srv.url(""), work.user, work.task.ID)
	b.Do(chromedp.Navigate(srv.url("/app/tasks/" + work.task.ID)))
	b.WaitFor(`!!document.querySelector("#add-photo")`)
	b.Do(chromedp.SetUploadFiles(`#add-photo`, []string{bad1, bad2}))
	b.WaitUpTo(`document.querySelectorAll('#evidence [data-state="refused"]').length === 2`, 3*time.Minute)
	var refused []string
	b.Eval(`[...document.querySelectorAll('#evidence [data-state="refused"]')].map((e) => e.dataset.evidence)`, &refused)
	var text string
	b.Eval(`document.querySelector("#evidence").innerText`, &text)
	for _, want := range []string{"服务器拒收", "文件内容不是此类证据允许的格式", "服务器原文", "删除", "重新选择"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the refused files say %q, want %q in it", text, want)
		}
	}
	var targets []float64
	b.Eval(`[...document.querySelectorAll('#evidence [data-remove], #evidence [data-replace]')].map((e) => (e.closest('label') ?? e).getBoundingClientRect().height)`, &targets)
	for _, h := range targets {
		if h < 48 {
			t.Fatalf("a 删除/重新选择 target is %.0f px high, want at least 48", h)
		}
	}
	b.Shot("app-evidence-refused")

	// 重新选择: the real photo is kept and uploaded, the refused one goes.
	b.Do(chromedp.SetUploadFiles(fmt.Sprintf(`[data-evidence=%q] [data-replace]`, refused[0]), []string{good}))
	b.WaitUpTo(fmt.Sprintf(`!document.querySelector('[data-evidence=%q]') && document.querySelectorAll('#evidence [data-state="confirmed"]').length === 1`, refused[0]), 3*time.Minute)

	// 删除, after the dialog.
	tap(fmt.Sprintf(`[data-evidence=%q] [data-remove]`, refused[1]))
	b.WaitFor(`!!document.querySelector(".van-dialog__confirm")`)
	b.Eval(`document.querySelector(".van-dialog").innerText`, &text)
	if !strings.Contains(text, "请服务器撤销此文件的登记") {
		t.Fatalf("the dialog says %q, want it to say the server is asked to withdraw the slot", text)
	}
	b.WaitFor(`getComputedStyle(document.querySelector(".van-dialog")).opacity === "1" && !document.querySelector(".van-dialog-bounce-enter-active")`)
	b.Shot("app-evidence-withdraw")
	tap(`.van-dialog__confirm`)
	b.WaitFor(fmt.Sprintf(`!document.querySelector('[data-evidence=%q]') && document.querySelectorAll('#evidence [data-evidence]').length === 1`, refused[1]))

	ev := readPhoneEvidence(b)
	for _, id := range refused {
		for name, ids := range map[string][]string{"blobs": ev.Blobs, "queued slots": ev.Queued, "refusals": ev.Refusals} {
			if slices.Contains(ids, id) {
				t.Errorf("%s still holds %s: %v", name, id, ids)
			}
		}
		for _, f := range ev.Uploads {
			if f == "fc:"+work.task.ID+":"+id {
				t.Errorf("the upload of %s is still kept", id)
			}
		}
	}
	// The withdrawals reach the server with the next sync (0.8 s after the
	// change): only the replacement stays declared, received.
	var got *backend.Task
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var err error
		if got, err = m.Stores.Tasks.FindTaskByID(context.Background(), work.task.ID); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got.Evidence, func(e backend.EvidenceSlot) bool { return slices.Contains(refused, e.ID) }) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(got.Evidence) != 1 || !got.Evidence[0].Uploaded || got.Evidence[0].SHA256 != goodSHA {
		t.Fatalf("server slots %+v: want only the replacement, arrived with SHA-256 %s", got.Evidence, goodSHA)
	}
	// The phone takes the answered withdrawals off its queue (after the
	// server applied them: the answer may still be on its way).
	queued := -1
	for deadline := time.Now().Add(time.Minute); queued != 0 && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		b.Eval(`new Promise((ok) => { const q = indexedDB.open('fieldcheck'); q.onsuccess = () => { const g = q.result.transaction('outbox').objectStore('outbox').getAll(); g.onsuccess = () => ok(g.result.length); }; })`, &queued)
	}
	if queued != 0 {
		var left string
		b.Eval(`new Promise((ok) => { const q = indexedDB.open('fieldcheck'); q.onsuccess = () => { const g = q.result.transaction('outbox').objectStore('outbox').getAll(); g.onsuccess = () => ok(JSON.stringify(g.result)); }; })`, &left)
		t.Fatalf("still queued on the phone: %s", left)
	}
	// Submitted (as the team's phone would, apptest.MustSubmit) and approved:
	// no refused file is waited for.
	sub := apptest.MustSubmit(t, m.Stores.Tasks, work.task.ID, time.Now())
	rev := backend.WithActor(context.Background(), &backend.Actor{UserID: "scjg.reviewer", Role: backend.RoleReviewer, Departments: sub.Departments, Fresh: true})
	if done, err := m.Planning.Transition(rev, work.task.ID, planning.TransitionRequest{To: backend.TaskApproved, Version: sub.Version}); err != nil || done.Status != backend.TaskApproved {
		t.Fatalf("approval after the withdrawals: %v", err)
	}
	if n := checkAnswers(t, m, b); n < 3 {
		t.Fatalf("only %d JSON answers seen", n)
	}
}

// TestAppCameraControls: the in-app cameras (the evidence camera, the
// check-in scanner) show 切换摄像头 when the phone has two cameras and
// switch to the other one, show none with one camera, and show 手电筒
// exactly when the track says it has a torch (Chromium's fake cameras have
// none, so here it stays hidden).
func TestAppCameraControls(t *testing.T) {
	m := apptest.Open(t, "")
	addr := freeAddr(t)
	m.Config.BaseURL = "http://" + addr
	srv := startServer(t, m, addr)
	work := drawForPhone(t, m, srv.url(""))
	tests := []struct {
		name    string
		opts    browsertest.Options
		cameras int
	}{
		{"OK/TwoCameras", browsertest.Options{Flags: map[string]any{"use-fake-device-for-media-stream": "device-count=2", "use-fake-ui-for-media-stream": true}}, 2},
		{"OK/OneCamera", browsertest.Options{Camera: plainCamera(t)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := browsertest.Start(t, tt.opts)
			tap := func(css string) { b.Eval(fmt.Sprintf(`document.querySelector(%q).click(), true`, css), nil) }
			appLogin(b, srv.url(""), work.user, work.task.ID)
			for _, page := range []struct{ path, open, video, torch string }{
				{"/app/tasks/" + work.task.ID, "#open-camera", ".cam-video", "#camera-torch"},
				{"/app/tasks/" + work.task.ID + "/checkin", "", ".viewer video", "#torch"},
			} {
				b.Do(chromedp.Navigate(srv.url(page.path)))
				if page.open != "" {
					b.WaitFor(fmt.Sprintf(`!!document.querySelector(%q)`, page.open))
					tap(page.open)
				}
				playing := fmt.Sprintf(`(() => { const v = document.querySelector(%q); return !!v && v.videoWidth > 0 && !!v.srcObject; })()`, page.video)
				b.WaitFor(playing)
				if page.open == "" {
					b.WaitFor(`!!document.querySelector(".hint")`) // scanning
				}
				var got struct {
					Inputs             int
					Torch, Switch, Lit bool
					Device             string
				}
				b.Eval(fmt.Sprintf(`(async () => {
					const v = document.querySelector(%q), track = v.srcObject.getVideoTracks()[0];
					const inputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput").length;
					return { Inputs: inputs, Torch: !!document.querySelector(%q), Switch: !!document.querySelector("#camera-switch"),
						Lit: track.getCapabilities?.().torch === true, Device: track.getSettings().deviceId };
				})()`, page.video, page.torch), &got)
				if got.Inputs != tt.cameras {
					t.Fatalf("%s: %d video inputs, want %d", page.path, got.Inputs, tt.cameras)
				}
				if got.Switch != (tt.cameras >= 2) {
					t.Fatalf("%s with %d cameras: 切换摄像头 shown %v", page.path, tt.cameras, got.Switch)
				}
				if got.Torch != got.Lit {
					t.Fatalf("%s: 手电筒 shown %v, the track has a torch %v", page.path, got.Torch, got.Lit)
				}
				if !got.Switch {
					continue
				}
				var h float64
				b.Eval(`document.querySelector("#camera-switch").getBoundingClientRect().height`, &h)
				if h < 48 {
					t.Fatalf("切换摄像头 is %.0f px high, want at least 48", h)
				}
				if page.open != "" {
					b.Shot("app-camera-switch")
				}
				tap("#camera-switch")
				b.WaitFor(fmt.Sprintf(`(() => { const v = document.querySelector(%q); return !!v && !!v.srcObject && v.videoWidth > 0 && v.srcObject.getVideoTracks()[0].getSettings().deviceId !== %q; })()`, page.video, got.Device))
			}
		})
	}
}
