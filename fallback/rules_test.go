package fallback

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// An ignore-file edit that the poller reads first, as it stands in for
// Watchman, still reaches the subscription that replaces it: a directory
// the edit un-ignores is watched under Watchman too. The subscription
// here is made with the old rules (no one has read the edit yet), and the
// poller's final scan is the first to read it.
func TestWatcherSwitchBackFollowsIgnoreFileEdit(t *testing.T) {
	t.Parallel()
	gitignore := ""
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{
		tree: func(dir string) {
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			gitignore = filepath.Join(dir, ".gitignore")
			testkit.Write(t, gitignore, "/build/\n")
			if err := os.Mkdir(filepath.Join(dir, "build"), 0o755); err != nil {
				t.Fatal(err)
			}
			testkit.Write(t, filepath.Join(dir, "build", "old.go"), "package build")
		},
		// The poller scans once after the fallback, then only for the
		// switch back: the edit below is read first by that final scan.
		pollInterval: time.Hour,
	})
	if !f.onWatchman() {
		t.Fatalf("not on watchman at start:\n%s", f.logs)
	}
	f.daemon.Kill()
	for f.onWatchman() {
		f.expectNothing("the fallback", 100*time.Millisecond)
	}
	f.expectNothing("the poller's first scan", 200*time.Millisecond)

	testkit.Write(t, gitignore, "# build/ is watched now\n")
	f.daemon.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for !f.onWatchman() {
		if time.Now().After(deadline) {
			t.Fatalf("not back on watchman within 15 s:\n%s", f.logs)
		}
		// The final scan reports the edited .gitignore (the spec selects
		// every file), and nothing else: build/old.go is older than the
		// edit.
		if b, err := f.next(100 * time.Millisecond); err == nil {
			if got := pathsOf(b); !slices.Equal(got, []string{gitignore}) {
				t.Fatalf("batch %q while switching back, want only %s\n%s", got, gitignore, f.logs)
			}
		}
	}
	added := filepath.Join(f.dir, "build", "new.go")
	testkit.Write(t, added, "package build")
	f.expect("a file written in the directory the edit un-ignored", 10*time.Second, added)
}
