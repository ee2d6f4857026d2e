// Package watchmantest starts a private Watchman daemon for one test and
// breaks it on demand (shutdown, SIGKILL, SIGSTOP, restart).
//
// Guarantees: the daemon gets its own socket, state, log and pid files under
// t.TempDir(), so it never touches the default socket or another test's
// daemon; it is always killed and reaped when the test ends (t.Cleanup), even
// when frozen; nothing here changes the process environment (tests pass
// d.Sock to the code under test, or use d.Env() for a child process).
package watchmantest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long Start and Restart wait for the daemon to
// answer. Generous: the machine is shared and tests run under -race.
const StartTimeout = 30 * time.Second

// Daemon is one private Watchman daemon owned by a test.
type Daemon struct {
	Sock string // the daemon's Unix socket; pass it as WATCHMAN_SOCK
	Dir  string // holds sock, state, log and pid

	t   testing.TB
	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the current process has been reaped.
	exited chan struct{}
	frozen bool
}

// Start starts a private daemon for t and waits until it answers on its
// socket. The test fails (FailNow) when watchman is missing or never answers.
func Start(t testing.TB) *Daemon {
	t.Helper()
	if _, err := exec.LookPath("watchman"); err != nil {
		t.Fatalf("watchmantest: watchman is not installed: %v", err)
	}
	// Unix socket paths are limited to ~108 bytes; t.TempDir() under a long
	// test name can exceed that, so the socket lives in a short dir of its own.
	dir, err := os.MkdirTemp("", "wm")
	if err != nil {
		t.Fatalf("watchmantest: %v", err)
	}
	d := &Daemon{Dir: dir, Sock: filepath.Join(dir, "sock"), t: t}
	t.Cleanup(func() {
		d.stop()
		os.RemoveAll(dir)
	})
	if err := d.start(); err != nil {
		t.Fatalf("watchmantest: %v", err)
	}
	return d
}

// Env returns the environment for a child process that must use this daemon.
func (d *Daemon) Env() []string {
	return append(os.Environ(), "WATCHMAN_SOCK="+d.Sock)
}

// Pid returns the process id of the running daemon.
func (d *Daemon) Pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cmd.Process.Pid
}

// LogFile returns the path of the daemon's log.
func (d *Daemon) LogFile() string { return filepath.Join(d.Dir, "log") }

func (d *Daemon) start() error {
	cmd := exec.Command("watchman", "--foreground",
		"--sockname="+d.Sock,
		"--statefile="+filepath.Join(d.Dir, "state"),
		"--logfile="+d.LogFile(),
		"--pidfile="+filepath.Join(d.Dir, "pid"),
		"--no-save-state")
	cmd.Env = append(os.Environ(), "WATCHMAN_SOCK="+d.Sock)
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start watchman: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	d.mu.Lock()
	d.cmd, d.exited, d.frozen = cmd, exited, false
	d.mu.Unlock()

	deadline := time.Now().Add(StartTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("watchman exited at start-up: %s (log %s)", cmd.ProcessState, d.LogFile())
		default:
		}
		_, err := d.command(time.Second, "get-pid")
		if err == nil {
			return nil
		}
		lastErr = err
		// Polling is the only way to learn that a freshly started daemon
		// listens; the interval is short and bounded by StartTimeout.
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("watchman did not answer on %s within %s: %v", d.Sock, StartTimeout, lastErr)
}

// stop kills the daemon (thawing it first so SIGKILL is not delayed) and
// waits until it is reaped.
func (d *Daemon) stop() {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Kill()
	select {
	case <-exited:
	case <-time.After(StartTimeout):
		d.t.Errorf("watchmantest: daemon %d not reaped after SIGKILL", cmd.Process.Pid)
	}
}

// Shutdown asks the daemon to exit (shutdown-server) and waits until it has.
func (d *Daemon) Shutdown() {
	d.t.Helper()
	if _, err := d.Command("shutdown-server"); err != nil {
		d.t.Fatalf("watchmantest: shutdown-server: %v", err)
	}
	d.waitExit("shutdown-server")
}

// Kill sends SIGKILL and waits until the daemon is reaped. The socket file
// stays behind, as after a crash.
func (d *Daemon) Kill() {
	d.t.Helper()
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		d.t.Fatalf("watchmantest: kill: %v", err)
	}
	d.waitExit("SIGKILL")
}

// Freeze sends SIGSTOP: the daemon still accepts connections (the kernel
// does) but answers nothing, as a hung daemon.
func (d *Daemon) Freeze() { d.signal(syscall.SIGSTOP, true) }

// Thaw sends SIGCONT to a frozen daemon.
func (d *Daemon) Thaw() { d.signal(syscall.SIGCONT, false) }

func (d *Daemon) signal(sig syscall.Signal, frozen bool) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("watchmantest: %s: %v", sig, err)
	}
	d.frozen = frozen
}

// Restart stops the daemon if it still runs and starts a new one on the same
// socket, state and log files. Clocks of the old daemon are then stale.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.stop()
	if err := d.start(); err != nil {
		d.t.Fatalf("watchmantest: restart: %v", err)
	}
}

func (d *Daemon) waitExit(why string) {
	d.t.Helper()
	d.mu.Lock()
	exited := d.exited
	d.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(StartTimeout):
		d.t.Fatalf("watchmantest: daemon did not exit within %s after %s", StartTimeout, why)
	}
}
