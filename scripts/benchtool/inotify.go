//go:build linux

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// inotifyFree estimates how many more inotify watches this user may add:
// fs.inotify.max_user_watches minus the watches held by this user's
// processes (the machine may be shared, and the limit is per user).
func inotifyFree() int {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_user_watches")
	if err != nil {
		return 0
	}
	limit, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	uid := uint32(os.Getuid())
	used := 0
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		fi, err := os.Stat(p)
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != uid {
			continue
		}
		fds, _ := os.ReadDir(p + "/fd")
		for _, fd := range fds {
			if l, _ := os.Readlink(p + "/fd/" + fd.Name()); l == "anon_inode:inotify" {
				used += countWatches(p + "/fdinfo/" + fd.Name())
			}
		}
	}
	return limit - used
}

func countWatches(fdinfo string) int {
	f, err := os.Open(fdinfo)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "inotify wd:") {
			n++
		}
	}
	return n
}

// idleGroups splits the tools for the big tree's shared idle window so that
// the tools holding one inotify watch per file never run out of watches
// together: entr and nodemon on 100,000 files need about 100,000 each, and
// the default budget on many machines is smaller than the sum. Tools that
// watch directories cost little and all go in the first group.
func idleGroups(tools []*tool, files int) [][]*tool {
	perTool := files + files/50 + 1000 // the files, their directories, slack
	free := inotifyFree() * 9 / 10     // others on the machine keep adding some
	groups := [][]*tool{nil}
	budget := []int{free}
	for _, t := range tools {
		if !t.eachFile {
			groups[0] = append(groups[0], t)
		}
	}
	for _, t := range tools {
		if !t.eachFile {
			continue
		}
		placed := false
		for i := range groups {
			if budget[i] >= perTool {
				groups[i] = append(groups[i], t)
				budget[i] -= perTool
				placed = true
				break
			}
		}
		if !placed {
			groups = append(groups, []*tool{t})
			budget = append(budget, free-perTool)
		}
	}
	if len(groups[0]) == 0 {
		groups = groups[1:]
	}
	return groups
}
