//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// The event-driven poller end to end: the built binary with no Watchman on
// PATH (--reloader auto falls back to the poller), real files, kernel
// events. A poll interval of ten minutes where only an event can explain a
// restart within the test's bounds.

const eventsOnly = "--poll-interval=10m"

// eventsSession runs autoreload on a fresh aged tree, made by setup (which
// may return environment entries for autoreload), with no Watchman to be
// found, and waits until it watches with events.
func eventsSession(t *testing.T, setup func(dir string) []string, args ...string) (*session, string, event) {
	t.Helper()
	// Not t.TempDir(): its name holds the test's, which may say "Watchman".
	dir, err := os.MkdirTemp("", "tree")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	env := []string{"PATH=" + t.TempDir(), "WATCHMAN_SOCK="}
	if setup != nil {
		env = append(env, setup(dir)...)
	}
	watchmantest.AgeFiles(t, spec.FileTime)
	args = append([]string{"--reloader=auto"}, args...)
	s := startAutoreloadEnv(t, dir, env, append(args, "--", helper, "env", filepath.Join(t.TempDir(), "env"))...)
	w, _ := s.readyEvents()
	if w["reloader"] != "stat" || w["events"] != true {
		t.Fatalf("watching %v, want the poller with events", w)
	}
	return s, dir, w
}

// changedOnce writes with write, then expects exactly one restart, whose
// changed paths are exactly want.
func changedOnce(s *session, what string, write func(), want ...string) {
	s.t.Helper()
	write()
	e := s.await("changed", nil, "started")
	if got := e.paths(); !slices.Equal(got, want) {
		s.t.Fatalf("%s: changed %v, want %v; log:\n%s", what, got, want, s.logText())
	}
	s.await("started", nil, "changed")
}

// TestEventsRestartOncePerChange: modify, create, delete, atomic save, and
// a write into a directory created a moment before, each one restart
// naming the file, delivered by events alone.
func TestEventsRestartOncePerChange(t *testing.T) {
	t.Parallel()
	s, dir, w := eventsSession(t, func(dir string) []string {
		testkit.Write(t, filepath.Join(dir, "gone.go"), "package main\n")
		return nil
	}, eventsOnly)
	if w["watched_dirs"] != 1.0 {
		t.Errorf("watching %v, want one directory watched", w)
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	changedOnce(s, "modify", func() { testkit.Write(t, at("main.go"), "package main // modified\n") }, at("main.go"))
	changedOnce(s, "create", func() { testkit.Write(t, at("new.go"), "package main\n") }, at("new.go"))
	changedOnce(s, "delete", func() { os.Remove(at("gone.go")) }, at("gone.go"))
	changedOnce(s, "atomic save", func() { replaceFile(t, at("main.go"), "package main // saved\n") }, at("main.go"))
	changedOnce(s, "new directory", func() {
		os.Mkdir(at("pkg"), 0o755)
		testkit.Write(t, at("pkg/lib.go"), "package pkg\n") // no MkdirAll: pkg is new
	}, at("pkg/lib.go"))
	quiet(s, "after the last change", 300*time.Millisecond)
	s.stop()
}

// TestEventsNestedDirectoriesEachWritten: 40 nested directories, each
// written the moment it exists: every file named, in at most 3 restarts.
func TestEventsNestedDirectoriesEachWritten(t *testing.T) {
	t.Parallel()
	s, dir, _ := eventsSession(t, nil, eventsOnly)
	var want []string
	d := dir
	for i := range 40 {
		d = filepath.Join(d, fmt.Sprintf("n%d", i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(d, "f.go")
		testkit.Write(t, f, "package n\n")
		want = append(want, f)
	}
	named := map[string]bool{}
	restarts := 0
	for len(named) < len(want) {
		e := s.await("changed", nil)
		restarts++
		for _, p := range e.paths() {
			named[p] = true
		}
		if restarts > 3 {
			t.Fatalf("%d restarts, %d of %d files named; log:\n%s", restarts, len(named), len(want), s.logText())
		}
	}
	for _, f := range want {
		if !named[f] {
			t.Errorf("%s never named", f)
		}
	}
	s.stop()
}

// TestEventsBurstIsOneRestart: 20,000 files written in one burst, outside
// git: one restart, two at most.
func TestEventsBurstIsOneRestart(t *testing.T) {
	t.Parallel()
	s, dir, _ := eventsSession(t, nil, eventsOnly)
	const files = 20000
	// An unpack: the tree is made outside the watched one, then copied in
	// by one process, as tar or cp writes it.
	staging := filepath.Join(t.TempDir(), "unpacked")
	for i := range files {
		sub := filepath.Join(staging, fmt.Sprintf("d%d", i/200))
		if i%200 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.go", i)), []byte("package d\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-r", staging, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	seen, restarts := 0, 0
	for seen < files {
		e := s.await("changed", nil)
		restarts++
		seen += int(e["count"].(float64))
		if restarts > 2 {
			t.Fatalf("%d restarts for one burst (%d of %d files named)", restarts, seen, files)
		}
	}
	s.await("started", nil, "changed")
	quiet(s, "after the burst", 500*time.Millisecond)
	s.stop()
}

// TestEventsIgnoredDirectoriesUnwatched: node_modules and a gitignored
// build/ get no watch, and writes there restart nothing.
func TestEventsIgnoredDirectoriesUnwatched(t *testing.T) {
	t.Parallel()
	s, dir, w := eventsSession(t, func(dir string) []string {
		os.Mkdir(filepath.Join(dir, ".git"), 0o755)
		testkit.Write(t, filepath.Join(dir, ".gitignore"), "node_modules/\nbuild/\n")
		writeTree(t, dir, "node_modules/m/index.go", "build/out.go", "src/app.go")
		return nil
	})
	if w["watched_dirs"] != 2.0 {
		t.Fatalf("watching %v, want 2 directories watched (the root and src)", w)
	}
	testkit.Write(t, filepath.Join(dir, "node_modules/m/index.go"), "package m // changed\n")
	testkit.Write(t, filepath.Join(dir, "build/out.go"), "package out // changed\n")
	writeTree(t, dir, "build/new/more.go")
	quiet(s, "writes in ignored directories", 500*time.Millisecond)
	changedOnce(s, "a watched file", func() { testkit.Write(t, filepath.Join(dir, "src/app.go"), "package src // x\n") },
		filepath.Join(dir, "src/app.go"))
	s.stop()
}

// TestEventsWatchLimitFallsBackToScans: a watch refused for the kernel's
// limit (injected ENOSPC) leaves that subtree on full scans, with one
// warning naming the sysctl, and its changes are still seen.
func TestEventsWatchLimitFallsBackToScans(t *testing.T) {
	t.Parallel()
	s, dir, w := eventsSession(t, func(dir string) []string {
		writeTree(t, dir, "full/deep/a.go")
		return []string{"AUTORELOAD_FAULTS=inotify-add=enospc:full"}
	}, "--poll-interval=200ms")
	full := filepath.Join(dir, "full")
	if pollOnly, _ := w["poll_only"].([]any); len(pollOnly) != 1 || pollOnly[0] != full {
		t.Errorf("watching %v, want poll_only [%s]", w, full)
	}
	changedOnce(s, "in the polled subtree", func() { testkit.Write(t, filepath.Join(full, "deep/a.go"), "package a // x\n") },
		filepath.Join(full, "deep/a.go"))
	changedOnce(s, "beside it", func() { testkit.Write(t, filepath.Join(dir, "main.go"), "package main // x\n") },
		filepath.Join(dir, "main.go"))
	s.stop()
	if n := strings.Count(s.logText(), `"sysctl":"fs.inotify.max_user_watches"`); n != 1 {
		t.Errorf("%d warnings name the sysctl, want 1; log:\n%s", n, s.logText())
	}
}

// TestEventsOverflowScansEverything: an overflow of the kernel's queue
// (injected: the batch naming lost.go is dropped) costs one full scan,
// which sees the change.
func TestEventsOverflowScansEverything(t *testing.T) {
	t.Parallel()
	s, dir, _ := eventsSession(t, func(string) []string {
		return []string{"AUTORELOAD_FAULTS=inotify-overflow=lost.go"}
	}, eventsOnly)
	lost := filepath.Join(dir, "lost.go")
	changedOnce(s, "a change whose event was lost", func() { testkit.Write(t, lost, "package main\n") }, lost)
	if !strings.Contains(s.logText(), "overflowed") {
		t.Errorf("no overflow warning; log:\n%s", s.logText())
	}
	s.stop()
}

// TestEventsUntrustedFilesystemPolls: a directory on a filesystem type
// whose events miss remote changes (here a fake nfs4 mount) is not
// watched and is scanned at the poll interval; said once in the log.
func TestEventsUntrustedFilesystemPolls(t *testing.T) {
	t.Parallel()
	var share string
	s, _, w := eventsSession(t, func(dir string) []string {
		share = filepath.Join(dir, "share")
		writeTree(t, dir, "share/remote.go")
		return []string{"AUTORELOAD_FAULTS=fstype=" + share + ":nfs4"}
	}, "--poll-interval=200ms")
	if pollOnly, _ := w["poll_only"].([]any); w["watched_dirs"] != 1.0 || len(pollOnly) != 1 || pollOnly[0] != share {
		t.Fatalf("watching %v, want the root watched and %s polled", w, share)
	}
	for i := range 3 {
		changedOnce(s, "on the untrusted filesystem", func() {
			testkit.Write(t, filepath.Join(share, "remote.go"), "package share // "+strconv.Itoa(i)+"\n")
		}, filepath.Join(share, "remote.go"))
	}
	s.stop()
	if n := strings.Count(s.logText(), "polling, not watching"); n != 1 {
		t.Errorf("the untrusted filesystem logged %d times, want once; log:\n%s", n, s.logText())
	}
}

// writeTree writes each file (relative to dir), making its directories.
func writeTree(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		path := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		testkit.Write(t, path, "package "+filepath.Base(filepath.Dir(path))+"\n")
	}
}

// TestEventsAcrossWatchmanFlaps: Watchman lost at runtime, the poller's
// gap scan runs, then kernel events deliver (the poll interval is ten
// minutes); Watchman back, the kernel watches are gone; 20 flaps leave
// descriptors and threads flat.
func TestEventsAcrossWatchmanFlaps(t *testing.T) {
	t.Parallel()
	s, d, dir := watchmanSession(t, eventsOnly)
	pid := s.cmd.Process.Pid
	var threads, descriptors []int
	for i := range 20 {
		d.Kill()
		s.await("fallback", nil, "started")
		restartedBy(s, filepath.Join(dir, "gap.go"), strings.Repeat("g", i+1))
		if n := testkit.InotifyFDs(t, pid); n != 1 {
			t.Fatalf("flap %d: %d inotify instances on the poller, want 1", i, n)
		}
		// After the gap scan's batch only an event can explain a restart.
		restartedBy(s, filepath.Join(dir, "event.go"), strings.Repeat("e", i+1))
		d.Restart()
		s.await("watching", isWatching("watchman"), "changed")
		if n := testkit.InotifyFDs(t, pid); n != 0 {
			t.Fatalf("flap %d: %d inotify instances back on Watchman, want none", i, n)
		}
		quiet(s, "the switch back", 300*time.Millisecond)
		descriptors = append(descriptors, testkit.OpenFDs(t, pid))
		threads = append(threads, testkit.StatusNumber(t, pid, "Threads"))
		restartedBy(s, filepath.Join(dir, "up.go"), strings.Repeat("u", i+1))
	}
	expectFlat(t, "threads", threads, threadSlack)
	expectFlat(t, "descriptors", descriptors, 0)
	s.stop()
}

// TestNoEventsIsPurePolling: --no-events holds no kernel watch, and the
// poller's scans still see a change.
func TestNoEventsIsPurePolling(t *testing.T) {
	t.Parallel()
	dir := agedTree(t)
	s := startAutoreloadEnv(t, dir, []string{"PATH=" + t.TempDir(), "WATCHMAN_SOCK="},
		"--reloader=auto", "--no-events", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	w, _ := s.readyEvents()
	if w["reloader"] != "stat" || w["events"] != false || w["watched_dirs"] != 0.0 {
		t.Fatalf("watching %v, want the poller without events", w)
	}
	if n := testkit.InotifyFDs(t, s.cmd.Process.Pid); n != 0 {
		t.Fatalf("%d inotify instances with --no-events", n)
	}
	restartedBy(s, filepath.Join(dir, "main.go"), "package main // polled\n")
	s.stop()
}
