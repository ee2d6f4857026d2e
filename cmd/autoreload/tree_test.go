package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/internal/testkit"
)

// TestNothingLeftBehind runs COMMANDs that leave descendants of every kind
// and checks that a restart starts the next COMMAND only once the old tree
// is gone, zombies included (its guard, which reaped them, may still be
// exiting), and that Ctrl-C leaves nothing, not even a zombie or a guard.
func TestNothingLeftBehind(t *testing.T) {
	t.Parallel()
	// Each script appends a line to $1 once its descendants run.
	scripts := map[string]string{
		"grandchild":               `sleep 1000 & echo up >> "$1"; wait`,
		"grandchild-ignoring-TERM": `trap "" TERM; sleep 1000 & echo up >> "$1"; wait`,
		"setsid":                   `setsid sleep 1000 & echo up >> "$1"; wait`,
		"daemon":                   `setsid sh -c 'trap "" TERM; sleep 1000 & echo up >> "$1"' sh "$1" & exec sleep 1000`,
	}
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ready := filepath.Join(t.TempDir(), "ready")
			s := startAutoreload(t, dir, "--grace=300ms", "--", "sh", "-c", script, "sh", ready)
			s.ready()
			waitFile(t, ready, 1)
			old := marked(s.mark)
			if len(old) < 2 {
				t.Fatalf("want COMMAND and a descendant, found %v", old)
			}

			testkit.Write(t, filepath.Join(dir, "src.txt"), "changed")
			s.await("changed", nil, "started")
			s.await("started", nil)
			for _, p := range old {
				// The old guard reported its tree gone, zombies reaped, and
				// may still be exiting: the next COMMAND does not wait for it.
				if exists(p) && !isGuard(p) {
					t.Errorf("%v of the old COMMAND still there when the next one started", p)
				}
			}

			waitFile(t, ready, 2)
			second := marked(s.mark)
			s.stop()
			for _, p := range second {
				if exists(p) {
					t.Errorf("%v still there after autoreload exited (a zombie?)", p)
				}
			}
		})
	}
}

func TestStopSignalIgnoredKilledAfterGrace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, dir, "--grace=500ms", "--", helper, "ignore-term", ready)
	first := s.ready()
	waitFile(t, ready, 1)
	testkit.Write(t, filepath.Join(dir, "src.txt"), "changed")
	s.await("changed", nil)
	since := time.Now()
	e := s.await("exited", nil, "started")
	if e.pid() != first.pid() || e["signal"] != "SIGKILL" {
		t.Fatalf("exited = %v, want pid %d by SIGKILL", e, first.pid())
	}
	// The poller may log "changed" a little after it saw the change, so
	// allow for that much below the grace period; never an upper bound.
	if waited := time.Since(since); waited < 400*time.Millisecond {
		t.Errorf("killed %v after the change, before the 500ms grace", waited)
	}
	s.await("started", nil)
	s.stop()
}

func TestSecondInterruptKillsAtOnce(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, t.TempDir(), "--grace=1h", "--", helper, "ignore-term", ready)
	s.ready()
	waitFile(t, ready, 1)
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
			waitFile(t, ready, 1)
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
	waitFile(t, ready, 1)
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

// TestPortFreeForNextCommand: a server restarted by autoreload can always
// bind its port again, even when a grandchild that ignores SIGTERM held it.
func TestPortFreeForNextCommand(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	result := filepath.Join(t.TempDir(), "result")
	script := fmt.Sprintf(`%q listen %s %q & wait`, helper, addr, result)
	s := startAutoreload(t, dir, "--grace=300ms", "--", "sh", "-c", script)
	s.ready()
	if got := waitFile(t, result, 1); got[0] != "ok" {
		t.Fatalf("first listen: %s", got[0])
	}
	for i := 2; i <= 3; i++ {
		testkit.Write(t, filepath.Join(dir, "src.txt"), strings.Repeat("x", i))
		s.await("changed", nil)
		s.await("started", nil)
		if got := waitFile(t, result, i); got[i-1] != "ok" {
			t.Fatalf("listen after restart %d: %s", i-1, got[i-1])
		}
	}
	s.stop()
}
