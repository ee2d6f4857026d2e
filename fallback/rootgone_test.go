package fallback

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
			writeFile(t, b, "package a")
			f.expect("a file of the root re-created", 10*time.Second, b)
			f.awaitWatchman(10 * time.Second)
			c := filepath.Join(f.dir, "c.go")
			writeFile(t, c, "package a")
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
