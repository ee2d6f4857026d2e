package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestSpawnedWatchmanSurvivesRestarts: `watchman get-sockname` starts the
// service when none runs, and the daemon double-forks and calls setsid, so
// it is re-parented to autoreload (the subreaper) in a session of its own —
// just like a daemon COMMAND started. It is autoreload's, not COMMAND's: a
// restart and the final stop must leave it running. A stand-in watchman on
// PATH daemonizes the same way; the machine's own Watchman is never reached.
func TestSpawnedWatchmanSurvivesRestarts(t *testing.T) {
	t.Parallel()
	bin := t.TempDir()
	daemonPid := filepath.Join(t.TempDir(), "daemon.pid")
	fake := `#!/bin/sh
# get-sockname: start "the service" as Watchman 4.9 does (fork, setsid,
# fork, stdio to /dev/null), then answer with a socket that does not exist.
sh -c 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$1"' sh "$FAKE_DAEMON_PID"
echo '{"version": "4.9.0", "sockname": "/nonexistent/autoreload-test/sock"}'
`
	testkit.Write(t, filepath.Join(bin, "watchman"), fake)
	if err := os.Chmod(filepath.Join(bin, "watchman"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "env")
	s := startAutoreloadEnv(t, dir, []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"), "WATCHMAN_SOCK=", "FAKE_DAEMON_PID=" + daemonPid,
	}, "--reloader=auto", "--", helper, "env", out)
	s.ready()
	pidText := testkit.WaitLines(t, daemonPid, 1)[0]
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		t.Fatalf("daemon pid %q: %v", pidText, err)
	}
	daemon, ok := identify(pid)
	if !ok {
		t.Fatalf("the stand-in daemon %d is not running", pid)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	// Its re-parenting to autoreload is what makes it look like COMMAND's.
	deadline := time.Now().Add(waitLimit)
	for ppid(pid) != s.cmd.Process.Pid {
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in daemon's parent is %d, want autoreload %d", ppid(pid), s.cmd.Process.Pid)
		}
		time.Sleep(10 * time.Millisecond)
	}

	testkit.WaitLines(t, out, 1)
	testkit.Write(t, filepath.Join(dir, "main.go"), "package main\n")
	s.await("changed", nil, "started")
	s.await("started", nil)
	testkit.WaitLines(t, out, 2)
	if !exists(daemon) {
		t.Fatal("a restart of COMMAND killed the Watchman daemon autoreload started")
	}
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit code after SIGINT = %d, want 0; log:\n%s", code, s.logText())
	}
	if !exists(daemon) {
		t.Fatal("autoreload's exit killed the Watchman daemon it started")
	}
	for _, p := range marked(s.mark) {
		if p.pid != pid {
			t.Errorf("left after autoreload exited: %v", p)
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
}
