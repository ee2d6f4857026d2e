package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// The Run tests are not parallel: a supervisor reaps every child of its
// process outside its own group, so two at once would take each other's
// exit statuses. A program runs one Supervisor at a time.

// waitLimit bounds every wait: generous, since the machine is shared.
const waitLimit = 30 * time.Second

// child returns options running this test binary as COMMAND in mode.
func child(t *testing.T, mode string, args ...string) Options {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	return Options{
		Command: append([]string{self}, args...),
		Env:     append(os.Environ(), childVar+"="+mode),
		Grace:   5 * time.Second,
		Stdin:   devnull, // never a terminal: job control is not under test here
	}
}

// runAsync runs s until the test ends; done delivers Run's result once.
func runAsync(t *testing.T, s *Supervisor) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		errc <- s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(waitLimit):
			t.Error("Run did not return after its context ended")
		}
	})
	return cancel, errc
}

// gone reports whether pid no longer exists, not even as a zombie.
func gone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// TestRunRestartsAndStops: Run starts COMMAND with AUTORELOAD_CHANGED
// empty, restarts it with the changed paths of the requests that joined,
// stopping the old one first, and on cancel stops the last one and
// returns nil.
func TestRunRestartsAndStops(t *testing.T) {
	file := filepath.Join(t.TempDir(), "starts")
	s := New(child(t, "record", file))
	cancel, done := runAsync(t, s)
	first := strings.Fields(testkit.WaitLines(t, file, 1)[0])
	if len(first) != 1 {
		t.Fatalf("first start recorded %q, want a pid and no changed paths", first)
	}
	s.Restart([]string{"/src/a.go"})
	s.Restart([]string{"/src/b.go", "/src/a.go"})
	// The second request may join the first restart (then a.go comes
	// first) or arrive once it went through: then a third start follows,
	// and the second one may be stopped before it records anything. Either
	// way the last start names both paths, and none names a path twice.
	var lines []string
	for deadline := time.Now().Add(waitLimit); ; {
		lines = testkit.WaitLines(t, file, 2)
		if strings.Contains(lines[len(lines)-1], "/src/b.go") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start named /src/b.go within %v: %q", waitLimit, lines)
		}
		time.Sleep(10 * time.Millisecond) // nothing to await but COMMAND's file
	}
	second := strings.Fields(lines[1])
	if len(second) != 2 || !strings.HasPrefix(second[1], "/src/a.go") && second[1] != "/src/b.go,/src/a.go" {
		t.Fatalf("second start recorded %q, want a pid and /src/a.go first, or b.go then a.go", second)
	}
	if last := strings.Fields(lines[len(lines)-1]); len(last) != 2 || strings.Count(last[1], "/src/a.go") != 1 {
		t.Fatalf("last start recorded %q, want a pid, /src/a.go and /src/b.go once each", last)
	}
	firstPid, _ := strconv.Atoi(first[0])
	if !gone(firstPid) {
		t.Errorf("the first COMMAND %d is still there after the restart", firstPid)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after cancel")
	}
	for _, l := range testkit.WaitLines(t, file, 2) {
		pid, _ := strconv.Atoi(strings.Fields(l)[0])
		if !gone(pid) {
			t.Errorf("COMMAND %d still there after Run returned", pid)
		}
	}
}

// TestRunReturnsExitCode: under OnExitExit, COMMAND's own exit ends Run with
// an *ExitError holding its code.
func TestRunReturnsExitCode(t *testing.T) {
	opts := child(t, "exit", "7")
	opts.OnExit = OnExitExit
	_, done := runAsync(t, New(opts))
	select {
	case err := <-done:
		var exit *ExitError
		if !errors.As(err, &exit) || exit.Code != 7 {
			t.Fatalf("Run = %v, want ExitError with code 7", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after COMMAND exited")
	}
}

// TestRunCannotStart: a COMMAND that cannot be executed ends the first Run
// with a *StartError.
func TestRunCannotStart(t *testing.T) {
	opts := child(t, "record")
	opts.Command = []string{filepath.Join(t.TempDir(), "missing")}
	_, done := runAsync(t, New(opts))
	select {
	case err := <-done:
		var start *StartError
		if !errors.As(err, &start) {
			t.Fatalf("Run = %v, want a StartError", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
}

// TestNewChangesNothing: New leaves the process as it was; the side
// effects are Setup's (TestMain called it, so undo the mark first).
func TestNewChangesNothing(t *testing.T) {
	os.Unsetenv(helperVar)
	defer markHelpers()
	New(Options{Command: []string{"true"}})
	if v, ok := os.LookupEnv(helperVar); ok {
		t.Errorf("New set %s=%s", helperVar, v)
	}
}
