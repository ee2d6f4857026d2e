package guard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestMain(m *testing.M) {
	Main() // the guards these tests start are this binary
	os.Exit(m.Run())
}

func config(grace time.Duration, argv ...string) Config {
	return Config{Path: argv[0], Argv: argv, Env: os.Environ(), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		StopSignal: syscall.SIGTERM, Grace: grace}
}

// newGuard starts a guard whose pokes wake the returned channel, and
// closes and reaps it at the end of the test.
func newGuard(t *testing.T, cfg Config) (*Guard, <-chan struct{}) {
	t.Helper()
	wake := make(chan struct{}, 1)
	g, err := New(cfg, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Close()
		g.Await()
	})
	return g, wake
}

// awaitStatus waits for c's end to be reported.
func awaitStatus(t *testing.T, c *Child, wake <-chan struct{}) Pending {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if p := c.Take(); p.Status != nil || p.Ended {
			return p
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatal("COMMAND's end not reported within 10s")
		}
	}
}

// pids reads the pids a COMMAND wrote to file, one a line, once there are n.
func pids(t *testing.T, file string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(file)
		lines := strings.Fields(string(data))
		if len(lines) >= n {
			var out []int
			for _, l := range lines {
				pid, _ := strconv.Atoi(l)
				out = append(out, pid)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %d pids, within 10s", file, data, n)
		}
		time.Sleep(5 * time.Millisecond) // nothing to await: COMMAND writes a file
	}
}

func alive(pid int) bool {
	p, ok := proctree.ReadStat(pid)
	return ok && !p.Zombie()
}

// TestStartReportsTheEnd: a guard starts COMMAND in its own group and
// reports its exit code; a stop then ends what COMMAND left running, and
// the guard stays for the next start.
func TestStartReportsTheEnd(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pids")
	g, wake := newGuard(t, config(time.Second, "/bin/sh", "-c", `sleep 1000 & echo $! > "$0"; exit 3`, file))
	c, err := g.Start(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pid <= 0 || c.Guard != g.Pid || c.Pid == c.Guard {
		t.Fatalf("Start = pid %d, guard %d (%d)", c.Pid, c.Guard, g.Pid)
	}
	if p, ok := proctree.ReadStat(c.Pid); ok && p.Pgid != g.Pid {
		t.Errorf("COMMAND's group is %d, want its guard's %d", p.Pgid, g.Pid)
	}
	left := pids(t, file, 1)[0]
	if end := awaitStatus(t, c, wake); end.Status == nil || *end.Status != (proctree.Status{Code: 3}) || end.Ended {
		t.Errorf("reports %+v, want exit code 3, the guard still there", end)
	}
	if !alive(left) {
		t.Fatalf("COMMAND's background sleep %d ended before the stop", left)
	}
	if err := g.Stop(nil); err != nil {
		t.Fatal(err)
	}
	if alive(left) {
		t.Errorf("the background sleep %d runs after the stop", left)
	}
	if c, err := g.Start(false, []string{"X=1"}); err != nil || awaitStatus(t, c, wake).Status.Code != 3 {
		t.Errorf("a second start under the same guard: %v", err)
	}
}

// TestStartFailsWithTheErrno: a COMMAND that cannot be executed is the
// exec's errno; the guard stays.
func TestStartFailsWithTheErrno(t *testing.T) {
	g, _ := newGuard(t, config(time.Second, "/no/such/command"))
	if _, err := g.Start(false, nil); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Start of a missing COMMAND: %v, want ENOENT", err)
	}
	if err := g.Stop(nil); err != nil || g.Ended() {
		t.Errorf("Stop after a failed start: %v (ended %v), want the guard still there", err, g.Ended())
	}
}

// TestRestartStopsTheWholeTreeFirst: a restart stops the tree — a
// process that left the group (setsid) included — before the next COMMAND
// starts, under the same guard, with the environment of this start.
func TestRestartStopsTheWholeTreeFirst(t *testing.T) {
	dir := t.TempDir()
	file, env := filepath.Join(dir, "pids"), filepath.Join(dir, "env")
	g, wake := newGuard(t, config(10*time.Second, "/bin/sh", "-c",
		`setsid sleep 1000 & echo $! >> "$0"; echo "$N" >> "$1"; exec sleep 1000`, file, env))
	first, err := g.Start(false, []string{"N=1"})
	if err != nil {
		t.Fatal(err)
	}
	old := append(pids(t, file, 1), first.Pid)
	second, err := g.Restart(false, []string{"N=2"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range old {
		if alive(pid) {
			t.Errorf("%d of the old tree runs beside the new COMMAND", pid)
		}
	}
	if end := awaitStatus(t, first, wake); end.Status == nil || end.Status.Signal != syscall.SIGTERM {
		t.Errorf("the old COMMAND's end: %+v, want SIGTERM", end)
	}
	if second.Guard != first.Guard || second.Pid == first.Pid {
		t.Errorf("second start %+v, first %+v: want the same guard, another COMMAND", second, first)
	}
	pids(t, file, 2)
	// The second COMMAND writes env after pids: wait for its line too.
	if got := testkit.WaitLines(t, env, 2); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("the starts' N: %q, want 1 then 2", got)
	}
}

// TestHeldRestartStartsNothing: a hold while the stop is under way drops
// the start; a kill ends the stop at once.
func TestHeldRestartStartsNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ran")
	g, _ := newGuard(t, config(time.Minute, "/bin/sh", "-c", `trap "" TERM; echo ran >> "$0"; while :; do sleep 0.05; done`, file))
	if _, err := g.Start(false, nil); err != nil {
		t.Fatal(err)
	}
	pids(t, file, 1) // "ran": its trap is set
	hold, kill := make(chan struct{}), make(chan struct{})
	close(hold)
	go func() {
		time.Sleep(50 * time.Millisecond) // the stop under way, held already
		close(kill)
	}()
	began := time.Now()
	if _, err := g.Restart(false, nil, kill, hold); err != ErrHeld {
		t.Errorf("a held restart: %v, want ErrHeld", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("the kill did not end the stop at once: %v", d)
	}
	if data, _ := os.ReadFile(file); string(data) != "ran\n" {
		t.Errorf("COMMAND ran %q, want once", data)
	}
}

// TestClosedGuardStopsTheTree: the end of the control pipe (the supervisor
// killed) makes the guard stop the tree, SIGKILL after min(grace, 1s), and
// exit.
func TestClosedGuardStopsTheTree(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pids")
	g, _ := newGuard(t, config(time.Minute, "/bin/sh", "-c", `trap "" TERM; setsid sleep 1000 & echo $! >> "$0"; echo $$ >> "$0"; wait`, file))
	if _, err := g.Start(false, nil); err != nil {
		t.Fatal(err)
	}
	tree := pids(t, file, 2)
	closed := time.Now()
	g.Close()
	if ws := g.Await(); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the guard ended %v, want exit 0", ws)
	}
	if d := time.Since(closed); d > 3*time.Second {
		t.Errorf("the guard took %v to stop a tree that ignores the stop signal, want about 1s", d)
	}
	for _, pid := range tree {
		if alive(pid) {
			t.Errorf("%d runs on after its guard ended", pid)
		}
	}
}

// TestStopBySIGKILL: with SIGKILL as the stop signal, a stop kills the
// tree and not the guard, which leads its group.
func TestStopBySIGKILL(t *testing.T) {
	cfg := config(time.Minute, "/bin/sh", "-c", `trap "" TERM; sleep 1000`)
	cfg.StopSignal = syscall.SIGKILL
	g, wake := newGuard(t, cfg)
	c, err := g.Start(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Stop(nil); err != nil || g.Ended() {
		t.Fatalf("Stop: %v (guard ended %v), want the guard still there", err, g.Ended())
	}
	if end := awaitStatus(t, c, wake); end.Status == nil || end.Status.Signal != syscall.SIGKILL {
		t.Errorf("COMMAND's end %+v, want SIGKILL", end)
	}
}

// TestGuardRuntimeSettingsStayTheGuards: the guard's own runtime settings
// (guardRuntime) are in its environment, and COMMAND gets the environment
// it was given: its own GOGC, or none.
func TestGuardRuntimeSettingsStayTheGuards(t *testing.T) {
	for _, gogc := range []string{"GOGC=77", ""} {
		out := filepath.Join(t.TempDir(), "gogc")
		// COMMAND holds its guard until its stdin ends; it runs twice, so
		// that a restart's COMMAND is seen to get its environment too.
		cfg := config(time.Second, "/bin/sh", "-c", `printf '%s\n' "${GOGC-unset}" >> "$1"; read _`, "sh", out)
		stdin, hold, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Close()
		cfg.Files[0] = stdin
		cfg.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") })
		if gogc != "" {
			cfg.Env = append(cfg.Env, gogc)
		}
		g, _ := newGuard(t, cfg)
		stdin.Close()
		if _, err := g.Start(false, nil); err != nil {
			t.Fatal(err)
		}
		// The guard runs (COMMAND waits): its environment is the one it was
		// executed with.
		if environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", g.Pid)); err == nil { // Linux
			env := strings.Split(string(environ), "\x00")
			for _, kv := range guardRuntime {
				if !slices.Contains(env, kv) {
					t.Errorf("the guard's environment lacks %s", kv)
				}
			}
			if gogc != "" && slices.Contains(env, gogc) {
				t.Errorf("the guard's environment holds COMMAND's %s", gogc)
			}
		}
		pids(t, out, 1)
		if _, err := g.Restart(false, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		pids(t, out, 2)
		hold.Close()
		want := strings.TrimPrefix(gogc, "GOGC=")
		if gogc == "" {
			want = "unset"
		}
		got, err := os.ReadFile(out)
		if err != nil || string(got) != want+"\n"+want+"\n" {
			t.Errorf("with %q COMMAND saw GOGC %q (%v), want %q at each start", gogc, got, err, want)
		}
	}
}
