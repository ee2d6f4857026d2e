package supervisor

import (
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// Ctrl-C on a terminal is a request to quit. COMMAND holds the foreground,
// so the terminal's SIGINT goes to COMMAND's process group and not to the
// supervisor; the guard, in that group, sees it too and reports it. Then:
//   - COMMAND ends within the grace period of the Ctrl-C, whatever its
//     status (it died of it, exited 1 like `go run` or 0 like Django's
//     runserver): the supervisor ends at once, ahead of OnExit;
//   - COMMAND ignores SIGINT: the Ctrl-C cannot have been for it, and the
//     supervisor stops it as on any stop and ends;
//   - COMMAND catches it and goes on (a REPL, a debugger): both go on,
//     but a second Ctrl-C within secondCtrlC always ends the supervisor.
// Without a terminal, a SIGINT sent to COMMAND's group is COMMAND's
// business. The supervisor's own SIGINT (when it holds the terminal) is
// its caller's to handle, by cancelling Run.

// secondCtrlC is how soon a second Ctrl-C must follow the first to end the
// supervisor whatever COMMAND does with it.
const secondCtrlC = 3 * time.Second

// interruptGrace is how long after a Ctrl-C an end of COMMAND counts as
// caused by it: the grace period, or a second if that is shorter, since a
// --grace of 0 (SIGKILL at once) says nothing of how long COMMAND takes to
// quit.
func (s *Supervisor) interruptGrace() time.Duration { return max(s.opts.Grace, time.Second) }

// takeInterrupts handles the Ctrl-Cs the guard reported since the last
// call and reports whether the supervisor should end.
func (s *Supervisor) takeInterrupts(g *group) (quit bool) {
	if len(g.interrupts) == 0 {
		return false
	}
	at := g.interrupts[len(g.interrupts)-1]
	n := len(g.interrupts)
	g.interrupts = nil
	if !s.term.held() || g.stopping {
		return false // not the terminal's, or a SIGINT stop signal of ours
	}
	second := n > 1 || (!s.lastInterrupt.IsZero() && at.Sub(s.lastInterrupt) < secondCtrlC)
	s.lastInterrupt, g.interrupted = at, at
	switch {
	case second:
		return true
	case g.status != nil:
		return true // it ended already, by the Ctrl-C
	case proctree.IgnoresSignal(g.pid, syscall.SIGINT):
		return true
	}
	return false
}

// userInterrupted reports whether COMMAND, holding the terminal, ended
// because of the user's Ctrl-C: it died of SIGINT, or ended soon after a
// Ctrl-C the guard saw. The user meant to stop autoreload too.
func (s *Supervisor) userInterrupted(g *group) bool {
	if !s.term.held() || g.stopping || g.status == nil {
		return false
	}
	return g.status.Signal == syscall.SIGINT ||
		(!g.interrupted.IsZero() && time.Since(g.interrupted) <= s.interruptGrace())
}

// ctrlCLanding is how long a COMMAND that catches SIGINT gets to act on
// the Ctrl-C that ends the supervisor (a REPL saying KeyboardInterrupt, a
// server saving its state) before the stop signal, which would otherwise
// follow within a millisecond and cut its handler short.
const ctrlCLanding = 250 * time.Millisecond

// letCtrlCLand waits, up to ctrlCLanding, for g's leader to end by itself
// after the Ctrl-C that ends the supervisor, unless it ignores SIGINT, has
// ended already, or Kill was called.
func (s *Supervisor) letCtrlCLand(g *group) {
	if g.status != nil || g.child == nil || proctree.IgnoresSignal(g.pid, syscall.SIGINT) {
		return
	}
	t := time.NewTimer(ctrlCLanding)
	defer t.Stop()
	for s.take(g); g.status == nil; s.take(g) {
		select {
		case <-s.reports:
		case <-t.C:
			return
		case <-s.kill:
			return
		}
	}
}
