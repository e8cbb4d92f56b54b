package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	fcsync "github.com/fieldcheck/fieldcheck/sync"
)

// The evidence path end to end, as phones use it: the real binary on the
// embedded store, tus-js-client (the reference tus client, run with node)
// uploading through a slow link, an upload interrupted and resumed, the
// server killed with SIGKILL mid-upload and restarted, and a wrong file
// refused.

// tusJS makes sure testdata/tusjs has its node modules and returns the
// script's path.
func tusJS(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("../../testdata/tusjs")
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is needed for the tus-js-client tests (.ci/run installs it)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tus-js-client")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return filepath.Join(dir, "upload.mjs")
}

// server is the fieldcheck binary running.
type server struct {
	t    *testing.T
	bin  string
	addr string
	dir  string
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fieldcheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary with args and waits until it answers /readyz.
func (s *server) start(args ...string) {
	s.t.Helper()
	s.out = &bytes.Buffer{}
	s.cmd = exec.Command(s.bin, append(args, "--data", s.dir, "--addr", s.addr)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	deadline := time.Now().Add(120 * time.Second)
	for {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not ready: %v\n%s", err, s.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// api sends a JSON request to the server and decodes the answer.
func (s *server) api(method, path, token string, body, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, "http://"+s.addr+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// slowLink forwards TCP connections to target, client to server at rate
// bytes a second: an upload takes long enough to be cut in the middle.
type slowLink struct {
	target    string
	rate      int
	forwarded atomic.Int64
}

func (l *slowLink) serve(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.forward(c)
		}
	}()
	return ln.Addr().String()
}

func (l *slowLink) forward(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", l.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(c, up); c.Close() }()
	buf := make([]byte, 32<<10)
	tick := time.Duration(float64(time.Second) * float64(len(buf)) / float64(l.rate))
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
			l.forwarded.Add(int64(n))
			time.Sleep(tick)
		}
		if err != nil {
			return
		}
	}
}

type jsEvent struct {
	Event   string `json:"event"`
	URL     string `json:"url"`
	Sent    int64  `json:"sent"`
	Message string `json:"message"`
}

// runTusJS runs the script with cfg; each event goes to on (which may
// act, e.g. kill the server). It returns the events and the exit status.
func runTusJS(t *testing.T, script string, cfg map[string]any, on func(jsEvent)) ([]jsEvent, int) {
	t.Helper()
	j, _ := json.Marshal(cfg)
	cmd := exec.Command("node", script, string(j))
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var events []jsEvent
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var e jsEvent
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			events = append(events, e)
			if on != nil {
				on(e)
			}
		}
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("node: %v %s", err, stderr.String())
	}
	if code != 0 && code != 3 && len(events) == 0 {
		t.Fatalf("node exited %d: %s", code, stderr.String())
	}
	return events, code
}

func bigJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEvidenceWithTusJSAcrossKill(t *testing.T) {
	script := tusJS(t)
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: t.TempDir()}
	s.start("demo", "--targets", "200")

	task, token := s.teamPhone("tusjs-phone")
	ph := struct{ AccessToken string }{token}
	declare := func(slot string, data []byte, declared string) {
		t.Helper()
		s.declareEvidence(ph.AccessToken, task.ID, slot, data, declared)
	}
	evidenceURL := "/mobile/v1/tasks/" + task.ID + "/evidence/"
	download := func(slot string) (int, []byte) {
		req, _ := http.NewRequest("GET", "http://"+s.addr+evidenceURL+slot, nil)
		req.Header.Set("Authorization", "Bearer "+ph.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	photo := bigJPEG(t, 2600, 1900) // ~13 MB: several staging pieces
	sum := sha256.Sum256(photo)
	declare("photo", photo, hex.EncodeToString(sum[:]))
	file := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(file, photo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := &slowLink{target: s.addr, rate: 8 << 20}
	front := link.serve(t)
	cfg := map[string]any{"endpoint": "http://" + front + "/mobile/v1/uploads", "token": ph.AccessToken, "taskId": task.ID, "slotId": "photo", "file": file}

	// 1. Interrupted by the client (tus-js-client's abort) after 3 MiB.
	cfg["chunkSize"], cfg["abortAt"] = 1<<20, 3<<20
	events, code := runTusJS(t, script, cfg, nil)
	last := events[len(events)-1]
	if code != 3 || last.Event != "aborted" || last.URL == "" {
		t.Fatalf("the interrupted run: exit %d, %+v", code, events)
	}
	if st, _ := download("photo"); st != http.StatusNotFound {
		t.Fatalf("part of a file is visible as evidence: %d", st)
	}

	// 2. Resumed from where it stopped, in one PATCH; the server is killed
	// when 9 MiB more have gone through the link, and started again.
	delete(cfg, "abortAt")
	cfg["uploadUrl"], cfg["chunkSize"] = last.URL, 64<<20
	cfg["retryDelays"] = []int{500, 1000, 1000, 2000, 2000, 3000, 3000, 5000, 5000, 5000, 5000, 5000}
	before := link.forwarded.Load()
	var killed atomic.Bool
	restarted, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(restarted)
		for link.forwarded.Load()-before < 6<<20 {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		killed.Store(true)
		s.kill()
		s.start("serve")
	}()
	events, code = runTusJS(t, script, cfg, nil)
	close(stop)
	<-restarted
	if !killed.Load() {
		t.Fatalf("the upload finished before the server could be killed: %+v", events[len(events)-1])
	}
	if code != 0 || events[len(events)-1].Event != "success" {
		t.Fatalf("the resumed run after the kill: exit %d, last %+v", code, events[len(events)-1])
	}
	st, got := download("photo")
	gotSum := sha256.Sum256(got)
	if st != 200 || gotSum != sum {
		t.Fatalf("after the kill: %d, %d bytes, sha256 %x, want %x", st, len(got), gotSum[:4], sum[:4])
	}

	// 3. Bytes that are not the declared file are refused; nothing is kept.
	other := append([]byte(nil), photo...)
	other[len(other)/2] ^= 0xff
	declare("wrong", other, hex.EncodeToString(sum[:]))
	if err := os.WriteFile(file, other, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = map[string]any{"endpoint": "http://" + s.addr + "/mobile/v1/uploads", "token": ph.AccessToken, "taskId": task.ID, "slotId": "wrong", "file": file}
	events, code = runTusJS(t, script, cfg, nil)
	if last := events[len(events)-1]; code != 1 || last.Event != "error" || !strings.Contains(last.Message, "SHA-256") {
		t.Fatalf("a wrong file: exit %d, %+v", code, last)
	}
	if st, _ := download("wrong"); st != http.StatusNotFound {
		t.Fatalf("the refused file is visible: %d", st)
	}

	// The chain of custody is intact after all that.
	s.kill()
	out, err := exec.Command(s.bin, "audit", "verify", "--data", s.dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

// declareEvidence declares an evidence photo slot of task with a sync
// push, as the phone of token does before it uploads the bytes.
func (s *server) declareEvidence(token, taskID, slot string, data []byte, declared string) {
	t := s.t
	t.Helper()
	var pull fcsync.PullResponse
	if st := s.api("GET", fcsync.PullPath("", 200), token, nil, &pull); st != 200 {
		t.Fatalf("pull: %d", st)
	}
	var version int64
	for _, v := range pull.Tasks {
		if v.Task.ID == taskID {
			version = v.Task.Version
		}
	}
	payload, _ := json.Marshal(fcsync.EvidencePayload{Files: []backend.EvidenceInput{{ID: slot, Type: backend.EvidencePhoto,
		SHA256: declared, Size: int64(len(data)), ContentType: "image/jpeg", CapturedAt: time.Now()}}})
	var res fcsync.PushResponse
	st := s.api("POST", fcsync.PushPath(), token, fcsync.PushRequest{Mutations: []fcsync.Mutation{{
		OpID: "declare-" + slot, Entity: fcsync.EntityEvidence, TaskID: taskID, BaseVersion: version, Payload: payload}}}, &res)
	if st != 200 || res.Results[0].Status != fcsync.Applied {
		t.Fatalf("declare %s: %d %+v", slot, st, res)
	}
}

// teamPhone logs the first member of the demo's first task's team in on
// a phone named deviceID, and returns the task and the phone's token.
func (s *server) teamPhone(deviceID string) (backend.Task, string) {
	t := s.t
	t.Helper()
	var mgr struct{ AccessToken string }
	if st := s.api("POST", "/api/v1/auth/login", "", map[string]string{"username": "scjg.manager", "password": "demo-scjg.manager"}, &mgr); st != 200 {
		t.Fatalf("manager login: %d", st)
	}
	// A task the team still works on: the demo also holds last year's
	// published ones, whose evidence can no longer change.
	var list struct{ Items []backend.Task }
	if st := s.api("GET", "/api/v1/tasks?limit=50&status=assigned", mgr.AccessToken, nil, &list); st != 200 || len(list.Items) == 0 {
		t.Fatalf("tasks: %d %d", st, len(list.Items))
	}
	task := list.Items[0]
	user := task.TeamUsers[0]
	var ph struct{ AccessToken string }
	if st := s.api("POST", "/mobile/v1/auth/login", "", map[string]any{"username": user, "password": "demo-" + user,
		"device": map[string]string{"id": deviceID, "name": "test", "platform": "android"}}, &ph); st != 200 {
		t.Fatalf("phone login: %d", st)
	}
	return task, ph.AccessToken
}
