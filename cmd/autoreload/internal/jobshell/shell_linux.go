package jobshell

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// shellVar makes a test binary the job shell (Main) instead of running
// the tests: "fg" or "bg", how the job starts.
const shellVar = "AUTORELOAD_TEST_JOBSHELL"

// Main runs the job shell and exits when this process was started as one
// by Start; otherwise it returns at once. Test binaries call it first
// thing (in TestMain or init).
func Main() {
	if mode := os.Getenv(shellVar); mode != "" {
		os.Unsetenv(shellVar)
		run(os.Args[1:], mode == "bg")
		os.Exit(0)
	}
}

// run runs argv as a job-control shell runs a job: in a process group of
// its own, given the terminal (fd 0, its controlling terminal) unless
// started in the background, as with &. It reports on fd 4, a line each:
// "started PID", "stopped SIG" (having taken the terminal back, as a shell
// does), "continued" and "exited CODE"; after a stop it reads "fg" or "bg"
// from fd 3 and does what the shell's commands of those names do.
func run(argv []string, background bool) {
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
