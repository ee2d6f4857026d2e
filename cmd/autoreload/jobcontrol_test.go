//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// Job control: autoreload under a minimal job-control shell (jobShell, this
// test binary run again) on a pseudo-terminal.

// jobSession is autoreload run by jobShell on a new terminal, with COMMAND
// `sh -c SCRIPT sh OUT`.
type jobSession struct {
	master     *os.File
	out, mark  string
	shell      int // the shell's pid, which is its group's and session's id
	autoreload int
	ctl        *os.File
	events     chan string
	output     func() string
}

// startJobShell starts jobShell, which starts autoreload (with flags) in
// the foreground, or in the background with mode "bg".
func startJobShell(t *testing.T, mode, script string, flags ...string) *jobSession {
	t.Helper()
	master, slave := openPTY(t)
	js := &jobSession{master: master, out: filepath.Join(t.TempDir(), "out"),
		mark: t.Name() + "-" + strconv.FormatInt(time.Now().UnixNano(), 10), events: make(chan string, 10)}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	js.ctl = ctlW
	argv := append(append([]string{helper, binary, "--reloader=stat"}, flags...), "--", "sh", "-c", script, "sh", js.out)
	sh := exec.Command(argv[0], argv[1:]...)
	sh.Dir = t.TempDir()
	sh.Env = append(os.Environ(), jobShellVar+"="+mode, "AUTORELOAD_TEST_MARK="+js.mark)
	sh.Stdin, sh.Stdout, sh.Stderr = slave, slave, slave
	sh.ExtraFiles = []*os.File{ctlR, evW}
	sh.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = sh.Start()
	ctlR.Close()
	evW.Close()
	slave.Close()
	if err != nil {
		t.Fatal(err)
	}
	js.shell = sh.Process.Pid
	js.output = drain(master)
	go func() {
		defer close(js.events)
		lines := bufio.NewScanner(evR)
		for lines.Scan() {
			js.events <- lines.Text()
		}
	}()
	t.Cleanup(func() {
		if js.autoreload != 0 {
			syscall.Kill(js.autoreload, syscall.SIGKILL)
		}
		sh.Process.Kill()
		sh.Wait()
		for _, p := range marked(js.mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		ctlW.Close()
		evR.Close()
		master.Close()
	})
	fmt.Sscan(strings.TrimPrefix(js.next(t, "started "), "started "), &js.autoreload)
	return js
}

// next waits for the shell's next report and checks that it starts with want.
func (js *jobSession) next(t *testing.T, want string) string {
	t.Helper()
	select {
	case ev, ok := <-js.events:
		if !ok {
			t.Fatalf("job shell ended, want %q\n%s", want, js.output())
		}
		if !strings.HasPrefix(ev, want) {
			t.Fatalf("job shell says %q, want %q\n%s", ev, want, js.output())
		}
		return ev
	case <-time.After(waitLimit):
		t.Fatalf("job shell: no %q within %v\n%s", want, waitLimit, js.output())
	}
	return ""
}

// send types text on the terminal.
func (js *jobSession) send(t *testing.T, text string) {
	t.Helper()
	if _, err := js.master.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

// reads types line and checks that COMMAND read it, as its nth line.
func (js *jobSession) reads(t *testing.T, line string, nth int) {
	t.Helper()
	js.send(t, line+"\n")
	if got := waitFile(t, js.out, nth); got[nth-1] != "got "+line {
		t.Fatalf("COMMAND read %q, want %q\n%s", got[nth-1], "got "+line, js.output())
	}
}

// command tells the stopped job's shell to run fg or bg.
func (js *jobSession) command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(js.ctl, cmd); err != nil {
		t.Fatal(err)
	}
	js.next(t, "continued")
}

// commands lists COMMAND's processes: those with the mark but the shell
// and COMMAND's guard (which takes no part in job control).
func (js *jobSession) commands() []procID {
	var out []procID
	for _, p := range marked(js.mark) {
		if p.pid != js.shell && p.cmd != guard.Comm {
			out = append(out, p)
		}
	}
	return out
}

// checkStopped checks that the job, autoreload and COMMAND, is stopped and
// that the terminal is the shell's.
func (js *jobSession) checkStopped(t *testing.T) {
	t.Helper()
	if state := procState(js.autoreload); state != "T" {
		t.Errorf("autoreload state %q, want T (stopped)", state)
	}
	commands := js.commands()
	if len(commands) == 0 {
		t.Fatal("COMMAND is not running")
	}
	for _, p := range commands {
		if state := procState(p.pid); state != "T" {
			t.Errorf("COMMAND process %v state %q, want T (stopped)", p, state)
		}
	}
	if fg, err := unix.IoctlGetInt(int(js.master.Fd()), unix.TIOCGPGRP); err != nil || fg != js.shell {
		t.Errorf("foreground group %d (%v), want the shell's %d", fg, err, js.shell)
	}
}

// interrupt types Ctrl-C: autoreload must exit 0 and leave nothing behind.
func (js *jobSession) interrupt(t *testing.T) {
	t.Helper()
	js.send(t, "\x03")
	if ev := js.next(t, "exited "); ev != "exited 0" {
		t.Fatalf("autoreload %s after Ctrl-C, want exited 0\n%s", ev, js.output())
	}
	js.autoreload = 0
	if left := js.commands(); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
}

const readLines = `while read line; do echo "got $line" >> "$1"; done`

// TestCtrlZStopsTheJob runs autoreload as a job-control shell would, in a
// process group of its own holding the terminal, with a COMMAND that
// reads the terminal. Ctrl-Z must stop the job, autoreload included, and
// leave the terminal to the shell; bg continues COMMAND in the background,
// where reading stops the job again (SIGTTIN); fg gives COMMAND the
// terminal again; Ctrl-C then ends everything with exit 0.
func TestCtrlZStopsTheJob(t *testing.T) {
	t.Parallel()
	js := startJobShell(t, "fg", readLines)
	js.reads(t, "before", 1)
	js.send(t, "\x1a") // Ctrl-Z
	js.next(t, "stopped SIGTSTP")
	js.checkStopped(t)

	// In the background COMMAND goes back to its read, which the terminal
	// stops: the job is stopped again, for the shell to report.
	js.command(t, "bg")
	js.next(t, "stopped SIGTTIN")
	js.checkStopped(t)
	js.command(t, "fg")
	js.reads(t, "after", 2)
	js.interrupt(t)
}

// TestStartedInBackground: autoreload started with & leaves the terminal
// to the shell; a COMMAND that reads it stops the job (SIGTTIN) rather
// than COMMAND alone, and fg gives it the terminal.
func TestStartedInBackground(t *testing.T) {
	t.Parallel()
	js := startJobShell(t, "bg", readLines)
	js.next(t, "stopped SIGTTIN")
	js.checkStopped(t)
	js.command(t, "fg")
	js.reads(t, "hello", 1)
	js.interrupt(t)
}

// jobShellVar makes this test binary a minimal job-control shell (see
// jobShell) instead of running the tests.
const jobShellVar = "AUTORELOAD_TEST_JOBSHELL"

func init() {
	if mode := os.Getenv(jobShellVar); mode != "" {
		os.Unsetenv(jobShellVar)
		jobShell(os.Args[1:], mode == "bg")
		os.Exit(0)
	}
}

// jobShell runs argv as a job-control shell runs a job: in a process group
// of its own, given the terminal (fd 0, its controlling terminal) unless
// started in the background, as with &. It reports on fd 4, a line each: "started PID", "stopped SIG"
// (having taken the terminal back, as a shell does), "continued" and
// "exited CODE"; after a stop it reads "fg" or "bg" from fd 3 and does
// what the shell's commands of those names do.
func jobShell(argv []string, background bool) {
	ctl := bufio.NewReader(os.NewFile(3, "control"))
	events := os.NewFile(4, "events")
	say := func(format string, a ...any) { fmt.Fprintf(events, format+"\n", a...) }
	setForeground := func(pgid int) {
		signal.Ignore(syscall.SIGTTOU) // the shell sets it from the background
		unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgid)
		signal.Reset(syscall.SIGTTOU)
	}
	sys := &syscall.SysProcAttr{Setpgid: true, Foreground: !background, Ctty: 0}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: sys})
	if err != nil {
		say("error %v", err)
		return
	}
	say("started %d", pid)
	for {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err == syscall.EINTR {
			continue
		} else if err != nil {
			say("error %v", err)
			return
		}
		switch {
		case ws.Stopped():
			setForeground(syscall.Getpgrp())
			say("stopped %s", unix.SignalName(ws.StopSignal()))
			switch cmd, _ := ctl.ReadString('\n'); cmd {
			case "fg\n":
				setForeground(pid)
			case "bg\n":
			default:
				return
			}
			syscall.Kill(-pid, syscall.SIGCONT)
			say("continued")
		case ws.Signaled():
			say("exited %s", unix.SignalName(ws.Signal()))
			return
		default:
			say("exited %d", ws.ExitStatus())
			return
		}
	}
}

// procState is the state letter of /proc/PID/stat: T when stopped.
func procState(pid int) string {
	p, ok := proctree.ReadStat(pid)
	if !ok {
		return "gone"
	}
	return string(p.State)
}
