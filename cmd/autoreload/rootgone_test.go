package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// A watched root deleted and re-created under Watchman (issue 19): ten times
// at once (the daemon's cancel then finds a directory at the root's path
// again), and, for a --watch root below a parent holding .watchmanconfig
// (one watch, on the parent, which cancels nothing), three times 1.5 s
// apart with --watchman-retry=200ms, so that several re-checks find it
// missing. Each time: "root deleted" naming the root, a restart naming it,
// one for the file written into the new root, and back on Watchman; never
// "fallback" nor "failed", with either reloader.
func TestRootRecreatedRestartsWithoutFallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nested bool
		gap    time.Duration
		cycles int
	}{
		{"at once", false, 0, 10},
		{"nested 1.5s apart", true, 1500 * time.Millisecond, 3},
	} {
		for _, reloader := range []string{"auto", "watchman"} {
			t.Run(tc.name+"/"+reloader, func(t *testing.T) {
				t.Parallel()
				d := watchmantest.Start(t)
				dir := t.TempDir()
				testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
				if tc.nested {
					testkit.Write(t, filepath.Join(dir, ".watchmanconfig"), "{}")
				}
				root := filepath.Join(dir, "src")
				if err := os.Mkdir(root, 0o755); err != nil {
					t.Fatal(err)
				}
				testkit.Write(t, filepath.Join(root, "a.go"), "package src\n")
				watchmantest.AgeFiles(t, spec.FileTime)
				s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock}, "--reloader="+reloader,
					"--watchman-timeout=1s", "--watchman-retry=200ms", "--watch", root, "--", helper, "env", filepath.Join(t.TempDir(), "env"))
				if w, _ := s.readyEvents(); w["reloader"] != "watchman" {
					t.Fatalf("watching %v, want watchman; log:\n%s", w, s.logText())
				}
				for i := range tc.cycles {
					what := fmt.Sprintf("cycle %d", i)
					if err := os.RemoveAll(root); err != nil {
						t.Fatal(err)
					}
					if tc.gap > 0 {
						awaitRootDeleted(s, what, root)
						time.Sleep(tc.gap) // the scenario: the root is back 1.5 s later
					}
					if err := os.Mkdir(root, 0o755); err != nil {
						t.Fatal(err)
					}
					file := filepath.Join(root, fmt.Sprintf("c%d.go", i))
					testkit.Write(t, file, "package src\n")
					if tc.gap == 0 {
						awaitRootDeleted(s, what, root)
					}
					awaitBackWith(s, what, file)
				}
				// Not restartedBy: the last cycle's file may still restart
				// COMMAND once more (see awaitBackWith).
				last := filepath.Join(root, "last.go")
				replaceFile(t, last, "package src\n")
				s.await("changed", func(e event) bool { return slices.Contains(e.paths(), last) }, "fallback", "failed")
				s.await("started", nil)
				s.stop()
			})
		}
	}
}

// awaitRootDeleted waits for "root deleted" naming root and the restart
// naming it.
func awaitRootDeleted(s *session, what, root string) {
	s.t.Helper()
	e := s.await("root deleted", nil, "fallback", "failed")
	if roots, _ := e["roots"].([]any); !slices.Contains(roots, any(root)) {
		s.t.Fatalf("%s: %v, want the root %s; log:\n%s", what, e, root, s.logText())
	}
	changed := s.await("changed", nil, "fallback", "failed", "watching")
	if !slices.Contains(changed.paths(), root) {
		s.t.Fatalf("%s: changed %v, want the root %s; log:\n%s", what, changed.paths(), root, s.logText())
	}
}

// awaitBackWith waits, once the root is back, for a restart naming file and
// for Watchman watching again, in either order (the switch back and the
// restart run side by side), then for that restart's start.
//
// The file's change may reach the supervisor just after the restart for
// the root took the pending changes (the two come from different batches
// a few milliseconds apart): it is then owed a restart of its own, which
// may come after this returns, without a "changed" line of its own, and
// 150-225 ms late: the file was modified within the start's 20 ms of slop,
// so the restart-loop rule takes it for the new COMMAND's write and probes.
func awaitBackWith(s *session, what, file string) {
	s.t.Helper()
	var watching, changed, started bool
	for !watching || !started {
		e := s.next(what + ": a restart for " + file + ", and watching watchman")
		switch e.msg() {
		case "fallback", "failed", "root deleted":
			s.t.Fatalf("%s: unexpected %v; log:\n%s", what, e, s.logText())
		case "changed":
			changed = changed || slices.Contains(e.paths(), file)
			started = false
		case "started":
			started = changed
		case "watching":
			if e["reloader"] != "watchman" {
				s.t.Fatalf("%s: unexpected %v; log:\n%s", what, e, s.logText())
			}
			watching = true
		}
	}
}
