// Package storefault makes the store slow on purpose, for measurements: a
// proxy of the MongoDB wire protocol that stands between the server's
// driver and the store (the embedded FerretDB's loopback port, or a
// MongoDB) and holds every reply the store sends for a delay before
// passing it on. Requests go through untouched.
//
// It is for soaks and tests only. The server's `fieldcheck` binary reaches
// it only when built with the fieldcheck_faults build tag
// (cmd/fieldcheck/faults.go); a production build has no flag, variable or
// file that turns it on.
//
// The delay may change while connections are open (SetDelay), or follow a
// control file (Watch): the file holds a Go duration ("150ms"); a missing
// or empty file is no delay. A soak driver (fieldsim --slow-store-file)
// writes and removes that file, and a server restarted meanwhile reads the
// same file.
package storefault

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxDelay bounds the delay a control file may ask for.
const MaxDelay = 30 * time.Second

// maxMessage bounds one wire message (MongoDB's maxMessageSizeBytes is 48 MB).
const maxMessage = 64 << 20

// Proxy is a running proxy.
type Proxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64 // nanoseconds

	delayed atomic.Int64 // replies held back so far

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// Start listens on a free loopback port and forwards every connection to
// target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("storefault: %w", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// StartURI starts a proxy in front of the one host of a mongodb:// URI and
// returns the URI to give the driver instead: the same, with the proxy's
// address as its host.
func StartURI(uri string) (*Proxy, string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "mongodb" || u.Host == "" || strings.Contains(u.Host, ",") {
		return nil, "", fmt.Errorf("storefault: %q is not a mongodb:// URI of one host", uri)
	}
	p, err := Start(u.Host)
	if err != nil {
		return nil, "", err
	}
	u.Host = p.Addr()
	return p, u.String(), nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetDelay sets how long each reply is held from now on (0: none).
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(max(d, 0))) }

// Delay is the current delay.
func (p *Proxy) Delay() time.Duration { return time.Duration(p.delay.Load()) }

// Delayed is how many replies were held back so far.
func (p *Proxy) Delayed() int64 { return p.delayed.Load() }

// ReadDelayFile reads a control file: a Go duration from 0 to MaxDelay; a
// missing or empty file is 0.
func ReadDelayFile(path string) (time.Duration, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxDelay {
		return 0, fmt.Errorf("storefault: %s holds %q, not a delay from 0 to %s", path, s, MaxDelay)
	}
	return d, nil
}

// Watch sets the delay from the control file now and then every interval
// until ctx ends; a file it cannot read or parse leaves the delay as it was
// and is reported to onErr (which may be nil), as is every change of delay
// to onChange (which may be nil).
func (p *Proxy) Watch(ctx context.Context, path string, every time.Duration, onChange func(time.Duration), onErr func(error)) {
	apply := func() {
		d, err := ReadDelayFile(path)
		if err != nil {
			if onErr != nil {
				onErr(err)
			}
			return
		}
		if old := p.Delay(); old != d {
			p.SetDelay(d)
			if onChange != nil {
				onChange(d)
			}
		}
	}
	apply()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.done:
			return
		case <-t.C:
			apply()
		}
	}
}

// Close stops listening, breaks the connections and waits for them.
func (p *Proxy) Close() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	close(p.done)
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn, on bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		select {
		case <-p.done:
			return false
		default:
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve joins one driver connection to one store connection: requests
// are copied as they come, replies one wire message at a time, each held
// for the delay.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	store, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer store.Close()
	if !p.track(client, true) || !p.track(store, true) {
		return
	}
	defer p.track(client, false)
	defer p.track(store, false)
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = io.Copy(store, client)
		store.Close() // the driver hung up: so does the store's side
	})
	p.replies(client, store)
	client.Close()
	wg.Wait()
}

func (p *Proxy) replies(client, store net.Conn) {
	var header [4]byte
	buf := make([]byte, 0, 64<<10)
	for {
		if _, err := io.ReadFull(store, header[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(header[:]))
		if n < 16 || n > maxMessage {
			return // not a wire message: give up the connection
		}
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		msg := append(buf[:0], header[:]...)
		msg = msg[:n]
		if _, err := io.ReadFull(store, msg[4:]); err != nil {
			return
		}
		if d := p.Delay(); d > 0 {
			p.delayed.Add(1)
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return
			}
		}
		if _, err := client.Write(msg); err != nil {
			return
		}
	}
}
