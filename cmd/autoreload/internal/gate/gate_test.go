package gate

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

func TestMain(m *testing.M) {
	guard.Main()           // the build's guard is this binary too
	closeInheritedOnExec() // as supervisor.Setup does in autoreload
	goleak.VerifyTestMain(m)
}

// closeInheritedOnExec marks what the test binary inherited (a CI
// runner's pipe) close-on-exec, as the supervisor does for autoreload.
func closeInheritedOnExec() {
	names, _ := os.ReadDir("/proc/self/fd")
	for _, n := range names {
		if fd, err := strconv.Atoi(n.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// run starts cmdline with out as stdout and stderr and waits for it.
func run(t *testing.T, ctx context.Context, cmdline string, env ...string) (Result, string) {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	b, err := Start(cmdline, Options{Env: append([]string{"PATH=" + os.Getenv("PATH")}, env...),
		Stdout: out, Stderr: out, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := b.Wait(ctx)
	text, _ := os.ReadFile(out.Name())
	return r, string(text)
}

func TestResults(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		ok      bool
		code    int
		signal  syscall.Signal
	}{
		{"true", true, 0, 0},
		{"exit 7", false, 7, 0},
		{"kill -KILL $$", false, -1, syscall.SIGKILL},
	} {
		r, _ := run(t, context.Background(), tc.cmdline)
		if r.OK() != tc.ok || r.Code != tc.code || r.Signal != tc.signal || r.Cancelled {
			t.Errorf("%q: %+v, want ok %v code %d signal %v", tc.cmdline, r, tc.ok, tc.code, tc.signal)
		}
	}
}

// TestEnvironmentAndDescriptors: the build gets exactly the environment
// given, /dev/null as stdin, the given stdout and stderr, and no other
// descriptor: not the listening socket this process holds.
func TestEnvironmentAndDescriptors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, out := run(t, context.Background(),
		`echo "changed=$AUTORELOAD_CHANGED"; echo "home=${HOME-unset}"; read -r line; echo "read=$?"; echo err >&2; exec ls /proc/self/fd`,
		"AUTORELOAD_CHANGED=a.go")
	if !r.OK() {
		t.Fatalf("build failed: %+v\n%s", r, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"changed=a.go", "home=unset", "read=1", "err"}
	if len(lines) < len(want) || strings.Join(lines[:4], "|") != strings.Join(want, "|") {
		t.Fatalf("output %q, want it to begin with %q", lines, want)
	}
	var fds []string
	for _, l := range lines[4:] {
		fds = append(fds, strings.Fields(l)...)
	}
	// 3 is the directory ls reads.
	if strings.Join(fds, " ") != "0 1 2 3" {
		t.Errorf("the build holds descriptors %v, want 0 1 2 and the one ls reads", fds)
	}
}

func TestCancelStopsTheGroup(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	ctx, cancel := context.WithCancel(context.Background())
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	// A child in the group that would outlive its shell, and a shell that
	// says it is ready once both run.
	b, err := Start(`sleep 300 & echo $! > `+ready+`.tmp; mv `+ready+`.tmp `+ready+`; wait`,
		Options{Env: []string{"PATH=" + os.Getenv("PATH")}, Stdout: out, Stderr: out, Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	child := awaitPid(t, ready)
	cancel()
	start := time.Now()
	r := b.Wait(ctx)
	if !r.Cancelled || r.OK() {
		t.Errorf("result %+v, want cancelled", r)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the stop took %v: the stop signal was not heeded", d)
	}
	awaitGone(t, child)
}

func TestCancelKillsAfterGrace(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	b, err := Start(`trap '' TERM; echo $$ > `+ready+`.tmp; mv `+ready+`.tmp `+ready+`; while :; do sleep 0.05; done`,
		Options{Env: []string{"PATH=" + os.Getenv("PATH")}, Stdout: out, Stderr: out, Grace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	awaitPid(t, ready)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := b.Wait(ctx)
	if !r.Cancelled || r.Signal != syscall.SIGKILL {
		t.Errorf("result %+v, want cancelled, killed by SIGKILL", r)
	}
}

// TestEndKillsLeftovers: a build's job is done when its shell exits; what
// it left running is killed, in its group or not.
func TestEndKillsLeftovers(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "pid")
	r, out := run(t, context.Background(), `sleep 300 & setsid sleep 300 & echo $! > `+ready+`; exit 0`)
	if !r.OK() {
		t.Fatalf("%+v %s", r, out)
	}
	awaitGone(t, awaitPid(t, ready))
}

func TestStartFails(t *testing.T) {
	if _, err := Start("true", Options{Shell: "/no/such/sh"}); err == nil || !strings.Contains(err.Error(), "/no/such/sh") {
		t.Errorf("Start with a missing shell: %v", err)
	}
}

func awaitPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s after 10s", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// awaitGone waits until pid no longer runs (a zombie counts as gone: its
// parent is the build's shell's parent, init or a subreaper).
func awaitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, ok := proctree.ReadStat(pid); !ok || p.Zombie() {
			return
		}
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs 10s after the build ended", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
