package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// The runtime switch end to end: the built binary, a private Watchman
// daemon of the test's own, real files and a real COMMAND.

// watchmanSession runs autoreload --reloader=auto against a private daemon
// on a tree made (and aged) beforehand.
func watchmanSession(t *testing.T, extra ...string) (*session, *watchmantest.Daemon, string) {
	t.Helper()
	d := watchmantest.Start(t)
	dir := agedTree(t)
	args := append([]string{"--reloader=auto", "--watchman-timeout=1s", "--watchman-retry=500ms"}, extra...)
	s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock}, append(args, "--", helper, "env", filepath.Join(t.TempDir(), "env"))...)
	s.ready()
	return s, d, dir
}

// agedTree makes a source tree whose files were written before autoreload
// starts, as a real one was: the start-up time baseline must not count them.
func agedTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	watchmantest.AgeFiles(t, spec.FileTime)
	return dir
}

func isWatching(reloader string) func(event) bool {
	return func(e event) bool { return e["reloader"] == reloader }
}

// restartedBy writes path and expects exactly one restart naming it.
func restartedBy(s *session, path, content string) {
	s.t.Helper()
	replaceFile(s.t, path, content)
	changed := s.await("changed", nil, "started")
	if !slices.Contains(changed.paths(), path) {
		s.t.Fatalf("changed %v, want %s among them; log:\n%s", changed.paths(), path, s.logText())
	}
	s.await("started", nil)
}

// quiet asserts that no restart happens within d.
func quiet(s *session, what string, d time.Duration) {
	s.t.Helper()
	for _, e := range s.unread {
		if e.msg() == "changed" || e.msg() == "started" {
			s.t.Fatalf("%s: unexpected %v; log:\n%s", what, e, s.logText())
		}
	}
	s.unread = nil
	deadline := time.After(d)
	for {
		select {
		case e := <-s.events:
			if e.msg() == "changed" || e.msg() == "started" {
				s.t.Fatalf("%s: unexpected %v; log:\n%s", what, e, s.logText())
			}
		case <-deadline:
			return
		}
	}
}

func TestFallbackKeepsEveryChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(*watchmantest.Daemon)
	}{
		{"shutdown-server", (*watchmantest.Daemon).Shutdown},
		{"SIGKILL", (*watchmantest.Daemon).Kill},
		{"SIGSTOP", (*watchmantest.Daemon).Freeze},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, d, dir := watchmanSession(t)
			restartedBy(s, filepath.Join(dir, "main.go"), "package main // 1\n")

			tc.lose(d)
			if tc.name == "SIGSTOP" {
				t.Cleanup(d.Thaw)
			}
			time.Sleep(100 * time.Millisecond) // the scenario: a write 100 ms after the failure
			late := filepath.Join(dir, "late.go")
			replaceFile(t, late, "package main\n")
			fb := s.await("fallback", nil, "started")
			if fb["reloader"] != "stat" || !strings.Contains(fb["error"].(string), "watchman") {
				t.Errorf("fallback event %v, want reloader stat and the watchman error", fb)
			}
			changed := s.await("changed", nil, "started")
			if !slices.Contains(changed.paths(), late) {
				t.Fatalf("changed %v, want %s; log:\n%s", changed.paths(), late, s.logText())
			}
			s.await("started", nil)
			quiet(s, "after the change made during the fallback", time.Second)
			restartedBy(s, filepath.Join(dir, "main.go"), "package main // 2\n")
			s.stop()
		})
	}
}

func TestFallbackReturnsToWatchman(t *testing.T) {
	t.Parallel()
	s, d, dir := watchmanSession(t)
	d.Kill()
	s.await("fallback", nil, "started", "changed")
	d.Restart()
	restarted := time.Now()
	// A change made in the switch-back window: the final scan and the new
	// subscription may both see it; COMMAND restarts once.
	during := filepath.Join(dir, "during.go")
	replaceFile(t, during, "package main\n")
	// Until back on watchman and restarted: the restart's start may come
	// after the switch back, or before it.
	var back, changed, started bool
	for !back || !started {
		e := s.next("watching watchman and a restart")
		switch e.msg() {
		case "started":
			if !changed || started {
				t.Fatalf("unexpected %v; log:\n%s", e, s.logText())
			}
			started = true
		case "watching":
			if e["reloader"] == "watchman" {
				back = true
				// --watchman-retry + 1 s, plus the daemon's own start-up.
				if took := time.Since(restarted); took > 500*time.Millisecond+time.Second+2*time.Second {
					t.Errorf("back on watchman %v after the daemon restarted", took)
				}
			}
		case "changed":
			if changed {
				t.Fatalf("a second restart for the change made while switching back; log:\n%s", s.logText())
			}
			changed = true
			if !slices.Contains(e.paths(), during) {
				t.Fatalf("changed %v, want %s", e.paths(), during)
			}
		}
	}
	quiet(s, "after the switch back", 1500*time.Millisecond)
	restartedBy(s, filepath.Join(dir, "main.go"), "package main // back\n")
	s.stop()
}

// TestFallbackFlappingLeaksNothing: ten falls back and returns leave as
// many threads and descriptors as the first few did. (The fallback package
// counts goroutines in-process; the log carries nothing internal.)
func TestFallbackFlappingLeaksNothing(t *testing.T) {
	t.Parallel()
	s, d, dir := watchmanSession(t)
	pid := s.cmd.Process.Pid
	var threads, descriptors []int
	for i := range 10 {
		d.Kill()
		s.await("fallback", nil, "started")
		restartedBy(s, filepath.Join(dir, "down.go"), strings.Repeat("d", i+1))
		d.Restart()
		s.await("watching", isWatching("watchman"), "changed")
		quiet(s, "the switch back", 300*time.Millisecond)
		threads = append(threads, testkit.StatusNumber(t, pid, "Threads"))
		descriptors = append(descriptors, testkit.OpenFDs(t, pid))
		restartedBy(s, filepath.Join(dir, "up.go"), strings.Repeat("u", i+1))
	}
	expectFlat(t, "threads", threads, threadSlack)
	expectFlat(t, "descriptors", descriptors, 0)
	s.stop()
}

// threadSlack is how many threads a flapping run may gain for good: Go
// never ends a thread it made, so a moment of load on a shared machine
// (several goroutines in system calls at once) can add a few; a leak adds
// one a cycle.
const threadSlack = 4

// expectFlat fails t if the last of a per-cycle series of counts exceeds
// by more than slack the largest of the first three (which may warm up
// pools).
func expectFlat(t *testing.T, what string, series []int, slack int) {
	t.Helper()
	if last, early := series[len(series)-1], slices.Max(series[:3]); last > early+slack {
		t.Errorf("%s grew over %d cycles: %v", what, len(series), series)
	}
}

func TestFallbackSwitchAloneRestartsNothing(t *testing.T) {
	t.Parallel()
	s, d, _ := watchmanSession(t)
	// The condition: no file changed in the 2 s before the failure.
	time.Sleep(2 * time.Second)
	d.Kill()
	s.await("fallback", nil, "started", "changed")
	quiet(s, "the fallback by itself", 1500*time.Millisecond)
	d.Restart()
	s.await("watching", isWatching("watchman"), "started", "changed")
	quiet(s, "the switch back by itself", 1500*time.Millisecond)
	s.stop()
}

func TestNoWatchmanOnPath(t *testing.T) {
	t.Parallel()
	// Not t.TempDir(): its name holds the test's, which says "Watchman".
	dir, err := os.MkdirTemp("", "tree")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	watchmantest.AgeFiles(t, spec.FileTime)
	s := startAutoreloadEnv(t, dir, []string{"PATH=" + t.TempDir(), "WATCHMAN_SOCK="},
		"--reloader=auto", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
	w, _ := s.readyEvents()
	if reason, _ := w["reason"].(string); w["reloader"] != "stat" || !strings.Contains(reason, "not found") {
		t.Errorf("watching %v, want the poller and why watchman was not used", w)
	}
	restartedBy(s, filepath.Join(dir, "main.go"), "package main // changed\n")
	s.stop()
	var mentions []string
	for _, line := range strings.Split(s.logText(), "\n") {
		if strings.Contains(strings.ToLower(line), "watchman") {
			mentions = append(mentions, line)
		}
	}
	if len(mentions) != 1 {
		t.Errorf("%d log lines mention watchman, want exactly 1:\n%s", len(mentions), strings.Join(mentions, "\n"))
	}
}
