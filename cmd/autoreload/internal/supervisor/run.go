package supervisor

import (
	"context"
	"os"
	"syscall"
	"time"
)

// Run starts COMMAND and supervises it until ctx is cancelled, then stops
// it and returns nil once nothing of it is left. It returns a *StartError
// when COMMAND cannot be started the first time, and an *ExitError when
// COMMAND exits by itself under OnExitExit.
func (s *Supervisor) Run(ctx context.Context) error {
	s.reaper = newReaper()
	defer s.reaper.close()
	s.term = controllingTerminal(s.opts.Stdin)
	defer s.term.take()

	s.takePending() // the first start has no cause
	g := notStarted()
	switch _, b := s.build(ctx, g, nil); b {
	case buildEnded:
		return nil
	case built:
		g = s.start(nil)
		if g.failed != nil {
			return g.failed
		}
	}
	var restartC <-chan time.Time // a scheduled restart after an exit
	var restartTimer *time.Timer
	schedule := func(d time.Duration) {
		restartTimer = time.NewTimer(d)
		restartC = restartTimer.C
	}
	unschedule := func() {
		if restartTimer != nil {
			restartTimer.Stop()
		}
		restartTimer, restartC = nil, nil
	}
	defer unschedule()
	var loopC <-chan time.Time // a loop's restart held back
	var loopTimer *time.Timer
	unhold := func() {
		if loopTimer != nil {
			loopTimer.Stop()
		}
		loopTimer, loopC = nil, nil
	}
	defer unhold()
	// restart builds first (with --build), stops g and starts the next
	// COMMAND for the pending request; false when Run is to end (ctx ended
	// meanwhile).
	restart := func() bool {
		var changed []string
		var m modified
		if s.opts.Build != nil {
			// COMMAND runs on while it builds; what changes from now on
			// is for the next build, not for this start.
			changed, m, _ = s.takePending()
			var b buildOutcome
			if changed, b = s.build(ctx, g, changed); b == buildEnded {
				s.stop(g)
				return false
			} else if b != built {
				return true
			}
		}
		unschedule()
		s.stop(g)
		if ctx.Err() != nil {
			return false
		}
		if s.opts.Build == nil {
			// What changed while COMMAND stopped joins this start.
			changed, m, _ = s.takePending()
		}
		s.noteRestartCause(g, changed, m)
		g = s.start(changed)
		return true
	}

	for {
		select {
		case <-ctx.Done():
			s.stop(g)
			return nil

		case <-s.wake:
			if !s.restartRequested() {
				continue
			}
			if !s.debounce(ctx) {
				s.stop(g)
				return nil
			}
			// A loop's restart waits its back-off, beside the old COMMAND;
			// a request that is not the loop's ends the wait.
			d, isLoop := s.loopDelay(g)
			switch {
			case isLoop && loopC == nil:
				loopTimer = time.NewTimer(d)
				loopC = loopTimer.C
				continue
			case isLoop:
				continue
			}
			unhold()
			if !restart() {
				return nil
			}

		case <-loopC:
			unhold()
			if s.restartRequested() && !restart() {
				return nil
			}

		case <-restartC:
			unschedule()
			_, b := s.build(ctx, g, nil)
			if b == buildEnded {
				s.stop(g)
				return nil
			}
			if b != built {
				break
			}
			s.stop(g)
			if ctx.Err() != nil {
				return nil
			}
			g = s.start(nil)

		case <-s.reaper.C:
			s.sweep(g)
		}

		if s.takeInterrupts(g) {
			s.log.Info("stopping", "signal", "SIGINT")
			s.stop(g)
			return nil
		}

		if g.stopSig != 0 && g.status == nil {
			sig := g.stopSig
			g.stopSig = 0
			s.relayStop(ctx, g, sig)
		}

		if (g.status != nil || g.failed != nil) && !g.handled {
			g.handled = true
			s.restoreTerminal() // so that Ctrl-C reaches autoreload while it waits
			if g.failed != nil && g.pid == 0 {
				s.log.Error("failed", "error", g.failed.Error())
			}
			delay, restart, err := s.afterExit(g)
			if g.status != nil {
				s.logExit(g, outcome(delay, restart, err, s.userInterrupted(g))...)
			}
			if err != nil || (!restart && g.status != nil && s.userInterrupted(g)) {
				s.stop(g)
				return err
			}
			if restart {
				schedule(delay)
			}
		}

		if s.lostGuard(g) {
			g = s.replaceLostGuard(ctx, g)
			if ctx.Err() != nil {
				return nil
			}
		}
	}
}

// afterExit decides what follows an end of COMMAND that the supervisor did
// not cause: a restart after a delay, waiting for a change, or an error
// that ends Run.
func (s *Supervisor) afterExit(g *group) (delay time.Duration, restart bool, err error) {
	if g.status != nil && s.userInterrupted(g) {
		return 0, false, nil
	}
	ranFor := time.Since(g.started)
	if g.status != nil && g.status.signal == 0 && g.status.code == 3 {
		return s.reload.next(ranFor), true, nil
	}
	switch s.opts.OnExit {
	case OnExitExit:
		if g.failed != nil {
			return 0, false, g.failed
		}
		return 0, false, &ExitError{Code: g.status.exitCode()}
	case OnExitRestart:
		return s.crash.next(ranFor), true, nil
	}
	return 0, false, nil
}

// debounce waits for the debounce window, so that changes arriving within
// it join the restart. It returns false if ctx ended meanwhile.
func (s *Supervisor) debounce(ctx context.Context) bool {
	if s.opts.Debounce <= 0 {
		return true
	}
	t := time.NewTimer(s.opts.Debounce)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// notStarted stands for COMMAND before its first start, when the first
// build failed: nothing to stop, nothing to handle.
func notStarted() *group {
	return &group{failed: errNotStarted, handled: true, started: time.Now()}
}

// start starts COMMAND under a guard of its own, with the sockets; a
// failure is returned in the group.
func (s *Supervisor) start(changed []string) *group {
	files := append([]*os.File{s.opts.Stdin, s.opts.Stdout, s.opts.Stderr}, s.opts.Sockets...)
	path, err := lookPath(s.opts.Command[0])
	if err != nil {
		return &group{failed: err, started: time.Now()}
	}
	poke := func() {
		select {
		case s.reaper.C <- syscall.SIGCHLD:
		default:
		}
	}
	env := append(environ(s.opts.Env, changed), s.opts.SocketEnv...)
	var g *group
	for try := 1; ; try++ {
		g, err = startGuard(path, s.opts.Command, env, files,
			s.term.startsInForeground(), s.opts.StopSignal, s.opts.Grace, poke)
		if !isGuardKilled(err) || try == startAttempts {
			break
		}
	}
	if err != nil {
		return &group{failed: err, started: time.Now()}
	}
	s.log.Info("started", "pid", g.pid)
	return g
}

// sweep reaps what exited and returns the live processes of g's tree. The
// leader's end is logged here when the supervisor stopped it; an end by
// itself is logged once Run knows what follows.
func (s *Supervisor) sweep(g *group) []proc {
	alive := s.reaper.sweep(g)
	if g.status != nil && g.stopping {
		s.logExit(g)
	}
	return alive
}

// logExit logs the leader's end once: "exited", with stopped=true when the
// supervisor stopped it, and then (what follows) when it ended by itself.
func (s *Supervisor) logExit(g *group, then ...any) {
	if g.logged || g.status == nil {
		return
	}
	g.logged = true
	attrs := append([]any{"pid", g.pid}, g.status.attrs()...)
	if g.stopping {
		attrs = append(attrs, "stopped", true)
	}
	s.log.Info("exited", append(attrs, then...)...)
}

// outcome is what follows an end of COMMAND by itself, for its log line:
// then=wait (for a change) or then=restart (after delay); nothing when
// autoreload ends with it.
func outcome(delay time.Duration, restart bool, err error, interrupted bool) []any {
	switch {
	case err != nil || interrupted:
		return nil
	case restart && delay > 0:
		return []any{"then", "restart", "delay", delay.String()}
	case restart:
		return []any{"then", "restart"}
	}
	return []any{"then", "wait"}
}

// stop ends g's whole tree: the stop signal, SIGKILL after the grace period
// (or at once after Kill), and returns only when no process of it is alive
// and the leader is reaped.
func (s *Supervisor) stop(g *group) {
	if g.failed != nil {
		return
	}
	defer g.finish()
	defer s.logExit(g) // an end by itself just before the stop
	alive := s.sweep(g)
	if g.status != nil && len(alive) == 0 {
		s.restoreTerminal()
		return
	}
	s.term.take()
	g.stopping = true
	killed := false
	select {
	case <-s.kill:
		killed = true
	default:
	}
	if killed {
		s.reaper.signal(g, alive, syscall.SIGKILL)
	} else {
		s.log.Debug("stopping", "pid", g.pid, "signal", SignalName(s.opts.StopSignal))
		s.reaper.signal(g, alive, s.opts.StopSignal)
		s.reaper.signal(g, alive, syscall.SIGCONT) // a stopped process must wake to die
	}
	grace := time.NewTimer(s.opts.Grace)
	defer grace.Stop()
	// Every death in the tree re-parents or signals the supervisor, so
	// SIGCHLD wakes it; the poll, growing to 64 ms, is a safety net.
	poll := time.Millisecond
	kill := s.kill
	for {
		alive = s.sweep(g)
		if g.status != nil && len(alive) == 0 {
			break
		}
		if killed {
			s.reaper.signal(g, alive, syscall.SIGKILL) // newcomers too
		}
		tick := time.NewTimer(poll)
		poll = min(2*poll, 64*time.Millisecond)
		select {
		case <-s.reaper.C:
		case <-tick.C:
		case <-grace.C:
			killed = true
		case <-kill:
			kill = nil
			killed = true
		}
		tick.Stop()
		if killed {
			s.reaper.signal(g, alive, syscall.SIGKILL)
		}
	}
	s.restoreTerminal()
}

func (s *Supervisor) restoreTerminal() {
	s.term.take()
	s.term.restoreEcho()
}
