package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

// serve runs the app on a real loopback listener, as in production, and
// returns its base URL. Limits enforced by the HTTP server itself (body
// size, timeouts) only show on a real connection.
func (e *env) serve(t *testing.T) string {
	t.Helper()
	return apptest.Serve(t, e.m)
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	base := e.serve(t)
	token := e.login("manager")
	tests := []struct {
		name    string
		size    int
		chunked bool // no declared length: the server must count (bodies are streamed)
		want    int
	}{
		{"OK/UnderLimit", httpkit.MaxBodyBytes - 100, false, 400}, // reaches the handler: invalid target, not too large
		{"ErrOverLimit", httpkit.MaxBodyBytes + 1, false, 413},
		{"ErrFarOverLimit", 64 * httpkit.MaxBodyBytes, false, 413},
		{"OK/ChunkedUnderLimit", httpkit.MaxBodyBytes - 100, true, 400},
		{"ErrChunkedOverLimit", httpkit.MaxBodyBytes + 1, true, 413},
		{"ErrChunkedFarOverLimit", 64 * httpkit.MaxBodyBytes, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A raw connection: send the headers, then the body in the
			// background, and read the answer. The server decides on the
			// declared length and answers before reading an over-limit body.
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"name":"` + strings.Repeat("x", tt.size-11) + `"}`
			head := fmt.Sprintf("POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", token, len(body))
			if tt.chunked {
				head = fmt.Sprintf("POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n", token)
				body = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
			}
			if _, err := conn.Write([]byte(head)); err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = io.WriteString(conn, body) }()
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status=%d, want %d (%s)", resp.StatusCode, tt.want, b)
			}
			var eb struct{ Code, Message string }
			if err := json.Unmarshal(b, &eb); err != nil || eb.Code == "" || eb.Message == "" {
				t.Fatalf("body %s is not {code,message}", b)
			}
			if tt.want == 413 && eb.Code != "payload_too_large" {
				t.Fatalf("code=%q, want payload_too_large", eb.Code)
			}
		})
	}
}

func TestServerTimeouts(t *testing.T) {
	tests := []struct {
		name                string
		read, write, idle   time.Duration // set on the server
		wantR, wantW, wantI time.Duration
	}{
		{"OK/Defaults", 0, 0, 0, httpkit.ReadTimeout, httpkit.WriteTimeout, httpkit.IdleTimeout},
		{"OK/Configured", 300 * time.Millisecond, time.Second, 2 * time.Second, 300 * time.Millisecond, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.m.HTTP.ReadTimeout, e.m.HTTP.WriteTimeout, e.m.HTTP.IdleTimeout = tt.read, tt.write, tt.idle
			cfg := e.m.HTTP.App().Config()
			if cfg.ReadTimeout != tt.wantR || cfg.WriteTimeout != tt.wantW || cfg.IdleTimeout != tt.wantI || cfg.BodyLimit != httpkit.MaxBodyBytes {
				t.Fatalf("config read=%v write=%v idle=%v body=%d, want %v %v %v %d", cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout, cfg.BodyLimit, tt.wantR, tt.wantW, tt.wantI, httpkit.MaxBodyBytes)
			}
		})
	}
	if httpkit.ReadTimeout <= 0 || httpkit.WriteTimeout <= 0 || httpkit.IdleTimeout <= 0 {
		t.Fatal("a default timeout is not set")
	}
}

// TestSlowClientIsCut sends the start of a request and no more: the server
// must close the connection once its read timeout has passed (shortened
// here, so that the test does not wait the 15 s of production).
func TestSlowClientIsCut(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	e := newEnv(t)
	e.m.HTTP.ReadTimeout = readTimeout
	base := e.serve(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	// The client's own deadline is far past the shortened timeout and
	// short of the default one: it keeps a broken server from hanging the
	// test, and fails one that ignores the configured timeout.
	_ = conn.SetReadDeadline(time.Now().Add(readTimeout + 10*time.Second))
	start := time.Now()
	buf := make([]byte, 512)
	_, err = conn.Read(buf)
	if err == nil {
		// fasthttp may answer 408 before closing; the next read must see the close.
		_, err = conn.Read(buf)
	}
	if err == nil {
		t.Fatal("connection still open after the read timeout")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("server kept an incomplete request open for %v", time.Since(start))
	}
}
