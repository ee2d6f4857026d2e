//go:build linux

package main

import (
	"github.com/autoreload/autoreload/watchman/testkit"

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

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
	"github.com/autoreload/autoreload/watchman/watchmantest"
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
// ignored. ACTION repl is continue with a prompt as CPython's REPL shows
// it through readline (replPrompt): at start and after each SIGINT.
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
		replPrompt(say, "")
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
			replPrompt(say, "\r\nKeyboardInterrupt\r\n")
		}
		switch action {
		case "exit0":
			os.Exit(0)
		case "exit1":
			os.Exit(1)
		}
	}
}

// replPrompt shows the prompt as readline does: it reads the terminal's
// modes and sets its own (no line buffering, no echo, signals as they
// were), which stops it (SIGTTOU) if the terminal is not its group's, then
// writes before and the prompt. It appends to FILE (say) what it found:
// "prompt isig=BOOL foreground=BOOL". A terminal found without ISIG
// would turn Ctrl-C into data for good.
func replPrompt(say func(string), before string) {
	tio, err := unix.IoctlGetTermios(0, unix.TCGETS)
	if err == nil {
		fg, _ := unix.IoctlGetInt(0, unix.TIOCGPGRP)
		say(fmt.Sprintf("prompt isig=%t foreground=%t", tio.Lflag&unix.ISIG != 0, fg == syscall.Getpgrp()))
		tio.Lflag &^= unix.ICANON | unix.ECHO
		_ = unix.IoctlSetTermios(0, unix.TCSETSW, tio)
	}
	fmt.Print(before + ">>> ")
}

// shellSession is an interactive bash on a terminal of its own.
type shellSession struct {
	master *os.File
	bash   *exec.Cmd
	mark   string
	result string // where the typed command line appends exit=CODE
	output func() string
}

// startShell starts the shell, with env (NAME=VALUE) over the test's
// environment.
func startShell(t *testing.T, env ...string) *shellSession {
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
	sh.bash.Env = append(append(os.Environ(), env...), ctrlcVar+"=1", "AUTORELOAD_TEST_MARK="+sh.mark, "HISTFILE=/dev/null", "PS1=$ ")
	sh.bash.Stdin, sh.bash.Stdout, sh.bash.Stderr = slave, slave, slave
	sh.bash.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = sh.bash.Start()
	slave.Close()
	if err != nil {
		t.Fatal(err)
	}
	sh.output = testkit.Drain(master)
	t.Cleanup(func() {
		sh.bash.Process.Kill()
		sh.bash.Wait()
		killMarked(sh.mark)
		master.Close()
	})
	return sh
}

// run types `autoreload --reloader=stat ARGS -- COMMAND; echo exit=$? >>
// RESULT`, with COMMAND this test binary as ctrlcChild with childArgs.
func (sh *shellSession) run(t *testing.T, args []string, childArgs ...string) {
	t.Helper()
	sh.runCommand(t, append([]string{"--reloader=stat"}, args...), append([]string{helper, "ctrlc-child"}, childArgs...)...)
}

// runCommand types `autoreload ARGS -- COMMAND; echo exit=$? >> RESULT`.
func (sh *shellSession) runCommand(t *testing.T, args []string, command ...string) {
	t.Helper()
	argv := append(append(append([]string{binary}, args...), "--"), command...)
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
	deadline := time.Now().Add(waitLimit)
	for sh.running() {
		if time.Now().After(deadline) {
			t.Fatalf("autoreload still runs after %v: %s\n%s", waitLimit, sh.terminalState(t), sh.output())
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: bash writes a file
	}
	line := testkit.WaitLines(t, sh.result, 1)[0]
	code, err := strconv.Atoi(strings.TrimPrefix(line, "exit="))
	if err != nil {
		t.Fatalf("result %q\n%s", line, sh.output())
	}
	deadline = time.Now().Add(waitLimit)
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

// lineCount is the number of lines in file.
func lineCount(file string) int {
	data, _ := os.ReadFile(file)
	return strings.Count(string(data), "\n")
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
			testkit.WaitLines(t, file, 1)
			sh.send(t, "\x03")
			if code := sh.exitCode(t); code != 0 {
				t.Fatalf("autoreload exited %d after Ctrl-C, want 0\n%s", code, sh.output())
			}
			if got := testkit.WaitLines(t, file, 1); slices.Contains(got[1:], "ready") {
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
	testkit.WaitLines(t, file, 1)
	sh.send(t, "\x03")
	testkit.WaitLines(t, file, 2)
	sh.send(t, "hello\n")
	if got := testkit.WaitLines(t, file, 3); got[2] != "got hello" {
		t.Fatalf("COMMAND after a Ctrl-C: %q, want it reading \"hello\"\n%s", got, sh.output())
	}
	sh.quitBySecondCtrlC(t, file, 4)
}

// quitBySecondCtrlC checks that autoreload still runs after a first Ctrl-C
// that COMMAND caught, types a second one, which COMMAND records as line n
// of file unless autoreload's stop ends it first, and expects autoreload
// to exit 0.
func (sh *shellSession) quitBySecondCtrlC(t *testing.T, file string, n int) {
	t.Helper()
	if !sh.running() {
		t.Fatalf("autoreload exited after one Ctrl-C that COMMAND caught\n%s", sh.output())
	}
	// The second Ctrl-C must follow within a few seconds: if this machine
	// took longer since the first, it counts as a first one, and a third
	// follows at once.
	sh.send(t, "\x03")
	// The guard hears it as COMMAND does: the supervisor may stop COMMAND
	// before COMMAND had a turn to record it.
	deadline := time.Now().Add(waitLimit)
	for lineCount(file) < n && sh.running() {
		if time.Now().After(deadline) {
			t.Fatalf("neither COMMAND nor autoreload heard the second Ctrl-C within %v: %s\n%s", waitLimit, sh.terminalState(t), sh.output())
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: files are written
	}
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
// REPL-like COMMAND shows, is the REPL's every time, at the first start
// and after a restart: the REPL found the terminal in its group's hands
// with signals on (ISIG) when it set its modes at the prompt, as readline
// does, and the Ctrl-C reaches it. Run it many times (-count=50): a window
// in which the terminal is not yet COMMAND's, or is left without ISIG,
// fails it now and then.
func TestCtrlCReachesARepl(t *testing.T) {
	t.Parallel()
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "first start", true: "after a restart"}[restart], func(t *testing.T) {
			t.Parallel()
			sh := startShell(t)
			file := filepath.Join(t.TempDir(), "child")
			sh.run(t, nil, "on-int", "repl", file)
			lines := 2 // ready, prompt
			sh.awaitPrompts(t, 1)
			if restart {
				testkit.Write(t, filepath.Join(sh.bash.Dir, "app.go"), "package main\n")
				lines += 2
				sh.awaitPrompts(t, 2)
			}
			got := sh.awaitLines(t, file, lines)
			if got[lines-2] != "ready" || got[lines-1] != "prompt isig=true foreground=true" {
				t.Fatalf("the REPL at its prompt: %q, want the terminal in its group's hands with signals on\n%s", got, sh.output())
			}
			sh.send(t, "\x03")
			if got := sh.awaitLines(t, file, lines+1); got[lines] != "interrupted" {
				t.Fatalf("the REPL did not get the Ctrl-C: %q\n%s", got, sh.output())
			}
			sh.quitBySecondCtrlC(t, file, lines+3) // interrupted, prompt, interrupted
		})
	}
}

// awaitLines waits until file holds n lines and returns them.
func (sh *shellSession) awaitLines(t *testing.T, file string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for lineCount(file) < n {
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(file)
			t.Fatalf("%s: want %d lines within %v, have %q: %s\n%s", file, n, waitLimit, data, sh.terminalState(t), sh.output())
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: files are written
	}
	data, _ := os.ReadFile(file)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// awaitShellPrompt waits until bash shows its prompt again after the
// typed command line: what that line's commands wrote precedes it.
func (sh *shellSession) awaitShellPrompt(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for strings.Count(sh.output(), "$ ") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("bash shows no prompt after the command within %v\n%s", waitLimit, sh.output())
		}
		time.Sleep(5 * time.Millisecond) // nothing to await but the terminal's output
	}
}

// awaitPrompts waits until the terminal shows n REPL prompts, as a person
// waits for them.
func (sh *shellSession) awaitPrompts(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for strings.Count(sh.output(), ">>> ") < n {
		if time.Now().After(deadline) {
			t.Fatalf("not %d prompts within %v\n%s", n, waitLimit, sh.output())
		}
		time.Sleep(5 * time.Millisecond) // nothing to await but the terminal's output
	}
}

// TestCtrlCReachesPython: the same with CPython's own REPL, which reads
// its prompt's line through readline: with the stat poller and with
// Watchman, at the first start and after a restart, and with --clear.
// Ctrl-C is typed once the prompt shows and the REPL waits for input (as
// a person's Ctrl-C always finds it): CPython itself loses a SIGINT that
// arrives between its prompt's last write and its select(), microseconds
// later, whoever runs it.
func TestCtrlCReachesPython(t *testing.T) {
	t.Parallel()
	python := pythonWithReadline(t)
	for _, c := range []struct {
		name              string
		args              []string
		watchman, restart bool
	}{
		{name: "stat", args: []string{"--reloader=stat"}},
		{name: "stat after a restart", args: []string{"--reloader=stat"}, restart: true},
		{name: "stat with --clear", args: []string{"--reloader=stat", "--clear"}},
		{name: "watchman", args: []string{"--reloader=watchman"}, watchman: true},
		{name: "watchman after a restart", args: []string{"--reloader=watchman"}, watchman: true, restart: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var env []string
			if c.watchman {
				env = []string{"WATCHMAN_SOCK=" + watchmantest.Start(t).Sock}
			}
			sh := startShell(t, env...)
			sh.runCommand(t, c.args, python, "-q")
			sh.awaitPrompts(t, 1)
			repl := sh.awaitREPL(t, 0)
			prompts := 1
			if c.restart {
				testkit.Write(t, filepath.Join(sh.bash.Dir, "app.py"), "x = 1\n")
				prompts++
				sh.awaitPrompts(t, prompts)
				repl = sh.awaitREPL(t, repl)
			}
			sh.send(t, "\x03")
			deadline := time.Now().Add(waitLimit)
			for !strings.Contains(sh.output(), "KeyboardInterrupt") {
				if time.Now().After(deadline) {
					t.Fatalf("the REPL did not get the Ctrl-C within %v: %s\n%s", waitLimit, sh.terminalState(t), sh.output())
				}
				time.Sleep(5 * time.Millisecond) // nothing to await but the terminal's output
			}
			// A second Ctrl-C soon after ends autoreload, whether the REPL
			// shows it or not.
			sh.send(t, "\x03")
			if !sh.exitsWithin(secondCtrlCGrace) {
				sh.send(t, "\x03")
			}
			if code := sh.exitCode(t); code != 0 {
				t.Fatalf("autoreload exited %d after a second Ctrl-C, want 0\n%s", code, sh.output())
			}
		})
	}
}

// pythonWithReadline is python3 as found on PATH, if it has readline.
func pythonWithReadline(t *testing.T) string {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 here")
	}
	if exec.Command(python, "-c", "import readline").Run() != nil {
		t.Skip("python3 has no readline here")
	}
	return python
}

// awaitREPL waits until a python process of the session, other than
// not, waits for input in select or poll, and returns its pid.
func (sh *shellSession) awaitREPL(t *testing.T, not int) int {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		for _, p := range marked(sh.mark) {
			if p.pid != not && strings.HasPrefix(p.cmd, "python") && waitsForInput(p.pid) {
				return p.pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no python REPL waiting for input within %v: %s\n%s", waitLimit, sh.terminalState(t), sh.output())
		}
		time.Sleep(5 * time.Millisecond) // the kernel tells no one when a process blocks
	}
}

// waitsForInput reports whether pid is blocked in select or poll.
func waitsForInput(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
	if err != nil {
		return false
	}
	nr, _, _ := strings.Cut(string(b), " ")
	return nr == strconv.Itoa(unix.SYS_PSELECT6) || nr == strconv.Itoa(unix.SYS_PPOLL)
}

// terminalState describes the terminal and the session's processes, for
// a failure message: the foreground group, whether signals and line
// editing are on, and each process's group and state.
func (sh *shellSession) terminalState(t *testing.T) string {
	fd := int(sh.master.Fd())
	fg, _ := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err.Error()
	}
	out := fmt.Sprintf("foreground group %d, ISIG %t, ICANON %t, ECHO %t; processes:", fg,
		tio.Lflag&unix.ISIG != 0, tio.Lflag&unix.ICANON != 0, tio.Lflag&unix.ECHO != 0)
	for _, p := range markedWith(sh.mark, true) {
		st, _ := proctree.ReadStat(p.pid)
		out += fmt.Sprintf(" %d %s (group %d, %c)", p.pid, p.cmd, st.Pgid, st.State)
	}
	return out
}
