package gate

import (
	"context"
	"fmt"
	"os"
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
	guard *guard.Guard
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
	// A guard of its own: the build runs beside COMMAND, under COMMAND's.
	b.guard, err = guard.New(guard.Config{
		Path: opts.Shell, Argv: []string{"sh", "-c", cmdline}, Env: opts.Env, Dir: opts.Dir,
		Files: []*os.File{null, opts.Stdout, opts.Stderr}, StopSignal: opts.StopSignal, Grace: opts.Grace,
	}, b.poke)
	if err == nil {
		if b.child, err = b.guard.Start(false, nil); err != nil {
			b.guard.Close()
			b.guard.Await()
		}
	}
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
func (b *Build) Guard() int { return b.guard.Pid }

// Wait waits for the build to end, stopping it when ctx ends first, and
// returns once nothing of it is left. It is called once.
func (b *Build) Wait(ctx context.Context) Result {
	cancelled := false
	for p := b.child.Take(); !cancelled && p.Status == nil && !p.Ended; p = b.child.Take() {
		select {
		case <-b.wake:
		case <-b.kill:
			cancelled = true
		case <-ctx.Done():
			cancelled = true
		}
	}
	if cancelled {
		_ = b.guard.Stop(b.kill)
	} else {
		// Its shell exited: what it left running is killed.
		b.guard.Kill()
		_ = b.guard.Stop(nil)
	}
	// A guard that died instead left the tree to this process, its
	// subreaper: the guard's Close then has nothing to stop, the zombies
	// are the caller's to reap.
	b.guard.Close()
	b.guard.Await()
	status := b.child.Take().Status
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
