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
// table (outside Linux) nothing is refused on that ground.
//
// With --reloader stat (statOnly) it also refuses a root in an EdenFS
// checkout, unless bounded (a --deps-from set names the files to poll):
// the poller never lists a checkout, so it would watch nothing there.
func checkRoots(roots []string, statOnly, bounded bool) error {
	tab, err := mounts.Load()
	if err != nil {
		tab = nil // the .eden links still tell a checkout
	}
	return checkRootFilesystems(tab, roots, statOnly && !bounded)
}

// checkRootFilesystems is checkRoots with the mount table given (nil:
// none) and noEden set when a root in an Eden checkout is refused. Roots
// are absolute; symlinks are resolved here, as the mount table knows only
// real paths.
func checkRootFilesystems(tab *mounts.Table, roots []string, noEden bool) error {
	for _, root := range roots {
		if noEden && mounts.Eden(tab, root) {
			return usagef("--reloader stat: %s is in an EdenFS checkout, which is never crawled: "+
				"use Watchman (start it with watchman watch-project %s or run eden doctor), or bound the poller with --deps-from",
				root, root)
		}
		if tab == nil {
			continue
		}
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
