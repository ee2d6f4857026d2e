//go:build linux

package main

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestKilledAutoreloadLeavesNothing: SIGKILL of autoreload gives it no
// chance to stop COMMAND; COMMAND's guard must, tree and all (children,
// a setsid'd grandchild, processes that ignore the stop signal), within
// two seconds whatever --grace says.
func TestKilledAutoreloadLeavesNothing(t *testing.T) {
	t.Parallel()
	scripts := map[string]struct {
		script string
		procs  int // COMMAND's processes once up, not counting its guard
	}{
		"background":    {`sleep 1000 & sleep 1000`, 3},
		"setsid":        {`setsid sleep 1000 & sleep 1000`, 3},
		"ignoring-TERM": {`trap "" TERM; setsid sleep 1000 & sleep 1000 & wait`, 3},
	}
	for name, c := range scripts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startAutoreload(t, t.TempDir(), "--grace=30s", "--", "sh", "-c", c.script)
			s.ready()
			deadline := time.Now().Add(waitLimit)
			for len(slices.DeleteFunc(marked(s.mark), isGuard)) < c.procs {
				if time.Now().After(deadline) {
					t.Fatalf("COMMAND's tree not up within %v: %v", waitLimit, marked(s.mark))
				}
				time.Sleep(10 * time.Millisecond)
			}
			s.signal(syscall.SIGKILL)
			killed := time.Now()
			for {
				left := marked(s.mark)
				if len(left) == 0 {
					break
				}
				if time.Since(killed) > 2*time.Second {
					t.Fatalf("2s after SIGKILL of autoreload, still running: %v", left)
				}
				time.Sleep(10 * time.Millisecond)
			}
			s.wait()
		})
	}
}

// guardComm is the name of COMMAND's guard in /proc/PID/comm.
const guardComm = "ar-guard"

func isGuard(p procID) bool { return p.cmd == guardComm }

// TestKilledAutoreloadLeavesNoBuild: SIGKILL of autoreload during a
// --build ends the build's shell too (the kernel's parent-death signal).
func TestKilledAutoreloadLeavesNoBuild(t *testing.T) {
	t.Parallel()
	s := startAutoreload(t, t.TempDir(), "--build", "exec sleep 1000", "--", "true")
	deadline := time.Now().Add(waitLimit)
	for !slices.ContainsFunc(marked(s.mark), func(p procID) bool { return p.cmd == "sleep" }) {
		if time.Now().After(deadline) {
			t.Fatalf("the build is not running within %v: %v", waitLimit, marked(s.mark))
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.signal(syscall.SIGKILL)
	killed := time.Now()
	for left := marked(s.mark); len(left) > 0; left = marked(s.mark) {
		if time.Since(killed) > 2*time.Second {
			t.Fatalf("2s after SIGKILL of autoreload, the build still runs: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.wait()
}
