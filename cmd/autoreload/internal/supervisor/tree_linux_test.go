package supervisor

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/guard"
	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// The process-tree scenarios: what a restart and an end stop, with real
// COMMANDs, through the Supervisor's API. (cmd/autoreload keeps one
// end-to-end test of this, TestNothingLeftBehind.)

// descendants lists the live processes below this one (the subreaper of
// all a Supervisor starts: TestMain ran Setup), zombies left out.
func descendants() []proctree.Stat {
	procs := proctree.Snapshot()
	below := map[int]bool{}
	proctree.AddDescendants(proctree.Children(procs), below, os.Getpid())
	var out []proctree.Stat
	for _, p := range procs {
		if below[p.Pid] && !p.Zombie() {
			out = append(out, p)
		}
	}
	return out
}

// exists reports whether the very process p is still there, even as a
// zombie: the same pid with the same start time.
func exists(p proctree.Stat) bool {
	now, ok := proctree.ReadStat(p.Pid)
	return ok && now.Start == p.Start
}

// TestRestartLeavesNothingBehind runs COMMANDs that leave descendants of
// every kind and checks that a restart starts the next COMMAND only once
// the old tree is gone, zombies included (its guard, which reaped them,
// may still be exiting), and that the end of Run leaves nothing, not even
// a zombie or a guard.
func TestRestartLeavesNothingBehind(t *testing.T) {
	// Each script appends a line to $1 once its descendants run.
	scripts := map[string]string{
		"grandchild":               `sleep 1000 & echo up >> "$1"; wait`,
		"grandchild-ignoring-TERM": `trap "" TERM; sleep 1000 & echo up >> "$1"; wait`,
		"setsid":                   `setsid sleep 1000 & echo up >> "$1"; wait`,
		"daemon":                   `setsid sh -c 'trap "" TERM; sleep 1000 & echo up >> "$1"' sh "$1" & exec sleep 1000`,
	}
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			opts := shell(t, script, ready)
			opts.Grace = 300 * time.Millisecond
			s := supervise(t, opts)
			s.log.await(t, MsgStarted, nil)
			testkit.WaitLines(t, ready, 1)
			old := descendants()
			if len(old) < 3 {
				t.Fatalf("want the guard, COMMAND and a descendant, found %v", old)
			}

			s.Restart([]string{"/src/src.txt"})
			s.log.await(t, MsgStarted, nil)
			for _, p := range old {
				// The old guard reported its tree gone, zombies reaped, and
				// may still be exiting: the next COMMAND does not wait for it.
				if exists(p) && p.Comm != guard.Comm {
					t.Errorf("%v of the old COMMAND still there when the next one started", p)
				}
			}

			testkit.WaitLines(t, ready, 2)
			second := descendants()
			s.stop(t)
			for _, p := range second {
				if exists(p) {
					t.Errorf("%v still there after Run returned (a zombie?)", p)
				}
			}
		})
	}
}

func TestStopSignalIgnoredKilledAfterGrace(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	opts := child(t, "ignore-term", ready)
	opts.Grace = 500 * time.Millisecond
	s := supervise(t, opts)
	first := s.log.await(t, MsgStarted, nil)
	if first.pid() == 0 {
		t.Fatalf("started = %v, want a pid", first)
	}
	testkit.WaitLines(t, ready, 1)
	since := time.Now()
	s.Restart([]string{"/src/src.txt"})
	e := s.log.await(t, MsgExited, nil, MsgStarted)
	if e.pid() != first.pid() || e.attrs["signal"] != "SIGKILL" {
		t.Fatalf("exited = %v, want pid %d by SIGKILL", e, first.pid())
	}
	// The stop begins after the request, so the whole grace period lies
	// between them; never an upper bound.
	if waited := time.Since(since); waited < opts.Grace {
		t.Errorf("killed %v after the request, before the %v grace", waited, opts.Grace)
	}
	s.log.await(t, MsgStarted, nil)
	s.stop(t)
}

// TestPortFreeForNextCommand: a server restarted by the supervisor can
// always bind its port again, even when a grandchild that ignores SIGTERM
// held it.
func TestPortFreeForNextCommand(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(t.TempDir(), "result")
	opts := shell(t, fmt.Sprintf(`%q %s %q & wait`, self, addr, result))
	opts.Env = append(os.Environ(), childVar+"=listen")
	opts.Grace = 300 * time.Millisecond
	s := supervise(t, opts)
	s.log.await(t, MsgStarted, nil)
	if got := testkit.WaitLines(t, result, 1); got[0] != "ok" {
		t.Fatalf("first listen: %s", got[0])
	}
	for i := 2; i <= 3; i++ {
		s.Restart([]string{"/src/src.txt"})
		s.log.await(t, MsgStarted, nil)
		if got := testkit.WaitLines(t, result, i); got[i-1] != "ok" {
			t.Fatalf("listen after restart %d: %s", i-1, got[i-1])
		}
	}
	s.stop(t)
}

// TestStopSparesAReusedGroupID: after COMMAND exits (OnExitWait), its
// pid can be handed to an unrelated process that leads a group of its own.
// The next restart must stop nothing of that group: the group id is no
// longer COMMAND's.
func TestStopSparesAReusedGroupID(t *testing.T) {
	// The pid is reused by asking the kernel for it next (ns_last_pid),
	// which other processes' forks may race.
	const lastPid = "/proc/sys/kernel/ns_last_pid"
	if f, err := os.OpenFile(lastPid, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot choose the next pid here: %v", err)
	} else {
		f.Close()
	}
	s := supervise(t, child(t, "exit", "0"))
	leader := s.log.await(t, MsgStarted, nil).pid()
	s.log.await(t, MsgExited, nil, MsgStarted)

	// The unrelated group's leader is not this process's child, as it is
	// not autoreload's end to end: a shell in this process's own group
	// starts it with the pid asked for, and waits for it. Its environment
	// has no mark of this process's helpers.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, helperVar+"=") })
	var parent *exec.Cmd
	for range 50 {
		cmd := exec.Command("sh", "-c", `echo "$1" > "$2" || exit 1; setsid sh -c 'sleep 301 & wait' & echo $!; wait`,
			"sh", strconv.Itoa(leader-1), lastPid)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		if _, err := fmt.Fscan(bufio.NewReader(out), &pid); err != nil {
			cmd.Wait()
			t.Skipf("cannot choose the next pid here: %v", err)
		}
		if pid == leader {
			parent = cmd
			break
		}
		syscall.Kill(-pid, syscall.SIGKILL)
		cmd.Wait()
	}
	if parent == nil {
		t.Skip("another process took the pid every time")
	}
	exited := make(chan struct{}) // closed once the group's leader ended (its parent then exits)
	var waitErr error
	go func() { waitErr = parent.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-leader, syscall.SIGKILL)
		<-exited
	})

	s.Restart([]string{"/src/a.txt"})
	s.log.await(t, MsgStarted, nil)
	s.log.await(t, MsgExited, nil)
	select {
	case <-exited:
		t.Fatalf("the unrelated group that reused COMMAND's pid was stopped: %v", waitErr)
	default:
	}
	if err := syscall.Kill(-leader, 0); err != nil {
		t.Fatalf("the unrelated group is gone: %v", err)
	}
	s.stop(t)
}
