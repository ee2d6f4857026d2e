package proctree

// Stat is what a tree needs of one process's /proc/PID/stat.
type Stat struct {
	Pid, PPid, Pgid int
	State           byte   // R, S, D, T, Z, X…
	Comm            string // its name, at most 15 bytes
	Start           uint64 // start time in clock ticks after boot: with Pid, one process across pid reuse
}

// Zombie reports a process that ended and is not reaped yet (or, for a
// multi-threaded one, whose other threads still exit).
func (s Stat) Zombie() bool { return s.State == 'Z' || s.State == 'X' }

// Children maps each pid of procs to its children, zombies included.
func Children(procs []Stat) map[int][]int {
	children := make(map[int][]int, len(procs))
	for _, p := range procs {
		children[p.PPid] = append(children[p.PPid], p.Pid)
	}
	return children
}

// AddDescendants adds to set every process below the given ones.
func AddDescendants(children map[int][]int, set map[int]bool, from ...int) {
	queue := append([]int(nil), from...)
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
