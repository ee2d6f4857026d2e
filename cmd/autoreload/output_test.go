//go:build linux

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestQuietLogsNothingButTrouble: -q leaves out every info line, through a
// restart and a stop.
func TestQuietLogsNothingButTrouble(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreload(t, dir, "-q", "--", helper, "env", out)
	testkit.WaitLines(t, out, 1)
	// A change from COMMAND's start on is seen, even before the watcher is
	// ready (it takes its baseline from that moment).
	testkit.Write(t, filepath.Join(dir, "a.txt"), "a")
	testkit.WaitLines(t, out, 2)
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	if log := s.logText(); log != "" {
		t.Errorf("-q logged:\n%s", log)
	}
}

// TestVerboseNamesEachStop: -v adds a stopping line with the pid and the
// stop signal before each stop.
func TestVerboseNamesEachStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startAutoreload(t, dir, "-v", "-s", "HUP", "--", "sleep", "1000")
	first := s.ready()
	testkit.Write(t, filepath.Join(dir, "a.txt"), "a")
	e := s.await("stopping", nil, "exited", "started")
	if e.pid() != first.pid() || e["signal"] != "SIGHUP" || e["level"] != "DEBUG" {
		t.Errorf("stopping = %v, want pid %d, signal SIGHUP, level DEBUG", e, first.pid())
	}
	s.await("started", nil)
	s.stop()
}

// TestVerboseAddsNothingInternal: -v adds debug lines of its own, but the
// lines every run logs carry the same attributes with or without it (it
// once added goroutines=N to watching).
func TestVerboseAddsNothingInternal(t *testing.T) {
	t.Parallel()
	keys := func(args ...string) []string {
		s := startAutoreload(t, t.TempDir(), append(args, "--", "sleep", "1000")...)
		watching, _ := s.readyEvents()
		s.stop()
		var ks []string
		for k := range watching {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	plain, verbose := keys(), keys("-v")
	if !slices.Equal(plain, verbose) {
		t.Errorf("watching with -v has attributes %v, without %v", verbose, plain)
	}
}

// TestJSONLogFields: the attribute names scripts rely on.
func TestJSONLogFields(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	abs, _ := filepath.EvalSymlinks(dir)
	s := startAutoreload(t, dir, "-w", ".", "--", "sh", "-c", `[ -n "$AUTORELOAD_CHANGED" ] && exit 4; exec sleep 1000`)
	watching, started := s.readyEvents()
	roots, _ := watching["roots"].([]any)
	if watching["reloader"] != "stat" || len(roots) != 1 || (roots[0] != dir && roots[0] != abs) {
		t.Errorf("watching = %v, want reloader stat and roots [%s]", watching, dir)
	}
	if _, ok := watching["reason"]; ok {
		t.Errorf("watching = %v: a reason, though --reloader=stat was asked for", watching)
	}
	if started.pid() <= 0 {
		t.Errorf("started = %v, want a pid", started)
	}
	src := filepath.Join(dir, "a.txt")
	testkit.Write(t, src, "a")
	changed := s.await("changed", nil, "started")
	if changed["count"] != 1.0 || !slices.Contains(changed.paths(), src) {
		t.Errorf("changed = %v, want paths [%s] and count 1", changed, src)
	}
	if _, ok := changed["unknown"]; ok {
		t.Errorf("changed = %v: unknown on a known change", changed)
	}
	stopped := s.await("exited", nil, "started")
	if stopped.pid() != started.pid() || stopped["signal"] != "SIGTERM" || stopped["code"] != nil {
		t.Errorf("exited = %v, want pid %d and signal SIGTERM, no code", stopped, started.pid())
	}
	s.await("started", nil)
	exited := s.await("exited", nil, "started")
	if exited["code"] != 4.0 || exited["signal"] != nil {
		t.Errorf("exited = %v, want code 4, no signal", exited)
	}
	s.stop()
}

// TestExitedSaysWhatFollows: an end of COMMAND by itself says that
// autoreload now waits for a change; a stop for a restart reads apart.
func TestExitedSaysWhatFollows(t *testing.T) {
	t.Parallel()
	// Exits 1 on the first start, runs on later ones.
	script := `[ -n "$AUTORELOAD_CHANGED" ] && exec sleep 1000; exit 1`
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startAutoreload(t, dir, "--", "sh", "-c", script)
		first := s.ready()
		e := s.await("exited", nil, "started")
		if e.pid() != first.pid() || e["code"] != 1.0 || e["then"] != "wait" || e["stopped"] != nil {
			t.Errorf("exited = %v, want pid %d, code 1, then wait, not stopped", e, first.pid())
		}
		testkit.Write(t, filepath.Join(dir, "a.txt"), "a")
		second := s.await("started", nil, "exited")
		testkit.Write(t, filepath.Join(dir, "a.txt"), "bb")
		e = s.await("exited", nil, "started")
		if e.pid() != second.pid() || e["signal"] != "SIGTERM" || e["stopped"] != true || e["then"] != nil {
			t.Errorf("exited = %v, want pid %d by SIGTERM, stopped, no then", e, second.pid())
		}
		s.stop()
	})
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := startAutoreload(t, dir, "--log-format=text", "--", "sh", "-c", script)
		s.awaitText("; waiting for changes")
		testkit.Write(t, filepath.Join(dir, "a.txt"), "a")
		s.awaitText("changed a.txt")
		deadline := time.Now().Add(waitLimit)
		for strings.Count(s.logText(), "started pid") < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("no second start within %v; log:\n%s", waitLimit, s.logText())
			}
			time.Sleep(10 * time.Millisecond) // polling the log, as awaitText does
		}
		testkit.Write(t, filepath.Join(dir, "a.txt"), "bb")
		s.awaitText(" by SIGTERM")
		s.signal(syscall.SIGINT)
		s.wait()
		log := s.logText()
		for _, re := range []string{
			`(?m)^autoreload: exited pid \d+ with code 1; waiting for changes$`,
			`(?m)^autoreload: stopped pid \d+ by SIGTERM$`,
		} {
			if !regexp.MustCompile(re).MatchString(log) {
				t.Errorf("no line matching %s in the text log:\n%s", re, log)
			}
		}
	})
}

// TestTextLogColour: text lines are coloured on a terminal unless NO_COLOR
// is set, and never when stderr is not a terminal.
func TestTextLogColour(t *testing.T) {
	t.Parallel()
	const cyan = "\x1b[36m"
	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		if first := textOnTerminal(t, nil); !strings.HasPrefix(first, cyan+"autoreload:") {
			t.Errorf("first line on a terminal %q, want it coloured", first)
		}
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		t.Parallel()
		if first := textOnTerminal(t, []string{"NO_COLOR=1"}); strings.Contains(first, "\x1b") || !strings.HasPrefix(first, "autoreload: ") {
			t.Errorf("first line with NO_COLOR %q, want plain \"autoreload: ...\"", first)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		s := startAutoreload(t, t.TempDir(), "--log-format=text", "--", "sleep", "1000")
		s.awaitText("autoreload: started pid ")
		s.signal(syscall.SIGINT)
		s.wait()
		if log := s.logText(); !strings.Contains(log, "autoreload: started pid ") || strings.Contains(log, "\x1b") {
			t.Errorf("text log on a pipe:\n%q\nwant plain lines", log)
		}
	})
}

// textOnTerminal runs autoreload with stderr on a terminal and returns the
// first line it writes.
func textOnTerminal(t *testing.T, env []string) string {
	t.Helper()
	master, slave := openPTY(t)
	defer master.Close()
	mark := "colour-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	cmd := exec.Command(binary, "--reloader=stat", "--", "sleep", "1000")
	cmd.Dir = t.TempDir()
	cmd.Env = overrideEnv(os.Environ(), append(env, "NO_COLOR=", "AUTORELOAD_TEST_MARK="+mark))
	if len(env) > 0 {
		cmd.Env = overrideEnv(cmd.Env, env)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if left := marked(mark); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(master)
		l, _ := r.ReadString('\n')
		line <- strings.TrimRight(l, "\r\n")
		io.Copy(io.Discard, r)
	}()
	select {
	case l := <-line:
		return l
	case <-time.After(waitLimit):
		t.Fatalf("no log line on the terminal within %v", waitLimit)
	}
	return ""
}

// awaitText waits for a log line holding text, for logs that are not JSON.
func (s *session) awaitText(text string) {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(s.logText(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q logged within %v; log:\n%s", text, waitLimit, s.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTextLogEscapesControlCharactersInNames: a file named with an ESC
// sequence must not recolour the terminal, nor one with a CR overwrite the
// log line; the text log shows them escaped, as Go quotes them.
func TestTextLogEscapesControlCharactersInNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreload(t, dir, "--log-format=text", "--", helper, "env", out)
	testkit.WaitLines(t, out, 1)
	testkit.Write(t, filepath.Join(dir, "red\x1b[31mname\rover.txt"), "a")
	testkit.WaitLines(t, out, 2)
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	log := s.logText()
	if strings.ContainsAny(log, "\x1b\r") {
		t.Errorf("the text log holds a raw ESC or CR:\n%q", log)
	}
	if !strings.Contains(log, `red\x1b[31mname\rover.txt"`) {
		t.Errorf("the text log does not name the file escaped:\n%q", log)
	}
}
