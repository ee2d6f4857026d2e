package supervisor

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// Job control, relayed as sudo relays it. COMMAND holds the terminal in a
// process group of its own, so Ctrl-Z stops COMMAND's group and not the
// shell's job, which is the supervisor's group: the shell would never get
// the terminal back. So when COMMAND's leader is stopped by a terminal stop
// signal, the supervisor takes the terminal back and stops its own group
// with the same signal; the shell sees its job stopped. When the shell
// continues the job, the supervisor continues COMMAND: in the foreground,
// with the terminal, after fg; in the background after bg, where COMMAND
// runs until it reads the terminal, which stops it with SIGTTIN and, by
// the same relay, the job.

// MsgTerminalStop is the warning logged when COMMAND, without the
// terminal, was stopped for reading it or setting its modes.
const MsgTerminalStop = "stopped by terminal"

// MsgSuspended and MsgContinued note, at debug level, a stop of COMMAND
// relayed to the job (pid, signal) and its continuation (pid, foreground).
const (
	MsgSuspended = "suspended"
	MsgContinued = "continued"
)

// isTerminalStop reports whether sig is one of the signals by which a
// terminal stops a job: Ctrl-Z, or a read or a mode change from the
// background.
func isTerminalStop(sig syscall.Signal) bool {
	return sig == syscall.SIGTSTP || sig == syscall.SIGTTIN || sig == syscall.SIGTTOU
}

// relayStop acts on a stop of g's leader by sig. Without a terminal, or
// for any other stop (SIGSTOP from kill), COMMAND stays stopped as whoever
// stopped it meant; a restart or an end still stops it (stop continues a
// stopped group so it can die).
func (s *Supervisor) relayStop(ctx context.Context, g *group, sig syscall.Signal) {
	s.log.Debug(MsgSuspended, "pid", g.pid, "signal", SignalName(sig))
	if s.term == nil && sig != syscall.SIGTSTP && isTerminalStop(sig) {
		// COMMAND read or set a terminal it does not hold (autoreload -I
		// keeps it): nobody will continue it, so say why it went quiet.
		s.log.Warn(MsgTerminalStop, "pid", g.pid, "signal", SignalName(sig),
			"hint", "COMMAND uses the terminal, which it does not hold (with -I autoreload keeps it); it stays stopped until the next restart")
	}
	if s.term == nil || !isTerminalStop(sig) {
		return
	}
	if sig != syscall.SIGTSTP && s.term.inForeground() {
		// COMMAND, started or continued in the background, touched the
		// terminal after the job came back to the foreground: give it the
		// terminal rather than stop the job.
		s.resume(g, true)
		return
	}
	s.term.take()
	s.resume(g, s.term.suspend(ctx, sig))
}

// resume continues g's group, with the terminal if foreground.
func (s *Supervisor) resume(g *group, foreground bool) {
	if foreground {
		s.term.give(g.pgid)
	}
	s.log.Debug(MsgContinued, "pid", g.pid, "foreground", foreground)
	_ = syscall.Kill(-g.pgid, syscall.SIGCONT)
}

// suspend stops the supervisor's job with sig, as the terminal would have
// stopped it, and returns once the job is continued, reporting whether it
// is in the foreground then. An ignored sig is replaced by SIGSTOP, which
// cannot be ignored: COMMAND stopped, so the job must.
//
// An orphaned group is not stopped: the kernel discards the terminal stop
// signals sent to it, and with SIGSTOP nobody would continue it (a
// supervisor started by a terminal emulator or `docker run -t` as the
// session's leader). There, Ctrl-Z continues COMMAND at once.
func (t *terminal) suspend(ctx context.Context, sig syscall.Signal) (foreground bool) {
	if !orphanedGroup() {
		if signal.Ignored(sig) {
			sig = syscall.SIGSTOP
		}
		// Wait for SIGCONT rather than for kill to return: another thread
		// may take the stop after this one went on.
		cont := make(chan os.Signal, 1)
		signal.Notify(cont, syscall.SIGCONT)
		if syscall.Kill(-t.pgrp, sig) == nil {
			select {
			case <-cont:
			case <-ctx.Done(): // a safety net: a stopped process runs nothing
			}
		}
		signal.Stop(cont)
	}
	if t.inForeground() {
		return true
	}
	t.background = true
	return false
}

// orphanedGroup reports whether the supervisor's process group is orphaned:
// no member has its parent in another group of the same session, so no
// job-control shell would continue it. Only the supervisor's line of
// ancestors within its group is followed; when that says orphaned or
// cannot tell, the group is taken as orphaned, for a stop that nobody
// continues is worse than a Ctrl-Z that does nothing.
func orphanedGroup() bool {
	pgrp := syscall.Getpgrp()
	sid, err := unix.Getsid(0)
	if err != nil {
		return true
	}
	pid := os.Getpid()
	for range 64 {
		ppid := proctree.Parent(pid)
		if ppid <= 0 {
			return true
		}
		psid, err1 := unix.Getsid(ppid)
		ppgrp, err2 := unix.Getpgid(ppid)
		if err1 != nil || err2 != nil || psid != sid {
			return true
		}
		if ppgrp != pgrp {
			return false
		}
		pid = ppid
	}
	return true
}
