package socket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

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

// listen opens one socket and returns it as a file of its own: the
// listener net made is closed, its descriptor duplicated first.
func listen(a Addr) (*os.File, string, error) {
	l, err := net.Listen(a.Network, a.Address)
	if err != nil && a.Network == "unix" && errors.Is(err, syscall.EADDRINUSE) && removeStale(a.Address) {
		l, err = net.Listen(a.Network, a.Address)
	}
	if err != nil {
		return nil, "", cause(err)
	}
	var f *os.File
	switch l := l.(type) {
	case *net.TCPListener:
		f, err = l.File()
	case *net.UnixListener:
		// The socket file must outlive this listener: Close removes it.
		l.SetUnlinkOnClose(false)
		f, err = l.File()
	}
	bound := l.Addr().String()
	l.Close()
	if err != nil {
		return nil, "", cause(err)
	}
	// Fd makes it blocking, as systemd passes sockets; COMMAND sets the
	// mode it wants.
	f.Fd()
	return f, bound, nil
}

// removeStale removes a unix socket file that nothing listens on any more
// (left by a process that was killed), as systemd does before it binds.
// A regular file, or a socket someone answers on, is left alone.
func removeStale(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return false
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	return os.Remove(path) == nil
}

// cause strips what net adds around a system call's error ("listen tcp
// 127.0.0.1:80: bind: "), since Error names the address already.
func cause(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
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
