package fallback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// Deleting the watched root under Watchman is a change, not a loss of
// Watchman: the batch names the root, the log says what happened and never
// "fallback", the watcher waits for the root to come back, reports what it
// brings, and is back on Watchman then. With ReloaderWatchman it does not
// fail either.
func TestWatcherRootDeletedIsAChangeNotAFallback(t *testing.T) {
	for _, reloader := range []Reloader{ReloaderAuto, ReloaderWatchman} {
		t.Run(string(reloader), func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixture(t, reloader)
			if !f.onWatchman() {
				t.Fatalf("not on watchman at start:\n%s", f.logs)
			}
			if err := os.RemoveAll(f.dir); err != nil {
				t.Fatal(err)
			}
			f.expect("the root deleted", 10*time.Second, f.dir)
			f.expectNothing("anything more while the root is gone", time.Second)

			if err := os.Mkdir(f.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			b := filepath.Join(f.dir, "b.go")
			testkit.Write(t, b, "package a")
			f.expect("a file of the root re-created", 10*time.Second, b)
			f.awaitWatchman(10 * time.Second)
			c := filepath.Join(f.dir, "c.go")
			testkit.Write(t, c, "package a")
			f.expect("a change back on watchman", 10*time.Second, c)

			logs := f.logs.String()
			if !strings.Contains(logs, "root deleted") {
				t.Errorf("the deletion is not logged:\n%s", logs)
			}
			if strings.Contains(logs, "msg=fallback") || strings.Contains(logs, "unavailable") {
				t.Errorf("a deleted root is logged as a watchman failure:\n%s", logs)
			}
		})
	}
}

// A watched root deleted and re-created at once (a `git clean -fdx` of the
// checkout, a tool that replaces a directory) is still a deleted root, not a
// loss of Watchman: the daemon cancels the subscription when the old
// directory goes, and the watcher must not mistake the new directory for a
// watch removed with its root still there. Ten cycles, as the torture run
// that found it (about once in ten): never "fallback", a "root deleted" for
// each, naming the root, a batch naming it (a restart), and the file written
// into the new root is delivered every time.
func TestWatcherRootRecreatedAtOnceIsNoFallback(t *testing.T) {
	for _, reloader := range []Reloader{ReloaderAuto, ReloaderWatchman} {
		t.Run(string(reloader), func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixture(t, reloader)
			const cycles = 10
			for i := range cycles {
				f.awaitWatchmanDraining(fmt.Sprintf("cycle %d", i), 20*time.Second)
				if err := os.RemoveAll(f.dir); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(f.dir, 0o755); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(f.dir, fmt.Sprintf("c%d.go", i))
				testkit.Write(t, p, "package a")
				f.expectAll(fmt.Sprintf("cycle %d: the root, and the file in the new one", i), 20*time.Second, f.dir, p)
				logs := f.logs.String()
				if strings.Contains(logs, "msg=fallback") {
					t.Fatalf("cycle %d: a root re-created at once was logged as a fallback:\n%s", i, logs)
				}
				if n := strings.Count(logs, `msg="root deleted" roots=[`+f.dir+`]`); n != i+1 {
					t.Fatalf("cycle %d: %d root deletions naming the root logged, want %d:\n%s", i, n, i+1, logs)
				}
			}
		})
	}
}

// awaitWatchmanDraining waits until the watcher is on Watchman, taking the
// batches that come meanwhile (a switch-back's final scan may still bring
// what the last step did).
func (f *switchFixture) awaitWatchmanDraining(what string, within time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for !f.onWatchman() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not on watchman within %s:\n%s", what, within, f.logs)
		}
		if _, err := f.next(100 * time.Millisecond); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			f.t.Fatalf("%s: %v\n%s", what, err, f.logs)
		}
	}
}

// expectAll takes batches until every one of paths has come in one of
// them, failing on an error or after within.
func (f *switchFixture) expectAll(what string, within time.Duration, paths ...string) {
	f.t.Helper()
	deadline := time.Now().Add(within)
	missing := slices.Clone(paths)
	for len(missing) > 0 {
		b, err := f.next(time.Until(deadline))
		if err != nil {
			f.t.Fatalf("%s: %q not delivered within %s: %v\nlog:\n%s", what, missing, within, err, f.logs)
		}
		missing = slices.DeleteFunc(missing, func(p string) bool { return slices.Contains(pathsOf(b), p) })
	}
}

// A root below the watch's own (watch-project resolved to a parent holding
// .watchmanconfig), deleted and re-created 1.5 s later, with re-checks
// every 300 ms meanwhile (each finds it missing), or re-created at once:
// the daemon cancels nothing then, but the watcher says "root deleted" all
// the same, names the root, waits for it on the poller, delivers what the
// new one holds and is back on Watchman; never "fallback".
func TestWatcherNestedRootRecreatedIsNoFallback(t *testing.T) {
	for _, reloader := range []Reloader{ReloaderAuto, ReloaderWatchman} {
		t.Run(string(reloader), func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixtureFrom(t, reloader, fixtureConfig{
				tree: func(dir string) {
					testkit.Write(t, filepath.Join(dir, ".watchmanconfig"), "{}")
					if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
						t.Fatal(err)
					}
					testkit.Write(t, filepath.Join(dir, "src", "a.go"), "package a")
				},
				roots: func(dir string) []string { return []string{filepath.Join(dir, "src")} },
			})
			root := filepath.Join(f.dir, "src")
			for i, gap := range []time.Duration{1500 * time.Millisecond, 0, 1500 * time.Millisecond, 0} {
				what := fmt.Sprintf("cycle %d (re-created after %s)", i, gap)
				f.awaitWatchmanDraining(what, 20*time.Second)
				if err := os.RemoveAll(root); err != nil {
					t.Fatal(err)
				}
				if gap > 0 {
					f.expectAll(what+": the root deleted", 20*time.Second, root)
					f.expectNothing(what+": anything more while the root is gone", gap)
				}
				if err := os.Mkdir(root, 0o755); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(root, fmt.Sprintf("c%d.go", i))
				testkit.Write(t, p, "package a")
				if gap > 0 {
					f.expectAll(what+": the file in the new root", 20*time.Second, p)
				} else {
					f.expectAll(what+": the root, and the file in the new one", 20*time.Second, root, p)
				}
				logs := f.logs.String()
				if strings.Contains(logs, "msg=fallback") {
					t.Fatalf("%s: logged as a fallback:\n%s", what, logs)
				}
				if n := strings.Count(logs, `msg="root deleted" roots=[`+root+`]`); n != i+1 {
					t.Fatalf("%s: %d root deletions naming the root logged, want %d:\n%s", what, n, i+1, logs)
				}
			}
			f.awaitWatchmanDraining("at the end", 20*time.Second)
		})
	}
}

// A root deleted while New subscribes (watch-project held back, as a crawl
// would) is no failure of Watchman, even with ReloaderWatchman: New returns
// on the poller, saying why, which waits for the root; its return is
// delivered, and the watcher is back on Watchman then.
func TestWatcherRootDeletedWhileSubscribingAtStart(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	hold := d.HoldCrawls(t)
	root := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	sp, err := spec.New(spec.Options{Watch: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type result struct {
		w   *Watcher
		err error
	}
	made := make(chan result, 1)
	go func() {
		w, err := New(ctx, sp, Options{Reloader: ReloaderWatchman, PollInterval: 50 * time.Millisecond,
			WatchmanTimeout: time.Second, WatchmanRetry: 300 * time.Millisecond, HealthInterval: 300 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), sock: hold.Sock})
		made <- result{w, err}
	}()
	select {
	case <-hold.Held():
	case r := <-made:
		t.Fatalf("New returned before watch-project was held: %v", r.err)
	case <-time.After(30 * time.Second):
		t.Fatal("no watch-project within 30 s")
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	hold.Release()
	r := <-made
	if r.err != nil {
		t.Fatalf("New: %v, want the poller standing in for the deleted root\n%s", r.err, logs)
	}
	f := &switchFixture{t: t, dir: root, daemon: d, logs: logs, w: r.w, ctx: ctx}
	t.Cleanup(func() { f.w.Close() })
	if f.onWatchman() || !strings.Contains(logs.String(), "reason=\"root deleted") {
		t.Fatalf("not on the poller for the deleted root:\n%s", logs)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "b.go")
	testkit.Write(t, p, "package a")
	f.expectAll("the file of the root re-created", 20*time.Second, p)
	f.awaitWatchmanDraining("the root back", 20*time.Second)
	c := filepath.Join(root, "c.go")
	testkit.Write(t, c, "package a")
	f.expectAll("a change back on watchman", 20*time.Second, c)
}
