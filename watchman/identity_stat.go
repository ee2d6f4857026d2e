package watchman

import (
	"io/fs"
	"os"
	"syscall"
)

// identifyByStat is identify without a birth time: where statx is missing
// (Linux before 4.11) and outside Linux. (APFS, the usual filesystem
// there, does not re-use inode numbers soon.)
func identifyByStat(path string) (dirID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return dirID{}, err
	}
	if !fi.IsDir() {
		return dirID{}, &fs.PathError{Op: "stat", Path: path, Err: errNotDir}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return dirID{}, nil
	}
	return dirID{dev: uint64(st.Dev), ino: st.Ino}, nil
}
