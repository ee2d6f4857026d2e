package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/deps"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// chanWatcher delivers what the test sends it.
type chanWatcher chan spec.Batch

func (w chanWatcher) Next(ctx context.Context) (spec.Batch, error) {
	select {
	case b := <-w:
		return b, nil
	case <-ctx.Done():
		return spec.Batch{}, ctx.Err()
	}
}
func (w chanWatcher) Close() error { return nil }

// gatedSource answers each Load with what the test hands it: a run in
// flight for as long as the test likes, which a real command gives only
// by timing.
type gatedSource chan func() (*deps.Set, error)

func (s gatedSource) Name() string { return "gated" }
func (s gatedSource) Load(ctx context.Context) (*deps.Set, error) {
	select {
	case answer := <-s:
		return answer()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func setOf(paths ...string) func() (*deps.Set, error) {
	return func() (*deps.Set, error) {
		b := deps.Builder{Dir: "/"}
		for _, p := range paths {
			b.AddFile(p)
		}
		return b.Set(), nil
	}
}

func batchOf(paths ...string) spec.Batch {
	var b spec.Batch
	for _, p := range paths {
		b.Changes = append(b.Changes, spec.Change{Path: p, Exists: true})
	}
	return b
}

// TestDepsWatcherHoldsChangesDuringRefresh: until the first answer every
// change counts; then only the set's; a change the set does not hold,
// made while a refresh runs, is judged again when it lands (and counts
// if the new set holds it, or if the refresh failed).
func TestDepsWatcherHoldsChangesDuringRefresh(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	main := make(chanWatcher)
	src := make(gatedSource)
	d := &depsSources{sources: []deps.Source{src}, count: new(atomic.Int64)}
	d.count.Store(-1)
	w := newDepsWatcher(ctx, []string{"/"}, d, slog.New(slog.DiscardHandler), time.Now(), nil)
	w.add(main)
	defer w.Close()
	out := nexts(ctx, w)
	expect := func(want ...string) {
		t.Helper()
		select {
		case got := <-out:
			if !slices.Equal(got, want) {
				t.Fatalf("restart for %v, want %v", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no restart for %v", want)
		}
	}
	none := func(what string) {
		t.Helper()
		select {
		case got := <-out:
			t.Fatalf("%s: restart for %v", what, got)
		case <-time.After(200 * time.Millisecond):
		}
	}

	main <- batchOf("/x") // before the first answer
	expect("/x")
	src <- setOf("/a") // the first run; the restart asked for another
	src <- setOf("/a") // that one
	waitCount(t, d, 1)
	if set := d.Set(); !set.Contains("/a") || set.Contains("/x") {
		t.Errorf("Set() = %v, want /a alone", set)
	}
	main <- batchOf("/x")
	none("a change outside the set")
	main <- batchOf("/a")
	expect("/a")
	main <- batchOf("/b", "/a2") // while the refresh runs
	none("changes the old set does not hold")
	src <- setOf("/a", "/b")
	expect("/b")
	main <- batchOf("/c") // while the refresh /b asked for runs
	none("held")
	src <- func() (*deps.Set, error) { return nil, errors.New("boom") }
	expect("/c")
	main <- batchOf("/anything")
	expect("/anything")
	if set := d.Set(); set != nil {
		t.Errorf("Set() after a failure = %v, want nil: every change counts", set)
	}
}

// nexts sends the paths of each batch w.Next returns, until ctx ends.
func nexts(ctx context.Context, w watcher) <-chan []string {
	out := make(chan []string, 4)
	go func() {
		for {
			b, err := w.Next(ctx)
			if err != nil {
				return
			}
			var paths []string
			for _, c := range b.Changes {
				paths = append(paths, c.Path)
			}
			select {
			case out <- paths:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func waitCount(t *testing.T, d *depsSources, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for d.count.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("set size %d, want %d", d.count.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGoPresetReadsBuild: a COMMAND that --build makes with a plain go
// build is read through the build.
func TestGoPresetReadsBuild(t *testing.T) {
	cfg, err := parseConfig([]string{"--deps-from=go", "--build", "go build -o bin/server ./cmd/server", "--", "bin/server"}, env())
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGoPreset(cfg, "/w", nil)
	if err != nil || g == nil {
		t.Fatalf("newGoPreset: %v", err)
	}
}

// TestChannelLearnsPidUnderQuiet: with -q the log leaves "started" out,
// and the channel still learns COMMAND's pid from it: a declaration from
// this process, given as COMMAND, is heard.
func TestChannelLearnsPidUnderQuiet(t *testing.T) {
	if err := deps.ChildSupported(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ch, err := deps.Listen(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	d := &depsSources{channel: ch, count: new(atomic.Int64)}
	var logged bytes.Buffer
	quiet := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	logger := slog.New(&depsLogHandler{quiet.Handler(), d})
	logger.Info("started", "pid", os.Getpid())
	if logged.Len() != 0 {
		t.Errorf("-q logged %q", logged.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan deps.Result, 1)
	done := make(chan struct{})
	go func() { ch.Serve(ctx, out); close(done) }()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("unix", ch.Path())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(c, "a.go")
	c.Close()
	select {
	case r := <-out:
		if r.Set.Len() != 1 {
			t.Errorf("declared %v", r.Set)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the declaration was not heard: the channel did not learn the pid")
	}
}

// TestOutsideWatcherHoldingARoot: an extra watcher whose root holds a
// --watch root (the module root package, with -w cmd/a) reports nothing
// the main watcher reports: one edit, one change.
func TestOutsideWatcherHoldingARoot(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := t.TempDir()
	root := filepath.Join(m, "cmd", "a")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	main, extra := make(chanWatcher), make(chanWatcher)
	extraFor := make(chan []string, 1)
	src := make(gatedSource)
	d := &depsSources{sources: []deps.Source{src}, count: new(atomic.Int64)}
	w := newDepsWatcher(ctx, []string{root}, d, slog.New(slog.DiscardHandler), time.Now(),
		func(_ context.Context, paths []string, _ time.Time) (watcher, error) {
			extraFor <- paths
			return extra, nil
		})
	w.add(main)
	defer w.Close()
	out := nexts(ctx, w)
	src <- func() (*deps.Set, error) {
		var b deps.Builder
		b.AddDir(m)
		b.AddDir(root)
		return b.Set(), nil
	}
	if paths := <-extraFor; !slices.Equal(paths, []string{m}) {
		t.Fatalf("extra watcher for %v, want %s", paths, m)
	}
	waitCount(t, d, 2)
	inRoot, outside := filepath.Join(root, "main.go"), filepath.Join(m, "m.go")
	extra <- batchOf(inRoot, outside)
	main <- batchOf(inRoot)
	got := map[string]int{}
	for range 2 {
		select {
		case paths := <-out:
			for _, p := range paths {
				got[p]++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("restarts so far %v", got)
		}
	}
	if got[inRoot] != 1 || got[outside] != 1 {
		t.Errorf("changes delivered %v, want each once", got)
	}
}

// TestProjectFileDepsFrom: deps-from takes a list, as the flag repeats.
func TestProjectFileDepsFrom(t *testing.T) {
	dir := projectDir(t, `
command = ["go", "run", "."]
deps-from = ["go", "cat deps.txt"]
`)
	cfg, err := parseConfig([]string{"--config", filepath.Join(dir, ".autoreload.toml")}, env())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"go", "cat deps.txt"}; !slices.Equal(cfg.depsFrom, want) {
		t.Errorf("depsFrom = %q, want %q", cfg.depsFrom, want)
	}
}

// TestDepsWatcherKeepsSideCommandPaths: a change a side command is for
// goes on to follow whatever the set says, and asks for no refresh (it
// restarts nothing).
func TestDepsWatcherKeepsSideCommandPaths(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	main := make(chanWatcher)
	src := make(gatedSource)
	d := &depsSources{sources: []deps.Source{src}, count: new(atomic.Int64)}
	w := newDepsWatcher(ctx, []string{"/"}, d, slog.New(slog.DiscardHandler), time.Now(), nil)
	w.keep = func(p string) bool { return p == "/style.css" }
	w.add(main)
	defer w.Close()
	out := nexts(ctx, w)
	src <- setOf("/a")
	waitCount(t, d, 1)
	main <- batchOf("/style.css", "/x")
	if got := <-out; !slices.Equal(got, []string{"/style.css"}) {
		t.Fatalf("passed on %v, want the side command's path alone", got)
	}
	if n := w.refreshers[0].Asked(); n != 0 {
		t.Errorf("%d refreshes asked for a change that restarts nothing", n)
	}
}

// panickingSource is a source whose Load panics: a bug's stand-in.
type panickingSource struct{}

func (panickingSource) Name() string { return "panicking" }
func (panickingSource) Load(context.Context) (*deps.Set, error) {
	panic("injected")
}

// A panic in a goroutine of the deps watcher (a bug) comes out of Next as
// a *watchman.PanicError with its stack, and does not end the process from
// that goroutine, which would leave the terminal as COMMAND left it.
func TestDepsWatcherPanicIsNextsError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := &depsSources{sources: []deps.Source{panickingSource{}}, count: new(atomic.Int64)}
	d.count.Store(-1)
	w := newDepsWatcher(ctx, []string{"/"}, d, slog.New(slog.DiscardHandler), time.Now(), nil)
	defer w.Close()
	_, err := w.Next(ctx)
	pe, ok := errors.AsType[*watchman.PanicError](err)
	if !ok || pe.Value != "injected" || !strings.Contains(string(pe.Stack), "panickingSource") {
		t.Fatalf("Next: %v, want the injected panic with its stack", err)
	}
}
