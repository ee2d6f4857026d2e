package socket

import (
	"net"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in                     string
		name, network, address string
	}{
		{"127.0.0.1:8080", "unknown", "tcp", "127.0.0.1:8080"},
		{":8080", "unknown", "tcp", ":8080"},
		{"[::1]:8080", "unknown", "tcp", "[::1]:8080"},
		{"localhost:0", "unknown", "tcp", "localhost:0"},
		{"unix:/run/app.sock", "unknown", "unix", "/run/app.sock"},
		{"unix:rel/app.sock", "unknown", "unix", "rel/app.sock"},
		{"unix:/a=b", "unknown", "unix", "/a=b"},
		{"http=:8080", "http", "tcp", ":8080"},
		{"my admin=unix:/tmp/a", "my admin", "unix", "/tmp/a"},
		{"web=[::1]:80", "web", "tcp", "[::1]:80"},
	} {
		a, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if a.Name != tc.name || a.Network != tc.network || a.Address != tc.address {
			t.Errorf("Parse(%q) = %+v, want %s %s %s", tc.in, a, tc.name, tc.network, tc.address)
		}
		if b, err := Parse(a.String()); err != nil || b != a {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v", tc.in, a.String(), b, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "want HOST:PORT"},
		{"8080", "want HOST:PORT"},
		{"localhost", "want HOST:PORT"},
		{"::1:80", "want HOST:PORT"},
		{"[::1]", "want HOST:PORT"},
		{"host:http", `port "http" is not a number`},
		{"host:", `port "" is not a number`},
		{":70000", `port "70000"`},
		{":-1", `port "-1"`},
		{"[fe80::zz]:80", "not an IPv6 address"},
		{"a b:80", "want HOST:PORT"},
		{"unix:", "no path after unix:"},
		{"=:80", "empty name"},
		{"a\tb=:80", "printable ASCII"},
		{"caf\u00e9=:80", "printable ASCII"},
		{strings.Repeat("n", 256) + "=:80", "longer than 255"},
		{"a:b=:80", "want HOST:PORT"}, // ':' cannot be in a name: the whole is an address
	} {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) accepted", tc.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("Parse(%q) = %q, want one line with %q", tc.in, msg, tc.want)
		}
	}
	if _, err := Parse(strings.Repeat("n", 255) + "=:80"); err != nil {
		t.Errorf("a 255-character name: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "n=unix:/x", "[::1]:0", ":1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if checkName(a.Name) != nil || strings.Contains(a.Name, ":") {
			t.Fatalf("Parse(%q) gave name %q, invalid in LISTEN_FDNAMES", s, a.Name)
		}
		if b, err := Parse(a.String()); err != nil || b != a {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses as %+v, %v", s, a, a.String(), b, err)
		}
	})
}

// FuzzSplitHostPortAsNet: the split of --socket values is net's, which
// the binary does without.
func FuzzSplitHostPortAsNet(f *testing.F) {
	for _, s := range []string{":80", "[::1]:80", "::1:80", "[::1]", "a]:80", "[a]b:80", "[a:b]:80", "[[a]:80", "[a]:8]0", "h:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, ok := splitHostPort(s)
		nhost, nport, err := net.SplitHostPort(s)
		if ok != (err == nil) || ok && (host != nhost || port != nport) {
			t.Fatalf("splitHostPort(%q) = %q, %q, %v; net.SplitHostPort: %q, %q, %v", s, host, port, ok, nhost, nport, err)
		}
	})
}
