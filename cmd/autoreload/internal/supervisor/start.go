package supervisor

import (
	"context"
	"os"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/writers"
)

// Starts and restarts of COMMAND, all under the run's one guard (package
// guard), started with the first start and replaced only when lost. A
// restart is one order to it (replace): the guard stops the old tree and,
// once nothing of it is alive, executes the next COMMAND.

// start starts COMMAND for changed; a failure is returned in the group.
func (s *Supervisor) start(changed []string) *group {
	if s.opts.Build == "" {
		s.beforeStart()
	}
	return s.launch(changed)
}

// launch starts COMMAND under the run's guard, started first if none
// runs.
func (s *Supervisor) launch(changed []string) *group {
	path, err := lookPath(s.opts.Command[0])
	if err != nil {
		return &group{failed: err, started: time.Now()}
	}
	fg := s.term.startsInForeground()
	var c *guard.Child
	for try := 1; ; try++ {
		var gd *guard.Guard
		if gd, err = s.guardFor(path); err != nil {
			break
		}
		c, err = gd.Start(fg, startEnv(changed))
		if err != guard.ErrGuardEnded || try == startAttempts {
			break
		}
		s.closeGuard()
	}
	return s.started(c, err)
}

// started is the group of a start that returned c or err.
func (s *Supervisor) started(c *guard.Child, err error) *group {
	if err != nil {
		return &group{failed: &StartError{Command: s.opts.Command[0], Err: err}, started: time.Now()}
	}
	g := &group{pid: c.Pid, pgid: c.Guard, started: c.Started, child: c, writes: writers.Record(c.Pid, c.Begun, c.Started)}
	s.running.Store(int64(g.pgid))
	s.log.Info(MsgStarted, "pid", g.pid)
	return g
}

// startEnv is what a start adds to COMMAND's environment, known only then.
func startEnv(changed []string) []string {
	return []string{"AUTORELOAD_CHANGED=" + changedList(changed)}
}

// cause is what a start is for: the changed paths and their modification
// times; request: a request's start (the restart-loop rule counts it);
// more: what is requested until the start joins it.
type cause struct {
	changed []string
	m       modified
	request bool
	more    bool
}

// takeMore adds the pending request to c.
func (s *Supervisor) takeMore(c *cause) {
	if !c.more {
		return
	}
	more, m, _ := s.takePending()
	c.changed = union(c.changed, more)
	for p, t := range m.times {
		c.m.add(p, t)
	}
	c.m.unknown = c.m.unknown || m.unknown
}

// replace stops g's tree and starts COMMAND again for c. g's guard does
// both on one order, so nothing but the stop and the exec lies between
// this call and COMMAND's first instruction; without it (lost, or
// COMMAND's path changed) it is a stop, then a start. A request arriving
// during the stop holds the guard's start, which then follows with it.
// over reports that ctx ended first.
func (s *Supervisor) replace(ctx context.Context, g *group, c *cause) (next *group, over bool) {
	path, err := lookPath(s.opts.Command[0])
	gd := s.guard
	if err != nil || gd == nil || gd.Ended() || g.child == nil || g.child.Of() != gd || s.guardPath != path {
		s.stop(g)
		if s.opts.Build == "" && ctx.Err() == nil {
			s.beforeStart()
		}
		return s.startAfterStop(ctx, g, c)
	}
	s.takeMore(c)
	if s.opts.Build == "" {
		s.beforeStart()
	}
	s.term.take() // so that a Ctrl-C during the stop reaches the supervisor
	if s.take(g); g.status == nil {
		g.stopping = true
		s.log.Debug(MsgStopping, "pid", g.pid, "signal", SignalName(s.opts.StopSignal))
	}
	hold, held := s.holdOn(ctx, c.more)
	child, err := gd.Restart(s.term.startsInForeground(), startEnv(c.changed), s.kill, hold)
	held()
	s.take(g)
	s.logExit(g)
	s.release(g)
	switch err {
	case guard.ErrHeld:
		s.restoreTerminal()
		return s.startAfterStop(ctx, g, c)
	case guard.ErrGuardEnded:
		s.guardLost(g, true)
		s.stop(g)
		return s.startAfterStop(ctx, g, c)
	}
	s.noteCause(g, c)
	return s.started(child, err), false
}

// startAfterStop starts COMMAND for c once g's tree is gone, unless ctx
// ended.
func (s *Supervisor) startAfterStop(ctx context.Context, g *group, c *cause) (next *group, over bool) {
	if ctx.Err() != nil {
		return g, true
	}
	s.takeMore(c)
	s.noteCause(g, c)
	return s.launch(c.changed), false
}

// noteCause applies the restart-loop rule to a request's start.
func (s *Supervisor) noteCause(prev *group, c *cause) {
	if c.request {
		s.noteRestartCause(prev, c.changed, c.m)
	}
}

// holdOn returns a channel closed when ctx ends or, with onRequest, a
// restart is requested: either holds a restart's start that still waits
// for its stop. held ends the watch.
func (s *Supervisor) holdOn(ctx context.Context, onRequest bool) (hold <-chan struct{}, held func()) {
	h, done, over := make(chan struct{}), make(chan struct{}), make(chan struct{})
	wake := s.wake
	if !onRequest {
		wake = nil
	}
	go func() {
		defer close(over)
		for {
			select {
			case <-ctx.Done():
				close(h)
				return
			case <-wake:
				if s.restartRequested() {
					s.wakeUp() // for the loop, if the start came first
					close(h)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return h, func() {
		close(done)
		<-over
	}
}

// wakeUp makes Run look for a request.
func (s *Supervisor) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// poke makes Run take the guard's reports.
func (s *Supervisor) poke() {
	select {
	case s.reports <- struct{}{}:
	default:
	}
}

// guardConfig is what the guard of COMMAND at path gets.
func (s *Supervisor) guardConfig(path string) guard.Config {
	return guard.Config{Path: path, Argv: s.opts.Command, Env: append(environ(s.opts.Env, nil), s.opts.SocketEnv...),
		Files:      append([]*os.File{s.opts.Stdin, s.opts.Stdout, s.opts.Stderr}, s.opts.Sockets...),
		StopSignal: s.opts.StopSignal, Grace: s.opts.Grace}
}

// guardFor returns the run's guard for COMMAND at path, starting it if
// none runs (or the one running starts another path).
func (s *Supervisor) guardFor(path string) (*guard.Guard, error) {
	if gd := s.guard; gd != nil && (gd.Ended() || s.guardPath != path) {
		s.closeGuard()
	}
	if s.guard == nil {
		gd, err := guard.New(s.guardConfig(path), s.poke)
		if err != nil {
			return nil, err
		}
		gd.Clock = writers.Floor
		s.guard, s.guardPath = gd, path
		s.reaper.keep[gd.Pid] = true // reaped by closeGuard only, never by a sweep
	}
	return s.guard, nil
}

// closeGuard lets the run's guard go and reaps it. Called when its tree
// is stopped (or it is lost): it has nothing left to stop, and exits.
func (s *Supervisor) closeGuard() {
	gd := s.guard
	if gd == nil {
		return
	}
	s.guard = nil
	gd.Close()
	gd.Await()
	delete(s.reaper.keep, gd.Pid)
}

// take takes what the guard reported of g's leader (reapLeader).
func (s *Supervisor) take(g *group) {
	reapLeader(g)
	if g.status != nil {
		s.running.CompareAndSwap(int64(g.pgid), 0)
	}
}
