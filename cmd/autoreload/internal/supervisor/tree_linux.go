package supervisor

import (
	"bytes"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
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
	// the running build, which its own Wait reaps.
	spare int
}

// becomeSubreaper makes the process the subreaper of its descendants.
// Without it the group is still found by its id; only descendants that
// leave it are missed, so a failure is not fatal.
func becomeSubreaper() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }

func newReaper() *reaper {
	r := &reaper{C: make(chan os.Signal, 1), self: os.Getpid(), pgrp: syscall.Getpgrp()}
	signal.Notify(r.C, syscall.SIGCHLD)
	return r
}

func (r *reaper) close() { signal.Stop(r.C) }

// proc is one line of /proc/PID/stat, as far as the reaper needs it.
type proc struct {
	pid, ppid, pgid int
	zombie          bool
}

// sweep reaps every exited child of the supervisor outside its own process
// group, records the status of g's leader when it is among them, and
// returns the processes of g's tree that are still alive.
func (r *reaper) sweep(g *group) []proc {
	procs := readProcs()
	reaped := map[int]bool{}
	for _, p := range procs {
		if p.ppid == r.self && p.pgid != r.pgrp && p.zombie && p.pid != r.spare {
			reaped[p.pid] = r.reap(g, p.pid)
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
	children := map[int][]int{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	// Once the leader is reaped and the last member of its group is gone,
	// the kernel may hand its pid out again, as an unrelated group's id: a
	// group member then counts only if it descends from the supervisor (as
	// subreaper, all of COMMAND's tree does).
	var ours map[int]bool
	if g.status != nil {
		ours = map[int]bool{}
		addDescendants(children, ours, r.self)
	}
	for _, p := range procs {
		orphan := p.ppid == r.self && p.pgid != r.pgrp && p.pid != r.spare
		inGroup := p.pgid == g.pid && (ours == nil || ours[p.pid])
		if inGroup || (orphan && !p.zombie && !r.isHelper(p.pid)) {
			member[p.pid] = true
		}
	}
	roots := make([]int, 0, len(member))
	for pid := range member {
		roots = append(roots, pid)
	}
	addDescendants(children, member, roots...)
	// A zombie counts until it is reaped: by the supervisor above, or by
	// its parent in the tree (the guard). A multi-threaded process shows
	// as a zombie while its other threads still exit, and cannot be reaped
	// yet: it counts too.
	var alive []proc
	for _, p := range procs {
		if member[p.pid] && !reaped[p.pid] {
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
	case g != nil && pid == g.guard:
		g.reapGuard()
		return g.guardReaped
	case g != nil && pid == g.pid && g.status == nil && reapLeader(g):
		return true
	}
	var ws syscall.WaitStatus
	got, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return got == pid
}

// signal sends sig to the leader's process group and to every live member
// of the tree that left it.
func (r *reaper) signal(g *group, alive []proc, sig syscall.Signal) {
	if g == nil || g.pid == 0 {
		return
	}
	// The group id is safe to signal while the leader is unreaped (its pid
	// is still taken) or while a member of ours is in the group (a group id
	// in use is never handed out again); otherwise it may be someone else's.
	group := g.status == nil
	for _, p := range alive {
		group = group || p.pgid == g.pid
	}
	if group {
		_ = syscall.Kill(-g.pid, sig)
	}
	for _, p := range alive {
		if p.pgid != g.pid {
			_ = syscall.Kill(p.pid, sig)
		}
	}
}

// addDescendants adds to set every process below the given ones.
func addDescendants(children map[int][]int, set map[int]bool, from ...int) {
	queue := from
	for len(queue) > 0 {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range children[pid] {
			if !set[c] {
				set[c] = true
				queue = append(queue, c)
			}
		}
	}
}

// readProcs reads every process's parent, group and state from /proc.
// Processes that vanish while it reads are skipped.
func readProcs() []proc {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	procs := make([]proc, 0, len(names))
	buf := make([]byte, 512)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if p, ok := readStat(pid, buf); ok {
			procs = append(procs, p)
		}
	}
	return procs
}

// readStat parses /proc/PID/stat: "pid (comm) state ppid pgrp ...", where
// comm may itself contain spaces and parentheses, so fields are counted
// from the last ')'.
func readStat(pid int, buf []byte) (proc, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	n, _ := f.Read(buf)
	f.Close()
	line := buf[:n]
	i := bytes.LastIndexByte(line, ')')
	if i < 0 {
		return proc{}, false
	}
	fields := bytes.Fields(line[i+1:])
	if len(fields) < 3 {
		return proc{}, false
	}
	ppid, err1 := strconv.Atoi(string(fields[1]))
	pgid, err2 := strconv.Atoi(string(fields[2]))
	if err1 != nil || err2 != nil {
		return proc{}, false
	}
	state := fields[0]
	return proc{pid: pid, ppid: ppid, pgid: pgid, zombie: len(state) == 1 && (state[0] == 'Z' || state[0] == 'X')}, true
}

// parentOf is pid's parent, or 0 when it cannot be read.
func parentOf(pid int) int {
	p, ok := readStat(pid, make([]byte, 512))
	if !ok {
		return 0
	}
	return p.ppid
}

// ignoresSignal reports whether pid ignores sig, by the SigIgn mask of
// /proc/PID/status.
func ignoresSignal(pid int, sig syscall.Signal) bool {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	_, rest, ok := bytes.Cut(status, []byte("\nSigIgn:\t"))
	if !ok {
		return false
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	mask, err := strconv.ParseUint(string(line), 16, 64)
	return err == nil && mask&(1<<(uint(sig)-1)) != 0
}
