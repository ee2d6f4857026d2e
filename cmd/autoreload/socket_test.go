//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func init() {
	if os.Getenv("AUTORELOAD_TEST_HELPER") != "" && len(os.Args) > 2 && os.Args[1] == "socket-server" {
		socketServer(os.Args[2])
	}
}

// socketServer is COMMAND with --socket: it appends "PID LISTEN_PID
// LISTEN_FDS LISTEN_FDNAMES SOCKETS" to file, SOCKETS being its open
// descriptors that are sockets, as COMMAND got them (the runtime of a
// race-enabled build opens files of its own); it serves HTTP on descriptor 3 (answering its pid), and on
// SIGTERM finishes the requests in hand.
func socketServer(file string) {
	var fds []string // before this process opens anything of its own
	for fd := 3; fd < 16; fd++ {
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) != nil {
			continue
		}
		if st.Mode&syscall.S_IFMT == syscall.S_IFSOCK {
			fds = append(fds, strconv.Itoa(fd))
		}
	}
	f, _ := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintf(f, "%d %s %s %s %s\n", os.Getpid(), os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"),
		os.Getenv("LISTEN_FDNAMES"), strings.Join(fds, ","))
	f.Close()
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "socket-server:", err)
		os.Exit(100)
	}
	pid := strconv.Itoa(os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, pid) })}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go srv.Serve(l)
	<-term
	srv.Shutdown(context.Background())
	os.Exit(0)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSocketKeptAcrossRestarts: with --socket, the server gets descriptor
// 3 by systemd's protocol (LISTEN_PID its own pid), and a client sending a
// request every few milliseconds through 8 restarts sees none fail; after
// SIGINT the port is free.
func TestSocketKeptAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freePort(t)
	starts := filepath.Join(t.TempDir(), "starts")
	s := startAutoreload(t, dir, "--socket", addr, "--", helper, "socket-server", starts)
	s.ready()
	check := func(n int) {
		t.Helper()
		f := strings.Fields(waitFile(t, starts, n)[n-1])
		if len(f) != 5 || f[0] != f[1] || f[2] != "1" || f[3] != "unknown" || f[4] != "3" {
			t.Fatalf("start %d: pid, LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, sockets = %q; want the pid twice, 1, unknown, 3", n, f)
		}
	}
	check(1)

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: waitLimit}
	var mu sync.Mutex
	var ok, failed int
	var firstErr error
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			resp, err := client.Get("http://" + addr + "/")
			if err == nil {
				_, err = resp.Body.Read(make([]byte, 16))
				if err != nil && err.Error() == "EOF" {
					err = nil
				}
				resp.Body.Close()
			}
			mu.Lock()
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
			} else {
				ok++
			}
			mu.Unlock()
		}
	})
	for n := 2; n <= 9; n++ {
		writeFile(t, filepath.Join(dir, "main.go"), strings.Repeat("x", n))
		s.await("started", nil)
		check(n)
	}
	close(done)
	wg.Wait()
	if failed > 0 || ok == 0 {
		t.Errorf("through 8 restarts: %d requests answered, %d failed (first: %v)", ok, failed, firstErr)
	}
	s.stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still taken after autoreload exited: %v", err)
	}
	l.Close()
}

// TestSocketsNamed: several sockets come in order, named in LISTEN_FDNAMES
// ("unknown" when not named), a Unix one included.
func TestSocketsNamed(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "s.sock")
	starts := filepath.Join(t.TempDir(), "starts")
	s := startAutoreload(t, t.TempDir(), "--socket", "web="+freePort(t), "--socket", "unix:"+sock,
		"--", helper, "socket-server", starts)
	s.ready()
	f := strings.Fields(waitFile(t, starts, 1)[0])
	if len(f) != 5 || f[2] != "2" || f[3] != "web:unknown" || f[4] != "3,4" {
		t.Fatalf("LISTEN_FDS, LISTEN_FDNAMES, sockets = %q, want 2, web:unknown, 3,4", f[2:])
	}
	s.stop()
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("%s still there after autoreload exited", sock)
	}
}

// TestBadSocket: an address that cannot be parsed or bound is one line on
// stderr and exit 2, before COMMAND starts.
func TestBadSocket(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct{ value, want string }{
		{"8080", "want HOST:PORT"},
		{"127.0.0.1:99999", "bad port"},
		{"unix:", "needs a path"},
		{"we b=127.0.0.1:0", "printable ASCII"},
		{taken.Addr().String(), "address already in use"},
		{"unix:/nonexistent-dir/s.sock", "no such file"},
	} {
		cmd := exec.Command(binary, "--reloader=stat", "--socket", c.value, "--", "true")
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) || !strings.Contains(lines[0], "--socket") {
			t.Errorf("--socket %q: exit %d, output %q; want exit 2 and one line with %q", c.value, code, out, c.want)
		}
	}
}
