package apptest

import (
	"net"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend/app"
)

// Listen opens a loopback port for a server and returns it with its base
// URL, for a test that needs the URL before it opens the app (printed
// codes carry it).
func Listen(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// ServeOn serves m's HTTP app on ln, as a real server does, until the test
// ends.
func ServeOn(tb testing.TB, m *app.Main, ln net.Listener) {
	tb.Helper()
	srv := m.HTTP.App()
	go func() { _ = srv.Listener(ln) }()
	tb.Cleanup(func() { _ = srv.ShutdownWithTimeout(5 * time.Second) })
}

// Serve serves m's HTTP app on a loopback port until the test ends and
// returns its base URL.
func Serve(tb testing.TB, m *app.Main) string {
	tb.Helper()
	ln, url := Listen(tb)
	ServeOn(tb, m, ln)
	return url
}
