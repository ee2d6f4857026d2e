package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/autoreload/autoreload/internal/testkit"
)

// TestStopSparesAReusedGroupID: after COMMAND exits (--on-exit=wait), its
// pid can be handed to an unrelated process that leads a group of its own.
// The next change must stop nothing of that group: the group id is no
// longer COMMAND's.
func TestStopSparesAReusedGroupID(t *testing.T) {
	// Not parallel: the pid is reused by asking the kernel for it next
	// (ns_last_pid), which other tests' forks would race.
	const lastPid = "/proc/sys/kernel/ns_last_pid"
	if f, err := os.OpenFile(lastPid, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot choose the next pid here: %v", err)
	} else {
		f.Close()
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "a.txt")
	testkit.Write(t, src, "1")
	s := startAutoreload(t, dir, "--", helper, "exit", "0")
	leader := s.await("started", nil).pid()
	s.await("exited", nil, "started")

	var victim *exec.Cmd
	for range 50 {
		if err := os.WriteFile(lastPid, []byte(strconv.Itoa(leader-1)), 0); err != nil {
			t.Skipf("cannot choose the next pid here: %v", err)
		}
		cmd := exec.Command("sh", "-c", "sleep 301 & wait")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if cmd.Process.Pid == leader {
			victim = cmd
			break
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	if victim == nil {
		t.Skip("another process took the pid every time")
	}
	exited := make(chan struct{}) // closed once the victim is reaped
	var waitErr error
	go func() { waitErr = victim.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-leader, syscall.SIGKILL)
		<-exited
	})

	testkit.Write(t, src, "22")
	s.await("changed", nil)
	s.await("started", nil)
	s.await("exited", nil)
	select {
	case <-exited:
		t.Fatalf("the unrelated group that reused COMMAND's pid was stopped: %v", waitErr)
	default:
	}
	if err := syscall.Kill(-leader, 0); err != nil {
		t.Fatalf("the unrelated group is gone: %v", err)
	}
	s.stop()
}
