//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/jobshell"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// The keys (-I), --clear and the terminal left as it was, on a pty: autoreload
// is the leader of the terminal's session, as under a terminal emulator.

// onTerminal is a session whose autoreload has a terminal as stdin and
// stdout (and as stderr with logToTerminal); its master types the keys.
type onTerminal struct {
	*session
	master, slave *os.File
	output        func() string // what was written to the terminal
	modes         unix.Termios  // the terminal's modes before autoreload
}

func startOnTerminal(t *testing.T, dir string, logToTerminal bool, args ...string) *onTerminal {
	t.Helper()
	master, slave := openPTY(t)
	t.Cleanup(func() { master.Close(); slave.Close() })
	ot := &onTerminal{master: master, slave: slave, modes: *termModes(t, slave)}
	ot.session = startSessionWith(t, dir, nil, nil, func(c *exec.Cmd) {
		c.Stdin, c.Stdout = slave, slave
		if logToTerminal {
			c.Stderr = slave
		}
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	}, args...)
	ot.output = testkit.Drain(master)
	return ot
}

func termModes(t *testing.T, f *os.File) *unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio
}

// press types key once autoreload reads keys.
func (ot *onTerminal) press(key string) {
	ot.t.Helper()
	if _, err := ot.master.Write([]byte(key)); err != nil {
		ot.t.Fatal(err)
	}
}

// checkModesRestored fails unless the terminal's modes are as before.
func (ot *onTerminal) checkModesRestored() {
	ot.t.Helper()
	if now := termModes(ot.t, ot.slave); now.Lflag != ot.modes.Lflag || now.Cc != ot.modes.Cc {
		ot.t.Errorf("terminal modes after autoreload: lflag %#x, want %#x as before", now.Lflag, ot.modes.Lflag)
	}
}

func key(k string) func(event) bool { return func(e event) bool { return e["key"] == k } }

// startedIn counts the started events among events.
func startedIn(events []event) int {
	n := 0
	for _, e := range events {
		if e.msg() == "started" {
			n++
		}
	}
	return n
}

// TestKeyRestartsOnce: r restarts COMMAND once, logged as key=r; ? lists
// the keys; COMMAND reads no terminal input (its stdin is /dev/null) and
// never holds the foreground.
func TestKeyRestartsOnce(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	ot := startOnTerminal(t, dir, false, "-I", "--", "sh", "-c", `read line; echo "got [$line]" >> "$1"; exec sleep 1000`, "sh", out)
	first := ot.ready()
	ot.await("keys", nil)
	if got := testkit.WaitLines(t, out, 1); got[0] != "got []" {
		t.Errorf("COMMAND read %q from its stdin, want nothing (/dev/null)", got[0])
	}
	if fg, err := unix.IoctlGetInt(int(ot.master.Fd()), unix.TIOCGPGRP); err != nil || fg != ot.cmd.Process.Pid {
		t.Errorf("terminal's foreground group %d (%v), want autoreload's %d, not COMMAND's %d", fg, err, ot.cmd.Process.Pid, first.pid())
	}
	ot.press("?")
	if e := ot.await("keys", nil, "started"); !strings.Contains(e["keys"].(string), "r restart") {
		t.Errorf("? shows %v, want the keys", e)
	}
	ot.press("r")
	ot.await("restart", key("r"), "started")
	second := ot.await("started", nil)
	if second.pid() == first.pid() {
		t.Fatal("r: no new COMMAND")
	}
	// One start for r: the next event after a change is its "changed".
	testkit.Write(t, filepath.Join(dir, "a.txt"), "a")
	ot.await("changed", nil, "started")
	ot.await("started", nil)
	if rest := ot.stop(); startedIn(rest) != 0 {
		t.Errorf("starts after the last restart: %v", rest)
	}
	ot.checkModesRestored()
}

// TestKeyPauseHoldsChanges: p pauses; changes meanwhile are logged, held
// and counted, and resuming restarts COMMAND once with all of them.
func TestKeyPauseHoldsChanges(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	script := `printf '%s\n' "$AUTORELOAD_CHANGED" > "$1"; exec sleep 1000`
	ot := startOnTerminal(t, dir, false, "-I", "--", "sh", "-c", script, "sh", out)
	ot.ready()
	ot.await("keys", nil)
	ot.press("p")
	ot.await("paused", key("p"))
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	testkit.Write(t, a, "a")
	seen := map[string]bool{}
	for !seen[a] || !seen[b] {
		e := ot.await("changed", nil, "started")
		if e["paused"] != true {
			t.Errorf("changed while paused without paused=true: %v", e)
		}
		for _, p := range e.paths() {
			seen[p] = true
		}
		if seen[a] && !seen[b] {
			testkit.Write(t, b, "b")
		}
	}
	ot.press("p")
	if e := ot.await("resumed", key("p"), "started"); e["count"] != 2.0 {
		t.Errorf("resumed with count %v, want 2", e["count"])
	}
	ot.await("started", nil)
	got := testkit.WaitLines(t, out, 2)
	slices.Sort(got)
	if !slices.Equal(got, []string{a, b}) {
		t.Errorf("AUTORELOAD_CHANGED after resume = %q, want %q", got, []string{a, b})
	}
	testkit.Write(t, filepath.Join(dir, "c.txt"), "c")
	ot.await("changed", nil, "started") // one start for the resume
	ot.await("started", nil)
	ot.stop()
}

// TestKeyQuit: q quits as Ctrl-C does: exit 0, nothing left running, the
// terminal's modes as they were. With -I the terminal's Ctrl-C reaches
// autoreload itself, which holds the foreground, and so does Ctrl-\, which
// kills at once rather than end autoreload with the terminal in cbreak mode.
func TestKeyQuit(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ typed, msg, by string }{
		"q":       {"q", "stopping", "q"},
		"ctrl-c":  {"\x03", "stopping", "SIGINT"},
		"ctrl-\\": {"\x1c", "killing", "SIGQUIT"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ot := startOnTerminal(t, t.TempDir(), false, "-I", "--", "sleep", "1000")
			ot.ready()
			ot.await("keys", nil)
			ot.press(tc.typed)
			ot.await(tc.msg, func(e event) bool { return e["key"] == tc.by || e["signal"] == tc.by })
			if code := ot.wait(); code != 0 {
				t.Errorf("exit code after %s = %d, want 0", name, code)
			}
			if left := marked(ot.mark); len(left) > 0 {
				t.Errorf("left after %s: %v", name, left)
			}
			ot.checkModesRestored()
		})
	}
}

// TestWithoutKeysTerminalUnchanged: without -I, COMMAND reads the terminal
// as it always did, and autoreload changes nothing of its modes.
func TestWithoutKeysTerminalUnchanged(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	ot := startOnTerminal(t, t.TempDir(), false, "--", "sh", "-c", `read line; echo "got [$line]" > "$1"; exec sleep 1000`, "sh", out)
	started := ot.ready()
	if now := termModes(t, ot.slave); now.Lflag != ot.modes.Lflag {
		t.Errorf("modes while COMMAND runs: lflag %#x, want %#x", now.Lflag, ot.modes.Lflag)
	}
	ot.press("r\n") // a line for COMMAND, no key for autoreload
	if got := testkit.WaitLines(t, out, 1); got[0] != "got [r]" {
		t.Errorf("COMMAND read %q, want \"got [r]\"\n%s", got[0], ot.output())
	}
	pgid, err := unix.Getpgid(started.pid())
	if err != nil {
		t.Fatal(err)
	}
	if fg, _ := unix.IoctlGetInt(int(ot.master.Fd()), unix.TIOCGPGRP); fg != pgid {
		t.Errorf("terminal's foreground group %d, want COMMAND's %d", fg, pgid)
	}
	if rest := ot.stop(); startedIn(rest) != 0 || slices.ContainsFunc(rest, func(e event) bool { return e.msg() == "restart" }) {
		t.Errorf("r restarted COMMAND without -I: %v", rest)
	}
	ot.checkModesRestored()
}

// TestClearBeforeEachStart: with --clear and the log on the terminal, the
// clear sequence comes before each start, the first included.
func TestClearBeforeEachStart(t *testing.T) {
	t.Parallel()
	for mode, seq := range map[string]string{"--clear": "\x1b[H\x1b[2J\x1b[3J", "--clear=reset": "\x1bc"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			text := twoStartsOnTerminal(t, mode, "--", "sleep", "1000")
			var order []string
			for _, m := range regexp.MustCompile(regexp.QuoteMeta(seq)+`|"msg":"started"`).FindAllString(text, -1) {
				order = append(order, map[bool]string{true: "clear", false: "started"}[m == seq])
			}
			if want := []string{"clear", "started", "clear", "started"}; !slices.Equal(order, want) {
				t.Errorf("terminal got %v, want %v\n%q", order, want, text)
			}
		})
	}
}

// twoStartsOnTerminal runs autoreload with args and its log on a terminal,
// restarts COMMAND once by SIGUSR1, stops, and returns what the terminal
// got.
func twoStartsOnTerminal(t *testing.T, args ...string) string {
	t.Helper()
	ot := startOnTerminal(t, t.TempDir(), true, args...)
	started := regexp.MustCompile(`"msg":"started"`)
	waitOutput(t, ot.output, started, 1)
	ot.signal(syscall.SIGUSR1)
	text := waitOutput(t, ot.output, started, 2)
	ot.stop()
	return text
}

// waitOutput waits for n matches of re in the terminal's output and returns
// the output.
func waitOutput(t *testing.T, output func() string, re *regexp.Regexp, n int) string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		text := output()
		if len(re.FindAllString(text, -1)) >= n {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d matches of %s on the terminal within %v\n%s", n, re, waitLimit, text)
		}
		time.Sleep(10 * time.Millisecond) // the terminal's output, polled
	}
}

// TestPostpone: COMMAND starts only with the first change, which it gets in
// AUTORELOAD_CHANGED.
func TestPostpone(t *testing.T) {
	t.Parallel()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	s := startAutoreload(t, dir, "--postpone", "--", "sh", "-c", `printf '%s\n' "$AUTORELOAD_CHANGED" > "$1"; exec sleep 1000`, "sh", out)
	s.await("postponed", nil, "started")
	s.await("watching", nil, "started")
	a := filepath.Join(dir, "a.txt")
	testkit.Write(t, a, "a")
	s.await("changed", nil, "started")
	s.await("started", nil)
	if got := testkit.WaitLines(t, out, 1); got[0] != a {
		t.Errorf("AUTORELOAD_CHANGED of the first start = %q, want %q", got, a)
	}
	s.stop()
}

// TestNotifyOnFailure: without a terminal, --notify runs notify-send (a
// fake on PATH) when COMMAND fails by itself, and not when it is stopped.
func TestNotifyOnFailure(t *testing.T) {
	t.Parallel()
	bin, out := t.TempDir(), filepath.Join(t.TempDir(), "notified")
	testkit.Write(t, filepath.Join(bin, "notify-send"), "#!/bin/sh\nprintf '%s|' \"$@\" >> "+out+"\necho >> "+out+"\n")
	if err := os.Chmod(filepath.Join(bin, "notify-send"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := startAutoreloadEnv(t, dir, []string{"PATH=" + bin + ":" + os.Getenv("PATH")},
		"--notify", "--", "sh", "-c", `test -e ok || exit 7; exec sleep 1000`)
	s.ready()
	s.await("exited", func(e event) bool { return e["then"] == "wait" })
	if got := testkit.WaitLines(t, out, 1); got[0] != "autoreload|sh failed (exit 7)|" {
		t.Errorf("notify-send got %q, want the failure", got)
	}
	testkit.Write(t, filepath.Join(dir, "ok"), "")
	s.await("started", nil)
	s.stop()
	if data, _ := os.ReadFile(out); strings.Count(string(data), "\n") != 1 {
		t.Errorf("notifications: %q, want one (a stop is no failure)", data)
	}
}

// TestKeysCommandReadingTheTerminal: with -I, a COMMAND that opens the
// terminal to read it is stopped by it (the terminal is autoreload's), and
// a warning says why it went quiet; q still quits with nothing left.
func TestKeysCommandReadingTheTerminal(t *testing.T) {
	t.Parallel()
	ot := startOnTerminal(t, t.TempDir(), false, "-I", "--", "sh", "-c", "exec cat /dev/tty")
	started := ot.ready()
	e := ot.await(supervisor.MsgTerminalStop, nil)
	if e.pid() != started.pid() || e["signal"] != "SIGTTIN" {
		t.Errorf("warning %v, want pid %d and SIGTTIN", e, started.pid())
	}
	ot.press("q")
	if code := ot.wait(); code != 0 {
		t.Errorf("exit code after q = %d, want 0", code)
	}
	if left := marked(ot.mark); len(left) > 0 {
		t.Errorf("left after q: %v", left)
	}
}

// TestKeysCtrlZStopsTheJob: with -I, Ctrl-Z reaches autoreload alone (it
// holds the terminal); it stops COMMAND too, so the whole job stops as
// without -I, with the terminal's modes as they were for the shell. fg
// continues both and the keys work again.
func TestKeysCtrlZStopsTheJob(t *testing.T) {
	t.Parallel()
	js := startJobShell(t, "fg", "exec sleep 1000", "-I")
	waitOutput(t, js.Output, regexp.MustCompile(`keys: r restart(?s:.*)started pid`), 1)
	modes := func() *unix.Termios { return termModes(t, js.Master) } // a pty's master reads its slave's
	if modes().Lflag&unix.ICANON != 0 {
		t.Fatal("not in cbreak mode with -I")
	}
	js.Send(t, "\x1a") // Ctrl-Z
	js.Next(t, "stopped SIGTSTP")
	awaitCommandState(t, js, "T")
	js.CheckStopped(t)
	if m := modes(); m.Lflag&(unix.ICANON|unix.ECHO) != unix.ICANON|unix.ECHO {
		t.Errorf("modes of the stopped job: lflag %#x, want ICANON and ECHO back on for the shell", m.Lflag)
	}
	js.Command(t, "fg")
	awaitCommandState(t, js, "S")
	deadline := time.Now().Add(waitLimit)
	for modes().Lflag&unix.ICANON != 0 {
		if time.Now().After(deadline) {
			t.Fatal("not in cbreak mode again after fg")
		}
		time.Sleep(10 * time.Millisecond) // the modes, polled
	}
	js.Send(t, "q") // no Enter: a key
	if ev := js.Next(t, "exited "); ev != "exited 0" {
		t.Fatalf("autoreload %s after q, want exited 0\n%s", ev, js.Output())
	}
	js.Job = 0
	if left := js.Commands(); len(left) > 0 {
		t.Errorf("left after q: %v", left)
	}
	if m := modes(); m.Lflag&(unix.ICANON|unix.ECHO) != unix.ICANON|unix.ECHO {
		t.Errorf("modes after q: lflag %#x, want ICANON and ECHO back on", m.Lflag)
	}
}

// awaitCommandState waits until every process of COMMAND is in state (a
// /proc state letter: T stopped, S sleeping).
func awaitCommandState(t *testing.T, js *jobshell.Session, state string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		commands := js.Commands()
		ok := len(commands) > 0
		for _, p := range commands {
			ok = ok && string(p.State) == state
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var all []string
			for _, p := range js.Marked() {
				all = append(all, fmt.Sprintf("%d %s %c pgid=%d ppid=%d", p.Pid, p.Comm, p.State, p.Pgid, p.PPid))
			}
			t.Fatalf("COMMAND %v not in state %s within %v; processes: %v\n%s", commands, state, waitLimit, all, js.Output())
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: /proc, polled
	}
}

// TestClearBeforeEachBuild: with --build, the screen is cleared before the
// build, and not again before the start it leads to, whose errors and
// warnings stay on the screen.
func TestClearBeforeEachBuild(t *testing.T) {
	t.Parallel()
	text := twoStartsOnTerminal(t, "--clear", "--build", "echo compiled", "--", "sleep", "1000")
	var order []string
	for _, m := range regexp.MustCompile(`\x1b\[H\x1b\[2J\x1b\[3J|"msg":"build"|compiled|"msg":"started"`).FindAllString(text, -1) {
		switch {
		case strings.HasPrefix(m, "\x1b"):
			order = append(order, "clear")
		case m == "compiled":
			order = append(order, "output")
		default:
			order = append(order, strings.Trim(strings.TrimPrefix(m, `"msg":`), `"`))
		}
	}
	want := []string{"clear", "build", "output", "started", "clear", "build", "output", "started"}
	if !slices.Equal(order, want) {
		t.Errorf("terminal got %v, want %v\n%q", order, want, text)
	}
}
