package fallback

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// switchFixture is a tree watched through a private daemon, with options
// short enough for tests.
type switchFixture struct {
	t      *testing.T
	dir    string
	daemon *watchmantest.Daemon
	logs   *testkit.Buffer
	w      *Watcher
	ctx    context.Context
	// newTook is how long New took; newErr its error, with fails.
	newTook time.Duration
	newErr  error
}

func newSwitchFixture(t *testing.T, reloader Reloader) *switchFixture {
	t.Helper()
	return newSwitchFixtureWith(t, reloader, nil)
}

// newSwitchFixtureWith is newSwitchFixture watching what roots returns for
// the tree (the tree itself when roots is nil).
func newSwitchFixtureWith(t *testing.T, reloader Reloader, roots func(dir string) []string) *switchFixture {
	t.Helper()
	return newSwitchFixtureFrom(t, reloader, fixtureConfig{roots: roots})
}

// fixtureConfig varies a switchFixture; the zero value is newSwitchFixture's.
type fixtureConfig struct {
	roots        func(dir string) []string // the watched paths; nil is the tree
	tree         func(dir string)          // adds to the tree before it is aged
	pollInterval time.Duration             // zero is 50 ms
	retry        time.Duration             // WatchmanRetry; zero is 300 ms
	// sock is the socket the watcher is given; nil is the daemon's.
	sock func(d *watchmantest.Daemon) string
	// options adjusts the watcher's options.
	options func(*Options)
	// onLog sees every log line.
	onLog func(line string)
	// fails: New is expected to fail; the fixture then has no watcher and
	// newErr holds the error.
	fails bool
}

func newSwitchFixtureFrom(t *testing.T, reloader Reloader, cfg fixtureConfig) *switchFixture {
	t.Helper()
	d := watchmantest.Start(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A tree edited well before the watcher starts, as a real one is.
	testkit.Write(t, filepath.Join(dir, "a.go"), "package a")
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{filepath.Join(dir, "a.go"), dir} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.tree != nil {
		cfg.tree(dir)
	}
	// Chtimes sets ctime to now: age it, or a fallback's time baseline
	// would count the set-up as a change.
	watchmantest.AgeFiles(t, spec.FileTime)
	watch := []string{dir}
	if cfg.roots != nil {
		watch = cfg.roots(dir)
	}
	poll := cmp.Or(cfg.pollInterval, 50*time.Millisecond)
	spec, err := spec.New(spec.Options{Watch: watch})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{OnWrite: cfg.onLog}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts := Options{
		Reloader:        reloader,
		PollInterval:    poll,
		WatchmanTimeout: time.Second,
		WatchmanRetry:   cmp.Or(cfg.retry, 300*time.Millisecond),
		HealthInterval:  300 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		sock:            d.Sock,
	}
	if cfg.sock != nil {
		opts.sock = cfg.sock(d)
	}
	if cfg.options != nil {
		cfg.options(&opts)
	}
	f := &switchFixture{t: t, dir: dir, daemon: d, logs: logs, ctx: ctx}
	// Bounded: a New that never returns (a crawl waited for without
	// bound) fails the test instead of hanging it.
	type result struct {
		w   *Watcher
		err error
	}
	made := make(chan result, 1)
	start := time.Now()
	go func() {
		w, err := New(ctx, spec, opts)
		made <- result{w, err}
	}()
	var r result
	select {
	case r = <-made:
	case <-time.After(30 * time.Second):
		cancel()
		<-made
		t.Fatalf("New did not return within 30 s:\n%s", logs)
	}
	f.newTook = time.Since(start)
	if cfg.fails {
		if r.err == nil {
			r.w.Close()
			t.Fatalf("New succeeded, want an error:\n%s", logs)
		}
		f.newErr = r.err
		return f
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	f.w = r.w
	t.Cleanup(func() { f.w.Close() })
	return f
}

// next waits for the next batch, bounded.
func (f *switchFixture) next(within time.Duration) (spec.Batch, error) {
	ctx, cancel := context.WithTimeout(f.ctx, within)
	defer cancel()
	return f.w.Next(ctx)
}

// expect waits for a batch holding exactly the given paths.
func (f *switchFixture) expect(what string, within time.Duration, paths ...string) {
	f.t.Helper()
	b, err := f.next(within)
	if err != nil {
		f.t.Fatalf("%s: no batch within %s: %v\nlog:\n%s", what, within, err, f.logs)
	}
	got := pathsOf(b)
	slices.Sort(got)
	slices.Sort(paths)
	if !slices.Equal(got, paths) {
		f.t.Fatalf("%s: batch %q, want %q\nlog:\n%s", what, got, paths, f.logs)
	}
}

// expectNothing asserts that no batch comes within d.
func (f *switchFixture) expectNothing(what string, d time.Duration) {
	f.t.Helper()
	b, err := f.next(d)
	if err == nil {
		f.t.Fatalf("%s: unexpected batch %+v\nlog:\n%s", what, b, f.logs)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		f.t.Fatalf("%s: %v", what, err)
	}
}

func (f *switchFixture) onWatchman() bool { return f.w.sub != nil }

func TestWatcherFlappingLeaksNothing(t *testing.T) {
	f := newSwitchFixture(t, ReloaderAuto)
	baseGoroutines := runtime.NumGoroutine()
	for i := range 5 {
		f.daemon.Kill()
		p := filepath.Join(f.dir, "down.go")
		testkit.Write(t, p, strings.Repeat("x", i+1))
		f.expect("change while down", 10*time.Second, p)
		f.daemon.Restart()
		for start := time.Now(); !f.onWatchman(); {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("cycle %d: not back on watchman:\n%s", i, f.logs)
			}
			f.next(100 * time.Millisecond)
		}
		p = filepath.Join(f.dir, "up.go")
		testkit.Write(t, p, strings.Repeat("y", i+1))
		f.expect("change while up", 10*time.Second, p)
	}
	// Goroutines end asynchronously after Close of old subscriptions: allow a
	// little time, but not growth.
	var n int
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= baseGoroutines+1 {
			return
		}
	}
	t.Fatalf("goroutines grew from %d to %d over 5 cycles", baseGoroutines, n)
}

func TestWatcherWatchmanOnlyFailsWhenLost(t *testing.T) {
	t.Parallel()
	f := newSwitchFixture(t, ReloaderWatchman)
	f.daemon.Shutdown()
	_, err := f.next(10 * time.Second)
	if !errors.Is(err, watchman.ErrUnavailable) {
		t.Fatalf("Next after the daemon was lost: %v, want ErrUnavailable", err)
	}
}

func TestWatcherStatNeverTouchesWatchman(t *testing.T) {
	t.Setenv("WATCHMAN_SOCK", filepath.Join(t.TempDir(), "no-such-sock"))
	t.Setenv("PATH", t.TempDir())
	dir, err := os.MkdirTemp("", "tree")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	spec, err := spec.New(spec.Options{Watch: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	w, err := New(context.Background(), spec, Options{Reloader: ReloaderStat, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if strings.Contains(strings.ToLower(logs.String()), "watchman") {
		t.Fatalf("--reloader stat mentions watchman:\n%s", logs)
	}
}

// pathsOf returns the changed paths of b in delivery order.
func pathsOf(b spec.Batch) []string {
	paths := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		paths[i] = c.Path
	}
	return paths
}
