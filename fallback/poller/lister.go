package poller

import "golang.org/x/sys/unix"

// Lister lists directories the poller's way for a walk of the tree outside
// the poller (the command's count of what is watched): on Linux into one
// reused buffer, with no allocation per entry. One goroutine at a time.
type Lister struct{ r *dirReader }

// NewLister returns a Lister with its buffer.
func NewLister() *Lister { return &Lister{newDirReader()} }

// List calls fn with the name of each directory, regular file and symlink
// in the directory path (other kinds and "." and ".." are passed over), in
// the order the file system lists them. name is valid only during the
// call, and fn must not call List: the next listing reuses the buffer.
func (l *Lister) List(path string, fn func(name string, dir bool)) error {
	fd, _, err := openDir(path, true)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return l.r.list(fd, func(name string, typ entryType) {
		if typ == typeUnknown {
			fi, err := l.r.statAt(fd, name)
			if err != nil {
				return // gone since it was listed
			}
			typ = fi.typ
		}
		switch typ {
		case typeDir:
			fn(name, true)
		case typeFile, typeSymlink:
			fn(name, false)
		}
	})
}
