package socket

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func mustParse(t *testing.T, s string) Addr {
	t.Helper()
	a, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestListenHandsOverBlockingCloseOnExecSockets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	s, err := Listen([]Addr{mustParse(t, "127.0.0.1:0"), mustParse(t, "admin=unix:"+path)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
	want := []string{"LISTEN_FDS=2", "LISTEN_FDNAMES=unknown:admin"}
	if got := s.Env(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Env = %q, want %q", got, want)
	}
	for i, f := range s.Files() {
		fd := int(f.Fd())
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_NONBLOCK != 0 {
			t.Errorf("socket %d: flags %#x, %v: want blocking", i, fl, err)
		}
		fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || fdfl&unix.FD_CLOEXEC == 0 {
			t.Errorf("socket %d: descriptor flags %#x, %v: want close-on-exec", i, fdfl, err)
		}
	}
	// Whoever takes the descriptor over accepts what arrives meanwhile.
	c, err := net.Dial("tcp", s.Bound()[0])
	if err != nil {
		t.Fatalf("dial %s: %v", s.Bound()[0], err)
	}
	defer c.Close()
	l, err := net.FileListener(s.Files()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	uc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	uc.Close()

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close the socket file is still there: %v", err)
	}
}

func TestListenAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	other := filepath.Join(t.TempDir(), "first.sock")
	_, err = Listen([]Addr{mustParse(t, "unix:"+other), mustParse(t, l.Addr().String())})
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Listen on a used port: %v, want an *Error wrapping EADDRINUSE", err)
	}
	want := "--socket " + l.Addr().String() + ": address already in use"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	// All or nothing: the first socket was closed and its file removed.
	if _, err := os.Lstat(other); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket opened before the failure is left: %v", err)
	}
}

func TestListenUnixSocketFiles(t *testing.T) {
	dir := t.TempDir()

	// A socket file nothing listens on (its owner was killed) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	s, err := Listen([]Addr{mustParse(t, "unix:"+stale)})
	if err != nil {
		t.Fatalf("a stale socket file: %v", err)
	}
	s.Close()

	// A live one is in use, and a regular file is never removed.
	live := filepath.Join(dir, "live.sock")
	l, err = net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := Listen([]Addr{mustParse(t, "unix:"+live)}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a socket someone listens on: %v, want EADDRINUSE", err)
	}
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen([]Addr{mustParse(t, "unix:"+regular)}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a regular file at the path: %v, want EADDRINUSE", err)
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep" {
		t.Errorf("the regular file was touched")
	}
}

func TestListenErrorsAreOneLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "s.sock")
	for _, a := range []string{"unix:" + missing, "no-such-host.invalid:80", "192.0.2.1:80"} {
		_, err := Listen([]Addr{mustParse(t, a)})
		if err == nil {
			t.Errorf("Listen(%s) succeeded", a)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "--socket ") || strings.Contains(msg, "\n") || strings.Contains(msg, "listen tcp") {
			t.Errorf("Listen(%s): %q, want one line naming the --socket value once", a, msg)
		}
	}
}

func TestListenPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may bind anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	_, err := Listen([]Addr{mustParse(t, "unix:"+filepath.Join(dir, "s.sock"))})
	if !errors.Is(err, syscall.EACCES) || !strings.HasSuffix(err.Error(), ": permission denied") {
		t.Errorf("bind in a read-only directory: %v, want permission denied", err)
	}
}

func TestEmptySet(t *testing.T) {
	s, err := Listen(nil)
	if err != nil || s.Len() != 0 || s.Env() != nil {
		t.Fatalf("Listen(nil) = %v, %v", s, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestListenHosts: what each kind of host binds, as net.Listen did, with
// names from /etc/hosts only.
func TestListenHosts(t *testing.T) {
	for _, tc := range []struct{ addr, bound string }{
		{"127.0.0.1:0", "127.0.0.1:"},
		{"localhost:0", "127.0.0.1:"},
		{":0", "[::]:"}, // every interface, IPv4 too
	} {
		s, err := Listen([]Addr{mustParse(t, tc.addr)})
		if errors.Is(err, syscall.EAFNOSUPPORT) {
			continue
		}
		if err != nil {
			t.Errorf("Listen(%s): %v", tc.addr, err)
			continue
		}
		bound := s.Bound()[0]
		_, port, _ := net.SplitHostPort(bound)
		if bound != tc.bound+port {
			t.Errorf("Listen(%s) bound %s, want %sPORT", tc.addr, bound, tc.bound)
		}
		if c, err := net.Dial("tcp4", "127.0.0.1:"+port); err != nil {
			t.Errorf("Listen(%s): IPv4 loopback: %v", tc.addr, err)
		} else {
			c.Close()
		}
		s.Close()
	}
	_, err := Listen([]Addr{mustParse(t, "no-such-host.invalid:80")})
	if want := `--socket no-such-host.invalid:80: host "no-such-host.invalid" is not an IP address, localhost or a name in /etc/hosts`; err == nil || err.Error() != want {
		t.Errorf("an unknown name: %v, want %q", err, want)
	}
}

func TestLookupHosts(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte(`# comment
::1	localhost ip6-localhost
127.0.0.1	localhost
fe80::1%lo	linklocal
10.0.0.2	web.lan web # the box
fd00::5	only6
fd00::6	only6 dev.
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"localhost", "127.0.0.1"}, // IPv4 first, as net.Listen
		{"WEB", "10.0.0.2"},
		{"web.lan.", "10.0.0.2"},
		{"only6", "fd00::5"},
		{"dev", "fd00::6"},
		{"comment", ""},
		{"the", ""},
		{"linklocal", ""}, // a zone cannot be bound by address alone
	} {
		ip, ok := lookupHosts(hosts, tc.name)
		if got := ip.String(); !ok && tc.want != "" || ok && got != tc.want {
			t.Errorf("lookupHosts(%q) = %s, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
