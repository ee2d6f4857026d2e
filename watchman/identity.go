package watchman

import (
	"errors"
	"io/fs"
	"syscall"
)

// dirID tells one directory from another that took its place at the same
// path: its device and inode number, and on Linux its birth time and inode
// generation where the filesystem keeps them. These matter: ext4 gives a
// directory made just after one was removed the removed one's inode number
// (`rm -r root && mkdir root`). Where there are neither (zero), a re-used
// inode number passes for the same directory.
type dirID struct {
	dev, ino uint64
	birth    int64  // ns since the epoch; 0 when unknown
	gen      uint32 // 0 when unknown
}

// identify returns the identity of directory path, following symlinks; an
// error when it is gone or not a directory (errNotDir).
func identify(path string) (dirID, error) { return identifyDir(path) }

var errNotDir = errors.New("not a directory")

// replaced reports whether the directory t.dir watched since the
// subscription began is gone: deleted, or replaced by another at the same
// path. A directory whose identity cannot be read for another reason
// (permissions) is not taken for gone.
func (t *target) replaced() bool {
	id, err := identify(t.dir)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, errNotDir)
	}
	return id != t.id
}
