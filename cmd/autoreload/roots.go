package main

import (
	"fmt"
	"path/filepath"

	"github.com/autoreload/autoreload/fallback/mounts"
)

// checkRoots refuses a watched root on a pseudo filesystem (proc, sysfs,
// devtmpfs, cgroup2...): its files change by themselves, so the poller
// would restart COMMAND on every scan, and Watchman learns nothing of
// them. The mount table's type decides, by way of mounts, since statfs
// magic cannot tell /dev (devtmpfs) from /dev/shm (tmpfs). Without a mount
// table (outside Linux) nothing is refused.
func checkRoots(roots []string) error {
	tab, err := mounts.Load()
	if err != nil {
		return nil
	}
	return checkRootFilesystems(tab, roots)
}

// checkRootFilesystems is checkRoots with the mount table given. Roots are
// absolute; symlinks are resolved here, as the mount table knows only
// real paths.
func checkRootFilesystems(tab *mounts.Table, roots []string) error {
	for _, root := range roots {
		real := root
		if r, err := filepath.EvalSymlinks(root); err == nil {
			real = r
		}
		m, ok := tab.Find(real)
		if !ok || m.Class() != mounts.Pseudo {
			continue
		}
		where := ""
		if real != root {
			where = " (" + real + ")"
		}
		return &usageError{fmt.Errorf("watch %s%s: on a %s pseudo filesystem, whose files change by themselves: not watched",
			root, where, m.Type)}
	}
	return nil
}
