//go:build linux

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
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
			killAndAwaitNothingLeft(t, s, 2*time.Second)
		})
	}
}

// TestKilledAutoreloadLeavesNoBuild: SIGKILL of autoreload during a
// --build leaves nothing of it, not even what its shell started in the
// background: the build runs under a guard too, which stops its tree with
// the stop signal (a background job ignores SIGINT) and SIGKILL after.
func TestKilledAutoreloadLeavesNoBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := filepath.Join(t.TempDir(), "signal")
	ready := filepath.Join(t.TempDir(), "ready")
	s := startAutoreload(t, dir, "--grace=30s", "--build",
		`sh -c 'trap "echo TERM > `+got+`; exit" TERM; echo up > `+ready+`; while :; do sleep 0.05; done' & exec sleep 1000`,
		"--", "true")
	testkit.WaitLines(t, ready, 1)
	awaitMarked(t, s.mark, "sleep")
	killAndAwaitNothingLeft(t, s, 3*time.Second)
	if data, _ := os.ReadFile(got); string(data) != "TERM\n" {
		t.Errorf("the build's background job got %q, want the stop signal, TERM", data)
	}
}

// TestKilledGuardIsReplaced: a guard killed under a running COMMAND is
// noticed at once: autoreload stops COMMAND's tree itself, says why, and
// starts COMMAND again under a new guard, so a SIGKILL of autoreload then
// still leaves nothing.
func TestKilledGuardIsReplaced(t *testing.T) {
	t.Parallel()
	s := startAutoreload(t, t.TempDir(), "--grace=30s", "--", "sh", "-c", `sleep 1000 & sleep 1000`)
	first := s.ready()
	guards := awaitTree(t, s, 3)
	for _, g := range guards { // every guard at once, as `pkill -9 ar-guard` would
		syscall.Kill(g.pid, syscall.SIGKILL)
	}
	lost := s.await("guard lost", nil, "failed")
	if lost.pid() != first.pid() || lost["signal"] != "SIGKILL" || lost["then"] != "restart" {
		t.Errorf("guard lost = %v, want pid %d, signal SIGKILL, then restart", lost, first.pid())
	}
	// With a 30 s grace, the old tree ended on the stop signal, not SIGKILL.
	exited := s.await("exited", nil, "failed")
	if exited.pid() != first.pid() || exited["signal"] != "SIGTERM" || exited["stopped"] != true {
		t.Errorf("exited = %v, want pid %d stopped by SIGTERM", exited, first.pid())
	}
	second := s.await("started", nil, "failed", "exited")
	newGuards := awaitTree(t, s, 3)
	for _, g := range newGuards {
		if slices.Contains(guards, g) {
			t.Errorf("the killed guard %v still runs", g)
		}
	}
	if ppid(second.pid()) != newGuards[0].pid {
		t.Errorf("COMMAND %d is not the new guard's child (guard %v, parent %d)", second.pid(), newGuards, ppid(second.pid()))
	}
	killAndAwaitNothingLeft(t, s, 3*time.Second)
}

// awaitTree waits until COMMAND's tree runs procs processes besides one
// guard, and returns the guard.
func awaitTree(t *testing.T, s *session, procs int) []procID {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		all := marked(s.mark)
		guards := slices.DeleteFunc(slices.Clone(all), func(p procID) bool { return !isGuard(p) })
		if len(guards) == 1 && len(all)-len(guards) >= procs {
			return guards
		}
		if time.Now().After(deadline) {
			t.Fatalf("COMMAND's tree not up within %v: %v", waitLimit, all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killAndAwaitNothingLeft SIGKILLs autoreload and fails unless nothing it
// started is left within limit.
func killAndAwaitNothingLeft(t *testing.T, s *session, limit time.Duration) {
	t.Helper()
	s.signal(syscall.SIGKILL)
	killed := time.Now()
	for left := marked(s.mark); len(left) > 0; left = marked(s.mark) {
		if time.Since(killed) > limit {
			t.Fatalf("%v after SIGKILL of autoreload, still running: %v", limit, left)
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: a poll of /proc
	}
	s.wait()
}

// TestKilledGuardDuringRestart: the guard stops the old tree and starts
// the next COMMAND itself, on one order. A SIGKILL of it while it waits
// for an old COMMAND that catches the stop signal and goes on is survived:
// autoreload says so, stops the old tree itself, starts the next COMMAND
// under a fresh guard, and a SIGKILL of autoreload then leaves nothing.
func TestKilledGuardDuringRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "log")
	s := startAutoreload(t, dir, "--grace=3s", "--", "sh", "-c",
		`trap 'echo term >> "$1"' TERM; echo up >> "$1"; while :; do sleep 0.05; done`, "sh", log)
	first := s.ready()
	testkit.WaitLines(t, log, 1)
	guards := awaitTree(t, s, 2)
	testkit.Write(t, filepath.Join(dir, "src.txt"), "changed")
	s.await("changed", nil)
	testkit.WaitLines(t, log, 2) // "term": the guard is stopping the old tree
	for _, g := range guards {
		syscall.Kill(g.pid, syscall.SIGKILL)
	}
	lost := s.await("guard lost", nil, "started", "failed")
	if lost.pid() != first.pid() || lost["signal"] != "SIGKILL" || lost["then"] != "restart" {
		t.Errorf("guard lost = %v, want pid %d, signal SIGKILL, then restart", lost, first.pid())
	}
	s.await("started", nil, "failed")
	deadline := time.Now().Add(waitLimit)
	got, _ := os.ReadFile(log)
	for strings.Count(string(got), "up\n") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("log %q: the next COMMAND not up within %v", got, waitLimit)
		}
		time.Sleep(10 * time.Millisecond) // nothing to await: COMMAND writes a file
		got, _ = os.ReadFile(log)
	}
	if !strings.HasSuffix(string(got), "term\nup\n") {
		t.Errorf("log %q: want the old COMMAND gone (no term after it) once the next one is up", got)
	}
	for _, g := range awaitTree(t, s, 2) {
		if slices.Contains(guards, g) {
			t.Errorf("a killed guard %v still runs", g)
		}
	}
	killAndAwaitNothingLeft(t, s, 3*time.Second)
}

// TestOneGuardForTheRun: every start of COMMAND runs under the one guard
// of the run, so a restart never has two guards alive at once.
func TestOneGuardForTheRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parents := filepath.Join(t.TempDir(), "parents")
	s := startAutoreload(t, dir, "--", "sh", "-c", `echo $PPID >> "$1"; exec sleep 1000`, "sh", parents)
	s.ready()
	guards := awaitTree(t, s, 1)
	for i := 2; i <= 4; i++ {
		testkit.Write(t, filepath.Join(dir, "src.txt"), strconv.Itoa(i))
		s.await("started", nil, "failed")
		got := testkit.WaitLines(t, parents, i)
		if got[i-1] != strconv.Itoa(guards[0].pid) {
			t.Errorf("start %d: COMMAND's parent %s, want the run's guard %d", i, got[i-1], guards[0].pid)
		}
		if now := awaitTree(t, s, 1); now[0] != guards[0] {
			t.Errorf("start %d: guard %v, want the run's %v", i, now, guards)
		}
	}
	s.stop()
}

// TestKilledIdleGuardIsReplacedQuietly: a guard killed while no COMMAND
// runs (it exited, autoreload waits for a change) had nothing to guard:
// the next start gets a new guard, without a warning.
func TestKilledIdleGuardIsReplacedQuietly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parents := filepath.Join(t.TempDir(), "parents")
	s := startAutoreload(t, dir, "--", "sh", "-c", `echo $PPID >> "$1"`, "sh", parents)
	s.ready()
	s.await("exited", nil)
	guards := awaitTree(t, s, 0)
	syscall.Kill(guards[0].pid, syscall.SIGKILL)
	testkit.Write(t, filepath.Join(dir, "src.txt"), "changed")
	s.await("started", nil, "guard lost", "failed")
	if got := testkit.WaitLines(t, parents, 2); got[1] == strconv.Itoa(guards[0].pid) {
		t.Errorf("COMMAND started under the killed guard %d", guards[0].pid)
	}
	s.stop()
}
