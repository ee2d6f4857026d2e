package jobshell

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// markVar carries a session's mark into the environment of the job and
// all it starts, by which its processes are found.
const markVar = "AUTORELOAD_TEST_MARK"

// Session is a job run by the job shell on a new terminal. The job's
// COMMAND is `sh -c SCRIPT sh OUT`, writing to the file Out.
type Session struct {
	Master *os.File // the terminal's master side, where the test types
	Out    string
	Shell  int // the shell's pid, which is its group's and session's id
	Job    int // the job's pid, its group's id; 0 once it exited
	mark   string
	ctl    *os.File
	events chan string
	output func() string
}

// Start runs this test binary as the job shell, which starts argv (the job,
// with env added to this process's environment) in the foreground, or in
// the background with mode "bg". out is the file COMMAND writes to.
func Start(t *testing.T, mode, out string, env []string, argv ...string) *Session {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{Master: master, Out: out, events: make(chan string, 10),
		mark: strings.ReplaceAll(t.Name(), "/", "-") + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.ctl = ctlW
	sh := exec.Command(self, argv...)
	sh.Dir = t.TempDir()
	sh.Env = append(append(os.Environ(), env...), shellVar+"="+mode, markVar+"="+s.mark)
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
	s.Shell = sh.Process.Pid
	s.output = testkit.Drain(master)
	go func() {
		defer close(s.events)
		lines := bufio.NewScanner(evR)
		for lines.Scan() {
			s.events <- lines.Text()
		}
	}()
	t.Cleanup(func() {
		if s.Job != 0 {
			syscall.Kill(s.Job, syscall.SIGKILL)
		}
		sh.Process.Kill()
		sh.Wait()
		for _, p := range s.Marked() {
			syscall.Kill(p.Pid, syscall.SIGKILL)
		}
		ctlW.Close()
		evR.Close()
		master.Close()
	})
	fmt.Sscan(strings.TrimPrefix(s.Next(t, "started "), "started "), &s.Job)
	return s
}

// Output is what the terminal showed, for failure messages.
func (s *Session) Output() string { return s.output() }

// Next waits for the shell's next report and checks that it starts with want.
func (s *Session) Next(t *testing.T, want string) string {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatalf("job shell ended, want %q\n%s", want, s.output())
		}
		if !strings.HasPrefix(ev, want) {
			t.Fatalf("job shell says %q, want %q\n%s", ev, want, s.output())
		}
		return ev
	case <-time.After(testkit.WaitLimit):
		t.Fatalf("job shell: no %q within %v\n%s", want, testkit.WaitLimit, s.output())
	}
	return ""
}

// Send types text on the terminal.
func (s *Session) Send(t *testing.T, text string) {
	t.Helper()
	if _, err := s.Master.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

// Reads types line and checks that COMMAND read it, as its nth line.
func (s *Session) Reads(t *testing.T, line string, nth int) {
	t.Helper()
	s.Send(t, line+"\n")
	if got := testkit.WaitLines(t, s.Out, nth); got[nth-1] != "got "+line {
		t.Fatalf("COMMAND read %q, want %q\n%s", got[nth-1], "got "+line, s.output())
	}
}

// Command tells the stopped job's shell to run fg or bg.
func (s *Session) Command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := fmt.Fprintln(s.ctl, cmd); err != nil {
		t.Fatal(err)
	}
	s.Next(t, "continued")
}

// Commands lists COMMAND's processes: those with the mark but the shell,
// the job's own and COMMAND's guard (which takes no part in job control).
func (s *Session) Commands() []proctree.Stat {
	var out []proctree.Stat
	for _, p := range s.Marked() {
		if p.Pid != s.Shell && p.Pid != s.Job && p.Comm != guard.Comm && !strings.HasSuffix(p.Comm, "autoreload") {
			out = append(out, p)
		}
	}
	return out
}

// CheckStopped checks that the job, its own process and COMMAND, is
// stopped and that the terminal is the shell's.
func (s *Session) CheckStopped(t *testing.T) {
	t.Helper()
	if state := procState(s.Job); state != "T" {
		t.Errorf("the job's process (%d) state %q, want T (stopped)", s.Job, state)
	}
	commands := s.Commands()
	if len(commands) == 0 {
		t.Fatal("COMMAND is not running")
	}
	for _, p := range commands {
		if state := procState(p.Pid); state != "T" {
			t.Errorf("COMMAND process %v state %q, want T (stopped)", p, state)
		}
	}
	if fg, err := unix.IoctlGetInt(int(s.Master.Fd()), unix.TIOCGPGRP); err != nil || fg != s.Shell {
		t.Errorf("foreground group %d (%v), want the shell's %d", fg, err, s.Shell)
	}
}

// Interrupt types Ctrl-C: the job must exit 0 and leave nothing behind.
func (s *Session) Interrupt(t *testing.T) {
	t.Helper()
	s.Send(t, "\x03")
	if ev := s.Next(t, "exited "); ev != "exited 0" {
		t.Fatalf("the job %s after Ctrl-C, want exited 0\n%s", ev, s.output())
	}
	s.Job = 0
	if left := s.Commands(); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
}

// Marked lists the processes that carry the session's mark in their
// environment (zombies have none left to read).
func (s *Session) Marked() []proctree.Stat {
	needle := []byte(markVar + "=" + s.mark + "\x00")
	names, _ := filepath.Glob("/proc/[0-9]*")
	var out []proctree.Stat
	for _, dir := range names {
		env, err := os.ReadFile(dir + "/environ")
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		if p, ok := proctree.ReadStat(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// procState is the state letter of /proc/PID/stat: T when stopped.
func procState(pid int) string {
	p, ok := proctree.ReadStat(pid)
	if !ok {
		return "gone"
	}
	return string(p.State)
}

// ReadLines is a COMMAND script that reads the terminal, line by line,
// appending "got LINE" to $1 (Out) for each.
const ReadLines = `while read line; do echo "got $line" >> "$1"; done`

// CtrlZBgFg plays the job-control scenario with a job whose COMMAND runs
// ReadLines, holding the terminal: Ctrl-Z must stop the job, its own
// process included, and leave the terminal to the shell; bg continues
// COMMAND in the background, where reading stops the job again (SIGTTIN);
// fg gives COMMAND the terminal again; Ctrl-C then ends everything with
// exit 0.
func (s *Session) CtrlZBgFg(t *testing.T) {
	t.Helper()
	s.Reads(t, "before", 1)
	s.Send(t, "\x1a") // Ctrl-Z
	s.Next(t, "stopped SIGTSTP")
	s.CheckStopped(t)

	// In the background COMMAND goes back to its read, which the terminal
	// stops: the job is stopped again, for the shell to report.
	s.Command(t, "bg")
	s.Next(t, "stopped SIGTTIN")
	s.CheckStopped(t)
	s.Command(t, "fg")
	s.Reads(t, "after", 2)
	s.Interrupt(t)
}
