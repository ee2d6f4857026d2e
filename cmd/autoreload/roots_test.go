package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/fallback/mounts"
)

// TestPseudoFilesystemsAreRefused: /proc, /sys, /dev and their kind change
// by themselves, so a poller on them restarts COMMAND on every scan. The
// mount table's type decides, not statfs: /dev/shm reports the same tmpfs
// magic as /dev and must stay watchable.
func TestPseudoFilesystemsAreRefused(t *testing.T) {
	t.Parallel()
	tab, err := mounts.Load()
	if err != nil {
		t.Skipf("no mount table: %v", err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "proc-link")
	if err := os.Symlink("/proc", link); err != nil {
		t.Fatal(err)
	}
	refused := []string{"/proc", "/proc/self", "/sys", "/dev", "/dev/pts", "/proc/cpuinfo", link}
	if m, ok := tab.Find("/sys/fs/cgroup/unified"); ok && m.Point == "/sys/fs/cgroup/unified" {
		refused = append(refused, m.Point)
	}
	for _, w := range refused {
		if m, ok := tab.Find(w); ok && m.Class() != mounts.Pseudo && w != link {
			t.Logf("%s is %s here, not a pseudo filesystem: skipped", w, m.Type)
			continue
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, "--reloader=stat", "--on-exit=exit", "-w", w, "--", "true")
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(lines) != 1 || !strings.Contains(lines[0], w) ||
			!strings.Contains(lines[0], "pseudo filesystem") {
			t.Errorf("-w %s: %v, stderr %q; want exit 2 and one line naming %s as a pseudo filesystem", w, err, stderr.String(), w)
		}
	}
	// /dev/shm says tmpfs in the mount table: a place to watch like any other.
	if m, ok := tab.Find("/dev/shm"); ok && m.Point == "/dev/shm" && m.Class() == mounts.Local {
		var stderr bytes.Buffer
		cmd := exec.Command(binary, "--reloader=stat", "--on-exit=exit", "-w", "/dev/shm", "--", "true")
		cmd.Dir, cmd.Stderr = dir, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("-w /dev/shm: %v, stderr %q; want it watched and exit 0", err, stderr.String())
		}
	}
}

// TestPseudoRootsByMountType: every pseudo type the mount table may give
// a root is refused, the local and remote ones are not, and a file root
// counts by the filesystem holding it.
func TestPseudoRootsByMountType(t *testing.T) {
	table := `22 1 0:21 / /proc rw - proc proc rw
23 1 0:22 / /sys rw - sysfs sysfs rw
24 1 0:5 / /dev rw - devtmpfs udev rw
25 24 0:23 / /dev/shm rw - tmpfs tmpfs rw
26 23 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
27 23 0:7 / /sys/kernel/debug rw - debugfs debugfs rw
28 1 8:1 / / rw - ext4 /dev/sda1 rw
29 28 0:40 / /mnt/nfs rw - nfs4 server:/export rw
`
	tab, err := mounts.Parse(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"/proc", "/proc/1/status", "/sys/class", "/dev", "/dev/null", "/sys/fs/cgroup", "/sys/kernel/debug/x"} {
		if err := checkRootFilesystems(tab, []string{"/home/me/src", root}, false); err == nil || !strings.Contains(err.Error(), root) {
			t.Errorf("root %s: %v; want it refused, by name", root, err)
		}
	}
	if err := checkRootFilesystems(tab, []string{"/dev/shm/x", "/home/me", "/mnt/nfs/src", "/"}, false); err != nil {
		t.Errorf("tmpfs, ext4 and nfs roots: %v; want them accepted", err)
	}
}
