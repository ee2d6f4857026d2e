package testkit

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// OpenFiles maps each open descriptor of process pid to what it refers to
// (a path, "anon_inode:inotify", "socket:[…]"), as /proc/PID/fd shows it.
// Without /proc (not Linux) it skips t; a process that is gone fails it.
func OpenFiles(t testing.TB, pid int) map[int]string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		if _, noProc := os.Stat("/proc/self/fd"); noProc != nil {
			t.Skip("no /proc here: descriptors are counted in /proc/PID/fd")
		}
		t.Fatal(err)
	}
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		n, _ := strconv.Atoi(e.Name())
		fds[n], _ = os.Readlink(filepath.Join(dir, e.Name()))
	}
	return fds
}

// OpenFDs counts the open descriptors of process pid (see OpenFiles).
func OpenFDs(t testing.TB, pid int) int {
	t.Helper()
	return len(OpenFiles(t, pid))
}

// InotifyFDs counts the inotify instances that process pid holds open (see
// OpenFiles).
func InotifyFDs(t testing.TB, pid int) int {
	t.Helper()
	n := 0
	for _, target := range OpenFiles(t, pid) {
		if target == "anon_inode:inotify" {
			n++
		}
	}
	return n
}

// StatusNumber is the number on a field's line of /proc/PID/status (field
// without its colon; a "kB" unit dropped): Threads, VmHWM…
func StatusNumber(t testing.TB, pid int, field string) int {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("/proc/%d/status: %q", pid, line)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no %s line", pid, field)
	return 0
}
