package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"
)

// jsonBody is v as a JSON request body.
func jsonBody(v any) *bytes.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// TestClientAddress: X-Forwarded-For is read only when the TCP peer is a
// trusted proxy, from its right end, skipping the trusted hops; what a client
// wrote itself (the left part) never counts.
func TestClientAddress(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	for _, tc := range []struct {
		name      string
		remote    string
		forwarded []string
		trusted   []netip.Prefix
		want      string
	}{
		{"NoProxyConfigured", "203.0.113.9:5000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"PeerNotTrusted", "203.0.113.9:5000", []string{"198.51.100.1"}, lb, "203.0.113.9"},
		{"TrustedPeer", "10.1.2.3:5000", []string{"198.51.100.1"}, lb, "198.51.100.1"},
		{"ClientForgesLeftPart", "10.1.2.3:5000", []string{"1.2.3.4, 198.51.100.1"}, lb, "198.51.100.1"},
		{"TwoTrustedHops", "10.1.2.3:5000", []string{"198.51.100.1, 192.0.2.7"}, lb, "198.51.100.1"},
		{"SeveralHeaders", "10.1.2.3:5000", []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, lb, "198.51.100.1"},
		{"AllTrusted", "10.1.2.3:5000", []string{"10.4.4.4"}, lb, "10.4.4.4"},
		{"NoHeader", "10.1.2.3:5000", nil, lb, "10.1.2.3"},
		{"MalformedHop", "10.1.2.3:5000", []string{"198.51.100.1, not-an-address"}, lb, "10.1.2.3"},
		{"IPv6", "[2001:db8::1]:5000", []string{"2001:db8:beef::5"}, []netip.Prefix{netip.MustParsePrefix("2001:db8::/64")}, "2001:db8:beef::5"},
		{"MappedIPv4", "[::ffff:10.1.2.3]:5000", []string{"198.51.100.1"}, lb, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clientAddress(tc.remote, tc.forwarded, tc.trusted); got != tc.want {
				t.Fatalf("clientAddress(%q, %q) = %q, want %q", tc.remote, tc.forwarded, got, tc.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	c, err := ParseConfig([]string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.7,::1"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 3 || c.TrustedProxies[1] != netip.MustParsePrefix("192.0.2.7/32") {
		t.Fatalf("trusted proxies %v", c.TrustedProxies)
	}
	if _, err := ParseConfig(nil, func(k string) string {
		if k == "TRUSTED_PROXIES" {
			return "10.0.0.0/8,load-balancer"
		}
		return ""
	}); err == nil {
		t.Fatal("accepted a trusted proxy that is not an address")
	}
}

// TestTrustedProxyLoginBudget: behind a trusted load balancer, the login
// budget per address counts each client named by X-Forwarded-For, not the
// balancer; without the setting, the header is ignored and every login from
// the balancer shares one budget.
func TestTrustedProxyLoginBudget(t *testing.T) {
	for _, tc := range []struct {
		name      string
		trusted   string
		clientBOK bool
	}{
		{"Trusted", "127.0.0.1", true},
		{"NotTrusted", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxies, err := parseProxies(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			s := startServer(t, func(c *Config) { c.RateLogin, c.TrustedProxies = 2, proxies })
			try := func(client, user string) string {
				r := s.request(t, http.MethodPost, "/graphql", "application/json", "",
					jsonBody(map[string]any{"query": `mutation($u:String!){login(username:$u,password:"wrong-password"){accessToken}}`, "variables": map[string]any{"u": user}}),
					"X-Forwarded-For", client)
				return r.gql.code()
			}
			// Client A spends the per-address budget of 2 on two usernames.
			try("198.51.100.1", "nobody-1")
			try("198.51.100.1", "nobody-2")
			if c := try("198.51.100.1", "nobody-3"); c != "RATE_LIMITED" {
				t.Fatalf("client A's third login: %q, want RATE_LIMITED", c)
			}
			// Client B, a different address behind the same balancer.
			c := try("198.51.100.2", "nobody-4")
			if ok := c != "RATE_LIMITED"; ok != tc.clientBOK {
				t.Fatalf("client B's first login answered %q; want it limited: %v", c, !tc.clientBOK)
			}
		})
	}
}
