//go:build linux

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// TestInteractiveCommand runs autoreload on a terminal with a COMMAND that
// turns echo off and reads the terminal: it must get the foreground (else
// SIGTTIN stops it), the user's Ctrl-C must end everything with exit 0, and
// echo must be on again afterwards.
func TestInteractiveCommand(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	defer master.Close()
	out := filepath.Join(t.TempDir(), "out")
	mark := "interactive-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	cmd := exec.Command(binary, "--", "sh", "-c", `stty -echo; read line; echo "got $line" > "$1"; sleep 1000`, "sh", out)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "AUTORELOAD_TEST_MARK="+mark)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, master)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		for _, p := range marked(mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}()

	// The line is buffered by the terminal until COMMAND reads it.
	if _, err := master.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, out, 1); got[0] != "got hello" {
		t.Fatalf("COMMAND read %q, want \"got hello\"", got[0])
	}
	if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("autoreload after Ctrl-C: %v, want exit 0", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("autoreload still running %v after Ctrl-C", waitLimit)
	}
	if left := marked(mark); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 {
		t.Error("echo still off after COMMAND ended")
	}
	slave.Close()
}
