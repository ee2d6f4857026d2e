package supervisor

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
)

// OnExit is what to do when COMMAND exits by itself with a code other than 3.
type OnExit int

const (
	OnExitWait    OnExit = iota // log it and restart on the next change
	OnExitExit                  // end the supervisor with COMMAND's code
	OnExitRestart               // restart at once, backing off if it keeps failing
)

// ParseOnExit reads the --on-exit values wait, exit and restart.
func ParseOnExit(s string) (OnExit, error) {
	switch s {
	case "wait":
		return OnExitWait, nil
	case "exit":
		return OnExitExit, nil
	case "restart":
		return OnExitRestart, nil
	}
	return 0, fmt.Errorf("invalid --on-exit %q: want wait, exit or restart", s)
}

// Options configures a Supervisor.
type Options struct {
	Command    []string // COMMAND and its arguments, run without a shell
	Env        []string // base environment of COMMAND; nil means os.Environ()
	StopSignal syscall.Signal
	Grace      time.Duration // between the stop signal and SIGKILL
	Debounce   time.Duration // how long the first change waits for others
	OnExit     OnExit
	Logger     *slog.Logger
	// Stdin, Stdout and Stderr are given to COMMAND as they are; nil means
	// the supervisor's own.
	Stdin, Stdout, Stderr *os.File
	// Sockets are given to every start of COMMAND as descriptors 3, 4, …
	// with SocketEnv (LISTEN_FDS and LISTEN_FDNAMES); the exec shim adds
	// LISTEN_PID, COMMAND's own pid. Without them COMMAND gets no LISTEN_*.
	Sockets   []*os.File
	SocketEnv []string
	// Build, when set, is a command line run by `sh -c` before each start
	// of COMMAND (build.go), under a guard (package gate), with the stop
	// signal and grace period of COMMAND.
	Build string
	// BuildDir is where the build runs ("": the working directory), and
	// OnBuild, when set, is told as each build starts (true) and ends.
	BuildDir string
	OnBuild  func(running bool)
	// Postpone: COMMAND first starts on the first request, not at once.
	Postpone bool
	// BeforeStart, when set, is called as each start of COMMAND begins:
	// before its build with Build, else just before COMMAND starts (the
	// command clears the screen there).
	BeforeStart func()
}

// Supervisor runs COMMAND and restarts it on request. Restart and Kill may
// be called from any goroutine; Run is called once, and a process runs one
// Supervisor at a time (each reaps every child outside its own group).
type Supervisor struct {
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	pending   []string // changed paths not yet given to a start, unique
	seen      map[string]bool
	requested bool
	modified  modified // of the pending request's files
	wake      chan struct{}
	kill      chan struct{}
	killOnce  sync.Once
	// running is the process group of the COMMAND running now, 0 when
	// none: set by Run's goroutine as it starts and reaps one, read by
	// Hold.
	running atomic.Int64

	// Owned by Run's goroutine.
	reaper *reaper
	term   *terminal
	reload *backoff
	crash  *backoff
	// reports wakes Run when the guard reported what no order waits for:
	// an end, a stop, a Ctrl-C, its own end.
	reports chan struct{}
	// lastInterrupt is the time of the last Ctrl-C seen by a guard.
	lastInterrupt time.Time
	loop          loopState
	// guard starts, stops and restarts every COMMAND of the run: one
	// process for the run, replaced only when lost; guardPath is the
	// COMMAND executable it starts.
	guard     *guard.Guard
	guardPath string
}

// New returns a supervisor for opts; nothing runs until Run. It changes
// nothing in the process: that is Setup's job.
func New(opts Options) *Supervisor {
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if opts.StopSignal == 0 {
		opts.StopSignal = syscall.SIGTERM
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	return &Supervisor{
		opts:    opts,
		log:     opts.Logger,
		seen:    map[string]bool{},
		wake:    make(chan struct{}, 1),
		reports: make(chan struct{}, 1),
		kill:    make(chan struct{}),
		reload:  reloadBackoff(),
		crash:   crashBackoff(),
		loop:    newLoopState(),
	}
}

// Restart asks for COMMAND to be restarted because the paths changed (none
// for a manual restart). Requests that arrive before the restart starts the
// next COMMAND, including while the old one is being stopped, join it.
// It never blocks.
func (s *Supervisor) Restart(changed []string) {
	changes := make([]Change, len(changed))
	for i, p := range changed {
		changes[i].Path = p
	}
	s.RestartChanges(changes)
}

// Change is a file that changed: its path, and its last modification time
// (zero when unknown, as for a deletion).
type Change struct {
	Path     string
	Modified time.Time
}

// RestartChanges is Restart for files whose modification times are known:
// they tell a restart loop (COMMAND writing into the watched tree as it
// starts) from a person's edits.
func (s *Supervisor) RestartChanges(changes []Change) {
	s.mu.Lock()
	s.requested = true
	for _, c := range changes {
		s.modified.add(c.Path, c.Modified)
		if !s.seen[c.Path] && len(s.pending) < maxChanged {
			s.seen[c.Path] = true
			s.pending = append(s.pending, c.Path)
		}
	}
	if len(changes) == 0 {
		s.modified.unknown = true // by hand: no loop
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Kill makes the current and every later stop send SIGKILL at once, without
// waiting for the grace period: the user's second Ctrl-C.
func (s *Supervisor) Kill() {
	s.killOnce.Do(func() { close(s.kill) })
}

// takePending returns the pending request and clears it.
func (s *Supervisor) takePending() (changed []string, m modified, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed, m, ok = s.pending, s.modified, s.requested
	s.pending, s.seen, s.requested, s.modified = nil, map[string]bool{}, false, modified{}
	select {
	case <-s.wake: // its request is in this start
	default:
	}
	return changed, m, ok
}

// restartRequested reports whether a request is pending: a wake-up can
// outlive the request it announced, which a start already took.
func (s *Supervisor) restartRequested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requested
}
