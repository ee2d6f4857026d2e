package main

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
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
