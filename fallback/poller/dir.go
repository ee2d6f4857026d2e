package poller

import (
	"strings"

	"golang.org/x/sys/unix"
)

// entryType is what a directory listing says an entry is, before any stat.
type entryType uint8

const (
	typeUnknown entryType = iota // the file system did not say: lstat it
	typeFile
	typeSymlink
	typeDir
	typeOther // fifos, sockets, devices: never watched
)

// fileInfo is what the poller keeps from one lstat.
type fileInfo struct {
	mtime int64 // ns since the epoch
	ctime int64
	size  int64
	ino   uint64
	dev   uint64 // for a directory: a change from its parent's is a mount
	typ   entryType
}

// statAt lstats name in the open directory fd, so a symlink is reported as
// itself (Watchman's "type l") and a loop of symlinks is never followed.
func statAt(fd int, name string) (fileInfo, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileInfo{}, err
		}
		return infoOf(&st), nil
	}
}

func infoOf(st *unix.Stat_t) fileInfo {
	fi := fileInfo{
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		size:  st.Size,
		ino:   uint64(st.Ino),
		dev:   uint64(st.Dev),
	}
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFREG:
		fi.typ = typeFile
	case unix.S_IFLNK:
		fi.typ = typeSymlink
	case unix.S_IFDIR:
		fi.typ = typeDir
	default:
		fi.typ = typeOther
	}
	return fi
}

// openDir opens a directory for listing and returns its own stat. The roots
// are followed when they are symlinks; a directory found in a listing is
// not (it may have been swapped for a symlink since, maybe to a loop).
func openDir(path string, follow bool) (int, fileInfo, error) {
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := openAt(unix.AT_FDCWD, path, flags)
	if err == unix.ENAMETOOLONG {
		fd, err = openLong(path, flags)
	}
	if err != nil {
		return -1, fileInfo{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fileInfo{}, err
	}
	return fd, infoOf(&st), nil
}

func openAt(dirfd int, path string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, path, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// pathChunk bounds each piece openLong opens: under every system's
// PATH_MAX (macOS's is 1024), and over any one name (NAME_MAX is 255).
const pathChunk = 1000

// openLong opens a directory whose path is longer than PATH_MAX, which
// open refuses: piece by piece, each piece relative to the directory
// opened before it. Only the last piece gets flags' O_NOFOLLOW; earlier
// ones follow symlinks, as a path resolved in one call would.
func openLong(path string, flags int) (int, error) {
	dirfd := unix.AT_FDCWD
	for {
		// Without a '/' to cut at, a name is longer than any allowed:
		// open says so.
		piece, rest := path, ""
		if i := strings.LastIndexByte(path[:min(len(path), pathChunk)], '/'); len(path) > pathChunk && i > 0 {
			piece, rest = path[:i], strings.TrimLeft(path[i:], "/")
		}
		f := flags
		if rest != "" {
			f = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
		}
		fd, err := openAt(dirfd, piece, f)
		if dirfd != unix.AT_FDCWD {
			unix.Close(dirfd)
		}
		if err != nil || rest == "" {
			return fd, err
		}
		dirfd, path = fd, rest
	}
}
