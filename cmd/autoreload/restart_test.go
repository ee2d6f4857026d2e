package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestRestartOnChangeWithEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	testkit.Write(t, src, "package main\n")
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreload(t, dir, "--", helper, "env", out)
	first := s.ready()
	if got := testkit.WaitLines(t, out, 1); got[0] != `"true" ""` {
		t.Fatalf("first start: AUTORELOAD_ENV and AUTORELOAD_CHANGED = %s, want \"true\" \"\"", got[0])
	}

	testkit.Write(t, src, "package main // changed\n")
	changed := s.await("changed", nil, "started")
	if !slices.Contains(changed.paths(), src) {
		t.Errorf("changed paths = %v, want %s among them", changed.paths(), src)
	}
	exited := s.await("exited", nil, "started")
	if exited.pid() != first.pid() || exited["signal"] != "SIGTERM" {
		t.Errorf("exited = %v, want pid %d by SIGTERM", exited, first.pid())
	}
	second := s.await("started", nil)
	if second.pid() == first.pid() {
		t.Fatalf("second start has the first pid %d", first.pid())
	}
	want := `"true" ` + strconv.Quote(src)
	if got := testkit.WaitLines(t, out, 2); got[1] != want {
		t.Errorf("after the change: %s, want %s", got[1], want)
	}

	// Exactly one restart: after the stop, one more exit and no start.
	var starts, exits int
	for _, e := range s.stop() {
		switch e.msg() {
		case "started":
			starts++
		case "exited":
			exits++
		}
	}
	if starts != 0 || exits != 1 {
		t.Errorf("after the restart: %d more starts and %d exits, want 0 and 1; log:\n%s", starts, exits, s.logText())
	}
}

func TestExitCode3RestartsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flag := filepath.Join(t.TempDir(), "flag")
	s := startAutoreload(t, dir, "--", helper, "exit3-once", flag)
	first := s.ready()
	e := s.await("exited", nil, "changed", "started")
	if e.pid() != first.pid() || e["code"] != 3.0 {
		t.Fatalf("exited = %v, want pid %d with code 3", e, first.pid())
	}
	s.await("started", nil, "changed")
	s.stop()
}

func TestOnExitWaitRestartsOnNextChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "a.txt")
	testkit.Write(t, src, "1")
	s := startAutoreload(t, dir, "--", helper, "exit", "1")
	s.ready()
	if e := s.await("exited", nil, "started"); e["code"] != 1.0 {
		t.Fatalf("exited = %v, want code 1", e)
	}
	testkit.Write(t, src, "22")
	// A start before the change would mean it did not wait.
	s.await("changed", nil, "started")
	s.await("started", nil)
	s.await("exited", nil, "started")
	s.stop()
}

func TestOnExitExitReturnsTheCode(t *testing.T) {
	t.Parallel()
	// No ready: autoreload may exit before its watcher is.
	s := startAutoreload(t, t.TempDir(), "--on-exit=exit", "--", helper, "exit", "7")
	if code := s.wait(); code != 7 {
		t.Fatalf("exit code = %d, want 7; log:\n%s", code, s.logText())
	}
}

func TestOnExitRestartBacksOff(t *testing.T) {
	t.Parallel()
	// Gaps of 100, 200, 400 then 800 ms after each exit (the first start
	// goes to ready).
	backsOff(t, []time.Duration{200, 400, 800}, "--on-exit", "restart", "--", helper, "exit", "1")
}

// backsOff runs autoreload with args, a COMMAND that ends at once, and
// checks the gaps between the starts after the first against the lower
// bounds want (a loaded machine is slower, never faster).
func backsOff(t *testing.T, want []time.Duration, args ...string) {
	t.Helper()
	s := startAutoreload(t, t.TempDir(), args...)
	s.ready()
	var at []time.Time
	for len(at) < len(want)+1 {
		e := s.await("started", nil, "changed")
		tm, err := time.Parse(time.RFC3339Nano, e["time"].(string))
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, tm)
	}
	s.stop()
	for i, w := range want {
		if gap := at[i+1].Sub(at[i]); gap < w*time.Millisecond {
			t.Errorf("start %d came %v after the previous one, want at least %dms (starts %v)", i+3, gap, int(w), at)
		}
	}
}

func TestSIGUSR1RestartsByHand(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreload(t, t.TempDir(), "--", helper, "env", out)
	first := s.ready()
	testkit.WaitLines(t, out, 1) // the first COMMAND is up
	s.signal(syscall.SIGUSR1)
	if e := s.await("exited", nil, "started", "changed"); e.pid() != first.pid() {
		t.Fatalf("exited = %v, want pid %d", e, first.pid())
	}
	s.await("started", nil, "changed")
	if got := testkit.WaitLines(t, out, 2); got[1] != `"true" ""` {
		t.Errorf("manual restart: %s, want no changed paths", got[1])
	}
	s.stop()
}

func TestDebounceJoinsChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreload(t, dir, "--debounce=3s", "--", helper, "env", out)
	s.ready()
	testkit.WaitLines(t, out, 1)
	testkit.Write(t, a, "a")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), a) }, "exited", "started")
	testkit.Write(t, b, "b")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), b) }, "exited", "started")
	s.await("exited", nil, "started")
	s.await("started", nil, "exited")
	got := testkit.WaitLines(t, out, 2)[1]
	if !strings.Contains(got, a) || !strings.Contains(got, b) {
		t.Errorf("AUTORELOAD_CHANGED = %s, want both %s and %s", got, a, b)
	}
	s.stop()
}

func TestRestartLoopIsNamed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "server.log")
	s := startAutoreload(t, dir, "--", "sh", "-c", `date +%s%N >> server.log; exec sleep 1000`)
	s.ready()
	warn := s.await("restart loop", nil)
	if !slices.Contains(warn.paths(), logFile) || !strings.Contains(warn["hint"].(string), "--ignore") {
		t.Errorf("warning = %v, want %s named and --ignore suggested", warn, logFile)
	}
	s.stop()
}

// TestLaterStartFailureWaitsForAFix: a script being rewritten may be
// unrunnable for a moment; with --on-exit=wait the next change fixes it.
func TestLaterStartFailureWaitsForAFix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	testkit.Write(t, script, "#!/bin/sh\nexec sleep 1000\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startAutoreload(t, dir, "--", script)
	s.ready()
	if err := os.Chmod(script, 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, script, "#!/bin/sh\nexec sleep 999\n")
	s.await("exited", nil, "started")
	if e := s.await("failed", nil, "started"); !strings.Contains(e["error"].(string), "permission denied") {
		t.Errorf("failed = %v, want permission denied", e)
	}
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, script, "#!/bin/sh\nexec sleep 1000\n") // a mode change alone is no change
	s.await("changed", nil, "started")
	s.await("started", nil)
	s.stop()
}

// TestChangesDuringStopJoinTheRestart: a change that arrives while the old
// COMMAND is still stopping joins that restart instead of causing another.
func TestChangesDuringStopJoinTheRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	state := filepath.Join(t.TempDir(), "state")
	release := filepath.Join(t.TempDir(), "release")
	// The first COMMAND holds its stop until told; the next ones report
	// their environment.
	out := filepath.Join(t.TempDir(), "changed")
	script := fmt.Sprintf(`if [ -z "$AUTORELOAD_CHANGED" ]; then exec %q slow-stop %q %q; fi; printf '%%s\n' "$AUTORELOAD_CHANGED" > %q; exec sleep 1000`,
		helper, state, release, out)
	s := startAutoreload(t, dir, "--grace=1h", "--", "sh", "-c", script)
	s.ready()
	testkit.WaitLines(t, state, 1)
	testkit.Write(t, a, "a")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), a) }, "exited", "started")
	testkit.WaitLines(t, state, 2) // the old COMMAND got the stop signal and is stopping
	testkit.Write(t, b, "b")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), b) }, "exited", "started")
	testkit.Write(t, release, "")
	s.await("exited", nil, "started", "changed")
	s.await("started", nil, "exited", "changed")
	got := testkit.WaitLines(t, out, 2)
	if !slices.Contains(got, a) || !slices.Contains(got, b) {
		t.Errorf("AUTORELOAD_CHANGED = %q, want both %s and %s", got, a, b)
	}
	for _, e := range s.stop() {
		if e.msg() == "started" {
			t.Errorf("a second restart: %v; log:\n%s", e, s.logText())
		}
	}
}

// TestExitCode3LoopBacksOff: a COMMAND that exits 3 right after every start
// is restarted at once the first time, then with growing gaps, instead of
// spinning.
func TestExitCode3LoopBacksOff(t *testing.T) {
	t.Parallel()
	// The first restart is free; then gaps of 100, 200 and 400 ms.
	backsOff(t, []time.Duration{100, 200, 400}, "--", helper, "exit", "3")
}

// TestStopSignalFlag: -s picks the stop signal, by name or number, and a
// stop by SIGINT is ours, not the user's Ctrl-C: COMMAND is restarted.
func TestStopSignalFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ flag, want string }{{"HUP", "SIGHUP"}, {"2", "SIGINT"}, {"KILL", "SIGKILL"}} {
		t.Run(c.want, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ready := filepath.Join(t.TempDir(), "ready")
			s := startAutoreload(t, dir, "-s", c.flag, "--", "sh", "-c", `echo up >> "$1"; exec sleep 1000`, "sh", ready)
			s.ready()
			testkit.WaitLines(t, ready, 1)
			testkit.Write(t, filepath.Join(dir, "x.txt"), "x")
			if e := s.await("exited", nil, "started"); e["signal"] != c.want {
				t.Errorf("exited = %v, want by %s", e, c.want)
			}
			s.await("started", nil)
			testkit.WaitLines(t, ready, 2)
			s.stop()
		})
	}
}
