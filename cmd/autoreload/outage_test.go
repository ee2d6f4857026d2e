package main

import (
	"os"
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

// Timers in step (issue 13): with --watchman-retry equal to the default
// --poll-interval, every re-check of the lost daemon used to cancel the scan
// that had found a change, and the change waited for Watchman's return.
func TestOutageTimersInStepKeepChanges(t *testing.T) {
	t.Parallel()
	s, d, dir := watchmanSession(t, "--watchman-retry=1s", "--poll-interval=1s")
	d.Kill()
	s.await("fallback", nil, "started", "changed")
	time.Sleep(3 * time.Second) // the scenario: a write 3 s into the outage
	late := filepath.Join(dir, "late.go")
	replaceFile(t, late, "package main\n")
	written := time.Now()
	changed := s.await("changed", nil, "started", "watching")
	if !slices.Contains(changed.paths(), late) {
		t.Fatalf("changed %v, want %s; log:\n%s", changed.paths(), late, s.logText())
	}
	// One poll interval, and a wide margin for a loaded machine; the timers
	// in step delayed it until they drifted apart, tens of seconds.
	if took := time.Since(written); took > 5*time.Second {
		t.Fatalf("changed %v after the write, want within a poll interval; log:\n%s", took, s.logText())
	}
	s.await("started", nil)
	s.stop()
}

// A watched root deleted under Watchman restarts COMMAND with the root in
// AUTORELOAD_CHANGED, is logged as what it is (root deleted, never fallback,
// and with --reloader watchman not a failure), and autoreload is back on
// Watchman once the root is back.
func TestRootDeletedRestartsWithoutFallback(t *testing.T) {
	for _, reloader := range []string{"auto", "watchman"} {
		t.Run(reloader, func(t *testing.T) {
			t.Parallel()
			d := watchmantest.Start(t)
			dir := t.TempDir()
			root := filepath.Join(dir, "src")
			testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			testkit.Write(t, filepath.Join(root, "a.go"), "package src\n")
			watchmantest.AgeFiles(t, spec.FileTime)
			env := filepath.Join(t.TempDir(), "env")
			s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock}, "--reloader="+reloader,
				"--watchman-timeout=1s", "--watchman-retry=500ms", "--watch", root, "--", helper, "env", env)
			if w, _ := s.readyEvents(); w["reloader"] != "watchman" {
				t.Fatalf("watching %v, want watchman; log:\n%s", w, s.logText())
			}
			testkit.WaitLines(t, env, 1)

			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
			s.await("root deleted", nil, "fallback", "failed", "changed")
			changed := s.await("changed", nil, "fallback", "failed", "started")
			if !slices.Contains(changed.paths(), root) {
				t.Fatalf("changed %v, want the root %s; log:\n%s", changed.paths(), root, s.logText())
			}
			s.await("started", nil, "fallback", "failed")
			if got := testkit.WaitLines(t, env, 2)[1]; !strings.Contains(got, strconv.Quote(root)) {
				t.Errorf("AUTORELOAD_ENV and AUTORELOAD_CHANGED = %s, want the root %s", got, root)
			}

			// The root comes back: its files are a change, and Watchman
			// watches it again.
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			back := filepath.Join(root, "b.go")
			replaceFile(t, back, "package src\n")
			// The restart and the switch back run side by side: their
			// lines come in either order.
			var watching, sawChange, restarted bool
			for !watching || !restarted {
				e := s.next("a restart for the root's return, and watching watchman")
				switch e.msg() {
				case "fallback", "failed":
					t.Fatalf("unexpected %v; log:\n%s", e, s.logText())
				case "changed":
					if sawChange || !slices.Contains(e.paths(), back) {
						t.Fatalf("unexpected %v, want one restart for %s; log:\n%s", e, back, s.logText())
					}
					sawChange = true
				case "started":
					if !sawChange {
						t.Fatalf("started before the change was logged; log:\n%s", s.logText())
					}
					restarted = true
				case "watching":
					if e["reloader"] != "watchman" {
						t.Fatalf("unexpected %v; log:\n%s", e, s.logText())
					}
					watching = true
				}
			}
			restartedBy(s, filepath.Join(root, "c.go"), "package src\n")
			s.stop()
			if strings.Contains(s.logText(), `"msg":"fallback"`) {
				t.Errorf("a deleted root was logged as a fallback:\n%s", s.logText())
			}
		})
	}
}

// A first crawl that never ends (the daemon answers health requests, never
// watch-project): in auto mode autoreload watches with the poller meanwhile,
// says why, and is on Watchman once the crawl completes; with --reloader
// watchman it logs the crawl and exits 1 after 12 times --watchman-timeout.
func TestCrawlThatNeverEnds(t *testing.T) {
	t.Run("auto", func(t *testing.T) {
		t.Parallel()
		d := watchmantest.Start(t)
		hold := d.HoldCrawls(t)
		dir := agedTree(t)
		s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + hold.Sock}, "--reloader=auto",
			"--watchman-timeout=300ms", "--watchman-retry=300ms", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
		w, _ := s.readyEvents()
		if reason, _ := w["reason"].(string); w["reloader"] != "stat" || !strings.HasPrefix(reason, "watchman still crawling") {
			t.Fatalf("watching %v, want the poller, and the crawl as the reason; log:\n%s", w, s.logText())
		}
		restartedBy(s, filepath.Join(dir, "main.go"), "package main // while crawling\n")
		hold.Release()
		s.await("watching", isWatching("watchman"), "fallback", "failed")
		restartedBy(s, filepath.Join(dir, "main.go"), "package main // after the crawl\n")
		s.stop()
	})
	t.Run("watchman", func(t *testing.T) {
		t.Parallel()
		d := watchmantest.Start(t)
		hold := d.HoldCrawls(t)
		dir := agedTree(t)
		start := time.Now()
		s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + hold.Sock}, "--reloader=watchman",
			"--watchman-timeout=200ms", "--", helper, "env", filepath.Join(t.TempDir(), "env"))
		s.await("watchman still crawling", nil, "watching")
		failed := s.await("failed", nil, "watching")
		if msg, _ := failed["error"].(string); !strings.Contains(msg, "still crawling") {
			t.Errorf("failed %v, want the crawl as the reason", failed)
		}
		if code := s.wait(); code != 1 {
			t.Fatalf("exit code %d, want 1; log:\n%s", code, s.logText())
		}
		if took := time.Since(start); took < 12*200*time.Millisecond {
			t.Errorf("gave up after %v, before 12 x --watchman-timeout", took)
		}
	})
}
