package supervisor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxChanged and maxChangedBytes bound AUTORELOAD_CHANGED: the first paths
// that fit both are listed, and a COMMAND that needs more should rescan.
// Linux refuses to exec with one environment string over 128 KiB (E2BIG),
// and macOS limits arguments and environment to 1 MiB in all.
const (
	maxChanged      = 1000
	maxChangedBytes = 64 << 10
)

// group is one run of COMMAND: its leader, whose pid is also the process
// group id, and every descendant, wherever it went.
type group struct {
	pid     int
	started time.Time
	// status is set once the leader has been reaped.
	status *exitStatus
	// failed is set instead of pid when COMMAND could not be started.
	failed error
	// logged and handled make "exited" and the OnExit policy happen once.
	logged, handled bool
	// stopping is set when the supervisor sent the stop signal, so an end
	// by that signal is ours and not the user's.
	stopping bool
	// stopSig is the signal that stopped the leader (SIGTSTP on Ctrl-Z),
	// reported by wait4 and not yet handled; zero while it runs.
	stopSig syscall.Signal
}

// reapLeader collects what wait4 reports of g's leader without blocking:
// its end, or that it was stopped. The report of a stop is given once per
// stop, so it is kept in g until the supervisor acts on it. Other children
// are reaped without WUNTRACED: their stops are not the supervisor's
// business.
func reapLeader(g *group) {
	if g == nil || g.pid == 0 || g.status != nil {
		return
	}
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(g.pid, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil)
	if err != nil || got != g.pid {
		return
	}
	switch {
	case ws.Stopped():
		g.stopSig = ws.StopSignal()
	case ws.Exited() || ws.Signaled():
		st := statusOf(ws)
		g.status, g.stopSig = &st, 0
	}
}

// exitStatus is how a leader ended: an exit code, or a signal.
type exitStatus struct {
	code   int
	signal syscall.Signal // non-zero when killed by a signal
}

func statusOf(ws syscall.WaitStatus) exitStatus {
	if ws.Signaled() {
		return exitStatus{code: -1, signal: ws.Signal()}
	}
	return exitStatus{code: ws.ExitStatus()}
}

// exitCode is the code a shell would report: 128+N for signal N.
func (e exitStatus) exitCode() int {
	if e.signal != 0 {
		return 128 + int(e.signal)
	}
	return e.code
}

// attrs are the log attributes: code, or signal as a name such as SIGTERM.
func (e exitStatus) attrs() []any {
	if e.signal != 0 {
		return []any{"signal", SignalName(e.signal)}
	}
	return []any{"code", e.code}
}

// SignalName names a signal as users write it: SIGTERM.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// StartError means COMMAND could not be started: not found, not executable.
type StartError struct {
	Command string
	Err     error
}

func (e *StartError) Error() string { return fmt.Sprintf("cannot start %s: %v", e.Command, e.Err) }
func (e *StartError) Unwrap() error { return e.Err }

// ExitError means COMMAND exited by itself under OnExitExit; Code is what
// autoreload should exit with.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("command exited with code %d", e.Code) }

// helperVar marks the processes the supervisor's own program starts (the
// Watchman CLI, and the daemon that `watchman get-sockname` spawns):
// Setup puts it in the process environment, which they inherit, with the
// supervisor's pid as its value. Such a daemon double-forks and calls
// setsid, so it is re-parented to the supervisor, its subreaper, in a
// session of its own, exactly like a daemon COMMAND started; the marker
// is how the reaper tells it is not COMMAND's and leaves it running.
// COMMAND never gets it.
const helperVar = "AUTORELOAD_HELPER_OF"

// markHelpers sets helperVar for every process started from now on.
func markHelpers() {
	os.Setenv(helperVar, strconv.Itoa(os.Getpid()))
}

// environ is the base environment plus the two variables that tell
// COMMAND it runs under autoreload and why this run started.
func environ(base, changed []string) []string {
	env := make([]string, 0, len(base)+2)
	for _, kv := range base {
		if strings.HasPrefix(kv, "AUTORELOAD_ENV=") || strings.HasPrefix(kv, "AUTORELOAD_CHANGED=") ||
			strings.HasPrefix(kv, helperVar+"=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AUTORELOAD_ENV=true", "AUTORELOAD_CHANGED="+changedList(changed))
}

// changedList is AUTORELOAD_CHANGED: one path a line, as many as fit the
// bounds, in order. A path holding a newline cannot be listed one a line and
// is left out (the command maps such paths to the roots before Restart).
func changedList(changed []string) string {
	var b strings.Builder
	n := 0
	for _, p := range changed {
		if strings.Contains(p, "\n") {
			continue
		}
		if n == maxChanged || b.Len()+len(p)+1 > maxChangedBytes {
			break
		}
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
		n++
	}
	return b.String()
}

// CheckCommand reports, as a *StartError, whether COMMAND can be found and
// is executable, so a typo fails at once rather than after the watcher
// started.
func CheckCommand(argv []string) error {
	_, err := lookPath(argv[0])
	return err
}

func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		return path, nil
	}
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return "", &StartError{Command: name, Err: err}
	}
	return path, nil
}

// startProcess starts COMMAND in a process group of its own. It does not use
// os/exec's Cmd: the supervisor reaps its children itself (it is their
// subreaper), and Cmd.Wait would race with that reaping for the status.
func startProcess(argv, env []string, files []*os.File, term *terminal) (int, error) {
	path, err := lookPath(argv[0])
	if err != nil {
		return 0, err
	}
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = f.Fd()
	}
	sys := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(sys)
	term.giveOnStart(sys)
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: fds, Sys: sys})
	runtime.KeepAlive(files) // their descriptors must stay open until ForkExec returned
	if err != nil {
		return 0, &StartError{Command: argv[0], Err: err}
	}
	return pid, nil
}
