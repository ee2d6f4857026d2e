package guard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

func TestMain(m *testing.M) {
	Main() // the guards these tests start are this binary
	os.Exit(m.Run())
}

func config(argv ...string) Config {
	return Config{Path: argv[0], Argv: argv, Env: os.Environ(), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		StopSignal: syscall.SIGTERM, Grace: time.Second}
}

// awaitEnd waits for the guard's reports to end and returns the last state.
func awaitEnd(t *testing.T, c *Child, wake <-chan struct{}) Pending {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-c.Done():
			c.AwaitGuard()
			return c.Take()
		case <-wake:
		case <-deadline:
			t.Fatal("the guard's reports did not end within 10s")
		}
	}
}

// TestStartReportsTheEnd: a guard starts COMMAND, reports its exit code,
// waits for what COMMAND left running, and exits.
func TestStartReportsTheEnd(t *testing.T) {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	c, err := Start(config("/bin/sh", "-c", "sleep 0.2 & exit 3"), poke)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if c.Pid <= 0 || c.Guard <= 0 || c.Pid == c.Guard {
		t.Fatalf("Start = pid %d, guard %d", c.Pid, c.Guard)
	}
	if p, ok := proctree.ReadStat(c.Pid); ok && p.Pgid != c.Guard {
		t.Errorf("COMMAND's group is %d, want its guard's %d", p.Pgid, c.Guard)
	}
	end := awaitEnd(t, c, wake)
	if end.Status == nil || *end.Status != (proctree.Status{Code: 3}) || !end.Ended {
		t.Errorf("reports %+v, want exit code 3 and the end", end)
	}
}

// TestStartFailsWithTheErrno: a COMMAND that cannot be executed is the
// exec's errno, and the guard is gone.
func TestStartFailsWithTheErrno(t *testing.T) {
	_, err := Start(config("/no/such/command"), func() {})
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Start of a missing COMMAND: %v, want ENOENT", err)
	}
}

// TestDismissedSpareExits: a guard started ahead and never given its
// go-ahead starts nothing and exits when dismissed; one killed before its
// go-ahead makes Go fail with ErrGuardEnded.
func TestDismissedSpareExits(t *testing.T) {
	sp, err := Prestart(config("/bin/sh", "-c", "echo must not run >&2; exit 1"))
	if err != nil {
		t.Fatal(err)
	}
	sp.Dismiss() // reaps it: returns once it exited
	if syscall.Kill(sp.Pid, 0) == nil {
		if p, ok := proctree.ReadStat(sp.Pid); ok && !p.Zombie() {
			t.Errorf("the dismissed spare %d still runs", sp.Pid)
		}
	}
	sp, err = Prestart(config("/bin/true"))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(sp.Pid, syscall.SIGKILL)
	if _, err := sp.Go(false, nil, func() {}); err != ErrGuardEnded {
		t.Errorf("Go of a killed spare: %v, want ErrGuardEnded", err)
	}
}

// TestGuardRuntimeSettingsStayTheGuards: the guard's own runtime settings
// (guardRuntime) are in its environment, and COMMAND gets the environment
// it was given: its own GOGC, or none.
func TestGuardRuntimeSettingsStayTheGuards(t *testing.T) {
	for _, gogc := range []string{"GOGC=77", ""} {
		out := filepath.Join(t.TempDir(), "gogc")
		// COMMAND holds its guard until its stdin ends.
		cfg := config("/bin/sh", "-c", `printf %s "${GOGC-unset}" > "$1"; read _`, "sh", out)
		stdin, hold, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Files[0] = stdin
		cfg.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") })
		if gogc != "" {
			cfg.Env = append(cfg.Env, gogc)
		}
		wake := make(chan struct{}, 1)
		c, err := Start(cfg, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		stdin.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The guard runs (COMMAND waits): its environment is the one it was
		// executed with.
		if environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.Guard)); err == nil { // Linux
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
		hold.Close()
		awaitEnd(t, c, wake)
		c.Release()
		want := strings.TrimPrefix(gogc, "GOGC=")
		if gogc == "" {
			want = "unset"
		}
		if got, err := os.ReadFile(out); err != nil || string(got) != want {
			t.Errorf("with %q COMMAND saw GOGC %q (%v), want %q", gogc, got, err, want)
		}
	}
}
