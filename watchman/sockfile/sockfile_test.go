package sockfile

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// within fails the test unless fn returns within d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
	}
}

// opened fails the test on err, else closes f when the test ends.
func opened(t *testing.T, f *os.File, err error) *os.File {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func listenUnix(t *testing.T) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := Listen(&syscall.SockaddrUnix{Name: path})
	return opened(t, ln, err), path
}

func TestUnixConversation(t *testing.T) {
	ln, path := listenUnix(t)
	if got, err := Addr(ln); err != nil || got != path {
		t.Errorf("Addr = %q, %v; want %q", got, err, path)
	}
	c, err := DialUnix(context.Background(), path, time.Second)
	opened(t, c, err)
	s, err := Accept(ln)
	opened(t, s, err)
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("read %q, %v", buf, err)
	}

	// A read deadline ends a read with a timeout; Close ends one at once.
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var te interface{ Timeout() bool }
	within(t, 5*time.Second, "read past its deadline", func() {
		if _, err := s.Read(buf); !errors.As(err, &te) || !te.Timeout() {
			t.Errorf("read past the deadline: %v, want a timeout", err)
		}
	})
	s.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.Close()
		s.Close()
	}()
	within(t, 5*time.Second, "read on a closed file", func() {
		if _, err := s.Read(buf); err == nil {
			t.Error("read on a closed file succeeded")
		}
	})
}

func TestAcceptEndsAtClose(t *testing.T) {
	ln, _ := listenUnix(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		ln.Close()
	}()
	within(t, 5*time.Second, "Accept after Close", func() {
		if c, err := Accept(ln); err == nil {
			c.Close()
			t.Error("Accept on a closed listener succeeded")
		}
	})
}

func TestDialUnixFailures(t *testing.T) {
	dir := t.TempDir()
	if _, err := DialUnix(context.Background(), filepath.Join(dir, "none"), time.Second); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("no socket file: %v, want ENOENT", err)
	}
	// A socket file nothing listens on any more.
	ln, path := listenUnix(t)
	ln.Close()
	if _, err := DialUnix(context.Background(), path, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("no listener: %v, want ECONNREFUSED", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DialUnix(ctx, path, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v, want context.Canceled", err)
	}
}

func TestListenTCP(t *testing.T) {
	ln, err := Listen(&syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	opened(t, ln, err)
	addr, err := Addr(ln)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c.Close()
	s, err := Accept(ln)
	opened(t, s, err)
	// The port is taken.
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	if _, err := Listen(&syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: n}); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a port in use: %v, want EADDRINUSE", err)
	}
}

// TestListenIPv6WildcardIsDualStack: [::] takes IPv4 connections too, as
// net.Listen("tcp", ":PORT") does.
func TestListenIPv6WildcardIsDualStack(t *testing.T) {
	ln, err := Listen(&syscall.SockaddrInet6{})
	if errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Skip("no IPv6 here")
	}
	opened(t, ln, err)
	addr, err := Addr(ln)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if want := "[::]:" + port; addr != want {
		t.Errorf("Addr = %q, want %q", addr, want)
	}
	c, err := net.Dial("tcp4", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("IPv4 to the IPv6 wildcard: %v", err)
	}
	c.Close()
}
