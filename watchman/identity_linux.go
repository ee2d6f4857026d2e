package watchman

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// fsIocGetversion is FS_IOC_GETVERSION, _IOR('v', 1, long), which x/sys
// lacks: FS_IOC_GETFLAGS is _IOR('f', 1, long), the same but for the type
// letter, on every architecture.
const fsIocGetversion = unix.FS_IOC_GETFLAGS - 'f'<<8 + 'v'<<8

func identifyDir(path string) (dirID, error) {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_TYPE|unix.STATX_INO|unix.STATX_BTIME, &st)
	if errors.Is(err, unix.ENOSYS) {
		return identifyByStat(path)
	}
	if err != nil {
		return dirID{}, &fs.PathError{Op: "statx", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return dirID{}, &fs.PathError{Op: "statx", Path: path, Err: errNotDir}
	}
	id := dirID{dev: unix.Mkdev(st.Dev_major, st.Dev_minor), ino: st.Ino, gen: generation(path)}
	if st.Mask&unix.STATX_BTIME != 0 {
		id.birth = st.Btime.Sec*1e9 + int64(st.Btime.Nsec)
	}
	return id, nil
}

// generation is the inode's generation number, which ext4, XFS and btrfs
// draw anew for every inode they allocate (for NFS to tell a re-used inode
// number): a birth time is read from a coarse clock, and a directory made
// within the same tick as the one removed before it has the same. 0 where
// the filesystem has none (tmpfs, which never re-uses a number soon) or the
// directory cannot be opened.
func generation(path string) uint32 {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	gen, err := unix.IoctlGetUint32(fd, fsIocGetversion)
	if err != nil {
		return 0
	}
	return gen
}
