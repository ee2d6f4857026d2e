package fallback

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestWatcherEventsWhileWatchmanIsDown: after a fallback, kernel events
// take over from the gap scan (a change comes long before the poll
// interval), and going back to Watchman releases every watch, however
// often it flaps.
func TestWatcherEventsWhileWatchmanIsDown(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("kernel events: Linux only")
	}
	base := testkit.InotifyFDs(t, os.Getpid())
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{pollInterval: time.Hour})
	baseGoroutines := runtime.NumGoroutine()
	for i := range 5 {
		f.daemon.Kill()
		p := filepath.Join(f.dir, "sub", "down.go")
		os.MkdirAll(filepath.Dir(p), 0o755)
		testkit.Write(t, p, strings.Repeat("x", i+1))
		// The gap scan sees it (or an event does): an hour's interval
		// cannot.
		f.expect("change while down", 10*time.Second, p)
		if n := testkit.InotifyFDs(t, os.Getpid()); n != base+1 {
			t.Fatalf("cycle %d: %d inotify instances on the poller, want %d", i, n, base+1)
		}
		q := filepath.Join(f.dir, "sub", "events.go")
		testkit.Write(t, q, strings.Repeat("e", i+1))
		f.expect("change seen by a kernel event", 5*time.Second, q)

		f.daemon.Restart()
		f.awaitWatchman(10 * time.Second)
		if n := testkit.InotifyFDs(t, os.Getpid()); n != base {
			t.Fatalf("cycle %d: %d inotify instances back on Watchman, want %d", i, n, base)
		}
		up := filepath.Join(f.dir, "up.go")
		testkit.Write(t, up, strings.Repeat("y", i+1))
		f.expect("change while up", 10*time.Second, up)
	}
	var n int
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= baseGoroutines+1 {
			return
		}
	}
	t.Fatalf("goroutines grew from %d to %d over 5 cycles", baseGoroutines, n)
}
