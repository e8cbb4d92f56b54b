package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// dropProxy stands between the phones and the server, as a bad mobile
// network does: it breaks a share of the requests, half by closing the
// connection before forwarding (mid-request: the server never sees it),
// half by forwarding and closing the connection instead of answering (the
// server did the work; the phone does not know).
type dropProxy struct {
	target string
	rate   float64
	hc     *http.Client

	mu  sync.Mutex
	rng *rand.Rand

	passed, before, after atomic.Int64
	srv                   *http.Server
	url                   string
}

func startProxy(target string, rate float64, seed uint64) (*dropProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &dropProxy{
		target: target, rate: rate,
		hc:  &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}},
		rng: rand.New(rand.NewPCG(seed, 0x70726f7879)),
		url: "http://" + ln.Addr().String(),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *dropProxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

const (
	passOn = iota
	dropBeforeForwarding
	dropAfterForwarding
)

func (p *dropProxy) decide() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	x := p.rng.Float64()
	switch {
	case x < p.rate/2:
		return dropBeforeForwarding
	case x < p.rate:
		return dropAfterForwarding
	}
	return passOn
}

func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
}

var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func (p *dropProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	what := p.decide()
	if what == dropBeforeForwarding {
		p.before.Add(1)
		hangUp(w)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		hangUp(w)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := p.hc.Do(out)
	if err != nil {
		// The server is down (restarting): the phone sees what it would
		// see on the real network, a connection that breaks.
		hangUp(w)
		return
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		hangUp(w)
		return
	}
	if what == dropAfterForwarding {
		p.after.Add(1)
		hangUp(w)
		return
	}
	p.passed.Add(1)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(data)
}
