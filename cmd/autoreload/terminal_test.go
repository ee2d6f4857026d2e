//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	output        func() string
	exited        chan error
}

func startTerminalLeader(t *testing.T, script string) *terminalLeader {
	t.Helper()
	master, slave := openPTY(t)
	tl := &terminalLeader{master: master, slave: slave, out: filepath.Join(t.TempDir(), "out"),
		mark: t.Name() + "-" + strconv.FormatInt(time.Now().UnixNano(), 10), exited: make(chan error, 1)}
	cmd := exec.Command(binary, "--reloader=stat", "--", "sh", "-c", script, "sh", tl.out)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "AUTORELOAD_TEST_MARK="+tl.mark)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tl.output = drain(master)
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

// TestInteractiveCommand runs autoreload on a terminal with a COMMAND that
// turns echo off and reads the terminal: it must get the foreground (else
// SIGTTIN stops it), the user's Ctrl-C must end everything with exit 0, and
// echo must be on again afterwards.
func TestInteractiveCommand(t *testing.T) {
	t.Parallel()
	tl := startTerminalLeader(t, `stty -echo; read line; echo "got $line" > "$1"; sleep 1000`)
	tl.send(t, "hello\n")
	if got := waitFile(t, tl.out, 1); got[0] != "got hello" {
		t.Fatalf("COMMAND read %q, want \"got hello\"", got[0])
	}
	tl.interrupt(t)
	tio, err := unix.IoctlGetTermios(int(tl.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo still off after COMMAND ended")
	}
}

// TestCtrlZWithoutJobControl: autoreload as the leader of the terminal's
// session is in an orphaned group, which cannot be stopped. Ctrl-Z must
// then not leave COMMAND stopped for ever with nobody to continue it.
func TestCtrlZWithoutJobControl(t *testing.T) {
	t.Parallel()
	tl := startTerminalLeader(t, `while read line; do echo "got $line" >> "$1"; done; sleep 1000`)
	tl.send(t, "before\n")
	waitFile(t, tl.out, 1)
	tl.send(t, "\x1aafter\n") // Ctrl-Z, then a line
	if got := waitFile(t, tl.out, 2); got[1] != "got after" {
		t.Fatalf("COMMAND read %q after Ctrl-Z, want \"got after\"\n%s", got[1], tl.output())
	}
	tl.interrupt(t)
}

// TestCtrlZStopsTheJob runs autoreload as a job-control shell would, in a
// process group of its own holding the terminal, with a COMMAND that
// reads the terminal. Ctrl-Z must stop the job, autoreload included, and
// leave the terminal to the shell; bg continues COMMAND in the background,
// where reading stops the job again (SIGTTIN); fg gives COMMAND the
// terminal again; Ctrl-C then ends everything with exit 0.
func TestCtrlZStopsTheJob(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	defer master.Close()
	defer slave.Close()
	out := filepath.Join(t.TempDir(), "out")
	mark := "ctrlz-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer ctlW.Close()
	defer evR.Close()
	sh := exec.Command(helper, binary, "--reloader=stat", "--", "sh", "-c", `while read line; do echo "got $line" >> "$1"; done`, "sh", out)
	sh.Dir = t.TempDir()
	sh.Env = append(os.Environ(), jobShellVar+"=1", "AUTORELOAD_TEST_MARK="+mark)
	sh.Stdin, sh.Stdout, sh.Stderr = slave, slave, slave
	sh.ExtraFiles = []*os.File{ctlR, evW}
	sh.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	ctlR.Close()
	evW.Close()
	output := drain(master)
	events := make(chan string, 10)
	go func() {
		defer close(events)
		lines := bufio.NewScanner(evR)
		for lines.Scan() {
			events <- lines.Text()
		}
	}()
	var autoreload int
	defer func() {
		if autoreload != 0 {
			syscall.Kill(autoreload, syscall.SIGKILL)
		}
		sh.Process.Kill()
		sh.Wait()
		for _, p := range marked(mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("job shell ended, want %q\n%s", want, output())
			}
			if !strings.HasPrefix(ev, want) {
				t.Fatalf("job shell says %q, want %q\n%s", ev, want, output())
			}
			return ev
		case <-time.After(waitLimit):
			t.Fatalf("job shell: no %q within %v\n%s", want, waitLimit, output())
		}
		return ""
	}
	send := func(b string) {
		t.Helper()
		if _, err := master.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Sscan(strings.TrimPrefix(next("started "), "started "), &autoreload)
	shellGroup := sh.Process.Pid

	send("before\n")
	waitFile(t, out, 1)
	send("\x1a") // Ctrl-Z
	next("stopped SIGTSTP")
	if state := procState(autoreload); state != "T" {
		t.Errorf("autoreload state %q after Ctrl-Z, want T (stopped)", state)
	}
	commands := markedBelow(mark, shellGroup)
	if len(commands) == 0 {
		t.Fatal("COMMAND is not running")
	}
	for _, p := range commands {
		if state := procState(p.pid); state != "T" {
			t.Errorf("COMMAND process %v state %q after Ctrl-Z, want T", p, state)
		}
	}
	if fg, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPGRP); err != nil || fg != shellGroup {
		t.Errorf("foreground group %d (%v) after Ctrl-Z, want the shell's %d", fg, err, shellGroup)
	}

	// In the background COMMAND goes back to its read, which the terminal
	// stops: the job is stopped again, for the shell to report.
	fmt.Fprintln(ctlW, "bg")
	next("continued")
	next("stopped SIGTTIN")
	fmt.Fprintln(ctlW, "fg")
	next("continued")
	send("after\n")
	if got := waitFile(t, out, 2); got[1] != "got after" {
		t.Fatalf("COMMAND read %q after fg, want \"got after\"", got[1])
	}
	send("\x03") // Ctrl-C
	if ev := next("exited "); ev != "exited 0" {
		t.Fatalf("autoreload %s after Ctrl-C, want exited 0\n%s", ev, output())
	}
	autoreload = 0
	if left := markedBelow(mark, shellGroup); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
}

// jobShellVar makes this test binary a minimal job-control shell (see
// jobShell) instead of running the tests.
const jobShellVar = "AUTORELOAD_TEST_JOBSHELL"

func init() {
	if os.Getenv(jobShellVar) != "" {
		os.Unsetenv(jobShellVar)
		jobShell(os.Args[1:])
		os.Exit(0)
	}
}

// jobShell runs argv as a job-control shell runs a foreground job: in a
// process group of its own given the terminal (fd 0, its controlling
// terminal). It reports on fd 4, a line each: "started PID", "stopped SIG"
// (having taken the terminal back, as a shell does), "continued" and
// "exited CODE"; after a stop it reads "fg" or "bg" from fd 3 and does
// what the shell's commands of those names do.
func jobShell(argv []string) {
	ctl := bufio.NewReader(os.NewFile(3, "control"))
	events := os.NewFile(4, "events")
	say := func(format string, a ...any) { fmt.Fprintf(events, format+"\n", a...) }
	setForeground := func(pgid int) {
		signal.Ignore(syscall.SIGTTOU) // the shell sets it from the background
		unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgid)
		signal.Reset(syscall.SIGTTOU)
	}
	sys := &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
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

// markedBelow is marked without the job shell, which carries the mark too.
func markedBelow(mark string, shell int) []procID {
	var out []procID
	for _, p := range marked(mark) {
		if p.pid != shell {
			out = append(out, p)
		}
	}
	return out
}

// procState is the state letter of /proc/PID/stat: T when stopped.
func procState(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "gone"
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) == 0 {
		return "?"
	}
	return fields[0]
}

// drain reads the terminal's output, which must be read for the programs
// on it to go on writing, and returns a function giving what was read, for
// failure messages.
func drain(master *os.File) func() string {
	var mu sync.Mutex
	var buf bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			mu.Lock()
			buf.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return "terminal output:\n" + buf.String()
	}
}
