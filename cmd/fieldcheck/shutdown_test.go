package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tus sends one tus request to the server and returns the answer, its
// body read.
func (s *server) tus(method, url, token string, headers map[string]string, body io.Reader) (*http.Response, error) {
	if !strings.HasPrefix(url, "http") {
		url = "http://" + s.addr + url
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if n, ok := headers["Content-Length"]; ok {
		req.ContentLength, _ = strconv.ParseInt(n, 10, 64)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// stopGracefully sends SIGTERM and waits for the server to exit with
// status 0.
func (s *server) stopGracefully() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		s.t.Fatalf("the server stopped with %v, want status 0\n%s", err, s.out)
	}
}

// TestUploadResumesAfterGracefulShutdown: a PATCH is under way when the
// server gets SIGTERM. The server records how far the upload got, exits
// with status 0 within its grace, and the restarted server takes the rest
// from that offset; the evidence filed is the phone's file, byte for byte.
func TestUploadResumesAfterGracefulShutdown(t *testing.T) {
	s := &server{t: t, bin: buildBinary(t), addr: freeAddr(t), dir: t.TempDir()}
	s.start("demo", "--targets", "200", "--shutdown-grace", "30s")
	task, token := s.teamPhone("shutdown-phone")
	photo := bigJPEG(t, 2600, 1900) // ~13 MB: past the 8 MiB checkpoint
	sum := sha256.Sum256(photo)
	s.declareEvidence(token, task.ID, "photo", photo, hex.EncodeToString(sum[:]))

	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	resp, err := s.tus("POST", "/mobile/v1/uploads", token, map[string]string{
		"Upload-Length": strconv.Itoa(len(photo)), "Upload-Metadata": "taskId " + b64(task.ID) + ",slotId " + b64("photo"),
	}, nil)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create the upload: %v %v", resp, err)
	}
	upload := resp.Header.Get("Location")
	offset := func() int64 {
		t.Helper()
		resp, err := s.tus("HEAD", upload, token, nil, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("HEAD: %v %v", resp, err)
		}
		n, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		return n
	}

	// One PATCH of the whole file, of which the phone sends 9 MiB and then
	// nothing more (its radio went quiet): the request stays in flight.
	const sent = 9 << 20
	body, feed := io.Pipe()
	patched := make(chan error, 1)
	go func() {
		resp, err := s.tus("PATCH", upload, token, map[string]string{
			"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0", "Content-Length": strconv.Itoa(len(photo)),
		}, body)
		if err == nil && resp.StatusCode == 204 {
			err = errors.New("the PATCH was answered 204 without all its bytes")
		}
		patched <- err
	}()
	if _, err := feed.Write(photo[:sent]); err != nil {
		t.Fatal(err)
	}
	// The 8 MiB checkpoint is the event that says the server has the bytes.
	deadline := time.Now().Add(60 * time.Second)
	for offset() < 8<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the upload never reached its 8 MiB checkpoint: offset %d", offset())
		}
		time.Sleep(20 * time.Millisecond)
	}

	s.stopGracefully()
	feed.CloseWithError(errors.New("the server went away"))
	<-patched
	if strings.Contains(s.out.String(), "still in flight after the shutdown grace") {
		t.Fatalf("the upload held the shutdown for its whole grace:\n%s", s.out)
	}

	s.start("serve")
	at := offset()
	if at < 8<<20 || at > sent {
		t.Fatalf("after the restart the upload stands at %d, want from the checkpoint (%d) to what was sent (%d)", at, 8<<20, sent)
	}
	resp, err = s.tus("PATCH", upload, token, map[string]string{
		"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(at, 10), "Content-Length": strconv.Itoa(len(photo) - int(at)),
	}, bytes.NewReader(photo[at:]))
	if err != nil || resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(photo)) {
		t.Fatalf("resume from %d: %v %v", at, resp, err)
	}
	req, _ := http.NewRequest("GET", "http://"+s.addr+"/mobile/v1/tasks/"+task.ID+"/evidence/photo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	h := sha256.New()
	_, _ = io.Copy(h, got.Body)
	if got.StatusCode != 200 || !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Fatalf("the filed evidence: %d, sha256 %x, want %x", got.StatusCode, h.Sum(nil)[:4], sum[:4])
	}
}
