package supervisor

import (
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/writers"
)

// group is one run of COMMAND: its leader COMMAND, and every descendant,
// wherever it went, in the process group of the run's guard.
type group struct {
	pid     int // COMMAND's
	pgid    int // the guard's pid
	started time.Time
	// status is set once the leader has ended (reaped by its guard, or by
	// the supervisor when the guard died first).
	status *proctree.Status
	// failed is set instead of pid when COMMAND could not be started.
	failed error
	// logged and handled make "exited" and the OnExit policy happen once.
	logged, handled bool
	// stopping is set when the supervisor sent the stop signal, so an end
	// by that signal is ours and not the user's.
	stopping bool
	// stopSig is the signal that stopped the leader (SIGTSTP on Ctrl-Z),
	// reported and not yet handled; zero while it runs.
	stopSig syscall.Signal
	// interrupts are the Ctrl-Cs the guard saw, not yet handled;
	// interrupted is the time of the last one handled.
	interrupts  []time.Time
	interrupted time.Time

	child *guard.Child // nil when COMMAND never started
	// writes records what the run writes, for the restart-loop rule.
	writes *writers.Recorder
	// guardLost is set once the guard was found gone before its work was
	// done (see lostGuard).
	guardLost bool
}

// groupHeld reports whether g's group id is surely still g's: COMMAND,
// in it, is unreaped, or the guard, its leader, is.
func (g *group) groupHeld() bool {
	return g.status == nil || (g.child != nil && !g.child.Of().Reaped())
}

// guard is g's guard; nil without one.
func (g *group) guard() *guard.Guard {
	if g == nil || g.child == nil {
		return nil
	}
	return g.child.Of()
}

// guardPid is the guard's pid; 0 without one.
func (g *group) guardPid() int {
	if gd := g.guard(); gd != nil {
		return gd.Pid
	}
	return 0
}

// release ends what g's run does beside COMMAND once it is over.
func (s *Supervisor) release(g *group) {
	if g != nil {
		g.writes.Stop()
	}
}

// reapLeader takes what the guard reported of g's leader: its end, or that
// it was stopped. The report of a stop is given once per stop, so it is
// kept in g until the supervisor acts on it. When the guard died first,
// the leader is the supervisor's child (its subreaper's) and is reaped
// here; reaped says so.
func reapLeader(g *group) (reaped bool) {
	if g == nil || g.child == nil {
		return false
	}
	rep := g.child.Take()
	if g.status == nil && rep.Status != nil {
		g.status, g.stopSig = rep.Status, 0
	}
	if g.status == nil && rep.Stopped != 0 {
		g.stopSig = rep.Stopped
	}
	g.interrupts = append(g.interrupts, rep.Interrupts...)
	if g.status != nil {
		// Once it ended, its pid may be handed out again, even to a child
		// of the supervisor's: only the reaper, which sees a zombie of its
		// own, may reap it.
		return false
	}
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(g.pid, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil)
	switch {
	case err == nil && got == g.pid && ws.Stopped():
		g.stopSig = ws.StopSignal()
	case err == nil && got == g.pid:
		st := proctree.StatusOf(ws)
		g.status, g.stopSig = &st, 0
		return true
	case rep.Ended && syscall.Kill(g.pid, 0) == syscall.ESRCH && !g.child.Of().Closed():
		// The guard reaped it and died before it could say how it ended
		// (only where it cannot report before reaping): killed, as the
		// guard was.
		g.status, g.stopSig = &proctree.Status{Code: -1, Signal: syscall.SIGKILL}, 0
	}
	return false
}
