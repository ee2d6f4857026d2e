package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestClosedStderrIsSurvived: autoreload's stderr is a pipe whose reader
// goes away (`2> >(head -2)`, a log viewer that quits). Logging must not
// kill autoreload (SIGPIPE): it goes on restarting COMMAND, and a later
// SIGINT still ends it with exit 0, leaving nothing.
func TestClosedStderrIsSurvived(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	starts := filepath.Join(t.TempDir(), "starts")
	mark := "TestClosedStderrIsSurvived-" + time.Now().Format("150405.000000000")
	cmd := exec.Command(binary, "--log-format=json", "--poll-interval=50ms", "--reloader=stat",
		"--", helper, "env", starts)
	cmd.Dir = dir
	cmd.Env = overrideEnv(os.Environ(), []string{"AUTORELOAD_TEST_HELPER=1", "AUTORELOAD_TEST_MARK=" + mark})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		for _, p := range marked(mark) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})

	// Read until autoreload watches, then go away as `head` would.
	lines := bufio.NewScanner(r)
	for lines.Scan() && !strings.Contains(lines.Text(), `"watching"`) {
	}
	r.Close()
	testkit.WaitLines(t, starts, 1)
	for n := 2; n <= 3; n++ { // each restart logs several lines
		testkit.Write(t, filepath.Join(dir, "main.go"), strings.Repeat("x", n))
		testkit.WaitLines(t, starts, n)
	}

	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("autoreload after SIGINT with its stderr closed: %v, want exit 0", ee)
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("autoreload still running %v after SIGINT", waitLimit)
	}
	if left := marked(mark); len(left) > 0 {
		t.Errorf("left after autoreload exited: %v", left)
	}
}
