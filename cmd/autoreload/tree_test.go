package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// The process-tree scenarios (a grandchild, one ignoring SIGTERM, a
// setsid'd one, a daemon; the grace period and SIGKILL; a port held by a
// grandchild; a reused group id) are tested in the supervisor's package
// (tree_linux_test.go). These are the contracts through the binary: one
// restart and one exit with the hardest tree, autoreload's signals, and a
// SIGKILLed autoreload.

// TestNothingLeftBehind runs a COMMAND that leaves a daemon behind (a
// setsid'd shell's grandchild that ignores SIGTERM) and checks that a
// restart starts the next COMMAND only once the old tree is gone, zombies
// included (its guard, which reaped them, may still be exiting), and that
// Ctrl-C leaves nothing, not even a zombie or a guard.
func TestNothingLeftBehind(t *testing.T) {
	t.Parallel()
	// The script appends a line to $1 once its descendants run.
	script := `setsid sh -c 'trap "" TERM; sleep 1000 & echo up >> "$1"' sh "$1" & exec sleep 1000`
	dir := t.TempDir()
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, dir, "--grace=300ms", "--", "sh", "-c", script, "sh", ready)
	s.ready()
	testkit.WaitLines(t, ready, 1)
	old := marked(s.mark)
	if len(old) < 2 {
		t.Fatalf("want COMMAND and a descendant, found %v", old)
	}

	testkit.Write(t, filepath.Join(dir, "src.txt"), "changed")
	s.await("changed", nil, "started")
	s.await("started", nil)
	for _, p := range old {
		// The old guard reported its tree gone, zombies reaped, and may
		// still be exiting: the next COMMAND does not wait for it.
		if exists(p) && !isGuard(p) {
			t.Errorf("%v of the old COMMAND still there when the next one started", p)
		}
	}

	testkit.WaitLines(t, ready, 2)
	second := marked(s.mark)
	s.stop()
	for _, p := range second {
		if exists(p) {
			t.Errorf("%v still there after autoreload exited (a zombie?)", p)
		}
	}
}

func TestSecondInterruptKillsAtOnce(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, t.TempDir(), "--grace=1h", "--", helper, "ignore-term", ready)
	s.ready()
	testkit.WaitLines(t, ready, 1)
	s.signal(syscall.SIGINT)
	s.await("stopping", nil)
	s.signal(syscall.SIGINT)
	if e := s.await("exited", nil); e["signal"] != "SIGKILL" {
		t.Errorf("exited = %v, want SIGKILL", e)
	}
	if code := s.wait(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

func TestSIGTERMAndSIGHUPStopCleanly(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			ready := filepath.Join(t.TempDir(), "ready")
			s := startAutoreload(t, t.TempDir(), "--", "sh", "-c", `sleep 1000 & echo up >> "$1"; wait`, "sh", ready)
			s.ready()
			testkit.WaitLines(t, ready, 1)
			s.signal(sig)
			if code := s.wait(); code != 0 {
				t.Fatalf("exit code after %v = %d, want 0", sig, code)
			}
			if left := marked(s.mark); len(left) > 0 {
				t.Fatalf("left after %v: %v", sig, left)
			}
		})
	}
}

// TestCommandDiesWithAutoreload: a SIGKILLed autoreload cannot stop anything,
// so the kernel must (Pdeathsig).
func TestCommandDiesWithAutoreload(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, t.TempDir(), "--", helper, "ignore-term", ready)
	started := s.ready()
	testkit.WaitLines(t, ready, 1)
	leader, ok := identify(started.pid())
	if !ok {
		t.Fatalf("COMMAND %d not found", started.pid())
	}
	s.signal(syscall.SIGKILL)
	s.wait()
	deadline := time.Now().Add(waitLimit)
	for exists(leader) {
		if time.Now().After(deadline) {
			t.Fatalf("COMMAND %d outlived the SIGKILLed autoreload", leader.pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
