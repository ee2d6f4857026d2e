//go:build !linux

package supervisor

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// reaper finds, signals and reaps the processes of a group where there is
// no subreaper and no /proc: the tree is the leader's process group, so a
// descendant that starts its own session or group is not seen.
type reaper struct {
	C     chan os.Signal
	spare int          // the running build's guard (unused: only g's leader is reaped here)
	keep  map[int]bool // the run's guard, reaped by closeGuard or guardLost only (unused here too)
}

func newReaper() *reaper {
	r := &reaper{C: make(chan os.Signal, 1), keep: map[int]bool{}}
	signal.Notify(r.C, syscall.SIGCHLD)
	return r
}

func (r *reaper) close() { signal.Stop(r.C) }

// sweep reaps g's leader when it exited and returns what is alive of its
// group: the group id stands for all of its members.
func (r *reaper) sweep(g *group) []proctree.Stat {
	if g == nil || g.pid == 0 {
		return nil
	}
	reapLeader(g)
	if g.child != nil {
		g.guard().Reap()
	}
	if syscall.Kill(-g.pgid, 0) == nil {
		return []proctree.Stat{{Pid: g.pid, Pgid: g.pgid}}
	}
	return nil
}

func (r *reaper) signal(g *group, _ []proctree.Stat, sig syscall.Signal, groupDone bool) {
	if g != nil && g.pid != 0 && !groupDone {
		_ = syscall.Kill(-g.pgid, sig)
	}
}
