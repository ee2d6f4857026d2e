package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestFilesWrittenBeforeStartNeverRestart: a tree written just before
// autoreload is launched (make gen && autoreload ...) never restarts
// COMMAND, and a change made 0-50 ms after COMMAND started restarts it
// exactly once, on both backends, launch after launch: the time baseline
// separates the two exactly, on the root's own file clock.
func TestFilesWrittenBeforeStartNeverRestart(t *testing.T) {
	t.Parallel()
	const files = 100
	launches := 20
	if raceEnabled {
		launches = 10 // each launch of a race-enabled binary takes a second
	}
	for _, name := range []string{"stat", "watchman"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			args, env, _ := reloader(t, name)
			base := t.TempDir()
			var dir string
			for i := range launches {
				// A new tree, or the last one written again: Watchman
				// then still watches it and sees the writes.
				if i%4 < 2 {
					dir = filepath.Join(base, fmt.Sprint(i))
					if err := os.Mkdir(dir, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				for f := range files {
					testkit.Write(t, filepath.Join(dir, fmt.Sprintf("gen%03d.go", f)), "package gen\n")
				}
				s := startAutoreloadEnv(t, dir, env, append(args, "--", "sleep", "1000")...)
				launch(t, s, dir, i)
				s.stop()
			}
		})
	}
}

// reloader returns autoreload's arguments and environment for one backend:
// "stat", "stat-no-events" (scans only), or "watchman" on a private
// daemon, which it returns too.
func reloader(t *testing.T, name string) (args, env []string, d *watchmantest.Daemon) {
	t.Helper()
	switch name {
	case "stat":
		return []string{"--reloader=stat"}, nil, nil
	case "stat-no-events":
		return []string{"--reloader=stat", "--no-events"}, nil, nil
	case "watchman":
		d = watchmantest.Start(t)
		return []string{"--reloader=watchman"}, []string{"WATCHMAN_SOCK=" + d.Sock}, d
	}
	t.Fatalf("no backend %q", name)
	return nil, nil, nil
}

// launch follows one launch: COMMAND starts once; a change 0-50 ms later
// (to a file of the generated tree on even launches, a new file on odd
// ones) restarts it once, naming only that file; so does a second change,
// which shows that nothing else was pending.
func launch(t *testing.T, s *session, dir string, i int) {
	t.Helper()
	s.await("started", nil, "changed")
	time.Sleep(time.Duration(rand.IntN(51)) * time.Millisecond) // the scenario, not a wait
	first := filepath.Join(dir, "gen007.go")
	if i%2 == 1 {
		first = filepath.Join(dir, fmt.Sprintf("new%d.go", i))
	}
	replaceFile(t, first, "package gen // edited\n")
	only := func(path string) func(event) bool {
		return func(e event) bool {
			if !slices.Equal(e.paths(), []string{path}) {
				t.Fatalf("launch %d: changed %v, want only %s; log:\n%s", i, e.paths(), path, s.logText())
			}
			return true
		}
	}
	s.await("changed", only(first), "started")
	s.await("started", nil, "changed")
	second := filepath.Join(dir, fmt.Sprintf("second%d.go", i))
	replaceFile(t, second, "package gen\n")
	s.await("changed", only(second), "started")
	s.await("started", nil, "changed")
}
