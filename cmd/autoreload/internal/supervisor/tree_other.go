//go:build !linux

package supervisor

import (
	"os"
	"os/signal"
	"syscall"
)

// reaper finds, signals and reaps the processes of a group where there is
// no subreaper and no /proc: the tree is the leader's process group, so a
// descendant that starts its own session or group is not seen.
type reaper struct {
	C     chan os.Signal
	spare int // the running build, reaped by its own Wait (unused: only g's leader is reaped here)
}

// becomeSubreaper does nothing: only Linux has subreapers.
func becomeSubreaper() {}

func newReaper() *reaper {
	r := &reaper{C: make(chan os.Signal, 1)}
	signal.Notify(r.C, syscall.SIGCHLD)
	return r
}

func (r *reaper) close() { signal.Stop(r.C) }

type proc struct{ pid, pgid int }

// sweep reaps g's leader when it exited and returns what is alive of its
// group: the group id stands for all of its members.
func (r *reaper) sweep(g *group) []proc {
	if g == nil || g.pid == 0 {
		return nil
	}
	reapLeader(g)
	g.reapGuard()
	if syscall.Kill(-g.pid, 0) == nil {
		return []proc{{pid: g.pid, pgid: g.pid}}
	}
	return nil
}

func (r *reaper) signal(g *group, _ []proc, sig syscall.Signal) {
	if g != nil && g.pid != 0 {
		_ = syscall.Kill(-g.pid, sig)
	}
}

// parentOf is the supervisor's parent; other processes' parents are not
// looked up here, and 0 says so.
func parentOf(pid int) int {
	if pid == os.Getpid() {
		return os.Getppid()
	}
	return 0
}

// ignoresSignal cannot tell here: no /proc.
func ignoresSignal(int, syscall.Signal) bool { return false }
