package proctree

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestReadStatOfSelf(t *testing.T) {
	p, ok := ReadStat(os.Getpid())
	if !ok || p.Pid != os.Getpid() || p.PPid != os.Getppid() || p.Pgid != syscall.Getpgrp() || p.Zombie() || p.Start == 0 {
		t.Fatalf("ReadStat(self) = %+v, %v; want pid %d ppid %d alive", p, ok, os.Getpid(), os.Getppid())
	}
	if _, ok := ReadStat(-1); ok {
		t.Error("ReadStat(-1) succeeded")
	}
}

// TestReadStatOfOddNames: a name may hold spaces and parentheses; the
// fields are counted from the last ')'.
func TestReadStatOfOddNames(t *testing.T) {
	dir := t.TempDir()
	odd := dir + "/a) b (c"
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	p, ok := ReadStat(cmd.Process.Pid)
	if !ok || p.Comm != "a) b (c" || p.PPid != os.Getpid() {
		t.Fatalf("ReadStat = %+v, %v; want comm %q, parent %d", p, ok, "a) b (c", os.Getpid())
	}
}

// testTree is one child process and its descendants, reaped by the test.
type testTree struct {
	cmd    *exec.Cmd
	out    io.Reader // its stdout
	done   chan struct{}
	status Status
}

func (tt *testTree) Sweep() bool {
	select {
	case <-tt.done:
		return true
	default:
		return false
	}
}

func (tt *testTree) Signal(sig syscall.Signal) { _ = syscall.Kill(-tt.cmd.Process.Pid, sig) }

func startTree(t *testing.T, script string) *testTree {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tt := &testTree{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		tt.status = StatusOf(cmd.ProcessState.Sys().(syscall.WaitStatus))
		close(tt.done)
	}()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return tt
}

// TestStopSignalsThenKills: a tree that dies of the stop signal is not
// killed; one that ignores it is, after the grace period; kill cuts the
// grace short.
func TestStopSignalsThenKills(t *testing.T) {
	t.Parallel()
	obeys := startTree(t, "sleep 1000")
	Stop(obeys, syscall.SIGTERM, time.Minute, nil, nil)
	if obeys.status.Signal != syscall.SIGTERM {
		t.Errorf("a tree that obeys the stop signal ended %+v, want by SIGTERM", obeys.status)
	}
	ignores := startTree(t, `trap "" TERM; echo ready; exec sleep 1000`) // sleep inherits the ignored TERM
	if _, err := bufio.NewReader(ignores.out).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	Stop(ignores, syscall.SIGTERM, 50*time.Millisecond, nil, nil)
	if ignores.status.Signal != syscall.SIGKILL {
		t.Errorf("a tree that ignores the stop signal ended %+v, want by SIGKILL", ignores.status)
	}
	kill := make(chan struct{})
	close(kill)
	killed := startTree(t, "sleep 1000")
	Stop(killed, syscall.SIGTERM, time.Hour, nil, kill)
	if killed.status.Signal != syscall.SIGKILL {
		t.Errorf("a tree stopped after kill ended %+v, want by SIGKILL", killed.status)
	}
}
