package watchmantest_test

import (
	"net"
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
