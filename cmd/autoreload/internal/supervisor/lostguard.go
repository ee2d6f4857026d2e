package supervisor

import "context"

// A guard can die before its work is done: an OOM kill, a kill -9 of the
// wrong pid, a kill of every process of autoreload's name. COMMAND's tree
// is then re-parented to the supervisor (its subreaper) and runs on, but
// nothing would stop it if the supervisor too were killed. So the
// supervisor stops that tree at once, as on any stop, and starts COMMAND
// again under a new guard, with one warning (MsgGuardLost) saying why.

// MsgGuardLost is the warning logged when a guard was lost.
const MsgGuardLost = "guard lost"

// lostGuard reports whether g's guard ended without being told to, with
// work left: COMMAND running, or processes of its tree. A guard that ends
// with nothing left costs nothing but a new one at the next start.
func (s *Supervisor) lostGuard(g *group) bool {
	gd := g.guard()
	if gd == nil || g.guardLost || g.stopping || gd.Closed() || !gd.Ended() {
		return false
	}
	if g.status != nil && !g.handled {
		return false // its end is handled first
	}
	for _, p := range s.sweep(g) {
		if p.Pid != gd.Pid {
			return true
		}
	}
	if g.status == nil {
		return true
	}
	if s.guard == gd {
		s.closeGuard() // nothing was left to it: reaped now, and the next start gets a new one
	}
	return false
}

// replaceLostGuard stops the tree of a group whose guard was lost and, when
// COMMAND was still running, starts it again under a new guard; when
// COMMAND had ended already, only what it left running is stopped, and the
// group stays as it was for the OnExit policy.
func (s *Supervisor) replaceLostGuard(ctx context.Context, g *group) *group {
	restart := g.status == nil
	s.guardLost(g, restart)
	s.stop(g)
	if !restart || ctx.Err() != nil {
		return g
	}
	return s.start(nil)
}

// guardLost warns that g's guard was lost, reaps it and lets it go: the
// next start gets a new one. then says whether COMMAND starts again.
func (s *Supervisor) guardLost(g *group, restart bool) {
	gd := g.guard()
	if gd == nil || g.guardLost {
		return
	}
	g.guardLost = true
	attrs := []any{"pid", g.pid, "guard", gd.Pid}
	if ws := gd.Await(); ws.Signaled() {
		attrs = append(attrs, "signal", SignalName(ws.Signal()))
	} else {
		attrs = append(attrs, "code", ws.ExitStatus())
	}
	if restart {
		attrs = append(attrs, "then", "restart")
	}
	s.log.Warn(MsgGuardLost, attrs...)
	if s.guard == gd {
		s.guard = nil
		delete(s.reaper.keep, gd.Pid)
	}
}

// startAttempts is how often a start is tried whose guard was killed before
// it said anything: a kill of every guard at once may meet one starting.
const startAttempts = 3
