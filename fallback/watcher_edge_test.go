package fallback

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// Next after Close returns ErrClosed: the backends are gone by then, and
// nothing may be touched.
func TestWatcherNextAfterClose(t *testing.T) {
	dir := t.TempDir()
	spec, err := spec.New(spec.Options{Watch: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 { // the panic depended on a goroutine's timing
		w, err := New(context.Background(), spec, Options{Reloader: ReloaderStat, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = w.Next(ctx)
		cancel()
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	}
}

// A file root (--watch main.go) deleted or renamed away while the daemon is
// down has no directory of its own to show it: the fallback still reports
// it, whether it went before the fallback was noticed (hung daemon) or just
// after (killed daemon); an untouched file root reports nothing.
func TestWatcherFileRootDuringTheGap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lose   func(*watchmantest.Daemon)
		change func(t *testing.T, path string)
		want   bool
	}{
		{"deleted after SIGKILL", (*watchmantest.Daemon).Kill, remove, true},
		{"deleted while hung", (*watchmantest.Daemon).Freeze, remove, true},
		{"renamed away while hung", (*watchmantest.Daemon).Freeze, func(t *testing.T, p string) {
			if err := os.Rename(p, p+".bak"); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"untouched", (*watchmantest.Daemon).Kill, func(*testing.T, string) {}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixtureWith(t, ReloaderAuto, func(dir string) []string {
				return []string{filepath.Join(dir, "a.go")}
			})
			if !f.onWatchman() {
				t.Fatalf("not on watchman at start:\n%s", f.logs)
			}
			a := filepath.Join(f.dir, "a.go")
			tc.lose(f.daemon)
			if strings.Contains(tc.name, "hung") {
				t.Cleanup(f.daemon.Thaw)
			}
			tc.change(t, a)
			if !tc.want {
				f.expectNothing("an untouched file root", 2*time.Second)
				return
			}
			f.expect("the file root gone while the daemon was down", 15*time.Second, a)
			f.expectNothing("a second report of it", time.Second)

			// Watchman takes the file root back although it is gone: its
			// re-creation is the next change.
			if strings.Contains(tc.name, "hung") {
				f.daemon.Thaw()
			} else {
				f.daemon.Restart()
			}
			f.awaitWatchman(15 * time.Second)
			testkit.Write(t, a, "package a // again")
			f.expect("the file root re-created under watchman", 10*time.Second, a)
		})
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// awaitWatchman pulls batches (there should be none) until the watcher is
// back on Watchman.
func (f *switchFixture) awaitWatchman(within time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for !f.onWatchman() {
		if time.Now().After(deadline) {
			f.t.Fatalf("not back on watchman within %s:\n%s", within, f.logs)
		}
		if b, err := f.next(100 * time.Millisecond); err == nil {
			f.t.Fatalf("unexpected batch while switching back: %+v\n%s", b, f.logs)
		}
	}
}

// A change that Watchman holds back (a VCS lock with defer_vcs, or a defer
// state such as hg.update) is not lost when the daemon dies before it lets
// go, however long the daemon stayed healthy meanwhile: the fallback's time
// baseline goes back past it.
func TestWatcherDeferredChangeSurvivesFallback(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold func(f *switchFixture) (release func())
	}{
		{"git index.lock", func(f *switchFixture) func() {
			lock := filepath.Join(f.dir, ".git", "index.lock")
			testkit.Write(f.t, lock, "")
			return func() { remove(f.t, lock) }
		}},
		{"state hg.update", func(f *switchFixture) func() {
			c := f.daemon.Dial()
			if _, err := c.Command("state-enter", f.dir, "hg.update"); err != nil {
				f.t.Fatal(err)
			}
			return func() {} // the daemon dies with the state asserted
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSwitchFixtureWith(t, ReloaderAuto, func(dir string) []string {
				if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
					t.Fatal(err)
				}
				return []string{dir}
			})
			release := tc.hold(f)
			b := filepath.Join(f.dir, "b.go")
			testkit.Write(t, b, "package a")
			written := time.Now()
			// The daemon holds the change back and stays healthy well past
			// the fallback's margin.
			for time.Since(written) < healthyMargin+time.Second {
				f.expectNothing("a held-back change", 200*time.Millisecond)
			}
			f.daemon.Kill()
			release()
			f.expect("the held-back change after the fallback", 15*time.Second, b)
		})
	}
}

// The daemon's recrawl warning repeats on every notification and on the
// subscribe reply, with a growing count: it is logged once per watch, also
// across the re-subscriptions of a fallback and a return.
func TestWatcherRecrawlWarningOnceAcrossSwitches(t *testing.T) {
	t.Parallel()
	f := newSwitchFixture(t, ReloaderAuto)
	f.daemon.MustCommand("debug-recrawl", f.dir)
	a := filepath.Join(f.dir, "a.go")
	testkit.Write(t, a, "package a // 1")
	f.expect("a change after the recrawl", 10*time.Second, a)

	f.daemon.Freeze()
	t.Cleanup(f.daemon.Thaw)
	for f.onWatchman() {
		f.expectNothing("the fallback", 200*time.Millisecond)
	}
	f.daemon.Thaw() // the same daemon, its watch and its recrawl count
	f.awaitWatchman(15 * time.Second)
	testkit.Write(t, a, "package a // 2")
	f.expect("a change back on watchman", 10*time.Second, a)
	if n := strings.Count(f.logs.String(), "Recrawled this watch"); n != 1 {
		t.Fatalf("the recrawl warning was logged %d times, want once:\n%s", n, f.logs)
	}
}

// A Next cancelled during the final scan keeps the new subscription: the
// next call finishes the switch with it, instead of subscribing again (a
// caller whose deadlines are shorter than a scan would otherwise never get
// back to Watchman, and churn subscriptions).
func TestWatcherSwitchBackSurvivesCancelledFinalScan(t *testing.T) {
	t.Parallel()
	f := newSwitchFixture(t, ReloaderAuto)
	f.daemon.Kill()
	for f.onWatchman() {
		f.expectNothing("the fallback", 100*time.Millisecond)
	}
	f.expectNothing("the poller's first scan", 200*time.Millisecond)
	// Every final scan is cancelled as soon as it starts.
	var cancel context.CancelFunc
	final := &cancelling{scanner: f.w.poller, cancel: &cancel}
	f.w.poller = final
	f.daemon.Restart()
	deadline := time.Now().Add(15 * time.Second)
	// An attempt made while the daemon was still down fails; the recheck
	// tries again later. Wait for one that reached the new daemon, and a
	// final scan cancelled after it.
	for f.w.recheck == nil || f.w.recheck.found.Err() == nil || final.scans == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no re-subscription kept after a cancelled final scan:\n%s", f.logs)
		}
		var ctx context.Context
		ctx, cancel = context.WithTimeout(f.ctx, 100*time.Millisecond)
		f.w.Next(ctx)
		cancel()
	}
	sub := f.w.recheck.sub
	f.w.poller = final.scanner
	f.awaitWatchman(5 * time.Second)
	if f.w.sub != sub {
		t.Fatal("the switch back subscribed again instead of using the subscription it had")
	}
	c := filepath.Join(f.dir, "c.go")
	testkit.Write(t, c, "package a")
	f.expect("a change back on watchman", 10*time.Second, c)
}

// cancelling is a poller whose final scans (Scan) are cancelled as they
// start, by cancelling the caller's context. Only the goroutine calling
// Watcher.Next touches it.
type cancelling struct {
	scanner
	cancel *context.CancelFunc
	scans  int // final scans cancelled
}

func (c *cancelling) Scan(ctx context.Context) (spec.Batch, error) {
	c.scans++
	(*c.cancel)()
	return c.scanner.Scan(ctx)
}
