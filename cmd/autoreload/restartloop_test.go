package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// at is when autoreload logged e (slog's time), for gaps between events
// that the test may read later than they happened.
func (e event) at(t *testing.T) time.Time {
	t.Helper()
	s, _ := e["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("event %v: time: %v", e, err)
	}
	return at
}

// TestPersonsCadenceIsNoLoop: saving a file about a second after each
// restart, as a person at work does, is never a restart loop.
func TestPersonsCadenceIsNoLoop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startAutoreload(t, dir, "--", "sh", "-c", "exec sleep 1000")
	s.ready()
	for i := range 5 {
		time.Sleep(800 * time.Millisecond) // the person's cadence, not a wait for an event
		writeFile(t, filepath.Join(dir, "server.js"), "// edit "+strconv.Itoa(i))
		s.await("started", nil, "restart loop")
	}
	for _, e := range s.stop() {
		if e.msg() == "restart loop" {
			t.Fatalf("a person's edits taken for a restart loop: %v", e)
		}
	}
}

// TestRestartLoopWarnedOnceAndSlowed: COMMAND writes into the watched tree
// as it starts. The loop is warned about once, naming the file and the
// --ignore that fixes it, and slowed down: at most 20 starts in the first
// ten seconds. An edit to another file during the back-off still restarts
// COMMAND at once.
func TestRestartLoopWarnedOnceAndSlowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "server.log")
	s := startAutoreload(t, dir, "--", "sh", "-c", `date +%s%N >> server.log; exec sleep 1000`)
	first := s.ready().at(t)
	starts, warnings := 1, 0
	var last time.Time // of the last start
	gap := time.Duration(0)
	for {
		e := s.next("started or restart loop")
		switch e.msg() {
		case "restart loop":
			warnings++
			if hint, _ := e["hint"].(string); !slices.Contains(e.paths(), logFile) || !strings.Contains(hint, "--ignore 'server.log'") {
				t.Errorf("warning = %v, want %s named and --ignore 'server.log' suggested", e, logFile)
			}
		case "started":
			at := e.at(t)
			if at.Sub(first) < 10*time.Second {
				starts++
			}
			if starts > 20 {
				t.Fatalf("more than 20 starts in the first 10 s of a restart loop")
			}
			if !last.IsZero() {
				gap = at.Sub(last)
			}
			last = at
		}
		// Ten seconds in, and backing off by more than 1.5 s a start: the
		// next restart waits at least 3 s.
		if last.Sub(first) >= 10*time.Second && gap > 1500*time.Millisecond {
			break
		}
	}
	if warnings != 1 {
		t.Errorf("%d restart-loop warnings, want 1", warnings)
	}
	if starts > 20 || starts < 4 {
		t.Errorf("%d starts in the first 10 s of a restart loop, want 4 to 20", starts)
	}

	// A person's edit, well after the last start, while the loop's next
	// restart is held back.
	time.Sleep(600 * time.Millisecond)
	src := filepath.Join(dir, "main.go")
	edited := time.Now()
	writeFile(t, src, "package main\n")
	s.await("changed", func(e event) bool { return slices.Contains(e.paths(), src) })
	started := s.await("started", nil)
	if took := started.at(t).Sub(edited); took > 2500*time.Millisecond {
		t.Errorf("the edit to another file restarted COMMAND after %v, held back with the loop", took)
	}
	for _, e := range s.stop() {
		if e.msg() == "restart loop" {
			t.Errorf("the same loop warned about again: %v", e)
		}
	}
}
