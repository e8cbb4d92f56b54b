package httpkit

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend/auth"
)

// ProxySet is the set of reverse proxies whose X-Forwarded-For is believed:
// single addresses and CIDR prefixes.
type ProxySet []netip.Prefix

// ParseTrustedProxies reads --trusted-proxy values: an IP address
// ("10.0.0.5", "::1") or a prefix ("10.0.0.0/8"). Anything else is an error:
// a typo must not silently trust nobody, or everybody.
func ParseTrustedProxies(list []string) (ProxySet, error) {
	var out ProxySet
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a prefix such as 10.0.0.0/8", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a prefix such as 10.0.0.0/8", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Contains reports whether a is one of the trusted proxies.
func (ps ProxySet) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client of a request that reached us
// from peer with the given X-Forwarded-For header lines (in the order they
// came). Without trusted proxies, or from a peer that is not one, it is the
// peer. From a trusted proxy it is the rightmost address of the header that
// is not itself a trusted proxy: every proxy appends the address it saw, so
// everything to the left of the first untrusted hop was written by the
// client and proves nothing. A header that is absent, or whose rightmost
// untrusted hop is not an IP address, gives the last trusted hop (the
// peer, or the proxy nearest the client): never an empty or free-text
// address.
func (ps ProxySet) ClientIP(peer netip.Addr, forwarded [][]byte) netip.Addr {
	peer = peer.Unmap()
	if len(ps) == 0 || !ps.Contains(peer) {
		return peer
	}
	client := peer
	for i := len(forwarded) - 1; i >= 0; i-- {
		hops := bytes.Split(forwarded[i], []byte{','})
		for j := len(hops) - 1; j >= 0; j-- {
			h := bytes.TrimSpace(hops[j])
			if len(h) == 0 {
				continue
			}
			a, ok := parseHop(string(h))
			if !ok {
				return client
			}
			if !ps.Contains(a) {
				return a
			}
			client = a
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("1.2.3.4:5678", "[2001:db8::1]:443"), as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// peerAddr is the TCP peer of the request.
func peerAddr(c *fiber.Ctx) netip.Addr {
	a, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		// A connection without an IP peer (an in-process test, a unix
		// socket): the unspecified address, which is still an address.
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

// withClientAddr records the client's address for throttling and the audit
// log, for every request, authenticated or not. It is a validated IP
// address, never what a client wrote.
func (r *Router) withClientAddr(c *fiber.Ctx) error {
	ip := r.proxies.ClientIP(peerAddr(c), c.Request().Header.PeekAll(fiber.HeaderXForwardedFor))
	c.SetUserContext(auth.WithClientAddr(c.UserContext(), ip.String()))
	return c.Next()
}

// ClientAddr is the address of the request's client that the Router
// recorded: a validated IP address.
func ClientAddr(c *fiber.Ctx) string { return auth.ClientAddrFrom(c.UserContext()) }

// FromTrustedProxy reports whether the request came through one of the
// trusted reverse proxies, whose X-Forwarded-* headers are believed.
func (r *Router) FromTrustedProxy(c *fiber.Ctx) bool { return r.proxies.Contains(peerAddr(c)) }
