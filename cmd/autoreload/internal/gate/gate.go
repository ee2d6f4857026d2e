package gate

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// Options says how to run a build.
type Options struct {
	Env            []string // the whole environment of the build
	Stdout, Stderr *os.File // nil means the caller's own
	StopSignal     syscall.Signal
	Grace          time.Duration // between the stop signal and SIGKILL
	Shell          string        // "/bin/sh" when empty
	Dir            string        // where it runs; "" for the working directory
}

// Result is how a build ended.
type Result struct {
	Duration  time.Duration
	Cancelled bool // stopped by Wait's context: neither success nor failure
	proctree.Status
}

// OK reports a build that exited 0.
func (r Result) OK() bool { return !r.Cancelled && r.Status.OK() }

// Build is one running build.
type Build struct {
	child *guard.Child
	opts  Options
	wake  chan os.Signal // a report of the guard
	kill  chan struct{}  // closed by Kill
	once  sync.Once
}

// Start starts `sh -c cmdline` under a guard, in a process group of its own.
func Start(cmdline string, opts Options) (*Build, error) {
	if opts.Shell == "" {
		opts.Shell = "/bin/sh"
	}
	if opts.StopSignal == 0 || opts.StopSignal == syscall.SIGINT {
		opts.StopSignal = syscall.SIGTERM // a shell's background jobs ignore SIGINT
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer null.Close()
	b := &Build{opts: opts, wake: make(chan os.Signal, 1), kill: make(chan struct{})}
	b.child, err = guard.Start(guard.Config{
		Path: opts.Shell, Argv: []string{"sh", "-c", cmdline}, Env: opts.Env, Dir: opts.Dir,
		Files: []*os.File{null, opts.Stdout, opts.Stderr}, StopSignal: opts.StopSignal, Grace: opts.Grace,
	}, b.poke)
	if err != nil {
		return nil, fmt.Errorf("build: start %s: %w", opts.Shell, err)
	}
	return b, nil
}

func (b *Build) poke() {
	select {
	case b.wake <- syscall.SIGCHLD:
	default:
	}
}

// Guard is the pid of the build's guard, the process's own child: whoever
// reaps children of this process must leave it to Wait, and what is below
// it is the build's, not COMMAND's.
func (b *Build) Guard() int { return b.child.Guard }

// Wait waits for the build to end, stopping it when ctx ends first, and
// returns once nothing of it is left. It is called once.
func (b *Build) Wait(ctx context.Context) Result {
	t := tree{b}
	cancelled := false
	for p := b.child.Take(); !cancelled && p.Status == nil && !p.Ended; p = b.child.Take() {
		select {
		case <-b.wake:
		case <-b.kill:
			cancelled = true
			t.Signal(syscall.SIGKILL)
		case <-ctx.Done():
			cancelled = true
		}
	}
	if cancelled {
		proctree.Stop(t, b.opts.StopSignal, b.opts.Grace, b.wake, b.kill)
	} else {
		// Its shell exited: what it left running is killed.
		proctree.Stop(t, syscall.SIGKILL, 0, b.wake, nil)
	}
	status := b.child.Take().Status
	b.child.Release()
	r := Result{Duration: time.Since(b.child.Started), Cancelled: cancelled}
	if status != nil {
		r.Status = *status
	} else {
		r.Status = proctree.Status{Code: -1, Signal: syscall.SIGKILL} // its guard died with it
	}
	return r
}

// Kill ends the build at once, without the grace period, from any
// goroutine: the user's second Ctrl-C.
func (b *Build) Kill() { b.once.Do(func() { close(b.kill) }) }

// tree is the build's tree as Stop sees it: the guard's descendants. The
// guard is spared (it reaps and reports, and exits once they are gone);
// the shell's group gets the signal too while the shell is unreaped, so
// that a process forked meanwhile gets it.
type tree struct{ b *Build }

func (t tree) Sweep() bool {
	if !t.b.child.Ended() {
		return false
	}
	t.b.child.AwaitGuard()
	return true
}

func (t tree) Signal(sig syscall.Signal) {
	c := t.b.child
	if sig != syscall.SIGKILL && c.Take().Status == nil {
		_ = syscall.Kill(-c.Guard, sig) // the guard catches it
	}
	procs := proctree.Snapshot()
	if procs == nil { // no /proc: the group is all there is to signal
		_ = syscall.Kill(-c.Guard, sig)
		return
	}
	below := map[int]bool{}
	live := slices.DeleteFunc(procs, proctree.Stat.Zombie)
	proctree.AddDescendants(proctree.Children(live), below, c.Guard)
	for pid := range below {
		_ = syscall.Kill(pid, sig)
	}
}
