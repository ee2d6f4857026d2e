package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/deps"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/supervisor"
	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// The --deps-from wiring: the sources run beside COMMAND, and a watcher
// between the backends and follow passes on only the changes to files
// COMMAND uses.
//
// Paths of the set outside the --watch roots (a Go replace ../lib) are
// watched by extra watchers, one for each group of such paths the set
// gained, each built with the same options and Since the start of the run
// that named them. Extra watchers are only ever added, never rebuilt or
// dropped: a rebuild would leave a window in which a change is seen by
// neither the old watcher nor the new one (or by both), while what a set
// no longer names is filtered out anyway.

// depsSources is the --deps-from configuration made ready to run.
type depsSources struct {
	sources []deps.Source // run by refreshers
	channel *deps.Channel // --deps-from child, or nil
	count   *atomic.Int64 // the set's size for "watching"; -1 while every change counts
	current atomic.Pointer[deps.Set]
}

// Set is the union of the sources' answers, which every change is judged
// against: nil while every change counts (a source has not answered yet,
// or its last run failed). Safe from any goroutine; what bounds polling
// where directories must not be listed (an Eden checkout) reads it.
func (d *depsSources) Set() *deps.Set { return d.current.Load() }

// newDepsSources builds the sources; wd is where they run and relative
// paths are from, env COMMAND's environment.
func newDepsSources(cfg *config, wd string, env []string, logger *slog.Logger) (*depsSources, error) {
	d := &depsSources{count: new(atomic.Int64)}
	d.count.Store(-1)
	for _, from := range cfg.depsFrom {
		switch from {
		case deps.GoPreset:
			g, err := newGoPreset(cfg, wd, env)
			if err != nil {
				return nil, &usageError{err}
			}
			d.sources = append(d.sources, g)
		case deps.ChildPreset:
			if d.channel != nil {
				continue
			}
			ch, err := deps.Listen(wd, logger)
			if err != nil {
				return nil, err
			}
			d.channel = ch
		default:
			d.sources = append(d.sources, &deps.Shell{Command: from, Dir: wd, Env: env})
		}
	}
	return d, nil
}

func (d *depsSources) Close() {
	if d != nil && d.channel != nil {
		d.channel.Close()
	}
}

// depsLogHandler lets the deps wiring see what the supervisor logs and
// say what it knows: each "started" gives the channel COMMAND's new pid
// (the one seam with the supervisor), and each "watching" gets the size
// of the set ("all" while every change counts).
type depsLogHandler struct {
	slog.Handler
	d *depsSources
}

// Enabled lets "started" through even when the log leaves it out (-q):
// the channel must learn each COMMAND's pid.
func (h *depsLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l) || h.d.channel != nil && l == slog.LevelInfo
}

func (h *depsLogHandler) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case supervisor.MsgStarted:
		if h.d.channel != nil {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "pid" {
					h.d.channel.Started(int(a.Value.Int64()))
				}
				return true
			})
		}
	case fallback.MsgWatching:
		r = r.Clone()
		if n := h.d.count.Load(); n >= 0 {
			r.AddAttrs(slog.Int64("deps", n))
		} else {
			r.AddAttrs(slog.String("deps", "all"))
		}
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *depsLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &depsLogHandler{h.Handler.WithAttrs(as), h.d}
}

func (h *depsLogHandler) WithGroup(name string) slog.Handler {
	return &depsLogHandler{h.Handler.WithGroup(name), h.d}
}

// pumped is one Next of one backend.
type pumped struct {
	b   spec.Batch
	err error
}

// depsWatcher is the watcher follow reads with --deps-from.
type depsWatcher struct {
	ctx    context.Context
	cancel context.CancelFunc
	d      *depsSources
	log    *slog.Logger
	since  time.Time // COMMAND's start baseline
	// newExtra watches paths outside the roots from since.
	newExtra func(ctx context.Context, paths []string, since time.Time) (watcher, error)

	batches chan pumped
	results chan deps.Result
	wg      sync.WaitGroup

	mu        sync.Mutex // guards watchers, for Close
	watchers  []watcher
	closeOnce sync.Once

	// keep, when set, passes on the changes side commands are for.
	keep func(path string) bool

	// Owned by Next's goroutine.
	refreshers []*deps.Refresher
	sets       map[string]*deps.Set // by source name; absent: unknown or failed
	answered   map[string]int64     // the Asked of each refresher's last result
	union      *deps.Set            // nil while every change counts
	covered    []string             // watched: the roots and the extra watchers' paths
	declared   int                  // the COMMAND whose declarations are in hand
	held       []spec.Change        // judged not used while a run was due
	heldAt     map[string]int
}

// maxHeld bounds the changes held for a refresh: past it, the oldest are
// judged as not used by the set in hand.
const maxHeld = 10000

// newDepsWatcher starts d's sources; the backends are added to it. since
// is COMMAND's start baseline: paths outside the roots that the first
// answer of a command names are watched from then.
func newDepsWatcher(ctx context.Context, roots []string, d *depsSources, logger *slog.Logger, since time.Time,
	newExtra func(context.Context, []string, time.Time) (watcher, error)) *depsWatcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &depsWatcher{
		ctx: ctx, cancel: cancel, d: d, log: logger, since: since, newExtra: newExtra,
		batches: make(chan pumped), results: make(chan deps.Result, 4),
		sets: map[string]*deps.Set{}, answered: map[string]int64{},
		covered: slices.Clone(roots), heldAt: map[string]int{},
	}
	for _, src := range d.sources {
		r := deps.NewRefresher(src, w.results)
		w.refreshers = append(w.refreshers, r)
		w.spawn(func() { r.Run(ctx) })
	}
	if d.channel != nil {
		w.spawn(func() { d.channel.Serve(ctx, w.results) })
	}
	return w
}

// spawn runs f in a goroutine of w's. A panic of f (a bug) comes out of
// Next as a *watchman.PanicError, so autoreload ends as on any watcher
// error (COMMAND stopped, the terminal restored, exit 1) and logs it with
// its stack, not at once from this goroutine.
func (w *depsWatcher) spawn(f func()) {
	w.wg.Go(func() {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			select {
			case w.batches <- pumped{err: watchman.Recovered(v)}:
			case <-w.ctx.Done():
			}
		}()
		f()
	})
}

// add pumps a backend's batches into w.batches until it fails or closes.
// Changes below prior, paths other backends watch (an extra watcher's
// root can hold a --watch root), are theirs to report: dropped here, so
// that one edit is one change.
func (w *depsWatcher) add(b watcher, prior ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil {
		b.Close()
		return
	}
	w.watchers = append(w.watchers, b)
	w.spawn(func() {
		for {
			batch, err := b.Next(w.ctx)
			if w.ctx.Err() != nil || errors.Is(err, fallback.ErrClosed) {
				return
			}
			batch.Changes = slices.DeleteFunc(batch.Changes, func(c spec.Change) bool { return coveredBy(prior, c.Path) })
			if err == nil && batch.Empty() {
				continue
			}
			select {
			case w.batches <- pumped{batch, err}:
			case <-w.ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	})
}

// coveredBy reports whether path is one of paths or lies below one.
func coveredBy(paths []string, path string) bool {
	for _, p := range paths {
		if path == p || deps.Within(p, path) {
			return true
		}
	}
	return false
}

// Close ends the sources and closes the backends; later calls do nothing.
func (w *depsWatcher) Close() error {
	var err error
	w.closeOnce.Do(func() {
		w.cancel()
		w.mu.Lock()
		for _, b := range w.watchers {
			err = errors.Join(err, b.Close())
		}
		w.mu.Unlock()
		w.wg.Wait()
	})
	return err
}

// Next returns the next batch of changes to files COMMAND uses.
func (w *depsWatcher) Next(ctx context.Context) (spec.Batch, error) {
	for {
		var b spec.Batch
		var restarts bool
		select {
		case <-ctx.Done():
			return spec.Batch{}, ctx.Err()
		case p := <-w.batches:
			if p.err != nil {
				return spec.Batch{}, p.err
			}
			b, restarts = w.judge(p.b)
		case r := <-w.results:
			b, restarts = w.apply(r)
		}
		if restarts {
			// A restart for a change: the change may have added an import.
			for _, r := range w.refreshers {
				r.Trigger()
			}
		}
		if !b.Empty() {
			return b, nil
		}
	}
}

// refreshing reports whether a source has a run due whose answer may
// change the set, or a new COMMAND has yet to declare its files.
func (w *depsWatcher) refreshing() bool {
	if w.d.channel != nil && w.d.channel.Command() != w.declared {
		return true
	}
	for _, r := range w.refreshers {
		if w.answered[r.Source().Name()] < r.Asked() {
			return true
		}
	}
	return false
}

// judge keeps the changes COMMAND uses, and those a side command is for;
// the others are held while a refresh is due, else logged as not used.
// restarts tells whether what it keeps restarts COMMAND.
func (w *depsWatcher) judge(b spec.Batch) (kept spec.Batch, restarts bool) {
	kept.Unknown = b.Unknown
	var notUsed []spec.Change
	for _, c := range b.Changes {
		switch {
		case w.keep != nil && w.keep(c.Path):
			kept.Changes = append(kept.Changes, c)
		case b.Unknown || w.union == nil || w.union.Contains(c.Path):
			kept.Changes = append(kept.Changes, c)
			restarts = true
		default:
			notUsed = append(notUsed, c)
		}
	}
	if w.refreshing() {
		w.hold(notUsed)
	} else {
		w.logNotUsed(notUsed)
	}
	return kept, restarts || b.Unknown
}

func (w *depsWatcher) hold(cs []spec.Change) {
	for _, c := range cs {
		if i, ok := w.heldAt[c.Path]; ok {
			w.held[i] = c
			continue
		}
		w.heldAt[c.Path] = len(w.held)
		w.held = append(w.held, c)
	}
	if over := len(w.held) - maxHeld; over > 0 {
		w.logNotUsed(w.held[:over])
		w.setHeld(slices.Clone(w.held[over:]))
	}
}

func (w *depsWatcher) setHeld(cs []spec.Change) {
	w.held, w.heldAt = nil, map[string]int{}
	w.hold(cs)
}

// The --deps-from log messages: a source answered (from; count and
// duration, or error), and the changes COMMAND does not use (paths, count;
// debug level).
const (
	msgDeps    = "deps"
	msgNotUsed = "not used"
)

func (w *depsWatcher) logNotUsed(cs []spec.Change) {
	if len(cs) == 0 {
		return
	}
	paths := make([]string, 0, min(len(cs), maxLoggedPaths))
	for _, c := range cs[:min(len(cs), maxLoggedPaths)] {
		paths = append(paths, c.Path)
	}
	w.log.Debug(msgNotUsed, "paths", paths, "count", len(cs))
}

// apply takes a source's answer: logs it, makes it the set, watches what
// it names outside the roots, and judges the held changes again.
func (w *depsWatcher) apply(r deps.Result) (spec.Batch, bool) {
	if r.Asked > w.answered[r.Source] {
		w.answered[r.Source] = r.Asked
	}
	if r.Source == deps.ChildPreset {
		w.declared = r.Command
	}
	if r.Err != nil {
		delete(w.sets, r.Source)
		w.log.Warn(msgDeps, "from", r.Source, "error", r.Err.Error())
	} else {
		w.sets[r.Source] = r.Set
		w.log.Info(msgDeps, "from", r.Source, "count", r.Set.Len(), "duration", r.Duration)
	}
	w.union = nil
	if len(w.sets) == len(w.refreshers)+w.channelCount() {
		all := make([]*deps.Set, 0, len(w.sets))
		for _, s := range w.sets {
			all = append(all, s)
		}
		w.union = deps.Union(all...)
		w.d.count.Store(int64(w.union.Len()))
	} else {
		w.d.count.Store(-1)
	}
	w.d.current.Store(w.union)
	if r.Set != nil {
		from := r.Started
		if r.Asked == 0 && r.Source != deps.ChildPreset {
			// A command's first answer: what it names was COMMAND's
			// from its start.
			from = w.since
		}
		w.watchOutside(r.Set, from)
	}
	held := w.held
	w.setHeld(nil)
	if len(held) == 0 {
		return spec.Batch{}, false
	}
	return w.judge(spec.Batch{Changes: held})
}

func (w *depsWatcher) channelCount() int {
	if w.d.channel != nil {
		return 1
	}
	return 0
}

// watchOutside starts an extra watcher for what set names outside what is
// watched already, from since.
func (w *depsWatcher) watchOutside(set *deps.Set, since time.Time) {
	var paths []string
	for _, p := range set.Outside(w.covered) {
		if _, err := os.Lstat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return
	}
	prior := slices.Clone(w.covered)
	w.covered = append(w.covered, paths...)
	w.spawn(func() {
		extra, err := w.newExtra(w.ctx, paths, since)
		if err != nil {
			if w.ctx.Err() == nil {
				w.log.Warn(msgDeps, "error", fmt.Sprintf("watching %d paths outside --watch: %v", len(paths), err))
			}
			return
		}
		w.add(extra, prior...)
	})
}

// depsFromValue is --deps-from: each value is a command line, or a
// preset; its variable holds one (a command line may hold ':').
type depsFromValue []string

func (v *depsFromValue) String() string { return fmt.Sprint([]string(*v)) }
func (v *depsFromValue) Type() string   { return "commands" }
func (v *depsFromValue) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("a blank command line")
	}
	*v = append(*v, s)
	return nil
}

// checkDepsFrom refuses, before anything runs, a preset that cannot apply
// to COMMAND.
func checkDepsFrom(cfg *config) error {
	for _, f := range cfg.depsFrom {
		switch f {
		case deps.GoPreset:
			if _, err := newGoPreset(cfg, "", nil); err != nil {
				return &usageError{err}
			}
		case deps.ChildPreset:
			if err := deps.ChildSupported(); err != nil {
				return &usageError{err}
			}
		}
	}
	return nil
}

// newGoPreset reads COMMAND for the Go preset; when COMMAND is not a go
// command, a --build that is a plain go build command line (bin/server
// built by go build -o bin/server ./cmd/server) says what it is built from.
func newGoPreset(cfg *config, wd string, env []string) (*deps.Go, error) {
	g, err := deps.NewGo(cfg.command, wd, env)
	if err == nil || cfg.build == "" || strings.ContainsAny(cfg.build, "|&;<>()$`\\\"'*?[#~") {
		return g, err
	}
	if bg, berr := deps.NewGo(strings.Fields(cfg.build), wd, env); berr == nil {
		return bg, nil
	}
	return nil, err
}

// startDeps makes the --deps-from sources ready, and COMMAND's
// environment (nil: autoreload's own) with the channel's socket; no
// sources, no depsSources.
func startDeps(cfg *config, logger *slog.Logger) (*depsSources, []string, error) {
	if len(cfg.depsFrom) == 0 {
		return nil, nil, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil, fmt.Errorf("deps: %w", err)
	}
	d, err := newDepsSources(cfg, wd, os.Environ(), logger)
	if err != nil {
		return nil, nil, err
	}
	var env []string
	if d.channel != nil {
		// An outer autoreload's socket, inherited, would shadow ours
		// for a program that reads the first of two.
		env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, deps.SocketEnv+"=") })
		env = append(env, d.channel.Env())
	}
	return d, env, nil
}

// outsideWatcher builds the extra watchers of paths outside the roots:
// the same options as the main one (patterns and ignores still apply), a
// "watching" line of their own marked deps_outside.
func outsideWatcher(cfg *config, d *depsSources, logger *slog.Logger) func(context.Context, []string, time.Time) (watcher, error) {
	return func(ctx context.Context, paths []string, since time.Time) (watcher, error) {
		opts := cfg.specOptions()
		opts.Watch = paths
		ws, err := spec.New(opts)
		if err != nil {
			return nil, err
		}
		return newWatcher(ctx, ws, cfg, since, d.boundedFiles, nil, logger.With("deps_outside", true))
	}
}

// boundedFiles are the files of the set, for the poller where it may not
// list directories (an Eden checkout); none while every change counts.
func (d *depsSources) boundedFiles() []string {
	if set := d.Set(); set != nil {
		return set.Files()
	}
	return nil
}

// bounded is boundedFiles, or nil without --deps-from.
func (w *depsWatcher) bounded() func() []string {
	if w == nil {
		return nil
	}
	return w.d.boundedFiles
}

// wants reports whether a side command is for path: such a change goes on
// to follow, which hands it to the side command, whatever the set says.
func (r *sideRunner) wants(path string) bool {
	if r == nil {
		return false
	}
	for _, c := range r.cmds {
		if c.match.Selects(path) {
			return true
		}
	}
	return false
}

// listDeps is --list with --deps-from: the sources run once, and the
// files listed are those a change to which would restart COMMAND, those
// outside the roots included. With child, which only COMMAND can answer,
// every file counts until it does: all are listed.
func listDeps(cfg *config, ws *spec.Spec, w io.Writer) error {
	if slices.Contains(cfg.depsFrom, deps.ChildPreset) {
		return listFiles(ws, w)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	d, err := newDepsSources(cfg, wd, os.Environ(), nil)
	if err != nil {
		return err
	}
	var sets []*deps.Set
	for _, src := range d.sources {
		set, err := src.Load(context.Background())
		if err != nil {
			return fmt.Errorf("--list: --deps-from: %w", err)
		}
		sets = append(sets, set)
	}
	set := deps.Union(sets...)
	specs := []*spec.Spec{ws}
	if outside := set.Outside(ws.Roots()); len(outside) > 0 {
		opts := cfg.specOptions()
		opts.Watch = slices.DeleteFunc(outside, func(p string) bool { _, err := os.Lstat(p); return err != nil })
		if len(opts.Watch) > 0 {
			outSpec, err := spec.New(opts)
			if err != nil {
				return err
			}
			specs = append(specs, outSpec)
		}
	}
	wdirs := workingDirs()
	seen := map[string]bool{}
	var werr error
	emit := func(path string) bool {
		if !seen[path] && set.Contains(path) {
			seen[path] = true
			_, werr = fmt.Fprintln(w, display(relative(path, wdirs)))
		}
		return werr == nil
	}
	for _, s := range specs {
		eden := walkSelected(context.Background(), s, func(path string, dir bool) bool { return dir || emit(path) })
		// An Eden checkout is never listed: the set's own files there
		// are what the poller would watch.
		for _, f := range set.Files() {
			if coveredBy(eden, f) && s.Selects(f) && werr == nil {
				if _, err := os.Lstat(f); err == nil {
					emit(f)
				}
			}
		}
		if werr != nil {
			return werr
		}
	}
	return nil
}
