package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestStatStartupChangesBeforeBaseline: with the stat poller, a change
// made after COMMAND started but before the poller's first scan (its
// baseline) listed the directory restarts COMMAND exactly once. COMMAND
// makes the change itself as it starts, so it always comes after the time
// baseline, and the tree is large enough that the baseline's scan lists
// the directory only later, in most launches. A deletion leaves nothing
// for that scan to see but its directory's mtime: the restart names the
// file when the baseline listed it first, its directory otherwise. A new
// file names itself only, not its directory as well.
func TestStatStartupChangesBeforeBaseline(t *testing.T) {
	t.Parallel()
	const dirs, files = 100, 200
	launches := 6
	if raceEnabled {
		launches = 4
	}
	// One tree for all launches; the poller's workers take the last
	// directories listed first, so pkg000 comes late in the baseline.
	dir := t.TempDir()
	for d := range dirs {
		pkg := filepath.Join(dir, fmt.Sprintf("pkg%03d", d))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range files {
			testkit.Write(t, filepath.Join(pkg, fmt.Sprintf("f%03d.go", f)), "package pkg\n")
		}
	}
	sub := filepath.Join(dir, "pkg000")
	victim := filepath.Join(sub, "f005.go")
	created := filepath.Join(sub, "new.go")
	for i := range launches {
		// Before the launch, never a change: the victim back, the new file
		// and the last launch's gone.
		testkit.Write(t, victim, "package pkg\n")
		next := filepath.Join(dir, "pkg003", fmt.Sprintf("next%d.go", i))
		if err := os.Remove(created); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		// Each only on the first start: the file is gone, or there.
		script := "rm -f pkg000/f005.go; exec sleep 1000"
		want := [][]string{{victim}, {sub}}
		if i%2 == 1 {
			script = "[ -e pkg000/new.go ] || : >pkg000/new.go; exec sleep 1000"
			want = [][]string{{created}}
		}
		s := startAutoreload(t, dir, "--", "sh", "-c", script)
		s.await("started", nil, "changed")
		e := s.await("changed", nil, "started")
		if !slices.ContainsFunc(want, func(w []string) bool { return slices.Equal(e.paths(), w) }) {
			t.Fatalf("launch %d: changed %v, want one of %v; log:\n%s", i, e.paths(), want, s.logText())
		}
		t.Logf("launch %d: changed %v", i, e.paths())
		s.await("started", nil, "changed")
		// Nothing else was pending: the next change is alone.
		replaceFile(t, next, "package pkg\n")
		e = s.await("changed", nil, "started")
		if !slices.Equal(e.paths(), []string{next}) {
			t.Fatalf("launch %d: changed %v, want only %s; log:\n%s", i, e.paths(), next, s.logText())
		}
		s.await("started", nil, "changed")
		s.stop()
	}
}

// TestDeletedBeforeStartNeverRestarts: files deleted in the second before
// the launch (go build -o bin/server . ; sleep 1; rm -rf bin; autoreload
// -- ...) restart nothing, on both backends, launch after launch: the
// start-up baseline covers deletions as it covers writes. With Watchman
// the daemon already watches the tree (an earlier autoreload did), so it
// has seen bin/server come and go; the directory that held it is gone
// with it. Half the launches delete a file whose directory stays. A
// change after the start restarts COMMAND once, naming only that file.
func TestDeletedBeforeStartNeverRestarts(t *testing.T) {
	t.Parallel()
	launches := 6
	if raceEnabled {
		launches = 4
	}
	for _, name := range []string{"stat", "watchman"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
			args, env, d := reloader(t, name)
			if d != nil {
				d.MustCommand("watch-project", dir)
			}
			for i := range launches {
				// The build's output, a second before its deletion on the
				// first two launches (the reported case), at once after.
				bin := filepath.Join(dir, "bin")
				must(t, os.MkdirAll(bin, 0o755))
				testkit.Write(t, filepath.Join(bin, "server"), "binary")
				testkit.Write(t, filepath.Join(dir, "stale.go"), "package main\n")
				if i < 2 {
					time.Sleep(time.Second) // the scenario, not a wait
				}
				must(t, os.RemoveAll(bin))
				if i%2 == 1 {
					must(t, os.Remove(filepath.Join(dir, "stale.go")))
				}
				s := startAutoreloadEnv(t, dir, env, append(args, "--", "sleep", "1000")...)
				s.ready()
				quiet(s, fmt.Sprintf("launch %d after rm -rf bin", i), 1500*time.Millisecond)
				edited := filepath.Join(dir, fmt.Sprintf("edit%d.go", i))
				replaceFile(t, edited, "package main\n")
				e := s.await("changed", nil, "started")
				if !slices.Equal(e.paths(), []string{edited}) {
					t.Fatalf("launch %d: changed %v, want only %s; log:\n%s", i, e.paths(), edited, s.logText())
				}
				s.await("started", nil, "changed")
				s.stop()
			}
		})
	}
}
