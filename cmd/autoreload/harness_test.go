package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// The end-to-end tests run the built binary on real files, with the test
// binary itself (or sh) as COMMAND, and follow what it does through its
// JSON log on stderr.

var (
	binary string // the autoreload binary under test
	helper string // this test binary, run as COMMAND
)

// waitLimit bounds every wait: generous, since the machine is shared, and
// never reached when things work.
const waitLimit = 30 * time.Second

func TestMain(m *testing.M) {
	if mode := os.Getenv("AUTORELOAD_TEST_HELPER"); mode != "" {
		helperMain(os.Args[1:])
		return
	}
	dir, err := os.MkdirTemp("", "autoreload-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "autoreload")
	// An autoreload that reaches for Watchman without a test's private daemon
	// finds none, rather than starting one on the machine's default socket.
	os.Setenv("WATCHMAN_SOCK", filepath.Join(dir, "no-watchman"))
	// The fault hooks (AUTORELOAD_FAULTS) are compiled in, inert unless set.
	args := []string{"build", "-tags", "autoreload_faults", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
		// A race-enabled program sleeps a second as it exits (GORACE's
		// atexit_sleep_ms): every guard would hold up its restart by that.
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building autoreload:", err)
		os.Exit(1)
	}
	helper, _ = os.Executable()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// event is one line of the JSON log.
type event map[string]any

func (e event) msg() string { s, _ := e["msg"].(string); return s }
func (e event) pid() int    { f, _ := e["pid"].(float64); return int(f) }
func (e event) paths() []string {
	var out []string
	list, _ := e["paths"].([]any)
	for _, p := range list {
		out = append(out, p.(string))
	}
	return out
}

// session is one autoreload process under test.
type session struct {
	t      *testing.T
	cmd    *exec.Cmd
	mark   string // in the environment of autoreload and all it starts
	events chan event
	unread []event // read ahead by readyEvents, returned first by next
	mu     sync.Mutex
	log    []string // every stderr line, for failure messages
	exited chan struct{}
	code   int
}

// startAutoreload runs autoreload with args in dir, logging JSON and
// polling every 50 ms unless args say otherwise.
func startAutoreload(t *testing.T, dir string, args ...string) *session {
	t.Helper()
	return startAutoreloadEnv(t, dir, nil, args...)
}

// startAutoreloadEnv is startAutoreload with env (NAME=VALUE, or NAME= to
// unset NAME) applied over the test's environment.
func startAutoreloadEnv(t *testing.T, dir string, env []string, args ...string) *session {
	t.Helper()
	return startSession(t, dir, env, nil, args...)
}

// startSession is startAutoreloadEnv with extra descriptors for autoreload
// to inherit, from 3 on.
func startSession(t *testing.T, dir string, env []string, extra []*os.File, args ...string) *session {
	t.Helper()
	return startSessionWith(t, dir, env, extra, nil, args...)
}

// startSessionWith is startSession with setup applied to autoreload's
// command before it starts (to give it a terminal, say).
func startSessionWith(t *testing.T, dir string, env []string, extra []*os.File, setup func(*exec.Cmd), args ...string) *session {
	t.Helper()
	s := &session{
		t:      t,
		mark:   fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()),
		events: make(chan event, 1000),
		exited: make(chan struct{}),
	}
	defaults := []string{"--log-format=json", "--poll-interval=50ms"}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--reloader") }) {
		// Never the machine's own Watchman: a test that wants Watchman
		// starts a private daemon and says --reloader.
		defaults = append(defaults, "--reloader=stat")
	}
	s.cmd = exec.Command(binary, append(defaults, args...)...)
	s.cmd.Dir = dir
	s.cmd.Env = overrideEnv(os.Environ(), append(env, "AUTORELOAD_TEST_HELPER=1", "AUTORELOAD_TEST_MARK="+s.mark))
	// stderr is a pipe of our own: a process left behind holding it must
	// not keep the test from seeing autoreload exit.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = w
	s.cmd.ExtraFiles = extra
	if setup != nil {
		setup(s.cmd)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log = append(s.log, line)
			s.mu.Unlock()
			var e event
			if json.Unmarshal([]byte(line), &e) == nil && e.msg() != "" {
				s.events <- e
			}
		}
	}()
	go func() {
		err := s.cmd.Wait()
		s.code = s.cmd.ProcessState.ExitCode()
		if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
			s.code = -1
		}
		// The last lines, unless a leftover process holds the pipe open.
		select {
		case <-scanned:
		case <-time.After(2 * time.Second):
		}
		close(s.exited)
	}()
	t.Cleanup(s.cleanup)
	return s
}

// overrideEnv applies NAME=VALUE entries over base; NAME= removes NAME.
func overrideEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		name, value, _ := strings.Cut(kv, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		if value != "" {
			out = append(out, kv)
		}
	}
	return out
}

// cleanup ends autoreload if a test left it running, and fails the test if
// anything it started is still there.
func (s *session) cleanup() {
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Kill()
		<-s.exited
	}
	deadline := time.Now().Add(waitLimit)
	for {
		left := marked(s.mark)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Errorf("processes left behind: %v", left)
			for _, p := range left {
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *session) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n")
}

// next returns the next event, failing the test after waitLimit.
func (s *session) next(what string) event {
	s.t.Helper()
	if len(s.unread) > 0 {
		e := s.unread[0]
		s.unread = s.unread[1:]
		return e
	}
	select {
	case e := <-s.events:
		return e
	case <-s.exited:
		// The scanner sends every event before closing exited.
		select {
		case e := <-s.events:
			return e
		default:
		}
		s.t.Fatalf("autoreload exited (code %d) while waiting for %s; log:\n%s", s.code, what, s.logText())
	case <-time.After(waitLimit):
		s.t.Fatalf("no %s within %v; log:\n%s", what, waitLimit, s.logText())
	}
	return nil
}

// await skips events until one with msg for which ok holds (ok may be nil);
// it fails on an event whose msg is in forbidden.
func (s *session) await(msg string, ok func(event) bool, forbidden ...string) event {
	s.t.Helper()
	for {
		e := s.next(msg)
		for _, f := range forbidden {
			if e.msg() == f {
				s.t.Fatalf("got %q while waiting for %q: %v; log:\n%s", f, msg, e, s.logText())
			}
		}
		if e.msg() == msg && (ok == nil || ok(e)) {
			return e
		}
	}
}

// ready waits until autoreload watches and COMMAND has started, and
// returns the started event.
func (s *session) ready() event {
	s.t.Helper()
	_, started := s.readyEvents()
	return started
}

// readyEvents waits for the watching and started events, which come in
// either order: COMMAND starts beside the watcher. Other events met on the
// way (COMMAND may exit before the watcher is ready) stay to be read.
func (s *session) readyEvents() (watching, started event) {
	s.t.Helper()
	var other []event
	for started == nil || watching == nil {
		e := s.next("watching and started")
		switch {
		case e.msg() == "watching" && watching == nil:
			watching = e
		case e.msg() == "started" && started == nil:
			started = e
		default:
			other = append(other, e)
		}
	}
	s.unread = append(other, s.unread...)
	return watching, started
}

func (s *session) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for autoreload to exit and returns its exit code.
func (s *session) wait() int {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(waitLimit):
		s.t.Fatalf("autoreload did not exit within %v; log:\n%s", waitLimit, s.logText())
	}
	return 0
}

// countMsg is how many of events carry msg.
func countMsg(events []event, msg string) int {
	n := 0
	for _, e := range events {
		if e.msg() == msg {
			n++
		}
	}
	return n
}

// stop sends SIGINT and expects a clean exit with nothing left running.
func (s *session) stop() []event {
	s.t.Helper()
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 0 {
		s.t.Fatalf("exit code after SIGINT = %d, want 0; log:\n%s", code, s.logText())
	}
	rest := s.unread
	s.unread = nil
	for len(s.events) > 0 {
		rest = append(rest, <-s.events)
	}
	if left := marked(s.mark); len(left) > 0 {
		s.t.Fatalf("processes left after autoreload exited: %v", left)
	}
	return rest
}

// procID names a process across pid reuse: pid and start time.
type procID struct {
	pid   int
	start uint64
	cmd   string
}

// marked lists the processes that carry mark in their environment, other
// than autoreload itself (zombies have no environment left to read).
func marked(mark string) []procID {
	return markedWith(mark, false)
}

// killMarked kills every process carrying mark, autoreload first: a test
// that ends before autoreload does (a failure, a shell killed under it)
// leaves nothing running.
func killMarked(mark string) {
	for _, withAutoreload := range []bool{true, false} {
		for _, p := range markedWith(mark, withAutoreload) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

// markedWith is marked, with autoreload's own processes too when
// withAutoreload.
func markedWith(mark string, withAutoreload bool) []procID {
	needle := []byte("AUTORELOAD_TEST_MARK=" + mark + "\x00")
	names, _ := filepath.Glob("/proc/[0-9]*")
	var out []procID
	for _, dir := range names {
		env, err := os.ReadFile(dir + "/environ")
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		if id, ok := identify(pid); ok && (withAutoreload || !strings.HasSuffix(id.cmd, "autoreload")) {
			out = append(out, id)
		}
	}
	return out
}

// identify reads a process's start time and command; ok is false when it
// is gone (a zombie still counts as there).
func identify(pid int) (procID, bool) {
	p, ok := proctree.ReadStat(pid)
	return procID{pid: pid, start: p.Start, cmd: p.Comm}, ok
}

// isGuard tells COMMAND's guard by its name.
func isGuard(p procID) bool { return p.cmd == guard.Comm }

// exists reports whether the very process id is still there, even as a
// zombie.
func exists(id procID) bool {
	now, ok := identify(id.pid)
	return ok && now.start == id.start
}

// replaceFile gives path its new content in one step (a rename from
// outside the watched tree, as many editors save), so a scan can never see
// it half written. Tests whose write races with a poller scan by design
// (the first scan after a fallback) use it; an in-place write could be seen
// both empty and complete, which is two changes.
func replaceFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "new")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// ppid is a process's parent, or 0 when it is gone.
func ppid(pid int) int { return proctree.Parent(pid) }
