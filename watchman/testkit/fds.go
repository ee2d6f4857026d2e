package testkit

import (
	"os"
	"path/filepath"
	"strconv"
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
