package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// watcher delivers batches of changes: a *fallback.Watcher, or a scripted
// one in tests.
type watcher interface {
	Next(ctx context.Context) (spec.Batch, error)
	Close() error
}

// maxLoggedPaths bounds the paths of one "changed" line; count has them all.
const maxLoggedPaths = 100

// The command's own log messages about its run (the supervisor's and the
// watcher's are theirs): a batch of changes (paths, count, unknown,
// paused), autoreload's pid (debug level), COMMAND postponed, and a signal
// or key acted on (signal or key; supervisor.MsgStopping for a stop).
const (
	msgChanged   = "changed"
	msgPid       = "pid"
	msgPostponed = "postponed"
	msgKilling   = "killing"
	msgRestart   = "restart"
)

// errStopped is the cause of a stop asked for by a signal: a clean end.
var errStopped = errors.New("stopped by signal")

// autoreload watches, supervises and handles signals until a signal or a
// failure ends it.
func autoreload(cfg *config, logger *slog.Logger) error {
	logger.Debug(msgPid, "pid", os.Getpid())
	ws, err := newSpec(cfg)
	if err != nil {
		return err
	}
	if err := supervisor.CheckCommand(cfg.command); err != nil && !(cfg.build != "" && isNotFound(err)) {
		// With --build, COMMAND may be what the build makes (bin/server on
		// a fresh clone): the first start says if it still is not there.
		return commandLineHint(cfg.command, err)
	}
	warnOwnReloader(logger, cfg.command)
	var side *sideRunner
	builds := new(activity)
	if len(cfg.sideCommands) > 0 {
		if side, err = newSideRunner(cfg.sideCommands, builds, logger); err != nil {
			return err
		}
	}
	sockets, err := listen(cfg, logger)
	if err != nil {
		return err
	}
	defer sockets.Close()
	d, env, err := startDeps(cfg, logger)
	if err != nil {
		return err
	}
	defer d.Close()
	if d != nil {
		logger = slog.New(&depsLogHandler{logger.Handler(), d})
	}
	logger, notifier := withNotifications(cfg, logger)
	if notifier != nil {
		defer notifier.Close()
	}
	term, err := openTerminal(cfg, logger)
	if err != nil {
		return err
	}
	defer term.Close()
	sup := supervisor.New(supervisor.Options{
		Env:        env,
		Sockets:    sockets.Files(),
		SocketEnv:  sockets.Env(),
		Build:      cfg.build,
		BuildDir:   cfg.buildDir,
		OnBuild:    builds.track,
		Command:    cfg.command,
		StopSignal: cfg.stopSignal,
		Grace:      cfg.grace,
		Debounce:   cfg.debounce,
		OnExit:     cfg.onExit,
		Logger:     logger,

		Stdin:       term.stdin, // with -I, /dev/null
		BeforeStart: term.clear,
		Postpone:    cfg.postpone,
	})
	term.attach(sup)
	// With --reloader watchman no fallback was asked for: an unusable
	// Watchman ends autoreload before COMMAND ever starts. (After
	// supervisor.Setup in main, so that a daemon get-sockname starts is
	// known as autoreload's own.)
	choice, err := chooseFirst(cfg)
	if err != nil {
		return err
	}
	defer choice.Close() // unless the watcher took it over

	// Signals are taken before COMMAND starts, so none is lost, on a
	// buffered channel, so a second Ctrl-C can still kill.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	if term.keys != nil {
		// The terminal's Ctrl-\ is autoreload's now: it must not end it
		// with the terminal in cbreak mode.
		signal.Notify(sigs, syscall.SIGQUIT)
	}
	defer signal.Stop(sigs)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	supervised := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stopOnPanic(cancel)
		warnUnmatched(ctx, cfg.specOptions(), cfg.sidePatterns, logger)
	})
	if side != nil {
		wg.Go(func() {
			defer stopOnPanic(cancel)
			side.runLoop(ctx)
		})
	}
	pressed := make(chan byte)
	wg.Go(func() { handleSignals(sigs, pressed, supervised, cancel, sup, logger) })
	wg.Go(func() {
		defer stopOnPanic(cancel)
		term.readKeys(ctx, pressed, logger)
	})
	// The watcher is built beside COMMAND's start, not before it: a large
	// tree's baseline must not delay the program. The time baseline is
	// taken before, from each root's own file clock (a few system calls):
	// what was written until now never restarts COMMAND, what is written
	// from COMMAND's start on always does.
	since := ws.StartBaseline()
	var dw *depsWatcher
	if d != nil {
		// The sources start now, beside COMMAND, not after the baseline.
		dw = newDepsWatcher(ctx, ws.Roots(), d, logger, since, outsideWatcher(cfg, d, logger))
		defer dw.Close()
	}
	wg.Go(func() {
		defer stopOnPanic(cancel)
		if err := watch(ctx, ws, cfg, since, choice, dw, term.gate, side, logger); err != nil {
			cancel(err)
		}
	})

	if cfg.postpone {
		logger.Info(msgPostponed)
	}
	err = sup.Run(ctx)
	close(supervised)
	cancel(nil)
	wg.Wait()
	if err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, errStopped) && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// msgPanic logs a panic of the watcher side, with its stack.
const msgPanic = "panic"

// stopOnPanic, deferred in a goroutine of the watcher side, turns a panic
// (a bug) into a loud end that still leaves COMMAND's tree and the
// terminal as cleanly as a Ctrl-C does: the supervisor stops COMMAND as
// Run ends, and autoreload logs the panic with its stack and exits 1, as
// for a panic a watcher package recovered (a *watchman.PanicError too). A
// panic that killed the process at once would leave the tree to its guard
// and the terminal as COMMAND left it.
func stopOnPanic(stop context.CancelCauseFunc) {
	if r := recover(); r != nil {
		stop(watchman.Recovered(r))
	}
}

// specOptions is what cfg says to watch.
func (c *config) specOptions() spec.Options {
	return spec.Options{
		Watch: c.watch, Patterns: slices.Concat(c.patterns, c.sidePatterns), Exts: c.exts,
		Ignores: c.ignores, NoDefaultIgnores: c.noDefaultIgnores,
		NoIgnoreFiles: c.noIgnoreFiles,
	}
}

// newSpec makes the spec of cfg, and refuses roots no backend can watch.
func newSpec(cfg *config) (*spec.Spec, error) {
	ws, err := spec.New(cfg.specOptions())
	if err != nil {
		return nil, &usageError{err}
	}
	if err := checkRoots(ws.Roots(), cfg.reloader == "stat", depsBound(cfg)); err != nil {
		return nil, err
	}
	return ws, nil
}

// list is --list: a dry run that prints the files a change to which
// restarts COMMAND, warns of filters that match nothing, and starts
// nothing.
func list(cfg *config, stdout io.Writer, logger *slog.Logger) error {
	ws, err := newSpec(cfg)
	if err != nil {
		return err
	}
	warnUnmatched(context.Background(), cfg.specOptions(), cfg.sidePatterns, logger)
	if len(cfg.depsFrom) > 0 {
		return listDeps(cfg, ws, stdout)
	}
	return listFiles(ws, stdout)
}

// commandLineError is a whole command line given as COMMAND's one word
// (autoreload "go run ."): autoreload runs no shell, so it names no file.
type commandLineError struct {
	line string
	err  error
}

func (e *commandLineError) Error() string {
	return fmt.Sprintf("cannot start %q: no such file; to run a command line, pass its words separately: autoreload -- %s",
		e.line, strings.TrimSpace(e.line))
}
func (e *commandLineError) Unwrap() error { return e.err }

// commandLineHint turns err, COMMAND not found, into a commandLineError
// when COMMAND is one word holding spaces.
func commandLineHint(command []string, err error) error {
	if len(command) != 1 || !isNotFound(err) || !strings.ContainsFunc(strings.TrimSpace(command[0]), unicode.IsSpace) {
		return err
	}
	return &commandLineError{command[0], err}
}

// isNotFound reports a COMMAND that is not there, by path or in PATH.
func isNotFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound)
}

// watch pulls batches from the watcher and asks the supervisor to restart,
// until ctx ends; it returns the watcher's failure. The watcher takes
// choice over (nil: it chooses). With dw, only the changes it passes on
// count.
func watch(ctx context.Context, spec *spec.Spec, cfg *config, since time.Time, choice *fallback.Choice, dw *depsWatcher, sup restarter, side *sideRunner, logger *slog.Logger) error {
	w, err := newWatcher(ctx, spec, cfg, since, dw.bounded(), choice, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("watch: %w", err)
	}
	if dw != nil {
		dw.add(w)
		dw.keep = side.wants
		w = dw
	}
	defer w.Close()
	return follow(ctx, w, spec.Roots(), sup, side.split, logger)
}

// restarter is what follow needs of the supervisor.
type restarter interface {
	RestartChanges(changes []supervisor.Change)
}

// follow logs each batch from w as "changed" and hands its paths to sup,
// until ctx ends or w fails. split, when not nil, takes the paths that
// side commands are for first: they restart nothing.
func follow(ctx context.Context, w watcher, roots []string, sup restarter, split func([]string) []string, logger *slog.Logger) error {
	for {
		b, err := w.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		if b.Empty() {
			continue
		}
		paths := changedPaths(b, roots)
		if split != nil {
			if paths = split(paths); len(paths) == 0 {
				continue
			}
		}
		logged := paths[:min(len(paths), maxLoggedPaths)]
		attrs := []any{"paths", logged, "count", len(paths)}
		if b.Unknown {
			attrs = append(attrs, "unknown", true)
		}
		admit(sup, withTimes(paths, b), func(paused bool) {
			if paused {
				attrs = append(attrs, "paused", true) // held until the p key resumes
			}
			logger.Info(msgChanged, attrs...)
			if faultWatchPanic {
				panic("fault injected: watch-panic")
			}
		})
	}
}

// changedPaths are the paths COMMAND learns in AUTORELOAD_CHANGED, one a
// line. After unknown changes anything may have changed: the roots come
// first, so no cap on the list can drop them. A path holding a newline
// cannot be listed one a line; it is named by the roots instead.
func changedPaths(b spec.Batch, roots []string) []string {
	paths := make([]string, 0, len(b.Changes)+len(roots))
	named := b.Unknown
	if b.Unknown {
		paths = append(paths, roots...)
	}
	for _, c := range b.Changes {
		if !strings.Contains(c.Path, "\n") {
			paths = append(paths, c.Path)
		} else if !named {
			named = true
			paths = slices.Concat(roots, paths)
		}
	}
	return paths
}

// handleSignals: SIGINT, SIGTERM and SIGHUP stop COMMAND and end autoreload
// (a second one kills at once); SIGUSR1 restarts COMMAND by hand; SIGQUIT
// (taken with -I only) kills at once. The keys r and q (pressed) act as
// SIGUSR1 and SIGINT, logged with key=.
func handleSignals(sigs <-chan os.Signal, pressed <-chan byte, supervised <-chan struct{}, stop context.CancelCauseFunc, sup *supervisor.Supervisor, logger *slog.Logger) {
	stopping := false
	for {
		var sig syscall.Signal
		var by []any
		select {
		case <-supervised:
			return
		case s := <-sigs:
			sig = s.(syscall.Signal)
			by = []any{"signal", supervisor.SignalName(sig)}
		case k := <-pressed:
			sig = syscall.SIGINT
			if k == 'r' {
				sig = syscall.SIGUSR1
			}
			by = []any{"key", string(k)}
		}
		switch {
		case sig == syscall.SIGQUIT: // with -I only: quit at once
			logger.Info(msgKilling, by...)
			stopping = true
			sup.Kill()
			stop(errStopped)
		case sig == syscall.SIGUSR1:
			if !stopping {
				logger.Info(msgRestart, by...)
				sup.Restart(nil)
			}
		case !stopping:
			stopping = true
			logger.Info(supervisor.MsgStopping, by...)
			stop(errStopped)
		default:
			logger.Info(msgKilling, by...)
			sup.Kill()
		}
	}
}

// withTimes gives each path its modification time from b, by which the
// supervisor tells a restart loop from a person's edits; roots named for
// unknown changes, and deleted files, have none.
func withTimes(paths []string, b spec.Batch) []supervisor.Change {
	mtime := make(map[string]time.Time, len(b.Changes))
	for _, c := range b.Changes {
		if c.Exists {
			mtime[c.Path] = c.Mtime
		}
	}
	changes := make([]supervisor.Change, len(paths))
	for i, p := range paths {
		changes[i] = supervisor.Change{Path: p, Modified: mtime[p]}
	}
	if b.Unknown && len(changes) > 0 {
		changes[0].Modified = time.Time{} // the root: anything may have changed
	}
	return changes
}
