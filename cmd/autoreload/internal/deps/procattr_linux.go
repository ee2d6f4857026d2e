package deps

import (
	"syscall"

	"github.com/autoreload/autoreload/cmd/autoreload/internal/proctree"
)

// procAttr has the kernel kill the command should autoreload die without
// a chance to stop it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// killTree kills pid and everything below it, children first found, all
// at once: the command shares autoreload's process group (see run), so
// its group cannot be signalled, and a `sleep` under `sh -c` would
// outlive a kill of the shell alone.
func killTree(pid int) error {
	children := proctree.Children(proctree.Snapshot())
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return nil
}
