package supervisor

import (
	"bytes"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// reaper finds, signals and reaps the processes of a group on Linux.
//
// The supervisor makes itself the subreaper of its descendants: a process
// whose parent dies is re-parented to the supervisor instead of init, so
// every descendant, even one that called setsid, stays in the supervisor's
// subtree of /proc, and its zombie is the supervisor's to reap at once
// (init here reaps orphans only every second or two).
//
// It reaps only children outside its own process group: COMMAND and its
// descendants always are (COMMAND gets a group of its own), while a child
// started elsewhere in this process with os/exec stays in the supervisor's
// group and keeps its status for its own Cmd.Wait.
type reaper struct {
	// C receives SIGCHLD: some child of the supervisor changed state.
	C    chan os.Signal
	self int
	pgrp int
	// spare is a child that is neither COMMAND's nor to be reaped here:
	// the running build's guard, which its own Wait reaps.
	spare int
	// keep is the run's guard (and, a moment, a lost one): not
	// COMMAND's, and reaped by closeGuard or guardLost only.
	keep map[int]bool
}

func newReaper() *reaper {
	r := &reaper{C: make(chan os.Signal, 1), self: os.Getpid(), pgrp: syscall.Getpgrp(), keep: map[int]bool{}}
	signal.Notify(r.C, syscall.SIGCHLD)
	return r
}

func (r *reaper) close() { signal.Stop(r.C) }

// sweep reaps every exited child of the supervisor outside its own process
// group, records the status of g's leader when it is among them, and
// returns the processes of g's tree that are still alive.
func (r *reaper) sweep(g *group) []proctree.Stat {
	procs := proctree.Snapshot()
	reaped := map[int]bool{}
	for _, p := range procs {
		if p.PPid == r.self && p.Pgid != r.pgrp && p.Zombie() && p.Pid != r.spare && !r.keep[p.Pid] {
			reaped[p.Pid] = r.reap(g, p.Pid)
		}
	}
	reapLeader(g) // a leader that died or stopped after the snapshot
	if g == nil || g.pid == 0 {
		return nil
	}
	// The tree: the leader's process group, the supervisor's own children
	// outside its group (orphans re-parented to it) other than its own
	// helpers' daemons, and everything below.
	member := map[int]bool{}
	children := proctree.Children(procs)
	// Once the leader is reaped and the last member of its group is gone,
	// the kernel may hand its pid out again, as an unrelated group's id: a
	// group member then counts only if it descends from the supervisor (as
	// subreaper, all of COMMAND's tree does).
	var ours map[int]bool
	if !g.groupHeld() {
		ours = map[int]bool{}
		proctree.AddDescendants(children, ours, r.self)
	}
	for _, p := range procs {
		orphan := p.PPid == r.self && p.Pgid != r.pgrp && p.Pid != r.spare && !r.keep[p.Pid]
		inGroup := p.Pgid == g.pgid && (ours == nil || ours[p.Pid])
		if inGroup || (orphan && !p.Zombie() && !r.isHelper(p.Pid)) {
			member[p.Pid] = true
		}
	}
	roots := make([]int, 0, len(member))
	for pid := range member {
		roots = append(roots, pid)
	}
	proctree.AddDescendants(children, member, roots...)
	// A zombie counts until it is reaped: by the supervisor above, or by
	// its parent in the tree (the guard). A multi-threaded process shows
	// as a zombie while its other threads still exit, and cannot be reaped
	// yet: it counts too.
	var alive []proctree.Stat
	for _, p := range procs {
		if member[p.Pid] && !reaped[p.Pid] {
			alive = append(alive, p)
		}
	}
	return alive
}

// isHelper reports whether pid carries helperVar with the supervisor's pid
// in the environment it started with: a process of the supervisor's own
// program, such as a Watchman daemon spawned by `watchman get-sockname`.
// An environment that cannot be read (another user's process) counts as
// COMMAND's, so nothing of COMMAND's escapes a stop.
func (r *reaper) isHelper(pid int) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	mark := []byte(helperVar + "=" + strconv.Itoa(r.self) + "\x00")
	return bytes.HasPrefix(env, mark) || bytes.Contains(env, append([]byte{0}, mark...))
}

// reap reaps an ended child and reports whether it is gone.
func (r *reaper) reap(g *group, pid int) bool {
	switch {
	case pid == g.guardPid():
		return g.guard().Reap()
	case g != nil && pid == g.pid && g.status == nil && reapLeader(g):
		return true
	}
	var ws syscall.WaitStatus
	got, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return got == pid
}

// signal sends sig to the tree's process group (unless groupDone: it got
// sig already) and to every live member of the tree that left it.
func (r *reaper) signal(g *group, alive []proctree.Stat, sig syscall.Signal, groupDone bool) {
	if g == nil || g.pid == 0 {
		return
	}
	// The group id is safe to signal while COMMAND or the guard is unreaped
	// (groupHeld) or while a member of ours is in the group (a group id in
	// use is never handed out again); otherwise it may be someone else's.
	group := g.groupHeld()
	for _, p := range alive {
		group = group || p.Pgid == g.pgid
	}
	if group && !groupDone {
		_ = syscall.Kill(-g.pgid, sig)
	}
	for _, p := range alive {
		if p.Pgid != g.pgid {
			_ = syscall.Kill(p.Pid, sig)
		}
	}
}
