package fallback

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// syncBuffer is a log sink safe for the watcher's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// switchFixture is a tree watched through a private daemon, with options
// short enough for tests.
type switchFixture struct {
	t      *testing.T
	dir    string
	daemon *watchmantest.Daemon
	logs   *syncBuffer
	w      *Watcher
	ctx    context.Context
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
}

func newSwitchFixtureFrom(t *testing.T, reloader Reloader, cfg fixtureConfig) *switchFixture {
	t.Helper()
	d := watchmantest.Start(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A tree edited well before the watcher starts, as a real one is.
	writeFile(t, filepath.Join(dir, "a.go"), "package a")
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
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	w, err := New(ctx, spec, Options{
		Reloader:        reloader,
		PollInterval:    poll,
		WatchmanTimeout: time.Second,
		WatchmanRetry:   cmp.Or(cfg.retry, 300*time.Millisecond),
		HealthInterval:  300 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		sock:            d.Sock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return &switchFixture{t: t, dir: dir, daemon: d, logs: logs, w: w, ctx: ctx}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := writeFileErr(path, content); err != nil {
		t.Fatal(err)
	}
}

// writeFileErr is writeFile for goroutines other than the test's.
func writeFileErr(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
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

// The runtime-switch tests run with the fixture's timers and with every
// ratio of timerRatios: a re-check must never cost a change, nor deliver one
// twice.
var switchTimers = append([]timers{{"fixture", 0, 0}}, timerRatios...)

func (tm timers) config() fixtureConfig {
	return fixtureConfig{retry: tm.retry, pollInterval: tm.poll}
}

func TestWatcherFallsBackWithoutLosingAChange(t *testing.T) {
	for _, tm := range switchTimers {
		for _, tc := range []struct {
			name string
			kill func(d *watchmantest.Daemon)
		}{
			{"shutdown-server", (*watchmantest.Daemon).Shutdown},
			{"SIGKILL", (*watchmantest.Daemon).Kill},
			{"SIGSTOP", (*watchmantest.Daemon).Freeze},
		} {
			t.Run(tm.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newSwitchFixtureFrom(t, ReloaderAuto, tm.config())
				if !f.onWatchman() {
					t.Fatalf("not on watchman at start:\n%s", f.logs)
				}
				a := filepath.Join(f.dir, "a.go")
				writeFile(t, a, "package a // 1")
				f.expect("change under watchman", 10*time.Second, a)

				tc.kill(f.daemon)
				if tc.name == "SIGSTOP" {
					t.Cleanup(f.daemon.Thaw)
				}
				time.Sleep(100 * time.Millisecond) // the scenario: a write 100 ms after the failure
				b := filepath.Join(f.dir, "b.go")
				writeFile(t, b, "package a")
				f.expect("change after the failure", 15*time.Second, b)
				if f.onWatchman() {
					t.Fatal("still on watchman after the daemon was lost")
				}
				if n := strings.Count(f.logs.String(), "msg=fallback"); n != 1 {
					t.Fatalf("%d fallback events, want 1:\n%s", n, f.logs)
				}
			})
		}
	}
}

func TestWatcherSwitchAloneDeliversNothing(t *testing.T) {
	for _, tm := range switchTimers {
		for _, repo := range []bool{false, true} {
			if repo && tm.name != "fixture" {
				continue // the timers change nothing of where cookies go
			}
			// In a repository the daemon's cookie files go to .git, which
			// deepens the fallback's baseline (see fallbackBaseline).
			t.Run(tm.name+"/"+map[bool]string{false: "plain", true: "git"}[repo], func(t *testing.T) {
				t.Parallel()
				testSwitchAloneDeliversNothing(t, tm, repo)
			})
		}
	}
}

func testSwitchAloneDeliversNothing(t *testing.T, tm timers, repo bool) {
	cfg := tm.config()
	cfg.tree = func(dir string) {
		if repo {
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := newSwitchFixtureFrom(t, ReloaderAuto, cfg)
	// No file changes for 2 s before the failure, as the issue states.
	time.Sleep(2 * time.Second)
	f.daemon.Kill()
	// Long enough for the first scans and a few re-checks.
	window := max(time.Second, 2*tm.period())
	f.expectNothing("the fallback by itself", window)
	if !strings.Contains(f.logs.String(), "msg=fallback") {
		t.Fatalf("no fallback was logged:\n%s", f.logs)
	}
	f.daemon.Restart()
	f.expectNothing("the switch back by itself", window)
	for deadline := time.Now().Add(10 * time.Second); !f.onWatchman(); {
		if time.Now().After(deadline) {
			t.Fatalf("not back on watchman:\n%s", f.logs)
		}
		f.expectNothing("the switch back by itself", 100*time.Millisecond)
	}
}

func TestWatcherReturnsToWatchman(t *testing.T) {
	for _, tm := range switchTimers {
		t.Run(tm.name, func(t *testing.T) {
			t.Parallel()
			testReturnsToWatchman(t, tm)
		})
	}
}

func testReturnsToWatchman(t *testing.T, tm timers) {
	f := newSwitchFixtureFrom(t, ReloaderAuto, tm.config())
	f.daemon.Kill()
	f.expectNothing("fallback", time.Second)
	if f.onWatchman() {
		t.Fatal("still on watchman")
	}
	f.daemon.Restart()
	// A change made while the watcher switches back must come once: the final
	// scan and the new subscription may both see it.
	deadline := time.Now().Add(max(tm.retry, 300*time.Millisecond) + 5*time.Second)
	c := filepath.Join(f.dir, "c.go")
	writeFile(t, c, "package a")
	f.expect("change during the switch back", 5*time.Second, c)
	f.expectNothing("a second delivery of the same change", max(time.Second, 2*tm.period()))
	for !f.onWatchman() {
		if time.Now().After(deadline) {
			t.Fatalf("not back on watchman within retry + 5 s:\n%s", f.logs)
		}
		f.next(100 * time.Millisecond)
	}
	d := filepath.Join(f.dir, "d.go")
	writeFile(t, d, "package a")
	f.expect("change under watchman again", 5*time.Second, d)
}

func TestWatcherFlappingLeaksNothing(t *testing.T) {
	f := newSwitchFixture(t, ReloaderAuto)
	baseGoroutines := runtime.NumGoroutine()
	for i := range 5 {
		f.daemon.Kill()
		p := filepath.Join(f.dir, "down.go")
		writeFile(t, p, strings.Repeat("x", i+1))
		f.expect("change while down", 10*time.Second, p)
		f.daemon.Restart()
		for start := time.Now(); !f.onWatchman(); {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("cycle %d: not back on watchman:\n%s", i, f.logs)
			}
			f.next(100 * time.Millisecond)
		}
		p = filepath.Join(f.dir, "up.go")
		writeFile(t, p, strings.Repeat("y", i+1))
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
	logs := &syncBuffer{}
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
