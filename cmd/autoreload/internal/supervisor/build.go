package supervisor

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/gate"
)

// The build step (--build): before each start of COMMAND, the first
// included, the supervisor runs a build, and starts COMMAND only when it
// succeeds. While it runs, the COMMAND started before keeps running: a
// failed build leaves it untouched, and its changes carry over into the
// next attempt; a change during a build cancels it and starts another
// with every change so far, so one start follows with all of them.

// The log messages of the build step.
const (
	MsgBuild          = "build"           // a build started
	MsgBuilt          = "built"           // duration
	MsgBuildFailed    = "build failed"    // code, signal or error; pid of the COMMAND left running
	MsgBuildCancelled = "build cancelled" // a newer change, or the end, stopped it
	MsgBuildLoop      = "build loop"      // count, hint
)

// errNotStarted is the failure of the group that stands for COMMAND before
// its first start (notStarted).
var errNotStarted = errors.New("not started: the first build failed")

// buildLoopWarnAfter is how many builds in a row cancelled by changes make
// it likely that the build changes watched files itself, which would
// cancel it for ever.
const buildLoopWarnAfter = 3

// buildOutcome is what the build step decided.
type buildOutcome int

const (
	built            buildOutcome = iota // start COMMAND
	buildFailed                          // logged; leave COMMAND as it is and wait for a change
	buildInterrupted                     // the user's Ctrl-C reached COMMAND: the loop decides
	buildEnded                           // ctx ended during the build
)

// build runs the build that precedes a start caused by changed, while g
// (which may have ended, or never started) is left as it is. It returns
// the changes the start is for: changed, plus those that cancelled a
// build meanwhile.
func (s *Supervisor) build(ctx context.Context, g *group, changed []string) ([]string, buildOutcome) {
	if s.opts.Build == "" {
		return changed, built
	}
	s.beforeStart()
	for cancels := 0; ; {
		r, interrupted, err := s.runBuild(ctx, g, changed)
		switch {
		case interrupted && r.Cancelled:
			s.log.Info(MsgBuildCancelled)
			s.carry(changed)
			return changed, buildInterrupted
		case err != nil:
			s.log.Error(MsgBuildFailed, s.stillRunning(g, "error", err.Error())...)
		case r.Cancelled && ctx.Err() != nil:
			s.log.Info(MsgBuildCancelled)
			return changed, buildEnded
		case r.Cancelled:
			s.log.Info(MsgBuildCancelled)
			if cancels++; cancels == buildLoopWarnAfter {
				s.log.Warn(MsgBuildLoop, "count", cancels,
					"hint", "files keep changing while the build runs; if the build writes them, exclude them with --ignore")
			}
			if !s.debounce(ctx) {
				return changed, buildEnded
			}
			more, _, _ := s.takePending()
			changed = union(changed, more)
			continue
		case r.OK():
			s.log.Info(MsgBuilt, "duration", r.Duration)
			return changed, built
		case r.Signal != 0:
			s.log.Error(MsgBuildFailed, s.stillRunning(g, "signal", SignalName(r.Signal))...)
		default:
			s.log.Error(MsgBuildFailed, s.stillRunning(g, "code", r.Code)...)
		}
		s.carry(changed)
		return changed, buildFailed
	}
}

// runBuild starts one build and waits for it, keeping g's tree swept
// meanwhile; a change requested meanwhile, the end of ctx, or a Ctrl-C
// the guard saw (interrupted) cancels it.
func (s *Supervisor) runBuild(ctx context.Context, g *group, changed []string) (r gate.Result, interrupted bool, err error) {
	s.log.Info(MsgBuild)
	if s.opts.OnBuild != nil {
		s.opts.OnBuild(true)
		defer s.opts.OnBuild(false)
	}
	b, err := gate.Start(s.opts.Build, gate.Options{Env: buildEnviron(s.opts.Env, changed), Dir: s.opts.BuildDir,
		Stdout: s.opts.Stdout, Stderr: s.opts.Stderr, StopSignal: s.opts.StopSignal, Grace: s.opts.Grace})
	if err != nil {
		return gate.Result{}, false, err
	}
	s.reaper.spare = b.Guard()
	defer func() { s.reaper.spare = 0 }()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan gate.Result, 1)
	go func() { done <- b.Wait(bctx) }() // received below, always
	kill := s.kill
	for {
		select {
		case <-kill:
			kill = nil
			b.Kill()
		case r := <-done:
			if s.restartRequested() {
				// A change came as the build ended: its wake-up was
				// taken here, and the loop must still see it.
				s.wakeUp()
			}
			return r, interrupted, nil
		case <-s.reaper.C:
			s.sweep(g)
		case <-s.reports:
			s.take(g)
		case <-s.wake:
			if s.restartRequested() {
				cancel()
			}
		}
		if len(g.interrupts) > 0 && !interrupted {
			interrupted = true
			cancel()
		}
	}
}

// stillRunning adds to attrs the pid of the COMMAND a failed build leaves
// running, if one runs.
func (s *Supervisor) stillRunning(g *group, attrs ...any) []any {
	if g != nil && g.pid != 0 && g.status == nil {
		attrs = append(attrs, "pid", g.pid)
	}
	return attrs
}

// carry puts the changes of a failed build back, first, for the next
// attempt: they are in its AUTORELOAD_CHANGED, but do not by themselves
// ask for one.
func (s *Supervisor) carry(changed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := union(changed, s.pending)
	s.pending, s.seen = nil, map[string]bool{}
	for _, p := range all {
		if len(s.pending) == maxChanged {
			break
		}
		s.seen[p] = true
		s.pending = append(s.pending, p)
	}
}

// union is a followed by what b adds, each path once.
func union(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, p := range append(append([]string(nil), a...), b...) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// buildEnviron is COMMAND's environment for a start caused by changed,
// without the sockets, and marked as the supervisor's own (helperVar): a
// daemon the build leaves behind is never taken for COMMAND's.
func buildEnviron(base, changed []string) []string {
	return append(environ(base, changed), helperVar+"="+strconv.Itoa(syscall.Getpid()))
}

// isListenVar tells the variables of the socket-activation protocol, which
// COMMAND gets only with the sockets they describe.
func isListenVar(kv string) bool {
	return strings.HasPrefix(kv, "LISTEN_FDS=") || strings.HasPrefix(kv, "LISTEN_PID=") ||
		strings.HasPrefix(kv, "LISTEN_FDNAMES=")
}
