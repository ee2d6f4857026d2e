package fallback

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// An EdenFS checkout (a fake one: a .eden/root link) with Watchman down at
// start: the poller lists no directory of it, watches only the files of
// the bounded list, the user is told once why, and when a daemon starts
// the watcher goes back to it with one unknown batch, and Watchman
// watches every change again.
func TestWatcherEdenWithoutWatchmanCrawlsNothing(t *testing.T) {
	for _, lost := range []string{"at start", "at runtime"} {
		t.Run(lost, func(t *testing.T) { testEdenWithoutWatchman(t, lost == "at start") })
	}
}

func testEdenWithoutWatchman(t *testing.T, downAtStart bool) {
	var used, other string
	cfg := fixtureConfig{
		tree: func(dir string) {
			if err := mounts.FakeEdenCheckout(dir); err != nil {
				t.Fatal(err)
			}
			used, other = filepath.Join(dir, "lib", "used.go"), filepath.Join(dir, "lib", "other.go")
			if err := os.Mkdir(filepath.Dir(used), 0o755); err != nil {
				t.Fatal(err)
			}
			testkit.Write(t, used, "package lib")
			testkit.Write(t, other, "package lib")
		},
		options: func(o *Options) {
			o.Bounded = func() []string { return []string{used} }
		},
	}
	if downAtStart {
		// The socket is there, nothing answers.
		cfg.sock = func(d *watchmantest.Daemon) string { d.Kill(); return d.Sock }
	}
	f := newSwitchFixtureFrom(t, ReloaderAuto, cfg)
	if !downAtStart {
		if !f.onWatchman() {
			t.Fatalf("on the poller, want Watchman:\n%s", f.logs)
		}
		f.daemon.Kill()
		f.expectNothing("the loss of Watchman", 2*time.Second)
	}
	if f.onWatchman() {
		t.Fatalf("on Watchman, want the poller:\n%s", f.logs)
	}
	edenLines := func() int { return strings.Count(f.logs.String(), `msg="eden checkout"`) }
	if n := edenLines(); n != 1 {
		t.Fatalf("%d eden checkout lines, want 1:\n%s", n, f.logs)
	}
	if !strings.Contains(f.logs.String(), "Watchman is required; start it with watchman watch-project "+f.dir+" or run eden doctor") {
		t.Errorf("no hint naming the root:\n%s", f.logs)
	}

	testkit.Write(t, other, "package lib // not in the list")
	testkit.Write(t, used, "package lib // in the list")
	f.expect("the listed file, alone", 10*time.Second, used)
	// Several poll intervals and Watchman re-checks.
	f.expectNothing("a file outside the list", time.Second)
	if st := f.w.poller.Stats(); st.Listed != 0 {
		t.Fatalf("the poller listed %d directories of the checkout: a crawl", st.Listed)
	}
	if n := edenLines(); n != 1 {
		t.Errorf("%d eden checkout lines after the re-checks, want 1:\n%s", n, f.logs)
	}

	f.daemon.Restart()
	b, err := f.next(30 * time.Second)
	if err != nil || !b.Unknown {
		t.Fatalf("back on Watchman: batch %+v, %v; want an unknown one:\n%s", b, err, f.logs)
	}
	if !f.onWatchman() {
		t.Fatalf("not on Watchman after the unknown batch:\n%s", f.logs)
	}
	testkit.Write(t, other, "package lib // watched again")
	f.expect("Watchman watches the whole checkout again", 10*time.Second, other)
}

// With no socket found at start (no watchman in PATH, no WATCHMAN_SOCK),
// the watcher on an Eden checkout still tries Watchman again, looking for
// its socket each time: the user was told to start it.
func TestWatcherEdenLooksForWatchmanAgain(t *testing.T) {
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{
		tree: func(dir string) {
			if err := mounts.FakeEdenCheckout(dir); err != nil {
				t.Fatal(err)
			}
		},
		sock: func(*watchmantest.Daemon) string {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("WATCHMAN_SOCK", "")
			return ""
		},
	})
	if f.onWatchman() || !strings.Contains(f.logs.String(), "binary missing") {
		t.Fatalf("want the poller, Watchman's binary missing:\n%s", f.logs)
	}
	f.expectNothing("Watchman still missing", time.Second)
	t.Setenv("WATCHMAN_SOCK", f.daemon.Sock)
	b, err := f.next(30 * time.Second)
	if err != nil || !b.Unknown || !f.onWatchman() {
		t.Fatalf("batch %+v, %v, on Watchman %v; want an unknown batch from Watchman:\n%s", b, err, f.onWatchman(), f.logs)
	}
	// Watchman watches: a write to a file nobody listed is seen.
	p := filepath.Join(f.dir, "new.go")
	testkit.Write(t, p, "package a")
	f.expect("a new file, through Watchman", 10*time.Second, p)
}
