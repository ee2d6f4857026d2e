package spec

import (
	"path/filepath"
	"time"
)

// FileTime returns the current time as the kernel would stamp a file now.
//
// Time baselines (watchman.Options.Since, poller.Options.Since) must be
// read from this clock, not time.Now: Linux stamps files from its coarse
// clock, which lags time.Now by a tick, and by much more when a virtual
// machine's timekeeping CPU is descheduled, so a file written just after a
// time.Now reading can carry an earlier mtime and be missed. A reading of
// the file clock is safe: a file written after it never carries an earlier
// mtime. The converse does not hold: a file written before it can look as
// new (the same tick, or a fine-grained timestamp from a filesystem with
// multigrain timestamps, Linux 6.13 on). StartBaseline is exact where it
// can be.
func FileTime() time.Time { return fileTime() }

// StartBaseline is the time baseline for a start-up over the spec's roots, as
// Options.Since takes it (a change counts when its mtime or ctime is at or
// after the baseline): a file whose last write finished before the call
// never counts, and one written after it returned always does.
//
// Each root's own filesystem says, through an unnamed file (O_TMPFILE: no
// name, so no event and nothing for a poller to see) written in the
// directory, whose ctime is read back: NFS and FUSE stamp files with the
// server's clock, so a probe elsewhere would be wrong there. The file is
// written again until its ctime moves past the first reading; a later
// write anywhere is then stamped later than the first reading (the kernel
// never hands out an earlier timestamp than one it gave before, multigrain
// or coarse), and the baseline is that reading plus a nanosecond. A root
// where this cannot be done (no O_TMPFILE, read-only, not Linux) uses
// FileTime, as before. A file root uses its directory.
//
// One baseline serves all roots, so it is the earliest of theirs: never
// late for any root (no change lost), at worst early for a root whose
// filesystem's clock runs behind another's.
func (s *Spec) StartBaseline() time.Time {
	var base time.Time
	for _, r := range s.roots {
		dir := r.path
		if r.file {
			dir = filepath.Dir(r.path)
		}
		t, ok := dirBaseline(dir)
		if !ok {
			t = FileTime()
		}
		if base.IsZero() || t.Before(base) {
			base = t
		}
	}
	if base.IsZero() {
		base = FileTime()
	}
	return base
}
