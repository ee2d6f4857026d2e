//go:build linux

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestCommandGetsOnlyStdio: none of autoreload's own descriptors (the
// Watchman socket, its pipes, /proc handles) reaches COMMAND, nor one that
// autoreload inherited (here a pipe as descriptor 3), before or after a
// restart; COMMAND's 0, 1 and 2 are autoreload's own.
func TestCommandGetsOnlyStdio(t *testing.T) {
	t.Parallel()
	d := watchmantest.Start(t)
	dir := agedTree(t)
	ready := filepath.Join(t.TempDir(), "ready")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	s := startSession(t, dir, []string{"WATCHMAN_SOCK=" + d.Sock}, []*os.File{w}, "--reloader=watchman",
		"--", "sh", "-c", `echo up >> "$1"; exec sleep 1000`, "sh", ready)
	_, started := s.readyEvents()
	for _, n := range []int{1, 2} {
		if n == 2 {
			started = s.await("started", nil, "changed")
		}
		testkit.WaitLines(t, ready, n)
		// Read the descriptors of sleep, not of its loader, which opens
		// libc while sh's exec is under way.
		deadline := time.Now().Add(waitLimit)
		for !strings.Contains(readFileString("/proc/"+strconv.Itoa(started.pid())+"/wchan"), "nanosleep") {
			if time.Now().After(deadline) {
				t.Fatalf("start %d: COMMAND %d never reached sleep", n, started.pid())
			}
			time.Sleep(5 * time.Millisecond)
		}
		fds := testkit.OpenFiles(t, started.pid())
		if got := slices.Sorted(mapKeys(fds)); !slices.Equal(got, []int{0, 1, 2}) {
			t.Errorf("start %d: COMMAND has descriptors %v, want only 0, 1, 2: %v", n, got, fds)
		}
		own := testkit.OpenFiles(t, s.cmd.Process.Pid)
		for fd := range 3 {
			if fds[fd] != own[fd] {
				t.Errorf("start %d: COMMAND's descriptor %d is %s, autoreload's is %s", n, fd, fds[fd], own[fd])
			}
		}
		if n == 1 {
			testkit.Write(t, filepath.Join(dir, "main.go"), "package main // changed\n")
			s.await("changed", nil, "started")
		}
	}
	s.stop()
}

func readFileString(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func mapKeys(m map[int]string) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
