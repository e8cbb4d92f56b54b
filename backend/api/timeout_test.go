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
)

// TestSlowBodyIsRequestTimeout: a request whose body does not arrive
// within the read timeout is answered 408 Request Timeout with
// {"code","message"} — the client was too slow, the server is not
// unavailable.
func TestSlowBodyIsRequestTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	e := newEnv(t)
	e.m.HTTP.ReadTimeout = readTimeout
	base := e.serve(t)
	token := e.login("manager")
	for _, tt := range []struct {
		name, head string
	}{
		{"ErrDeclaredLength", "Content-Length: 100\r\n"},
		{"ErrChunked", "Transfer-Encoding: chunked\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"id":"9144`
			if strings.HasPrefix(tt.head, "Transfer") {
				body = fmt.Sprintf("%x\r\n%s\r\n", len(body), body)
			}
			fmt.Fprintf(conn, "POST /api/v1/targets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\n%s\r\n%s", token, tt.head, body)
			// The rest never comes. The client's deadline bounds a broken server.
			_ = conn.SetReadDeadline(time.Now().Add(readTimeout + 10*time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var eb struct{ Code, Message string }
			if resp.StatusCode != http.StatusRequestTimeout || json.Unmarshal(b, &eb) != nil || eb.Code == "" || eb.Message == "" {
				t.Fatalf("status=%d body %s, want 408 with {code,message}", resp.StatusCode, b)
			}
		})
	}
}
