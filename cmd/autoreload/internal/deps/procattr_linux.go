package deps

import (
	"os"
	"strconv"
	"syscall"
)

// procAttr has the kernel kill the command should autoreload die without
// a chance to stop it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// killTree kills pid and everything below it, children first found, all
// at once: the command shares autoreload's process group (see run), so
// its group cannot be signalled, and a `sleep` under `sh -c` would
// outlive a kill of the shell alone.
func killTree(pid int) error {
	children := map[int][]int{}
	names, _ := os.ReadDir("/proc")
	for _, n := range names {
		p, err := strconv.Atoi(n.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := readStat(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return nil
}
