package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// --reloader=watchman means no fallback: Watchman unusable at start, or
// lost at runtime, ends autoreload with exit 1, the reason on one line, and
// nothing left running.

func TestReloaderWatchmanUnavailableAtStart(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "no-such-sock")
	s := startAutoreloadEnv(t, t.TempDir(), []string{"WATCHMAN_SOCK=" + sock},
		"--reloader=watchman", "--log-format=text", "--", "sleep", "1000")
	if code := s.wait(); code != 1 {
		t.Fatalf("exit code = %d, want 1; log:\n%s", code, s.logText())
	}
	var reasons []string
	for _, line := range strings.Split(s.logText(), "\n") {
		if strings.Contains(strings.ToLower(line), "watchman") {
			reasons = append(reasons, line)
		}
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], sock) || !strings.Contains(reasons[0], "unavailable") {
		t.Errorf("lines about watchman: %q; want one naming it unavailable and the socket %s", reasons, sock)
	}
	if strings.Contains(s.logText(), "started") {
		t.Errorf("COMMAND was started although Watchman was unusable:\n%s", s.logText())
	}
	if strings.Contains(s.logText(), "fallback") || strings.Contains(s.logText(), "(stat)") {
		t.Errorf("--reloader=watchman fell back to the poller:\n%s", s.logText())
	}
	if left := marked(s.mark); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestReloaderWatchmanLostAtRuntime(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	dir := agedTree(t)
	s := startAutoreloadEnv(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock},
		"--reloader=watchman", "--watchman-timeout=1s", "--", "sleep", "1000")
	if w := s.await("watching", nil, "changed"); w["reloader"] != "watchman" {
		t.Fatalf("watching %v, want watchman", w)
	}
	d.Shutdown()
	e := s.await("failed", nil, "fallback", "changed")
	if msg, _ := e["error"].(string); !strings.Contains(msg, "watchman unavailable") {
		t.Errorf("failed = %v, want the watchman error", e)
	}
	if code := s.wait(); code != 1 {
		t.Fatalf("exit code = %d, want 1; log:\n%s", code, s.logText())
	}
	if left := marked(s.mark); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// --reloader=watchman decides before COMMAND starts, and the watcher built
// beside COMMAND subscribes on the connection of that decision: one
// handshake with the daemon, not a check and then another.
func TestReloaderWatchmanChecksOnce(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	h := d.CountHandshakes(t)
	s := startAutoreloadEnv(t, agedTree(t), []string{"WATCHMAN_SOCK=" + h.Sock},
		"--reloader=watchman", "--watchman-timeout=5s", "--", "sleep", "1000")
	if w, _ := s.readyEvents(); w["reloader"] != "watchman" {
		t.Fatalf("watching %v, want watchman", w)
	}
	if n := h.Count(); n != 1 {
		t.Errorf("%d handshakes (list-capabilities) with the daemon, want 1", n)
	}
	s.stop()
}
