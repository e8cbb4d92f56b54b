package httpkit_test

import (
	"net/netip"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/httpkit"
)

func TestClientIP(t *testing.T) {
	proxies, err := httpkit.ParseTrustedProxies([]string{"10.0.0.1", "192.168.0.0/16", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr
	for _, c := range []struct {
		name      string
		peer      string
		forwarded []string
		want      string
	}{
		{"UntrustedPeerIgnoresHeader", "203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},
		{"TrustedPeerNoHeaderIsPeer", "10.0.0.1", nil, "10.0.0.1"},
		{"TrustedPeerEmptyHeaderIsPeer", "10.0.0.1", []string{""}, "10.0.0.1"},
		{"RightmostUntrustedHop", "10.0.0.1", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"ClientWrittenHopsIgnored", "10.0.0.1", []string{"1.1.1.1, 2.2.2.2, 203.0.113.7"}, "203.0.113.7"},
		{"ChainOfTrustedProxies", "10.0.0.1", []string{"203.0.113.7, 192.168.4.4"}, "203.0.113.7"},
		{"SeveralHeaderLines", "10.0.0.1", []string{"6.6.6.6", "203.0.113.7, 192.168.1.1"}, "203.0.113.7"},
		{"GarbageHopGivesLastTrusted", "10.0.0.1", []string{"<script>, 192.168.1.1"}, "192.168.1.1"},
		{"GarbageOnlyGivesPeer", "10.0.0.1", []string{"unknown"}, "10.0.0.1"},
		{"HopWithPort", "10.0.0.1", []string{"203.0.113.7:5678"}, "203.0.113.7"},
		{"IPv6Hop", "::1", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"MappedPeer", "::ffff:10.0.0.1", []string{"203.0.113.7"}, "203.0.113.7"},
		{"AllTrustedGivesLeftmostTrusted", "10.0.0.1", []string{"192.168.9.9, 192.168.1.1"}, "192.168.9.9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fw [][]byte
			for _, f := range c.forwarded {
				fw = append(fw, []byte(f))
			}
			if got := proxies.ClientIP(addr(c.peer), fw); got != addr(c.want) {
				t.Fatalf("ClientIP(%s, %q) = %s, want %s", c.peer, c.forwarded, got, c.want)
			}
		})
	}
	if got := httpkit.ProxySet(nil).ClientIP(addr("10.0.0.1"), [][]byte{[]byte("1.2.3.4")}); got != addr("10.0.0.1") {
		t.Fatalf("no trusted proxies: %s, want the peer", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"", "proxy.example", "10.0.0.300", "10.0.0.0/33", "fe80::1%eth0"} {
		if _, err := httpkit.ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("ParseTrustedProxies(%q) succeeded, want an error", bad)
		}
	}
}
