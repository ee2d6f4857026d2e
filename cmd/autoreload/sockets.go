package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
)

// socketAddr is one --socket: an optional name for LISTEN_FDNAMES and a
// TCP (HOST:PORT, :PORT, [::1]:PORT) or Unix (unix:/path) address.
type socketAddr struct {
	name, network, address string
}

func (a socketAddr) String() string {
	s := a.address
	if a.network == "unix" {
		s = "unix:" + s
	}
	if a.name != "" {
		s = a.name + "=" + s
	}
	return s
}

// parseSocket reads one --socket value.
func parseSocket(s string) (socketAddr, error) {
	var a socketAddr
	if name, rest, ok := strings.Cut(s, "="); ok && !strings.ContainsAny(name, ":/[") {
		if name == "" || len(name) > 255 || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return a, fmt.Errorf("%q: a name is printable ASCII without spaces or ':', at most 255 bytes", s)
		}
		a.name, s = name, rest
	}
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if path == "" {
			return a, fmt.Errorf("%q: unix: needs a path", s)
		}
		a.network, a.address = "unix", path
		return a, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return a, fmt.Errorf("%q: want HOST:PORT, :PORT, [IPv6]:PORT or unix:/path", s)
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return a, fmt.Errorf("%q: bad port %q", s, port)
	}
	a.network, a.address = "tcp", net.JoinHostPort(host, port)
	return a, nil
}

// socketList is the repeatable --socket flag. Its variable holds one
// address (a ':' belongs to it), not a list.
type socketList []socketAddr

func (l *socketList) String() string {
	parts := make([]string, len(*l))
	for i, a := range *l {
		parts[i] = a.String()
	}
	return strings.Join(parts, " ")
}

func (l *socketList) Type() string { return "socket" }

func (l *socketList) Set(s string) error {
	a, err := parseSocket(s)
	if err != nil {
		return err
	}
	*l = append(*l, a)
	return nil
}

// listen binds and listens on every --socket, once for autoreload's whole
// life; each start of COMMAND gets them by the socket-activation protocol.
// A failure (address in use, permission, a bad host) is a usage error. The
// caller closes them with closeSockets.
func listen(addrs []socketAddr) ([]supervisor.Socket, error) {
	var out []supervisor.Socket
	for _, a := range addrs {
		l, err := net.Listen(a.network, a.address)
		if err != nil {
			closeSockets(out)
			var op *net.OpError
			if errors.As(err, &op) {
				err = op.Err
			}
			return nil, usagef("--socket %s: %v", a, err)
		}
		if u, ok := l.(*net.UnixListener); ok {
			u.SetUnlinkOnClose(false) // the path stays while the copy lives
		}
		f, err := l.(interface{ File() (*os.File, error) }).File()
		l.Close()
		if err != nil {
			closeSockets(out)
			return nil, fmt.Errorf("--socket %s: %w", a, err)
		}
		f.Fd() // blocking, as systemd gives sockets: COMMAND's own runtime decides
		out = append(out, supervisor.Socket{Name: a.name, File: f})
	}
	return out, nil
}

// closeSockets closes the sockets and removes the Unix ones' paths.
func closeSockets(socks []supervisor.Socket) {
	for _, s := range socks {
		if addr, ok := unixPath(s.File); ok {
			os.Remove(addr)
		}
		s.File.Close()
	}
}

// unixPath is the path a Unix socket is bound to.
func unixPath(f *os.File) (string, bool) {
	l, err := net.FileListener(f)
	if err != nil {
		return "", false
	}
	defer l.Close()
	if u, ok := l.(*net.UnixListener); ok {
		u.SetUnlinkOnClose(false)
		return u.Addr().String(), true
	}
	return "", false
}
