package poller

import (
	"slices"
	"strings"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// The poller's memory of the tree is one dirState per walked directory.
// Files are kept compactly, since a large repo has 100,000 of them: no
// per-file path, pointer or string header, only 32 bytes of stat and an
// offset into the directory's one string of names, sorted by name.

// fileState is one selected file as the last scan saw it.
type fileState struct {
	mtime int64
	size  int64
	ino   uint64
	off   uint32 // the name is names[off:off+n]
	n     uint32
}

// dirState is one directory below a root (or the root itself). Only the
// worker that scans it touches it during a scan; its parent's worker
// creates and drops it before it is queued.
type dirState struct {
	name  string // base name; for a root, its absolute path
	names string
	files []fileState
	dirs  []*dirState // not ignored subdirectories, sorted by name
	// order is the index in files of each file in the order the last scan
	// listed them: an unchanged directory lists in the same order, so the
	// next scan finds each file by one comparison instead of a binary
	// search (see lookup). Nil when files changed since.
	order []int32
	// watchGen is the generation of the kernel watcher holding this
	// directory's watch (see events): 0, or an old one, for none.
	watchGen uint32
	// poll: the directory is polled, never watched: its filesystem's
	// events are not trustworthy, or a kernel limit refused its watch.
	// Its subdirectories inherit it.
	poll bool
	// unreadable is set while the directory cannot be opened, so that is
	// warned about once, not on every scan.
	unreadable bool
}

func (d *dirState) fileName(f *fileState) string { return d.names[f.off : f.off+f.n] }

// findFile returns the index of the file called name, or -1.
func (d *dirState) findFile(name string) int {
	i, ok := slices.BinarySearchFunc(d.files, name, func(f fileState, name string) int {
		return strings.Compare(d.names[f.off:f.off+f.n], name)
	})
	if !ok {
		return -1
	}
	return i
}

func (d *dirState) findDir(name string) int {
	i, ok := slices.BinarySearchFunc(d.dirs, name, func(c *dirState, name string) int {
		return strings.Compare(c.name, name)
	})
	if !ok {
		return -1
	}
	return i
}

// newFile is a file first seen by this scan, waiting to be merged in.
type newFile struct {
	name string
	info fileInfo
}

// rebuild replaces d's files by the kept ones (keep[i] for d.files[i])
// plus added, in one new sorted names string sized exactly.
func (d *dirState) rebuild(keep []bool, added []newFile) {
	type entry struct {
		name string
		f    fileState
	}
	all := make([]entry, 0, len(d.files)+len(added))
	size := 0
	for i := range d.files {
		if keep[i] {
			f := &d.files[i]
			all = append(all, entry{d.fileName(f), *f})
			size += int(f.n)
		}
	}
	for _, a := range added {
		all = append(all, entry{a.name, fileState{mtime: a.info.mtime, size: a.info.size, ino: a.info.ino}})
		size += len(a.name)
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	// A listing taken while the directory changes can show a name twice.
	all = slices.CompactFunc(all, func(a, b entry) bool { return a.name == b.name })
	var b strings.Builder
	b.Grow(size) // an upper bound when names repeated
	files := make([]fileState, len(all))
	for i, e := range all {
		e.f.off, e.f.n = uint32(b.Len()), uint32(len(e.name))
		b.WriteString(e.name)
		files[i] = e.f
	}
	d.names, d.files, d.order = b.String(), files, nil
}

// forget reports every file of d and below as deleted, for a directory that
// is gone or no longer selected, and empties d. unwatch, when set, is
// called for d and each directory below it: their watches must go too (a
// watch follows its directory when it is renamed out of the tree).
func (d *dirState) forget(path string, out *[]spec.Change, unwatch func(path string, d *dirState)) {
	for i := range d.files {
		*out = append(*out, spec.Change{Path: path + "/" + d.fileName(&d.files[i])})
	}
	for _, c := range d.dirs {
		c.forget(path+"/"+c.name, out, unwatch)
	}
	if unwatch != nil {
		unwatch(path, d)
	}
	d.names, d.files, d.dirs, d.order = "", nil, nil, nil
}

// lookup finds the recorded files of one directory during a scan's
// listing, trying first where the last scan's listing order says the next
// one is, and keeps this scan's order for the next when it differs.
type lookup struct {
	d     *dirState
	k     int     // next position in d.order
	found []int32 // this listing's order, once it departs from d.order
}

// find returns the index of the file called name, or -1.
func (l *lookup) find(name string) int {
	d := l.d
	if l.k < len(d.order) {
		if j := int(d.order[l.k]); j < len(d.files) && d.fileName(&d.files[j]) == name {
			l.k++
			if l.found != nil {
				l.found = append(l.found, int32(j))
			}
			return j
		}
	}
	i := d.findFile(name)
	if i >= 0 {
		if l.found == nil {
			l.found = make([]int32, l.k, len(d.files))
			copy(l.found, d.order[:l.k])
		}
		l.found = append(l.found, int32(i))
	}
	return i
}

// keep records this listing's order for the next scan; only when d.files
// did not change, since the order holds indexes into it.
func (l *lookup) keep() {
	if l.found != nil {
		l.d.order = l.found
	}
}

// changed reports whether the file differs from what the last scan saw:
// any difference of mtime, size or inode, not only a later mtime (a
// checkout can set an older mtime; a rename-over keeps the size).
func (f *fileState) changed(fi fileInfo) bool {
	return f.mtime != fi.mtime || f.size != fi.size || f.ino != fi.ino
}

func changeOf(path string, fi fileInfo) spec.Change {
	return spec.Change{Path: path, Exists: true, Mtime: time.Unix(0, fi.mtime), Size: fi.size}
}
