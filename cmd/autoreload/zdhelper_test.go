package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// serverVar makes the test binary a server, or a descriptor lister, for the
// tests of --socket and --build; init runs it before TestMain, so the
// other helpers (helperMain) are left as they are.
//
//	serve INFO VERSION  an HTTP server on the socket of LISTEN_FDS (exit 1
//	                    without one): appends what it was given to INFO,
//	                    answers "PID VERSION-FILE-CONTENT AUTORELOAD_CHANGED";
//	                    on SIGTERM finishes the requests in hand, exits 0
//	fds FILE            appends its open descriptors and LISTEN_* (listenVars)
//	                    to FILE and exits 0
const serverVar = "AUTORELOAD_TEST_SERVER"

func init() {
	if os.Getenv(serverVar) == "" {
		return
	}
	args := os.Args[1:]
	var err error
	switch {
	case len(args) == 3 && args[0] == "serve":
		err = testServer(args[1], args[2])
	case len(args) == 2 && args[0] == "fds":
		err = appendLine(args[1], strings.Join(ownFDs(), " ")+" | "+listenVars())
	default:
		err = fmt.Errorf("unknown arguments %q", args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "test server:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// listenVars shows LISTEN_FDS, whether LISTEN_PID is the process's own pid
// (mine, unset or other) and LISTEN_FDNAMES.
func listenVars() string {
	pid := "other"
	switch os.Getenv("LISTEN_PID") {
	case "":
		pid = "unset"
	case strconv.Itoa(os.Getpid()):
		pid = "mine"
	}
	return fmt.Sprintf("%q %s %q", os.Getenv("LISTEN_FDS"), pid, os.Getenv("LISTEN_FDNAMES"))
}

// ownFDs lists the descriptors the process was started with: all but the
// one that reads them and those the Go runtime opens for itself (its
// poller, and since Go 1.25 the cgroup files it reads GOMAXPROCS from).
func ownFDs() []string {
	dir := "/proc/self/fd"
	f, err := os.Open(dir)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	var fds []int
	for _, n := range names {
		fd, _ := strconv.Atoi(n)
		target, _ := os.Readlink(dir + "/" + n)
		runtimes := strings.HasPrefix(target, "/sys/fs/cgroup/") ||
			target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]"
		if uintptr(fd) != f.Fd() && !runtimes {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	out := make([]string, len(fds))
	for i, fd := range fds {
		out[i] = strconv.Itoa(fd)
	}
	return out
}

// testServer is a server as the README tells people to write one: its
// listener from descriptor 3 when LISTEN_PID is its pid, Shutdown on
// SIGTERM. INFO gets one line: "PID LISTEN_FDS LISTEN_PID-is-mine
// LISTEN_FDNAMES fd3-address descriptors".
func testServer(info, versionFile string) error {
	pid := strconv.Itoa(os.Getpid())
	fds := ownFDs()
	if os.Getenv("LISTEN_FDS") != "1" || os.Getenv("LISTEN_PID") != pid {
		appendLine(info, fmt.Sprintf("%s no-socket LISTEN_FDS=%q LISTEN_PID=%q", pid, os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID")))
		return fmt.Errorf("no socket: LISTEN_FDS=%q LISTEN_PID=%q", os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"))
	}
	f := os.NewFile(3, "listener")
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return err
	}
	version, _ := os.ReadFile(versionFile)
	answer := fmt.Sprintf("%s %s %s", pid, strings.TrimSpace(string(version)),
		strings.ReplaceAll(os.Getenv("AUTORELOAD_CHANGED"), "\n", ","))
	if err := appendLine(info, fmt.Sprintf("%s %s mine %s %s %s", pid, os.Getenv("LISTEN_FDS"),
		os.Getenv("LISTEN_FDNAMES"), l.Addr(), strings.Join(fds, ","))); err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, answer)
	})}
	return serveUntilTerm(srv, l)
}

// serveUntilTerm serves until SIGTERM, then stops accepting and answers
// every connection it accepted before it exits. Not Shutdown alone: it
// closes a connection accepted just before whose request it had not read
// yet, unanswered (golang/go#75591).
func serveUntilTerm(srv *http.Server, l net.Listener) error {
	var conns sync.WaitGroup
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateHijacked, http.StateClosed:
			conns.Done()
		}
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		srv.SetKeepAlivesEnabled(false) // each connection closes after its answer
		l.Close()
	}()
	err := srv.Serve(l) // returns once l is closed: no Add follows
	if !errors.Is(err, net.ErrClosed) {
		return err
	}
	done := make(chan struct{})
	go func() { conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return errors.New("connections still open 10s after SIGTERM")
	}
	return nil
}

// serverCommand is the COMMAND that runs testServer.
func serverCommand(info, version string) []string {
	return []string{helper, "serve", info, version}
}
