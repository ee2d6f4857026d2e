package watchmantest_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/watchmantest"
)

func TestDaemonLifecycle(t *testing.T) {
	d := watchmantest.Start(t)
	r := d.MustCommand("get-sockname")
	if r["sockname"] != d.Sock {
		t.Fatalf("get-sockname = %v, want %s", r["sockname"], d.Sock)
	}
	pid := d.Pid()

	d.Freeze()
	c, err := net.DialTimeout("unix", d.Sock, 5*time.Second)
	if err != nil {
		t.Fatalf("a frozen daemon should still accept: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	c.Write([]byte("[\"get-pid\"]\n"))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a frozen daemon answered")
	}
	c.Close()
	d.Thaw()
	d.MustCommand("get-pid")

	d.Restart()
	if d.Pid() == pid {
		t.Fatal("restart kept the same process")
	}
	d.MustCommand("get-pid")

	d.Kill()
	if _, err := d.Command("get-pid"); err == nil {
		t.Fatal("a killed daemon answered")
	}
	d.Restart()
	d.Shutdown()
	if _, err := d.Command("get-pid"); err == nil {
		t.Fatal("a shut-down daemon answered")
	}
}

func TestCleanupKillsFrozenDaemon(t *testing.T) {
	var pid int
	t.Run("inner", func(t *testing.T) {
		d := watchmantest.Start(t)
		d.Freeze()
		pid = d.Pid()
	})
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("daemon %d still runs after its test ended", pid)
	}
}

func TestStateIsHeldByConnection(t *testing.T) {
	d := watchmantest.Start(t)
	root := t.TempDir()
	d.MustCommand("watch-project", root)
	c := d.Dial()
	if _, err := c.Command("state-enter", root, "hg.update"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Command("state-leave", root, "hg.update"); err != nil {
		t.Fatal(err)
	}
}

// A test binary that dies without running its Cleanup (a -timeout panic)
// takes its daemon with it.
func TestDaemonDiesWithTheTestBinary(t *testing.T) {
	if os.Getenv("WATCHMANTEST_DIE") == "1" {
		d := watchmantest.Start(t)
		fmt.Println("pid", d.Pid())
		os.Exit(0) // no Cleanup
	}
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDaemonDiesWithTheTestBinary$")
	cmd.Env = append(os.Environ(), "WATCHMANTEST_DIE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var pid int
	if _, err := fmt.Sscanf(string(out), "pid %d", &pid); err != nil {
		t.Fatalf("helper printed %q: %v", out, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil && !isZombie(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("daemon %d outlived its test binary by 10s", pid)
		}
		time.Sleep(10 * time.Millisecond) // nothing to await across processes
	}
}

// isZombie: a killed daemon whose parent is gone waits for init to reap it.
// (The one /proc/PID/stat reader is cmd/autoreload's, which this package
// cannot import; /proc/PID/status says the state as plainly.)
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	return strings.Contains(string(b), "\nState:\tZ") || strings.Contains(string(b), "\nState:\tX")
}
