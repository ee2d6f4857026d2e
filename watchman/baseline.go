package watchman

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// rootSnapshot is a watch's root directory as it was before the first
// sync of a start-up: its entries' names, then its mtime. The catch-up
// judges the deletions the daemon reports in the second of the baseline
// by the mtime of the directory that lost them, which an unlink or a
// rename away sets; but a sync's cookie file is created and deleted in
// the root (when it has no .git or .hg), so after the first sync the
// root's mtime says nothing.
type rootSnapshot struct {
	dir   string // the watch's root, in the terms of the target's paths
	names map[string]bool
	mtime int64 // unix ns; read after names
	ok    bool
}

// snapshotRoot reads t's watch root; it must come before the first sync
// (a clock or query with a sync timeout). watch-project on a watched root
// and an unsynced clock leave the root alone (as observed on 4.9).
func snapshotRoot(t *target) *rootSnapshot {
	dir := t.dir
	for rel := t.rel; rel != "" && rel != "."; rel = filepath.Dir(rel) {
		dir = filepath.Dir(dir)
	}
	r := &rootSnapshot{dir: dir}
	f, err := os.Open(dir)
	if err != nil {
		return r
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return r
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return r
	}
	r.names = make(map[string]bool, len(names))
	for _, n := range names {
		r.names[n] = true
	}
	r.mtime, r.ok = fi.ModTime().UnixNano(), true
	return r
}

// deletedBefore reports whether path, reported deleted, was deleted before
// ns (a reading of the file clock taken before the snapshot). Its
// directory's mtime earlier than ns says so: no entry was added or removed
// there since. A directory that is gone too (rm -rf bin took bin/server
// with it) is judged by its nearest existing ancestor: removing it, or an
// ancestor on the way, set that one's mtime. The root is judged by the
// snapshot: the entry on the way was not there before the first sync, and
// the root had lost none since ns. Anything unknown counts the deletion.
func (r *rootSnapshot) deletedBefore(path string, ns int64) bool {
	child, dir := filepath.Base(path), filepath.Dir(path)
	for {
		if r != nil && dir == r.dir {
			return r.ok && !r.names[child] && r.mtime < ns
		}
		fi, err := os.Lstat(dir)
		if err == nil && fi.IsDir() {
			return fi.ModTime().UnixNano() < ns
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		child, dir = filepath.Base(dir), parent
	}
}
