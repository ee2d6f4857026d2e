package writers

import (
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tree is root and its descendants, by /proc/PID/task/TID/children: a few
// small reads a process, cheap enough to repeat every few milliseconds,
// unlike a scan of every process's stat. A descendant re-parented away
// from the tree (a daemon) is not found.
func Tree(root int) []int {
	var s scanner
	return slices.Clone(s.tree(root))
}

// OpenForWriting is every regular file that a process of pids holds open
// for writing. Processes that end meanwhile are skipped.
func OpenForWriting(pids []int) []File {
	var s scanner
	var files []File
	for _, f := range s.openForWriting(pids) {
		files = append(files, File{Path: string(s.path(f)), Dev: f.dev, Ino: f.ino})
	}
	return files
}

// scanner reads /proc for Tree and OpenForWriting into buffers it keeps
// from one sample to the next, with system calls given those buffers
// (package syscall's copy each path): a Recorder samples every 20 ms for
// seconds after each start, and a fresh path, directory buffer and link
// target for each read made 1.4 KiB of garbage a sample, 350 KiB a start,
// all of it resident: in Watchman mode autoreload's heap stays under the
// collector's 4 MiB minimum, so nothing is collected. Not safe for
// concurrent use.
type scanner struct {
	name    []byte // a NUL-terminated name, for the system calls
	dirent  []byte // getdents64's buffer
	data    []byte // a children file's contents
	ids     []int  // a directory's numeric entries
	pids    []int  // tree's answer
	found   []found
	targets []byte // the paths of found, end to end
}

// found is a file held open for writing: its path is targets[start:end].
type found struct {
	start, end int
	dev, ino   uint64
}

func (s *scanner) path(f found) []byte { return s.targets[f.start:f.end] }

func (s *scanner) tree(root int) []int {
	if root <= 0 {
		return nil
	}
	s.pids = append(s.pids[:0], root)
	for i := 0; i < len(s.pids); i++ {
		task, err := s.openDir(s.pids[i], "task")
		if err != nil {
			continue
		}
		if s.listIDs(task) == nil {
			for _, tid := range s.ids {
				if s.readChildren(task, tid) != nil {
					continue
				}
				for f, rest := nextField(s.data); len(f) > 0; f, rest = nextField(rest) {
					if pid, ok := atoi(f); ok && !slices.Contains(s.pids, pid) {
						s.pids = append(s.pids, pid)
					}
				}
			}
		}
		syscall.Close(task)
	}
	return s.pids
}

// openForWriting finds every regular file that a process of pids holds
// open for writing. The mode of a /proc/PID/fd/N link tells how the
// descriptor was opened (S_IWUSR: for writing, O_APPEND included), so
// only those links are followed.
func (s *scanner) openForWriting(pids []int) []found {
	s.found, s.targets = s.found[:0], s.targets[:0]
	for _, pid := range pids {
		fds, err := s.openDir(pid, "fd")
		if err != nil {
			continue
		}
		if s.listIDs(fds) == nil {
			for _, fd := range s.ids {
				s.setName(fd, "")
				if mode, _, _, err := s.stat(fds, pid, fd, false); err != nil || mode&syscall.S_IWUSR == 0 {
					continue
				}
				start := len(s.targets)
				if s.readlink(fds) != nil || len(s.targets) == start || s.targets[start] != '/' {
					s.targets = s.targets[:start]
					continue // a pipe, a socket, an anonymous inode
				}
				mode, dev, ino, err := s.stat(fds, pid, fd, true)
				if err != nil || mode&syscall.S_IFMT != syscall.S_IFREG {
					s.targets = s.targets[:start]
					continue // a terminal, /dev/null
				}
				s.found = append(s.found, found{start: start, end: len(s.targets), dev: dev, ino: ino})
			}
		}
		syscall.Close(fds)
	}
	return s.found
}

// setName sets name to id's decimal digits, then rest, then a NUL.
func (s *scanner) setName(id int, rest string) {
	s.name = append(append(strconv.AppendInt(s.name[:0], int64(id), 10), rest...), 0)
}

// openDir opens /proc/PID/dir.
func (s *scanner) openDir(pid int, dir string) (int, error) {
	s.name = append(strconv.AppendInt(append(s.name[:0], "/proc/"...), int64(pid), 10), '/')
	s.name = append(append(s.name, dir...), 0)
	return s.openat(unix.AT_FDCWD, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
}

// listIDs sets ids to the numeric entries of the directory dir.
func (s *scanner) listIDs(dir int) error {
	if s.dirent == nil {
		s.dirent = make([]byte, 4096)
	}
	s.ids = s.ids[:0]
	for {
		n, err := syscall.ReadDirent(dir, s.dirent)
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for b := s.dirent[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino, off, reclen, type, then the name.
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				break
			}
			if id, ok := atoi(b[19:reclen]); ok {
				s.ids = append(s.ids, id)
			}
			b = b[reclen:]
		}
	}
}

// readChildren reads task/TID/children of the task directory dir into data.
func (s *scanner) readChildren(dir, tid int) error {
	s.setName(tid, "/children")
	fd, err := s.openat(dir, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if s.data == nil {
		s.data = make([]byte, 512)
	}
	s.data = s.data[:0]
	for {
		if len(s.data) == cap(s.data) {
			s.data = slices.Grow(s.data, cap(s.data))
		}
		n, err := syscall.Read(fd, s.data[len(s.data):cap(s.data)])
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		s.data = s.data[:len(s.data)+n]
	}
}

func (s *scanner) openat(dir, flags int) (int, error) {
	fd, _, errno := syscall.Syscall6(unix.SYS_OPENAT, uintptr(dir), uintptr(unsafe.Pointer(&s.name[0])), uintptr(flags), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// stat is the mode, device and inode of the link name in the fd
// directory dir of pid, or with follow of the file it names.
func (s *scanner) stat(dir, pid, fd int, follow bool) (mode uint32, dev, ino uint64, err error) {
	if !statxMissing.Load() {
		flags, mask := unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MODE
		if follow {
			flags, mask = 0, unix.STATX_TYPE|unix.STATX_INO
		}
		var st unix.Statx_t
		_, _, errno := syscall.Syscall6(unix.SYS_STATX, uintptr(dir), uintptr(unsafe.Pointer(&s.name[0])), uintptr(flags),
			uintptr(mask), uintptr(unsafe.Pointer(&st)), 0)
		switch errno {
		case 0:
			return uint32(st.Mode), unix.Mkdev(st.Dev_major, st.Dev_minor), st.Ino, nil
		case syscall.ENOSYS:
			statxMissing.Store(true)
		default:
			return 0, 0, 0, errno
		}
	}
	path := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd)
	var st syscall.Stat_t
	if follow {
		err = syscall.Stat(path, &st)
	} else {
		err = syscall.Lstat(path, &st)
	}
	return st.Mode, uint64(st.Dev), st.Ino, err
}

// statxMissing: the kernel predates statx (Linux 4.11); lstat and stat of
// the link's whole path serve instead, with an allocation each.
var statxMissing atomic.Bool

// readlink appends the target of the link name in dir to targets.
func (s *scanner) readlink(dir int) error {
	for size := 256; ; size *= 2 {
		s.targets = slices.Grow(s.targets, size)
		free := s.targets[len(s.targets):cap(s.targets)]
		n, _, errno := syscall.Syscall6(unix.SYS_READLINKAT, uintptr(dir), uintptr(unsafe.Pointer(&s.name[0])),
			uintptr(unsafe.Pointer(&free[0])), uintptr(len(free)), 0, 0)
		if errno != 0 {
			return errno
		}
		if int(n) < len(free) {
			s.targets = s.targets[:len(s.targets)+int(n)]
			return nil
		}
	}
}

// nextField is b's first space-separated field, and what follows it.
func nextField(b []byte) (field, rest []byte) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n') {
		b = b[1:]
	}
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\n' {
		i++
	}
	return b[:i], b[i:]
}

// atoi parses a decimal number, up to a NUL if any (a directory entry's
// name); "." and ".." are not one.
func atoi(name []byte) (int, bool) {
	n, digits := 0, 0
	for _, c := range name {
		if c == 0 {
			break
		}
		if c < '0' || c > '9' || digits > 9 {
			return 0, false
		}
		n, digits = n*10+int(c-'0'), digits+1
	}
	return n, digits > 0
}
