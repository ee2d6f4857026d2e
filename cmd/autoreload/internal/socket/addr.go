package socket

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultName is the name of a socket given without NAME=, as systemd
// names a socket unit's descriptors without FileDescriptorName=.
const DefaultName = "unknown"

// maxName is the longest name LISTEN_FDNAMES may carry (systemd's
// FDNAME_MAX).
const maxName = 255

// Addr is one --socket value: where to listen, and the name COMMAND sees
// for it in LISTEN_FDNAMES.
type Addr struct {
	Name    string
	Network string // "tcp" or "unix"
	Address string // host:port for tcp, a path for unix
}

// String is the address as the user may write it back.
func (a Addr) String() string {
	s := a.Address
	if a.Network == "unix" {
		s = "unix:" + s
	}
	if a.Name != DefaultName {
		s = a.Name + "=" + s
	}
	return s
}

// ErrSyntax is the error of Parse for what is no address at all. Its
// errors do not repeat the value: the caller names it, with the flag or
// variable it came from.
var ErrSyntax = errors.New("want HOST:PORT, :PORT, [IPv6]:PORT or unix:/path, optionally NAME=ADDR")

// Parse reads one --socket value: HOST:PORT, :PORT (all interfaces),
// [IPv6]:PORT or unix:PATH, optionally preceded by NAME=. A name is
// whatever comes before the first '=' when that holds no ':' (an address
// always does).
func Parse(s string) (Addr, error) {
	a := Addr{Name: DefaultName}
	rest := s
	if name, addr, ok := strings.Cut(s, "="); ok && !strings.Contains(name, ":") {
		if err := checkName(name); err != nil {
			return Addr{}, err
		}
		a.Name, rest = name, addr
	}
	if path, ok := strings.CutPrefix(rest, "unix:"); ok {
		if path == "" {
			return Addr{}, errors.New("no path after unix:")
		}
		if strings.ContainsRune(path, 0) {
			return Addr{}, errors.New("NUL in the path")
		}
		a.Network, a.Address = "unix", path
		return a, nil
	}
	host, port, ok := splitHostPort(rest)
	if !ok {
		return Addr{}, ErrSyntax
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port == "" {
		return Addr{}, fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if ip, err := netip.ParseAddr(host); strings.Contains(host, ":") && (err != nil || ip.Zone() != "") {
		return Addr{}, fmt.Errorf("%q is not an IPv6 address", host)
	}
	if strings.ContainsAny(host, " \t\n/") {
		return Addr{}, ErrSyntax
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	a.Network, a.Address = "tcp", host+":"+port
	return a, nil
}

// splitHostPort splits HOST:PORT, or [HOST]:PORT where HOST holds
// colons, as net.SplitHostPort does.
func splitHostPort(s string) (host, port string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	host, port = s[:i], s[i+1:]
	if h, ok := strings.CutPrefix(host, "["); ok {
		if host, ok = strings.CutSuffix(h, "]"); !ok {
			return "", "", false
		}
	} else if strings.Contains(host, ":") {
		return "", "", false
	}
	return host, port, !strings.ContainsAny(host, "[]") && !strings.ContainsAny(port, "[]")
}

// checkName applies systemd's rules for a name in LISTEN_FDNAMES: 1 to
// 255 printable ASCII characters, no ':' (the separator).
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name before '='")
	case len(name) > maxName:
		return fmt.Errorf("name longer than %d characters", maxName)
	}
	for _, c := range []byte(name) {
		if c < ' ' || c > '~' {
			return fmt.Errorf("name %q holds a character other than printable ASCII", name)
		}
	}
	return nil
}
