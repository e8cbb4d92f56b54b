package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSoakRestart is the short soak with every fault but the slow store
// (TestSoakSlowStore has that): a real fieldcheck process (built here) on
// a demo county, phones over a network that drops a tenth of the
// connections, every batch replayed, photos uploaded with tus, and the
// server stopped with SIGTERM while they work and started again
// (restart-server.sh, as in the 30-minute soak). The verdict is PASS:
// nothing lost, nothing applied twice, every photo received; an upload
// cut by the restart or the network resumes from the server's offset.
func TestSoakRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a server process")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fieldcheck")
	build := exec.Command("go", "build", "-o", bin, "../fieldcheck")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "soak-token-0123456789abcdef012345"
	data, pidfile := filepath.Join(dir, "data"), filepath.Join(dir, "fc.pid")
	log, err := os.Create(pidfile + ".log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	demo := exec.Command(bin, "demo", "--targets", "1000", "--data", data, "--addr", addr, "--metrics-token", token)
	demo.Stdout, demo.Stderr = log, log
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(demo.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	go func() { _ = demo.Wait() }() // reaped when restart-server.sh stops it
	t.Cleanup(func() {
		// The process running now: the first, or the one the restart started.
		if b, err := os.ReadFile(pidfile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
				for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	})
	url := "http://" + addr
	o := &office{base: url, hc: &http.Client{Timeout: 10 * time.Second}}
	if err := o.ready(context.Background(), 3*time.Minute); err != nil {
		b, _ := os.ReadFile(pidfile + ".log")
		t.Fatalf("the demo server is not ready: %v\n%s", err, b)
	}
	var out bytes.Buffer
	restart := fmt.Sprintf("sh restart-server.sh %s env FIELDCHECK_METRICS_TOKEN=%s %s serve --data %s --addr %s", pidfile, token, bin, data, addr)
	err = run(context.Background(), []string{"--url", url, "--inspectors", "8", "--tasks-per-inspector", "4", "--offline-tasks", "2",
		"--drop-rate", "0.1", "--replay", "--seed", "14", "--state", filepath.Join(dir, "state"), "--report-every", "2s", "--metrics-token", token,
		"--photo-max", "200000", "--upload-chunk", "32768", "--kill-server-cmd", restart, "--kill-after", "4s", "--timeout", "10m"}, &out, &out)
	t.Log(out.String())
	if err != nil {
		b, _ := os.ReadFile(pidfile + ".log")
		t.Fatalf("run: %v\nserver log:\n%s", err, b)
	}
	for _, want := range []string{"PASS: ", "server restart: back after ", "(ok)", "soak "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the report lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`uploads: (\d+) of (\d+) photos received`).FindStringSubmatch(out.String()); m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("uploads: %v", m)
	}
}
