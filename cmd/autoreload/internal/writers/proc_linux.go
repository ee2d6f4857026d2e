package writers

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Tree is root and its descendants, by /proc/PID/task/TID/children: a few
// small reads a process, cheap enough to repeat every few milliseconds,
// unlike a scan of every process's stat. A descendant re-parented away
// from the tree (a daemon) is not found.
func Tree(root int) []int {
	if root <= 0 {
		return nil
	}
	pids := []int{root}
	seen := map[int]bool{root: true}
	for i := 0; i < len(pids); i++ {
		task := "/proc/" + strconv.Itoa(pids[i]) + "/task/"
		tids, _ := readNames(task)
		for _, tid := range tids {
			children, _ := os.ReadFile(task + tid + "/children")
			for _, f := range bytes.Fields(children) {
				if pid, err := strconv.Atoi(string(f)); err == nil && !seen[pid] {
					seen[pid] = true
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
}

// OpenForWriting is every regular file that a process of pids holds open
// for writing. The mode of a /proc/PID/fd/N link tells how the descriptor
// was opened (S_IWUSR: for writing, O_APPEND included), so only those
// links are followed. Processes that end meanwhile are skipped.
func OpenForWriting(pids []int) []File {
	var files []File
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
		fds, err := readNames(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			var lst syscall.Stat_t
			if syscall.Lstat(dir+fd, &lst) != nil || lst.Mode&syscall.S_IWUSR == 0 {
				continue
			}
			target, err := os.Readlink(dir + fd)
			if err != nil || !strings.HasPrefix(target, "/") {
				continue // a pipe, a socket, an anonymous inode
			}
			var st syscall.Stat_t
			if syscall.Stat(dir+fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
				continue // a terminal, /dev/null
			}
			files = append(files, File{Path: target, Dev: uint64(st.Dev), Ino: st.Ino})
		}
	}
	return files
}

func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
