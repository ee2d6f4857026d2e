package poller

import "strings"

// When ignore files change, what the spec selects changes with them, and
// the poller's record must follow without reporting anything: a file that
// becomes ignored was not deleted, and one that stops being ignored was
// not created. A directory whose rules changed (its own ignore files, or
// info/exclude and the global file for every directory) is scanned with a
// resync for itself and everything below it:
//   - a recorded file or directory that the spec no longer selects is
//     dropped silently;
//   - a file seen for the first time is reported only if it was written
//     since the previous scan started, so a file created together with the
//     rule change is not lost, while the files of a directory that stops
//     being ignored come in silently.
// The ignore files themselves are ordinary files to the walk: reported
// only if the spec selects them.

// resync is one directory's resync state during its scan.
type resync struct {
	on        bool
	prevStart int64
	drop      map[int]bool    // recorded files now ignored, by index
	skipped   map[string]bool // recorded directories now ignored
}

// resyncRules re-reads the ignore files of the directory w (mtime dirMtime)
// if they changed, and returns the resync state of its scan: on when they
// changed since the previous scan, whoever re-read them (the Watchman
// subscription runs beside the poller while switching back).
func (sc *scan) resyncRules(w work, dirMtime int64) *resync {
	changed := sc.p.spec.IgnoreFilesChanged(w.path, dirMtime, sc.rulesSince)
	if changed {
		sc.resynced.Store(true)
	}
	on := sc.p.started && (w.resync || changed)
	return &resync{on: on, prevStart: sc.prevStart}
}

// skipDir notes that the listed directory name of d is ignored.
func (rs *resync) skipDir(d *dirState, name string) {
	if !rs.on || d.findDir(name) < 0 {
		return
	}
	if rs.skipped == nil {
		rs.skipped = map[string]bool{}
	}
	rs.skipped[strings.Clone(name)] = true // name is a view of the listing
}

// dropFile notes that the recorded file i (-1: none) is now ignored.
func (rs *resync) dropFile(i int) {
	if !rs.on || i < 0 {
		return
	}
	if rs.drop == nil {
		rs.drop = map[int]bool{}
	}
	rs.drop[i] = true
}

func (rs *resync) dropped(i int) bool { return rs.drop[i] }

// reportNew reports whether a file seen for the first time is a change.
func (rs *resync) reportNew(fi fileInfo) bool {
	if !rs.on {
		return true
	}
	return fi.mtime >= rs.prevStart || fi.ctime >= rs.prevStart
}
