//go:build linux

package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// The end-to-end tests of issue 16: --socket and --build with a real
// server (testServer in zdhelper_test.go).

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// hammer sends a request every 2 ms (10 ms under the race detector), each on a connection of its own, and
// records every failure and which pids answered.
type hammer struct {
	t      *testing.T
	client *http.Client
	url    string
	quit   chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex
	sent     int
	failures []string
	answered map[string]int // by the answer's first word, the server's pid
}

func startHammer(t *testing.T, addr string) *hammer {
	h := &hammer{t: t, url: "http://" + addr + "/", quit: make(chan struct{}), answered: map[string]int{},
		client: &http.Client{Timeout: waitLimit, Transport: &http.Transport{DisableKeepAlives: true}}}
	h.wg.Go(func() {
		every := 2 * time.Millisecond
		if raceEnabled {
			every = 10 * time.Millisecond // the race detector's servers are slow enough
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-h.quit:
				return
			case <-tick.C:
				h.wg.Go(h.request)
			}
		}
	})
	t.Cleanup(h.stop)
	return h
}

func (h *hammer) request() {
	body, err := get(h.client, h.url)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent++
	if err != nil {
		h.failures = append(h.failures, err.Error())
		return
	}
	h.answered[strings.Fields(body + " ?")[0]]++
}

// awaitAnswerFrom waits until the server with pid has answered a request;
// why describes the server's side on failure.
func (h *hammer) awaitAnswerFrom(pid int, why func() string) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		h.mu.Lock()
		n := h.answered[strconv.Itoa(pid)]
		h.mu.Unlock()
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.t.Fatalf("no answer from the server with pid %d within %v (%d sent, %d failed, answers %v); %s",
				pid, waitLimit, h.sent, len(h.failures), h.answered, why())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stop ends the requests and waits for those in flight.
func (h *hammer) stop() {
	select {
	case <-h.quit:
	default:
		close(h.quit)
	}
	h.wg.Wait()
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestSocketServesThroughRestarts: the server gets the socket as
// descriptor 3 with LISTEN_FDS=1, LISTEN_PID its own pid and the name
// given, nothing else; a client hammering it through 8 restarts sees no
// failed request; after SIGINT the port is free.
func TestSocketServesThroughRestarts(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "main.go")
	testkit.Write(t, src, "package main\n")
	info, version := filepath.Join(out, "info"), filepath.Join(out, "version")
	testkit.Write(t, version, "v1")
	addr := freeAddr(t)
	s := startAutoreloadEnv(t, dir, []string{serverVar + "=1"},
		append([]string{"--socket", "web=" + addr, "--"}, serverCommand(info, version)...)...)
	first := s.ready()
	got := strings.Fields(testkit.WaitLines(t, info, 1)[0])
	want := []string{strconv.Itoa(first.pid()), "1", "mine", "web", addr, "0,1,2,3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("the server was given %q, want %q (pid, LISTEN_FDS, LISTEN_PID its own, LISTEN_FDNAMES, fd 3's address, descriptors)", got, want)
	}

	h := startHammer(t, addr)
	why := func() string {
		data, _ := os.ReadFile(info)
		return "servers:\n" + string(data) + "log:\n" + s.logText()
	}
	h.awaitAnswerFrom(first.pid(), why)
	pids := map[int]bool{first.pid(): true}
	for i := 1; i <= 8; i++ {
		replaceFile(t, src, "package main // "+strconv.Itoa(i)+"\n")
		s.await("changed", nil, "started")
		st := s.await("started", nil)
		if pids[st.pid()] {
			t.Fatalf("restart %d: pid %d again", i, st.pid())
		}
		pids[st.pid()] = true
		h.awaitAnswerFrom(st.pid(), why)
	}
	h.stop()
	if len(h.failures) > 0 {
		t.Errorf("%d of %d requests failed through 8 restarts, the first: %s", len(h.failures), h.sent, h.failures[0])
	}
	for i, line := range testkit.WaitLines(t, info, 9) {
		if f := strings.Fields(line); len(f) < 6 || f[2] != "mine" || f[4] != addr || f[5] != "0,1,2,3" {
			t.Errorf("start %d was given %q", i+1, line)
		}
	}
	s.stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("after SIGINT the port is not free: %v", err)
	}
	l.Close()
}

// TestSocketUsageErrors: a --socket that cannot be parsed or bound is one
// line on stderr and exit 2, before COMMAND ever runs.
func TestSocketUsageErrors(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	marker := filepath.Join(t.TempDir(), "ran")
	for _, tc := range []struct {
		args, env []string
		want      string
	}{
		{args: []string{"--socket", "8080"}, want: `invalid argument "8080" for "--socket" flag: want HOST:PORT`},
		{args: []string{"--socket", "localhost:http"}, want: `port "http" is not a number`},
		{args: []string{"--socket", "=:80"}, want: "empty name"},
		{args: []string{"--socket", "unix:"}, want: "no path after unix:"},
		{env: []string{"AUTORELOAD_SOCKET=:80 nope"}, want: `invalid AUTORELOAD_SOCKET=":80 nope": want HOST:PORT`},
		{args: []string{"--socket", busy.Addr().String()}, want: "--socket " + busy.Addr().String() + ": address already in use"},
		{args: []string{"--socket", ":0", "--socket", busy.Addr().String()}, want: "address already in use"},
		{args: []string{"--socket", "unix:" + filepath.Join(t.TempDir(), "no", "dir", "s")}, want: "no such file or directory"},
	} {
		cmd := exec.Command(binary, append(tc.args, "--reloader=stat", "--", "sh", "-c", "touch "+marker)...)
		cmd.Dir = t.TempDir()
		cmd.Env = overrideEnv(os.Environ(), tc.env)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		msg := stderr.String()
		if code != 2 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "autoreload: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%q %q: exit %d (%v), stderr %q; want exit 2 and one line with %q", tc.args, tc.env, code, err, msg, tc.want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("COMMAND ran although a --socket was bad")
	}
}

// TestDescriptorsOfCommandAndBuild: COMMAND gets the sockets as
// descriptors 3 and 4 with --socket, and only stdio and no LISTEN_*
// without; the build never gets a socket or LISTEN_*, nor a descriptor
// autoreload inherited.
func TestDescriptorsOfCommandAndBuild(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		command string
	}{
		{"with --socket", []string{"--socket", "127.0.0.1:0", "--socket", "admin=unix:" + filepath.Join(t.TempDir(), "s")},
			`0 1 2 3 4 | "2" mine "unknown:admin"`},
		// LISTEN_* that autoreload inherited describe none of COMMAND's
		// descriptors: they are dropped.
		{"without --socket", nil, `0 1 2 | "" unset ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			cmdFDs, buildFDs := filepath.Join(out, "command"), filepath.Join(out, "build")
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			args := append(tc.args, "--build", "exec '"+helper+"' fds "+buildFDs, "--", helper, "fds", cmdFDs)
			env := []string{serverVar + "=1", "LISTEN_FDS=1", "LISTEN_PID=1", "LISTEN_FDNAMES=stale"}
			s := startSession(t, t.TempDir(), env, []*os.File{w}, args...)
			s.await("built", nil, "build failed")
			s.await("exited", nil)
			if got := testkit.WaitLines(t, cmdFDs, 1)[0]; got != tc.command {
				t.Errorf("COMMAND has descriptors %q, want %q", got, tc.command)
			}
			if got, want := testkit.WaitLines(t, buildFDs, 1)[0], `0 1 2 | "" unset ""`; got != want {
				t.Errorf("the build has descriptors and LISTEN_* %q, want %q", got, want)
			}
			s.stop()
		})
	}
}
