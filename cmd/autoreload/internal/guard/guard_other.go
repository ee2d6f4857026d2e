//go:build !linux

package guard

import (
	"os"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// selfExe is the running program.
func selfExe() string {
	exe, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return exe
}

func nameGuard() {}

// peekCommand reports a stop or the end of COMMAND. Without waitid's
// WNOWAIT here, the end is reaped at once.
func peekCommand(pid int) (stop syscall.Signal, exit *proctree.Status) {
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil)
	if err != nil || got != pid {
		return 0, nil
	}
	if ws.Stopped() {
		return ws.StopSignal(), nil
	}
	st := proctree.StatusOf(ws)
	return 0, &st
}

func reapCommand(int) {}

// reapOthers reaps what ended once COMMAND is done: without a subreaper,
// the guard's only child is COMMAND.
func reapOthers(cmd int, cmdDone bool) (childless bool) {
	if !cmdDone {
		return false
	}
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.ECHILD {
			return true
		}
		if err != nil || got <= 0 {
			return false
		}
	}
}

// signalTree sends sig to COMMAND: without a subreaper and /proc, the
// rest of the tree cannot be found, and the group holds the guard.
func (g *guard) signalTree(sig syscall.Signal) {
	if !g.cmdDone {
		_ = syscall.Kill(g.cmd, sig)
	}
}

// signalOutsiders does nothing where what left the group cannot be found.
func (g *guard) signalOutsiders() { g.outsidersDone = true }

// awaitHandled is a no-op where the kernel's pending signals cannot be
// read: a Ctrl-C can then, rarely, be told after COMMAND's end.
func awaitHandled(syscall.Signal, time.Duration) {}
