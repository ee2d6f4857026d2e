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

// lostGuard reports whether g's guard ended before its work was done:
// before it told COMMAND's end, or with processes of the tree left. A
// guard ends by itself only once COMMAND ended and its tree is empty.
func (s *Supervisor) lostGuard(g *group) bool {
	if g == nil || g.child == nil || g.guardLost || g.stopping || g.child.Released() || !g.child.Ended() {
		return false
	}
	if g.status != nil && !g.handled {
		return false // its end is handled first
	}
	// The reports ended before this sweep's snapshot: a guard that ended
	// by itself left nothing in it but, for a moment, itself.
	for _, p := range s.sweep(g) {
		if p.Pid != g.child.Guard {
			return true
		}
	}
	return g.status == nil
}

// replaceLostGuard stops the tree of a group whose guard was lost and, when
// COMMAND was still running, starts it again under a new guard; when
// COMMAND had ended already, only what it left running is stopped, and the
// group stays as it was for the OnExit policy.
func (s *Supervisor) replaceLostGuard(ctx context.Context, g *group) *group {
	g.guardLost = true
	restart := g.status == nil
	attrs := []any{"pid", g.pid, "guard", g.child.Guard}
	if ws := g.child.AwaitGuard(); ws.Signaled() {
		attrs = append(attrs, "signal", SignalName(ws.Signal()))
	} else {
		attrs = append(attrs, "code", ws.ExitStatus())
	}
	if restart {
		attrs = append(attrs, "then", "restart")
	}
	s.log.Warn(MsgGuardLost, attrs...)
	if restart {
		s.prestart()
	}
	s.stop(g)
	if !restart || ctx.Err() != nil {
		return g
	}
	return s.start(nil)
}

// startAttempts is how often a start is tried whose guard was killed before
// it said anything: a kill of every guard at once may meet one starting.
const startAttempts = 3
