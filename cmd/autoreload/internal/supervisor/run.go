package supervisor

import (
	"context"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// The log messages of a run of COMMAND, for whoever formats them.
const (
	MsgStarted  = "started"  // pid
	MsgExited   = "exited"   // pid, code or signal, stopped or then (and delay)
	MsgFailed   = "failed"   // error: COMMAND could not be started (main logs its own end so too, exit 1)
	MsgStopping = "stopping" // signal: the supervisor stops COMMAND and ends (pid too, at debug level)
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
	r := &run{s: s, ctx: ctx}
	defer r.restartT.stop()
	defer r.loopT.stop()
	defer s.closeGuard()
	r.first()
	for !r.over {
		select {
		case <-ctx.Done():
			r.end(nil)
		case <-s.wake:
			r.onRestartRequested()
		case <-r.loopT.c:
			r.onLoopBackoffOver()
		case <-r.restartT.c:
			r.onRestartDue()
		case <-s.reports:
			r.onReport()
		case <-s.reaper.C:
			r.onChild()
		}
		if !r.over {
			r.settle()
		}
	}
	return r.err
}

// run is the state of one Run, owned by its goroutine; each event has its
// method.
type run struct {
	s   *Supervisor
	ctx context.Context
	g   *group // the current COMMAND
	// restartT is a restart scheduled after an exit (OnExit, exit code 3);
	// loopT holds a restart loop's restart back.
	restartT, loopT timer
	over            bool // Run is to return err
	err             error
}

// end stops COMMAND and makes Run return err.
func (r *run) end(err error) {
	r.s.stop(r.g)
	r.over, r.err = true, err
}

// first builds (with --build) and starts COMMAND the first time.
func (r *run) first() {
	r.g = notStarted()
	if r.s.opts.Postpone {
		return // the first request starts it, with its changes
	}
	r.s.takePending() // the first start has no cause
	switch _, b := r.s.build(r.ctx, r.g, nil); b {
	case buildEnded:
		r.over = true
	case built:
		r.g = r.s.start(nil)
		if r.g.failed != nil {
			r.over, r.err = true, r.g.failed
		}
	}
}

// onRestartRequested handles a wake-up for a restart request: files
// changed, or a restart asked for by hand (a signal; a key later). It
// debounces, holds a restart loop's restart back, and restarts.
func (r *run) onRestartRequested() {
	if !r.s.restartRequested() {
		return
	}
	r.g.writes.Sample() // the writer of a change may hold it still
	if !r.s.debounce(r.ctx) {
		r.end(nil)
		return
	}
	// A loop's restart waits its back-off, beside the old COMMAND; a
	// request that is not the loop's ends the wait.
	if d, isLoop := r.s.loopDelay(r.g); isLoop {
		if r.loopT.c == nil {
			r.loopT.start(d)
		}
		return
	}
	r.loopT.stop()
	r.restart()
}

// onLoopBackoffOver restarts once a restart loop's back-off is over.
func (r *run) onLoopBackoffOver() {
	r.loopT.stop()
	if r.s.restartRequested() {
		r.restart()
	}
}

// onRestartDue restarts after an exit, once its delay is over.
func (r *run) onRestartDue() {
	r.restartT.stop()
	switch _, b := r.s.build(r.ctx, r.g, nil); b {
	case buildEnded:
		r.end(nil)
	case built:
		r.g, r.over = r.s.replace(r.ctx, r.g, &cause{})
	}
}

// onReport takes what the guard reported of COMMAND.
func (r *run) onReport() { r.s.take(r.g) }

// onChild handles SIGCHLD: reaps what ended.
func (r *run) onChild() { r.s.sweep(r.g) }

// restart builds first (with --build), then stops COMMAND and starts the
// next one for the pending request.
func (r *run) restart() {
	var changed []string
	var m modified
	if r.s.opts.Build != "" {
		// COMMAND runs on while it builds; what changes from now on is
		// for the next build, not for this start.
		changed, m, _ = r.s.takePending()
		var b buildOutcome
		if changed, b = r.s.build(r.ctx, r.g, changed); b == buildEnded {
			r.end(nil)
			return
		} else if b != built {
			return
		}
	}
	r.restartT.stop()
	// Without a build, what is requested until the start joins it.
	r.g, r.over = r.s.replace(r.ctx, r.g, &cause{changed: changed, m: m, request: true, more: r.s.opts.Build == ""})
}

// settle acts on what the last event left: Ctrl-Cs, a stop of COMMAND by
// the terminal, an end of COMMAND by itself, a lost guard.
func (r *run) settle() {
	s, g := r.s, r.g
	if s.takeInterrupts(g) {
		s.log.Info(MsgStopping, "signal", "SIGINT")
		s.letCtrlCLand(g)
		r.end(nil)
		return
	}
	if g.stopSig != 0 && g.status == nil {
		sig := g.stopSig
		g.stopSig = 0
		s.relayStop(r.ctx, g, sig)
	}
	if (g.status != nil || g.failed != nil) && !g.handled {
		r.onExit()
		if r.over {
			return
		}
	}
	if s.lostGuard(g) {
		r.g = s.replaceLostGuard(r.ctx, g)
		r.over = r.ctx.Err() != nil
	}
}

// onExit applies the OnExit policy to an end of COMMAND by itself, or a
// failed start.
func (r *run) onExit() {
	s, g := r.s, r.g
	g.handled = true
	s.restoreTerminal() // so that Ctrl-C reaches autoreload while it waits
	if g.failed != nil && g.pid == 0 {
		s.log.Error(MsgFailed, "error", g.failed.Error())
	}
	delay, restart, err := s.afterExit(g)
	if g.status != nil {
		s.logExit(g, outcome(delay, restart, err, s.userInterrupted(g))...)
	}
	if err != nil || (!restart && g.status != nil && s.userInterrupted(g)) {
		r.end(err)
		return
	}
	if restart {
		r.restartT.start(delay)
	}
}

// timer is a time.Timer that may be off: c is nil then.
type timer struct {
	t *time.Timer
	c <-chan time.Time
}

func (t *timer) start(d time.Duration) {
	t.stop()
	t.t = time.NewTimer(d)
	t.c = t.t.C
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.t, t.c = nil, nil
}

// afterExit decides what follows an end of COMMAND that the supervisor did
// not cause: a restart after a delay, waiting for a change, or an error
// that ends Run.
func (s *Supervisor) afterExit(g *group) (delay time.Duration, restart bool, err error) {
	if g.status != nil && s.userInterrupted(g) {
		return 0, false, nil
	}
	ranFor := time.Since(g.started)
	if g.status != nil && g.status.Signal == 0 && g.status.Code == 3 {
		return s.reload.next(ranFor), true, nil
	}
	switch s.opts.OnExit {
	case OnExitExit:
		if g.failed != nil {
			return 0, false, g.failed
		}
		return 0, false, &ExitError{Code: g.status.ExitCode()}
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
// build failed or with Postpone: nothing to stop, nothing to handle.
func notStarted() *group {
	return &group{failed: errNotStarted, handled: true, started: time.Now()}
}

// sweep reaps what exited and returns the live processes of g's tree. The
// leader's end is logged here when the supervisor stopped it; an end by
// itself is logged once Run knows what follows.
func (s *Supervisor) sweep(g *group) []proctree.Stat {
	alive := s.reaper.sweep(g)
	if g.status != nil {
		s.running.CompareAndSwap(int64(g.pgid), 0)
	}
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
	attrs := append([]any{"pid", g.pid}, statusAttrs(*g.status)...)
	if g.stopping {
		attrs = append(attrs, "stopped", true)
	}
	s.log.Info(MsgExited, append(attrs, then...)...)
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
// and the leader is reaped. Its guard does it; a lost guard left the tree
// to the supervisor, its subreaper, which does it itself.
func (s *Supervisor) stop(g *group) {
	if g.failed != nil {
		return
	}
	defer s.release(g)
	defer s.logExit(g) // an end by itself just before the stop
	if gd := g.guard(); gd != nil && !gd.Ended() && !gd.Closed() {
		s.term.take() // so that a Ctrl-C during the stop reaches the supervisor
		if s.take(g); g.status == nil {
			g.stopping = true
			s.log.Debug(MsgStopping, "pid", g.pid, "signal", SignalName(s.opts.StopSignal))
		}
		err := gd.Stop(s.kill)
		s.take(g)
		if err == nil {
			s.restoreTerminal()
			return
		}
		s.guardLost(g, false) // died during the stop: the rest is the supervisor's
	}
	t := &commandTree{s: s, g: g, groupDone: map[syscall.Signal]bool{}}
	if reapLeader(g); g.status == nil && !s.killed() {
		// The group id is surely COMMAND's: signal it at once, before the
		// scan of /proc finds what left the group.
		s.term.take()
		g.stopping = true
		s.log.Debug(MsgStopping, "pid", g.pid, "signal", SignalName(s.opts.StopSignal))
		for _, sig := range []syscall.Signal{s.opts.StopSignal, syscall.SIGCONT} {
			_ = syscall.Kill(-g.pgid, sig)
			t.groupDone[sig] = true
		}
	}
	if !t.Sweep() {
		s.term.take()
		g.stopping = true
		proctree.Stop(t, s.opts.StopSignal, s.opts.Grace, s.reaper.C, s.kill)
	}
	s.restoreTerminal()
}

// killed reports whether Kill was called.
func (s *Supervisor) killed() bool {
	select {
	case <-s.kill:
		return true
	default:
		return false
	}
}

// commandTree is COMMAND's tree as proctree.Stop sees it: the tree of a
// lost guard, which came to the supervisor.
type commandTree struct {
	s     *Supervisor
	g     *group
	alive []proctree.Stat // as of the last Sweep
	// groupDone are the signals stop sent the group before the first
	// Sweep: Signal sends them only to what left the group.
	groupDone map[syscall.Signal]bool
}

// Sweep reports the tree gone once COMMAND ended and nothing is left of
// it but, for a moment, its lost guard's zombie.
func (t *commandTree) Sweep() bool {
	t.alive = t.s.sweep(t.g)
	guardOnly := len(t.alive) == 1 && t.alive[0].Pid == t.g.guardPid()
	return t.g.status != nil && (len(t.alive) == 0 || guardOnly)
}

func (t *commandTree) Signal(sig syscall.Signal) {
	t.s.reaper.signal(t.g, t.alive, sig, t.groupDone[sig])
	delete(t.groupDone, sig)
}

func (s *Supervisor) beforeStart() {
	if s.opts.BeforeStart != nil {
		s.opts.BeforeStart()
	}
}

func (s *Supervisor) restoreTerminal() {
	s.term.take()
	s.term.restoreEcho()
}
