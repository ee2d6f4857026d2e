package poller

import (
	"errors"
	"io/fs"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// lockMargin is taken off the moment a VCS lock could have been taken
// before a takeover: a lock's life is measured from its mtime, which the
// file clock may stamp a little early.
const lockMargin = time.Second

// takeOver prepares a poller that takes over from a backend lost at
// runtime (Options.Takeover): it moves p.since back a lock's life if a VCS
// lock may have held changes back at the lost backend, never before floor,
// and judges the file roots as of then.
func (p *Poller) takeOver(floor time.Time) {
	since := p.since
	if lockLife := spec.FileTime().Add(-staleLockAge - lockMargin); lockLife.Before(since) && vcsBusySince(p.vcs, since) {
		since = lockLife
	}
	if since.Before(floor) {
		since = floor
	}
	p.since = since
	p.addPending(takeFileRootsSince(p, since))
}

// takeFileRootsSince judges the file roots (--watch main.go) of a poller
// that has not scanned yet, for a fallback whose gap began at since, and
// records them in the poller as the first scan's previous state.
//
// The poller's first scan cannot do it: it scans no directory of a file
// root, so the directory rule does not show one deleted or renamed away
// during the gap, and it has no record of the file to compare with. Judged
// here, a root that is gone while its directory changed after since is a
// deletion, one that exists with an mtime or ctime after since is a change,
// and, being recorded, any later change (even before the first scan) is
// the poller's to report.
func takeFileRootsSince(p *Poller, since time.Time) []spec.Change {
	ns := since.UnixNano()
	var out []spec.Change
	for i := range p.fileRoots {
		fr := &p.fileRoots[i]
		fi, err := lstat(fr.path)
		switch {
		case err == nil && (fi.typ == typeFile || fi.typ == typeSymlink):
			fr.exists = true
			fr.state = fileState{mtime: fi.mtime, size: fi.size, ino: fi.ino}
			if fi.mtime >= ns || fi.ctime >= ns {
				out = append(out, changeOf(fr.path, fi))
			}
		case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
			// Unknown, not deleted: the poller's scans judge it.
		default:
			if changedSince(filepath.Dir(fr.path), ns) {
				out = append(out, spec.Change{Path: fr.path})
			}
		}
	}
	return out
}

// changedSince reports whether the entries of dir changed at or after ns,
// by its mtime or ctime (a directory renamed into place keeps its mtime).
func changedSince(dir string, ns int64) bool {
	fi, err := lstat(dir)
	if err != nil {
		return true // the directory went too, and the file with it
	}
	return fi.mtime >= ns || fi.ctime >= ns
}

// vcsBusySince reports whether a VCS lock exists, or its directory changed
// at or after since (a lock taken or released: git renames index.lock onto
// the index). Watchman's cookie files in .git also count, which costs only
// a deeper first scan, its results compared with what was delivered.
func vcsBusySince(v vcsLocks, since time.Time) bool {
	for _, lock := range v.paths {
		if _, err := lstat(lock); err == nil {
			return true
		}
		if changedSince(filepath.Dir(lock), since.UnixNano()) {
			return true
		}
	}
	return false
}
