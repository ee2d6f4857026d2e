package socket

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/autoreload/autoreload/watchman/sockfile"
)

// hostsFile is where host names other than localhost are looked up.
const hostsFile = "/etc/hosts"

// Set is the open listening sockets, in the order of their addresses.
type Set struct {
	addrs []Addr
	files []*os.File
	bound []string // the address each is bound to: a port 0 resolved
}

// Error is a socket that cannot be opened; Err is the cause, often a
// syscall.Errno such as EADDRINUSE or EACCES.
type Error struct {
	Addr Addr
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("--socket %s: %v", e.Addr, e.Err)
}
func (e *Error) Unwrap() error { return e.Err }

// Listen binds and listens on every address, in order. On a failure it
// closes what it opened and returns an *Error.
func Listen(addrs []Addr) (*Set, error) {
	s := &Set{addrs: addrs}
	for _, a := range addrs {
		f, bound, err := listen(a)
		if err != nil {
			s.Close()
			return nil, &Error{Addr: a, Err: err}
		}
		s.files = append(s.files, f)
		s.bound = append(s.bound, bound)
	}
	return s, nil
}

// listen opens one socket and returns it with the address it is bound to.
func listen(a Addr) (*os.File, string, error) {
	sa, err := sockaddr(a)
	if err != nil {
		return nil, "", err
	}
	f, err := sockfile.Listen(sa)
	switch {
	case err == nil:
	case a.Network == "unix" && errors.Is(err, syscall.EADDRINUSE) && removeStale(a.Address):
		f, err = sockfile.Listen(sa)
	case errors.Is(err, syscall.EAFNOSUPPORT) && isWildcard6(sa):
		// No IPv6 here: all interfaces are IPv4's.
		f, err = sockfile.Listen(&syscall.SockaddrInet4{Port: sa.(*syscall.SockaddrInet6).Port})
	}
	if err != nil {
		return nil, "", cause(err)
	}
	bound, err := sockfile.Addr(f)
	if err == nil {
		// Blocking, as systemd passes sockets; COMMAND sets the mode it
		// wants. autoreload itself never accepts on it.
		err = control(f, func(fd int) error { return syscall.SetNonblock(fd, false) })
	}
	if err != nil {
		f.Close()
		return nil, "", cause(err)
	}
	return f, bound, nil
}

// control runs fn on f's descriptor.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// sockaddr is where a listens. An empty host is every interface, IPv6 and
// IPv4 (as net.Listen does); a host name is looked up in /etc/hosts only.
func sockaddr(a Addr) (syscall.Sockaddr, error) {
	if a.Network == "unix" {
		return &syscall.SockaddrUnix{Name: a.Address}, nil
	}
	host, p, _ := splitHostPort(a.Address)
	port, _ := strconv.Atoi(p)
	if host == "" {
		return &syscall.SockaddrInet6{Port: port}, nil
	}
	ip, err := resolve(host)
	if err != nil {
		return nil, err
	}
	if ip.Is4() {
		return &syscall.SockaddrInet4{Port: port, Addr: ip.As4()}, nil
	}
	return &syscall.SockaddrInet6{Port: port, Addr: ip.As16()}, nil
}

func isWildcard6(sa syscall.Sockaddr) bool {
	s, ok := sa.(*syscall.SockaddrInet6)
	return ok && s.Addr == [16]byte{}
}

// resolve is host's address: an IP address itself, else what /etc/hosts
// gives the name (its first IPv4 address, else its first IPv6 one: what
// net.Listen binds), else for localhost the IPv4 loopback. DNS is not
// asked: a name only DNS knows names no address of this machine anyway.
func resolve(host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), nil
	}
	if ip, ok := lookupHosts(hostsFile, host); ok {
		return ip, nil
	}
	if name := strings.ToLower(strings.TrimSuffix(host, ".")); name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	}
	return netip.Addr{}, fmt.Errorf("host %q is not an IP address, localhost or a name in %s", host, hostsFile)
}

// lookupHosts finds name in a hosts(5) file: the first IPv4 address given
// for it, else the first IPv6 one.
func lookupHosts(path, name string) (netip.Addr, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return netip.Addr{}, false
	}
	name = strings.TrimSuffix(name, ".")
	var v6 netip.Addr
	for line := range strings.Lines(string(b)) {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 || !slices.ContainsFunc(f[1:], func(n string) bool { return strings.EqualFold(strings.TrimSuffix(n, "."), name) }) {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil || ip.Zone() != "" {
			continue
		}
		if ip = ip.Unmap(); ip.Is4() {
			return ip, true
		}
		if !v6.IsValid() {
			v6 = ip
		}
	}
	return v6, v6.IsValid()
}

// removeStale removes a unix socket file that nothing listens on any more
// (left by a process that was killed), as systemd does before it binds.
// A regular file, or a socket someone answers on, is left alone.
func removeStale(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	c, err := sockfile.DialUnix(context.Background(), path, 0)
	if err == nil {
		c.Close()
		return false
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	return os.Remove(path) == nil
}

// cause strips the system call's name ("bind: "), since Error names the
// address already.
func cause(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// Len is the number of sockets.
func (s *Set) Len() int { return len(s.files) }

// Files are the sockets in order: COMMAND's descriptors 3, 4, ….
func (s *Set) Files() []*os.File { return s.files }

// Bound is the address each socket is bound to, in order: with port 0 the
// port the system chose.
func (s *Set) Bound() []string { return s.bound }

// Env is what tells COMMAND of the sockets, without LISTEN_PID (only the
// process that becomes COMMAND knows its pid): LISTEN_FDS and
// LISTEN_FDNAMES. It is empty for an empty set.
func (s *Set) Env() []string {
	if s == nil || len(s.files) == 0 {
		return nil
	}
	names := make([]string, len(s.addrs))
	for i, a := range s.addrs {
		names[i] = a.Name
	}
	return []string{"LISTEN_FDS=" + strconv.Itoa(len(s.files)), "LISTEN_FDNAMES=" + strings.Join(names, ":")}
}

// Close closes the sockets and removes the files of unix sockets (not of
// abstract ones, which have none).
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for i, f := range s.files {
		errs = append(errs, f.Close())
		if a := s.addrs[i]; a.Network == "unix" && !strings.HasPrefix(a.Address, "@") {
			if err := os.Remove(a.Address); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	s.files = nil
	return errors.Join(errs...)
}
