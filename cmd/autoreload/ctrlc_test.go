//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C as a person types it: an interactive bash on a new terminal, the
// autoreload command line typed into it, "\x03" typed while COMMAND runs.

// ctrlcVar makes this test binary a COMMAND for these tests (ctrlcChild)
// instead of running the tests; bash passes it on.
const ctrlcVar = "AUTORELOAD_TEST_CTRLC"

func init() {
	if os.Getenv(ctrlcVar) != "" && len(os.Args) > 2 && os.Args[1] == "ctrlc-child" {
		ctrlcChild(os.Args[2:])
	}
}

// ctrlcChild is COMMAND: "exit N" exits N at once; "on-int ACTION FILE"
// appends "ready" to FILE, then "got LINE" for each line it reads from the
// terminal and "interrupted" for each SIGINT, after which ACTION is exit0,
// exit1 or continue; with ACTION die SIGINT kills it, with ignore it is
// ignored. ACTION repl is continue with a Python-like prompt on stdout:
// ">>> ", and "KeyboardInterrupt" and a new prompt after each SIGINT.
func ctrlcChild(args []string) {
	if args[0] == "exit" {
		code, _ := strconv.Atoi(args[1])
		os.Exit(code)
	}
	action, file := args[1], args[2]
	say := func(line string) {
		f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	ints := make(chan os.Signal, 1)
	switch action {
	case "die":
	case "ignore":
		signal.Ignore(syscall.SIGINT)
	default:
		signal.Notify(ints, syscall.SIGINT)
	}
	say("ready")
	if action == "repl" {
		fmt.Print(">>> ")
	}
	go func() {
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			say("got " + lines.Text())
		}
	}()
	for range ints {
		say("interrupted")
		if action == "repl" {
			fmt.Print("\r\nKeyboardInterrupt\r\n>>> ")
		}
		switch action {
		case "exit0":
			os.Exit(0)
		case "exit1":
			os.Exit(1)
		}
	}
}

// shellSession is an interactive bash on a terminal of its own.
type shellSession struct {
	master *os.File
	bash   *exec.Cmd
	mark   string
	result string // where the typed command line appends exit=CODE
	output func() string
}

func startShell(t *testing.T) *shellSession {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	master, slave := openPTY(t)
	sh := &shellSession{master: master, result: filepath.Join(t.TempDir(), "result"),
		mark: t.Name() + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)}
	sh.bash = exec.Command(bash, "--norc", "--noprofile", "-i")
	sh.bash.Dir = t.TempDir()
	sh.bash.Env = append(os.Environ(), ctrlcVar+"=1", "AUTORELOAD_TEST_MARK="+sh.mark, "HISTFILE=/dev/null", "PS1=$ ")
	sh.bash.Stdin, sh.bash.Stdout, sh.bash.Stderr = slave, slave, slave
	sh.bash.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = sh.bash.Start()
	slave.Close()
	if err != nil {
		t.Fatal(err)
	}
	sh.output = drain(master)
	t.Cleanup(func() {
		sh.bash.Process.Kill()
		sh.bash.Wait()
		killMarked(sh.mark)
		master.Close()
	})
	return sh
}

// run types `autoreload ARGS -- COMMAND; echo exit=$? >> RESULT`, with
// COMMAND this test binary as ctrlcChild with childArgs.
func (sh *shellSession) run(t *testing.T, args []string, childArgs ...string) {
	t.Helper()
	argv := append([]string{binary, "--reloader=stat"}, args...)
	argv = append(argv, "--", helper, "ctrlc-child")
	argv = append(argv, childArgs...)
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	sh.send(t, strings.Join(quoted, " ")+"; echo exit=$? >> '"+sh.result+"'\n")
}

func (sh *shellSession) send(t *testing.T, text string) {
	t.Helper()
	if _, err := sh.master.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

// exitCode waits for the exit code of the typed autoreload, then checks
// that nothing it started is left.
func (sh *shellSession) exitCode(t *testing.T) int {
	t.Helper()
	line := waitFile(t, sh.result, 1)[0]
	code, err := strconv.Atoi(strings.TrimPrefix(line, "exit="))
	if err != nil {
		t.Fatalf("result %q\n%s", line, sh.output())
	}
	deadline := time.Now().Add(waitLimit)
	for {
		left := slices.DeleteFunc(marked(sh.mark), func(p procID) bool { return p.pid == sh.bash.Process.Pid })
		if len(left) == 0 {
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("left after autoreload exited: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running reports whether the typed autoreload has not exited yet.
// secondCtrlCGrace is how long a second Ctrl-C may take to end autoreload
// before the test takes it for a first one (the machine was slow).
const secondCtrlCGrace = 2 * time.Second

// exitsWithin reports whether autoreload ends within d.
func (sh *shellSession) exitsWithin(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for sh.running() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: bash writes a file
	}
	return true
}

func (sh *shellSession) running() bool {
	_, err := os.Stat(sh.result)
	return err != nil
}

// TestCtrlCQuits: one Ctrl-C ends autoreload with exit 0 and leaves
// nothing, whether COMMAND dies of it, exits 1 (go run) or 0 (Django's
// runserver) within --grace, or ignores SIGINT; never a restart, whatever
// --on-exit says.
func TestCtrlCQuits(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"exit1", "exit0", "die", "ignore"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			sh := startShell(t)
			file := filepath.Join(t.TempDir(), "child")
			sh.run(t, []string{"--on-exit=restart", "--grace=2s"}, "on-int", action, file)
			waitFile(t, file, 1)
			sh.send(t, "\x03")
			if code := sh.exitCode(t); code != 0 {
				t.Fatalf("autoreload exited %d after Ctrl-C, want 0\n%s", code, sh.output())
			}
			if got := waitFile(t, file, 1); slices.Contains(got[1:], "ready") {
				t.Errorf("COMMAND was restarted after the Ctrl-C: %q", got)
			}
		})
	}
}

// TestCtrlCCaughtKeepsRunning: a COMMAND that catches SIGINT and goes on
// (a REPL) keeps running and reading the terminal after a Ctrl-C; a second
// Ctrl-C soon after ends autoreload with exit 0.
func TestCtrlCCaughtKeepsRunning(t *testing.T) {
	t.Parallel()
	sh := startShell(t)
	file := filepath.Join(t.TempDir(), "child")
	sh.run(t, nil, "on-int", "continue", file)
	waitFile(t, file, 1)
	sh.send(t, "\x03")
	waitFile(t, file, 2)
	sh.send(t, "hello\n")
	if got := waitFile(t, file, 3); got[2] != "got hello" {
		t.Fatalf("COMMAND after a Ctrl-C: %q, want it reading \"hello\"\n%s", got, sh.output())
	}
	sh.quitBySecondCtrlC(t, file, 4)
}

// quitBySecondCtrlC checks that autoreload still runs after a first Ctrl-C
// that COMMAND caught, types a second one, which COMMAND records as line n
// of file, and expects autoreload to exit 0.
func (sh *shellSession) quitBySecondCtrlC(t *testing.T, file string, n int) {
	t.Helper()
	if !sh.running() {
		t.Fatalf("autoreload exited after one Ctrl-C that COMMAND caught\n%s", sh.output())
	}
	// The second Ctrl-C must follow within a few seconds: if this machine
	// took longer since the first, it counts as a first one, and a third
	// follows at once.
	sh.send(t, "\x03")
	waitFile(t, file, n)
	// Typed while bash is between autoreload's exit and its echo, a third
	// Ctrl-C would cut the command line short: send it only to an
	// autoreload still running well after the second.
	if !sh.exitsWithin(secondCtrlCGrace) {
		sh.send(t, "\x03")
	}
	if code := sh.exitCode(t); code != 0 {
		t.Fatalf("autoreload exited %d after a second Ctrl-C, want 0\n%s", code, sh.output())
	}
}

// TestNoCtrlCFollowsOnExit: on a terminal, a COMMAND that exits by itself
// follows --on-exit as before.
func TestNoCtrlCFollowsOnExit(t *testing.T) {
	t.Parallel()
	sh := startShell(t)
	sh.run(t, []string{"--on-exit=exit"}, "exit", "5")
	if code := sh.exitCode(t); code != 5 {
		t.Fatalf("autoreload exited %d, want COMMAND's 5 under --on-exit=exit\n%s", code, sh.output())
	}
}

// TestCtrlCReachesARepl: Ctrl-C typed as a person does, once the prompt of a
// REPL-like COMMAND shows, is the REPL's every time: it reaches COMMAND's
// group with the terminal in COMMAND's hands, signals on (ISIG). Run it
// many times (-count=50): a window in which the terminal is not yet
// COMMAND's, or the guard not in its group, fails it now and then.
func TestCtrlCReachesARepl(t *testing.T) {
	t.Parallel()
	sh := startShell(t)
	file := filepath.Join(t.TempDir(), "child")
	sh.run(t, nil, "on-int", "repl", file)
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(sh.output(), ">>> ") { // the prompt, as a person waits for it
		if time.Now().After(deadline) {
			t.Fatalf("no prompt within %v\n%s", waitLimit, sh.output())
		}
		time.Sleep(5 * time.Millisecond) // nothing to await but the terminal's output
	}
	sh.send(t, "\x03")
	if got := waitFile(t, file, 2); got[1] != "interrupted" {
		t.Fatalf("the REPL did not get the Ctrl-C: %q\n%s", got, sh.output())
	}
	sh.quitBySecondCtrlC(t, file, 3)
}
