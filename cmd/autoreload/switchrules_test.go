package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestSwitchBackFollowsIgnoreFileEdit: a .gitignore edit that un-ignores a
// directory while autoreload is on the poller, read first by the poller's
// last scan before the switch back to Watchman, still reaches the new
// subscription: a file written in that directory afterwards restarts
// COMMAND. A long --poll-interval makes that last scan the first reader:
// after the fallback's first scan the poller waits, and the edit is made
// once a failed re-check shows that scan done.
func TestSwitchBackFollowsIgnoreFileEdit(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{".git", "build"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitignore := filepath.Join(dir, ".gitignore")
	testkit.Write(t, gitignore, "/build/\n")
	testkit.Write(t, filepath.Join(dir, "build", "old.go"), "package build\n")
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	watchmantest.AgeFiles(t, spec.FileTime)
	s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock},
		"--reloader=auto", "--watchman-timeout=1s", "--watchman-retry=500ms", "--poll-interval=1h", "-v",
		"--", helper, "env", filepath.Join(t.TempDir(), "env"))
	s.ready()

	d.Kill()
	s.await("fallback", nil, "started", "changed")
	s.await("watchman still unavailable", nil, "started", "changed")
	replaceFile(t, gitignore, "# build/ is watched now\n")
	d.Restart()
	// The last scan reports the edited .gitignore (every file is watched):
	// one restart for it, before or after the switch back.
	var back, started bool
	for !back || !started {
		e := s.next("watching watchman and a restart for .gitignore")
		switch e.msg() {
		case "watching":
			back = back || e["reloader"] == "watchman"
		case "changed":
			if !slices.Equal(e.paths(), []string{gitignore}) {
				t.Fatalf("changed %v while switching back, want only %s; log:\n%s", e.paths(), gitignore, s.logText())
			}
		case "started":
			started = true
		}
	}
	restartedBy(s, filepath.Join(dir, "build", "new.go"), "package build\n")
	s.stop()
}
