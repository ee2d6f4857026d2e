//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// terminalLeader is autoreload run as the leader of a terminal's session,
// as a terminal emulator or `docker run -t` runs its program, with
// COMMAND `sh -c SCRIPT sh OUT`.
type terminalLeader struct {
	master, slave *os.File
	out, mark     string
	dir           string // the watched directory
	output        func() string
	exited        chan error
}

func startTerminalLeader(t *testing.T, script string, env ...string) *terminalLeader {
	t.Helper()
	master, slave := openPTY(t)
	tl := &terminalLeader{master: master, slave: slave, out: filepath.Join(t.TempDir(), "out"), dir: t.TempDir(),
		mark: t.Name() + "-" + strconv.FormatInt(time.Now().UnixNano(), 10), exited: make(chan error, 1)}
	cmd := exec.Command(binary, "--reloader=stat", "--", "sh", "-c", script, "sh", tl.out)
	cmd.Dir = tl.dir
	cmd.Env = append(append(os.Environ(), env...), "AUTORELOAD_TEST_MARK="+tl.mark)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tl.output = testkit.Drain(master)
	go func() { tl.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for _, p := range marked(tl.mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		master.Close()
		slave.Close()
	})
	return tl
}

// send types text on the terminal; a line is buffered by the terminal
// until COMMAND reads it.
func (tl *terminalLeader) send(t *testing.T, text string) {
	t.Helper()
	if _, err := tl.master.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

// interrupt types Ctrl-C: autoreload must exit 0 and leave nothing behind.
func (tl *terminalLeader) interrupt(t *testing.T) {
	t.Helper()
	tl.send(t, "\x03")
	select {
	case err := <-tl.exited:
		if err != nil {
			t.Fatalf("autoreload after Ctrl-C: %v, want exit 0\n%s", err, tl.output())
		}
	case <-time.After(waitLimit):
		t.Fatalf("autoreload still running %v after Ctrl-C\n%s", waitLimit, tl.output())
	}
	if left := marked(tl.mark); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
}

// awaitOutput waits until the terminal's output holds every one of want,
// and returns it; ok is false if it does not within waitLimit.
func (tl *terminalLeader) awaitOutput(want ...string) (out string, ok bool) {
	deadline := time.Now().Add(waitLimit)
	for {
		out = tl.output()
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(out, w) }) {
			return out, true
		}
		if time.Now().After(deadline) {
			return out, false
		}
		time.Sleep(10 * time.Millisecond) // nothing to await but the terminal's output
	}
}

// awaitMarked waits for a process called name among those marked.
func awaitMarked(t *testing.T, mark, name string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !slices.ContainsFunc(marked(mark), func(p procID) bool { return p.cmd == name }) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s running after %v", name, waitLimit)
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: a poll of /proc
	}
}

// TestInteractiveCommand runs autoreload on a terminal with a COMMAND that
// turns echo off and reads the terminal: it must get the foreground (else
// SIGTTIN stops it), the user's Ctrl-C must end everything with exit 0, and
// echo must be on again afterwards.
func TestInteractiveCommand(t *testing.T) {
	t.Parallel()
	tl := startTerminalLeader(t, `stty -echo; read line; echo "got $line" > "$1"; sleep 1000`)
	tl.send(t, "hello\n")
	if got := testkit.WaitLines(t, tl.out, 1); got[0] != "got hello" {
		t.Fatalf("COMMAND read %q, want \"got hello\"", got[0])
	}
	// A Ctrl-C that reaches sh between the echo and the fork of sleep is
	// caught by sh and held for after sleep, which then never ends: a
	// COMMAND that catches Ctrl-C and goes on. Type it once sleep runs.
	awaitMarked(t, tl.mark, "sleep")
	tl.interrupt(t)
	tio, err := unix.IoctlGetTermios(int(tl.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo still off after COMMAND ended")
	}
}

// TestWatcherPanicLeavesTerminalClean: a panic of the watcher side (a bug,
// injected here) is loud — a stack, exit 1 — but COMMAND's tree is stopped
// and the terminal handed back as on Ctrl-C: echo on again, nothing left.
func TestWatcherPanicLeavesTerminalClean(t *testing.T) {
	t.Parallel()
	tl := startTerminalLeader(t, `stty -echo; echo up > "$1"; sleep 1000 & sleep 1000`, "AUTORELOAD_FAULTS=watch-panic")
	testkit.WaitLines(t, tl.out, 1)
	awaitMarked(t, tl.mark, "sleep")
	deadline := time.Now().Add(waitLimit)
	for n := 0; ; n++ { // the watcher may not be ready yet: change until it sees one
		testkit.Write(t, filepath.Join(tl.dir, "f"), strconv.Itoa(n))
		select {
		case err := <-tl.exited:
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("autoreload after a panic: %v, want exit code 1\n%s", err, tl.output())
			}
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("autoreload still running %v after changes\n%s", waitLimit, tl.output())
			}
			continue
		}
		break
	}
	if left := marked(tl.mark); len(left) > 0 {
		t.Errorf("left after the panic: %v", left)
	}
	// What autoreload wrote before it exited may still wait in the terminal
	// to be read.
	if out, ok := tl.awaitOutput("panic: fault injected: watch-panic", "goroutine "); !ok {
		t.Errorf("no panic with a stack in the log:\n%s", out)
	}
	tio, err := unix.IoctlGetTermios(int(tl.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo still off after the panic")
	}
}

// TestCtrlZWithoutJobControl: autoreload as the leader of the terminal's
// session is in an orphaned group, which cannot be stopped. Ctrl-Z must
// then not leave COMMAND stopped for ever with nobody to continue it.
func TestCtrlZWithoutJobControl(t *testing.T) {
	t.Parallel()
	tl := startTerminalLeader(t, `while read line; do echo "got $line" >> "$1"; done; sleep 1000`)
	tl.send(t, "before\n")
	testkit.WaitLines(t, tl.out, 1)
	tl.send(t, "\x1aafter\n") // Ctrl-Z, then a line
	if got := testkit.WaitLines(t, tl.out, 2); got[1] != "got after" {
		t.Fatalf("COMMAND read %q after Ctrl-Z, want \"got after\"\n%s", got[1], tl.output())
	}
	tl.interrupt(t)
}
