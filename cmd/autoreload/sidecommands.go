package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/watchman/spec"
)

// sideCommand is a project file's [[on]]: run runs (sh -c, in dir) when a
// file pattern selects changes, instead of a restart of COMMAND. What it
// writes restarts COMMAND as any change does.
type sideCommand struct {
	pattern, run, dir string
	line              int
	match             *spec.Spec // built by newSideRunner
}

// sideRunner runs the side commands one at a time, never during a
// --build; a failure is logged and nothing else happens.
type sideRunner struct {
	cmds   []sideCommand
	builds *activity
	logger *slog.Logger
	mu     sync.Mutex
	queued map[int][]string // command index: the paths that asked for it
	wake   chan struct{}
}

func newSideRunner(cmds []sideCommand, builds *activity, logger *slog.Logger) (*sideRunner, error) {
	r := &sideRunner{builds: builds, logger: logger, queued: map[int][]string{}, wake: make(chan struct{}, 1)}
	for _, c := range cmds {
		s, err := spec.New(spec.Options{Watch: []string{c.dir}, Patterns: []string{c.pattern}, NoDefaultIgnores: true, NoIgnoreFiles: true})
		if err != nil {
			return nil, &usageError{err}
		}
		c.match = s
		r.cmds = append(r.cmds, c)
	}
	return r, nil
}

// split takes the paths a side command is for, queues the commands, and
// returns the rest: those restart COMMAND.
func (r *sideRunner) split(paths []string) (rest []string) {
	if r == nil {
		return paths
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	queued := false
	for _, p := range paths {
		taken := false
		for i, c := range r.cmds {
			if c.match.Selects(p) {
				r.queued[i] = append(r.queued[i], p)
				taken, queued = true, true
			}
		}
		if !taken {
			rest = append(rest, p)
		}
	}
	if queued {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return rest
}

// run runs what is queued until ctx ends.
func (r *sideRunner) runLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		for {
			if !r.builds.waitIdle(ctx) {
				return
			}
			i, paths, ok := r.next()
			if !ok {
				break
			}
			r.runOne(ctx, r.cmds[i], paths)
		}
	}
}

// next takes the first queued command, in the file's order.
func (r *sideRunner) next() (int, []string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.cmds {
		if paths, ok := r.queued[i]; ok {
			delete(r.queued, i)
			return i, paths, true
		}
	}
	return 0, nil, false
}

// A side command's log messages: it started (run, paths), succeeded (run,
// duration; debug level) or failed (run; code, signal or error).
const (
	msgRunning    = "running"
	msgRan        = "ran"
	msgSideFailed = "side command failed"
)

func (r *sideRunner) runOne(ctx context.Context, c sideCommand, paths []string) {
	r.logger.Info(msgRunning, "run", c.run, "paths", paths)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c.run)
	// In autoreload's own process group: the supervisor reaps only
	// children outside it, and leaves this one to cmd.Wait.
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "AUTORELOAD_CHANGED="+strings.Join(paths, "\n"))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		return
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		r.logger.Debug(msgRan, "run", c.run, "duration", time.Since(start))
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.logger.Warn(msgSideFailed, "run", c.run, "code", exit.ExitCode())
	case errors.As(err, &exit):
		ws, _ := exit.Sys().(syscall.WaitStatus)
		r.logger.Warn(msgSideFailed, "run", c.run, "signal", supervisor.SignalName(ws.Signal()))
	default:
		r.logger.Warn(msgSideFailed, "run", c.run, "error", err.Error())
	}
}

// activity counts what is running (the builds) and lets others wait until
// none is.
type activity struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

// track is begin or end, as the supervisor's OnBuild says.
func (a *activity) track(running bool) {
	if running {
		a.begin()
	} else {
		a.end()
	}
}

func (a *activity) begin() {
	a.mu.Lock()
	a.n++
	a.mu.Unlock()
}

func (a *activity) end() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n--
	if a.n == 0 {
		for _, w := range a.waiters {
			close(w)
		}
		a.waiters = nil
	}
}

// waitIdle waits until nothing runs; false when ctx ended first.
func (a *activity) waitIdle(ctx context.Context) bool {
	a.mu.Lock()
	if a.n == 0 {
		a.mu.Unlock()
		return true
	}
	w := make(chan struct{})
	a.waiters = append(a.waiters, w)
	a.mu.Unlock()
	select {
	case <-w:
		return true
	case <-ctx.Done():
		return false
	}
}
