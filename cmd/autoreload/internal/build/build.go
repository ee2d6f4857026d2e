package build

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
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

// Build is one running build.
type Build struct {
	pid     int
	opts    Options
	started time.Time
	exited  chan exit // the leader's end, once, not yet reaped

	mu     sync.Mutex
	reaped bool // set under mu as Wait reaps the leader: Kill stops then
}

// Result is how a build ended.
type Result struct {
	Duration  time.Duration
	Cancelled bool           // stopped by Wait's context: neither success nor failure
	Code      int            // the exit code when it exited
	Signal    syscall.Signal // non-zero when a signal killed it
}

// OK reports a build that exited 0.
func (r Result) OK() bool { return !r.Cancelled && r.Signal == 0 && r.Code == 0 }

// Start starts `sh -c cmdline` in a process group of its own.
func Start(cmdline string, opts Options) (*Build, error) {
	if opts.Shell == "" {
		opts.Shell = "/bin/sh"
	}
	if opts.StopSignal == 0 {
		opts.StopSignal = syscall.SIGTERM
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
	files := []uintptr{null.Fd(), opts.Stdout.Fd(), opts.Stderr.Fd()}
	pid, err := syscall.ForkExec(opts.Shell, []string{"sh", "-c", cmdline}, &syscall.ProcAttr{
		Env: opts.Env, Dir: opts.Dir, Files: files, Sys: procAttr(),
	})
	// The descriptors must stay open until ForkExec returned.
	runtime.KeepAlive(opts.Stdout)
	runtime.KeepAlive(opts.Stderr)
	if err != nil {
		return nil, fmt.Errorf("build: start %s: %w", opts.Shell, err)
	}
	b := &Build{pid: pid, opts: opts, started: time.Now(), exited: make(chan exit, 1)}
	go func() { b.exited <- awaitExit(pid) }() // Wait receives it
	return b, nil
}

// Pid is the build's leader, whose pid is its process group id. Whoever
// reaps children of this process must leave it to Wait.
func (b *Build) Pid() int { return b.pid }

// Wait waits for the build to end, stopping it when ctx ends first, and
// reaps it. It is called once.
func (b *Build) Wait(ctx context.Context) Result {
	var e exit
	cancelled := false
	select {
	case e = <-b.exited:
	case <-ctx.Done():
		cancelled = true
		e = b.stop()
	}
	// The leader is not reaped yet: its group id is still this build's.
	if e.held {
		_ = syscall.Kill(-b.pid, syscall.SIGKILL)
	}
	b.mu.Lock()
	e = reap(b.pid, e)
	b.reaped = true
	b.mu.Unlock()
	return Result{Duration: time.Since(b.started), Cancelled: cancelled, Code: e.code, Signal: e.signal}
}

// Kill sends SIGKILL to the build's group at once, from any goroutine: the
// user's second Ctrl-C, which must not wait for the grace period. After
// Wait reaped the leader it does nothing (on Linux the zombie holds the
// group id until then; elsewhere the leader is reaped as it ends, and a
// Kill in that moment reaches an empty group).
func (b *Build) Kill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.reaped {
		_ = syscall.Kill(-b.pid, syscall.SIGKILL)
	}
}

// stop sends the stop signal to the build's group, then SIGKILL after the
// grace period, and returns the leader's end.
func (b *Build) stop() exit {
	_ = syscall.Kill(-b.pid, b.opts.StopSignal)
	_ = syscall.Kill(-b.pid, syscall.SIGCONT) // a stopped process must wake to die
	grace := time.NewTimer(b.opts.Grace)
	defer grace.Stop()
	select {
	case e := <-b.exited:
		return e
	case <-grace.C:
	}
	_ = syscall.Kill(-b.pid, syscall.SIGKILL)
	return <-b.exited
}

// exit is the leader's end as seen before reaping it.
type exit struct {
	code   int
	signal syscall.Signal
	// held: the leader is still a zombie, so its group id cannot have been
	// reused; false where the end could only be learnt by reaping it.
	held bool
	// reaped: code and signal are final.
	reaped bool
}

func statusOf(ws syscall.WaitStatus) exit {
	if ws.Signaled() {
		return exit{code: -1, signal: ws.Signal(), reaped: true}
	}
	return exit{code: ws.ExitStatus(), reaped: true}
}
