package poller

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// dirScan is the scan of one directory: each listed entry is compared
// with the directory's record, and the record is then brought up to date.
// One worker owns it.
type dirScan struct {
	sc    *scan
	r     *dirReader
	w     work
	fd    int
	rs    *resync
	match spec.WalkDir // a value: a pointer kept in ds would move it to the heap
	rule  dirRule
	out   *[]spec.Change

	seen    []bool // by index in w.d.files: listed this time
	lk      lookup
	added   []newFile
	subdirs []string // the listed subdirectories the spec does not skip
}

// dir scans one directory: it compares the selected files with its record,
// updates the record, and returns the subdirectories to scan.
func (sc *scan) dir(r *dirReader, w work, out *[]spec.Change) []work {
	if sc.p.isUnlisted(w.path) {
		return nil // an Eden mount: see bounded.go
	}
	if sc.p.onScanDir != nil {
		defer sc.p.onScanDir(w.path)()
	}
	fd, dinfo, err := sc.p.openDir(w.path, w.rel == "")
	if err != nil {
		sc.unopened(w, err, out)
		return nil
	}
	defer unix.Close(fd)
	w.d.unreadable = false
	if sc.p.ev != nil {
		sc.p.ev.watch(&w, dinfo) // before the listing: what it misses, events show
	}
	ds := &dirScan{
		sc: sc, r: r, w: w, fd: fd, out: out,
		rs:    sc.resyncRules(w, dinfo.mtime),
		match: *sc.p.spec.WalkDir(w.root, w.rel),
		rule:  dirRule{on: sc.mode == modeSince && sc.dirs && dinfo.mtime >= sc.since, since: sc.since},
		seen:  make([]bool, len(w.d.files)),
		lk:    lookup{d: w.d},
	}
	if err := r.list(fd, ds.entry); err != nil {
		ds.listCutShort(err)
	}
	ds.record()
	if ds.rule.changed() {
		*out = append(*out, spec.Change{Path: w.path, Exists: true, Mtime: time.Unix(0, dinfo.mtime)})
	}
	return ds.children(dinfo.dev)
}

// unopened handles a directory that could not be opened.
func (sc *scan) unopened(w work, err error, out *[]spec.Change) {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		w.d.forget(w.path, out, sc.p.unwatch) // gone, or no longer a directory
		return
	}
	if !w.d.unreadable {
		// Unreadable: what it holds is unknown, not deleted. Its changes
		// go unseen until it can be read, so say so, once.
		w.d.unreadable = true
		sc.p.log.Warn("poller: cannot read directory; its changes are not seen until it can be",
			"dir", w.path, "error", err.Error())
	}
}

// entry takes one entry of the listing; name is a view of the listing's
// buffer, to be cloned if kept.
func (ds *dirScan) entry(name string, typ entryType) {
	var fi fileInfo
	statted := false
	if typ == typeUnknown {
		var err error
		if fi, err = ds.stat(name); err != nil {
			return
		}
		typ, statted = fi.typ, true
	}
	switch typ {
	case typeDir:
		ds.subdir(name)
	case typeFile, typeSymlink:
		ds.file(name, fi, statted)
	default:
		ds.statNew(name, true)
	}
}

// subdir takes a listed directory: pruned when the spec skips it.
func (ds *dirScan) subdir(name string) {
	d := ds.w.d
	if ds.match.SkipsDir(name) {
		ds.statNew(name, true)
		ds.rs.skipDir(d, name)
		return
	}
	ds.statNew(name, false)
	if j := d.findDir(name); j >= 0 {
		name = d.dirs[j].name
	} else {
		name = strings.Clone(name)
	}
	ds.subdirs = append(ds.subdirs, name)
}

// file takes a listed file or symlink; fi is its lstat when statted.
func (ds *dirScan) file(name string, fi fileInfo, statted bool) {
	i := ds.lk.find(name)
	if i >= 0 && ds.w.only != nil && !ds.w.only[name] && !ds.rs.on {
		ds.seen[i] = true // no event named it: unchanged
		return
	}
	if (i < 0 || ds.rs.on) && !ds.match.SelectsEntry(name) {
		ds.statNew(name, true)
		ds.rs.dropFile(i)
		return
	}
	if !statted {
		var err error
		if fi, err = ds.stat(name); err != nil {
			return // vanished since the listing: absent
		}
	}
	if fi.typ != typeFile && fi.typ != typeSymlink {
		return // replaced by a directory since the listing
	}
	ds.rule.note(fi, false)
	if i >= 0 {
		ds.known(i, name, fi)
	} else {
		ds.add(name, fi)
	}
}

// known compares the recorded file i with fi.
func (ds *dirScan) known(i int, name string, fi fileInfo) {
	ds.seen[i] = true
	if f := &ds.w.d.files[i]; f.changed(fi) {
		f.mtime, f.size, f.ino = fi.mtime, fi.size, fi.ino
		if ds.sc.mode != modeBaseline {
			*ds.out = append(*ds.out, changeOf(joinPath(ds.w.path, name), fi))
		}
	}
}

// add records a file seen for the first time, and reports it when it is
// a change.
func (ds *dirScan) add(name string, fi fileInfo) {
	ds.added = append(ds.added, newFile{strings.Clone(name), fi})
	sc := ds.sc
	switch {
	case sc.mode == modeReport && ds.rs.reportNew(fi):
		c := changeOf(joinPath(ds.w.path, name), fi)
		c.Created = true
		*ds.out = append(*ds.out, c)
	case sc.mode == modeSince && newer(fi, sc.since):
		*ds.out = append(*ds.out, changeOf(joinPath(ds.w.path, name), fi))
	}
}

// stat lstats an entry of the directory.
func (ds *dirScan) stat(name string) (fileInfo, error) {
	return ds.sc.p.statAt(ds.r, ds.fd, ds.w.path, name)
}

// statNew lstats an entry only for the directory rule, which counts it.
func (ds *dirScan) statNew(name string, ignored bool) {
	if !ds.rule.on {
		return
	}
	if fi, err := ds.stat(name); err == nil {
		ds.rule.note(fi, ignored)
	}
}

// listCutShort follows a listing that failed part way: it says nothing
// about what it did not reach, so every file and directory already known
// is kept.
func (ds *dirScan) listCutShort(err error) {
	ds.sc.p.log.Debug("poller: cannot list directory", "dir", ds.w.path, "err", err)
	for i := range ds.seen {
		ds.seen[i] = true
	}
	for _, c := range ds.w.d.dirs {
		ds.subdirs = append(ds.subdirs, c.name)
	}
}

// record reports the recorded files not listed as deleted (unless now
// ignored), and makes the record the listing.
func (ds *dirScan) record() {
	d := ds.w.d
	removed := false
	for i, ok := range ds.seen {
		if !ok {
			removed = true
			if !ds.rs.dropped(i) {
				*ds.out = append(*ds.out, spec.Change{Path: joinPath(ds.w.path, d.fileName(&d.files[i]))})
			}
		}
	}
	if removed || len(ds.added) > 0 {
		d.rebuild(ds.seen, ds.added)
	} else {
		ds.lk.keep()
	}
	ds.sc.reconcileDirs(d, ds.w.path, ds.subdirs, ds.out, ds.rs.skipped)
}

// children returns the subdirectories to scan next; dev is the device of
// this directory, whose change below it means a mount.
func (ds *dirScan) children(dev uint64) []work {
	w := ds.w
	ev := ds.sc.p.ev
	children := make([]work, 0, len(w.d.dirs))
	for _, c := range w.d.dirs {
		if w.shallow && !ds.rs.on && ev.covers(c) {
			continue // it has its own watch, or the tick polls it
		}
		children = append(children, work{d: c, root: w.root, path: joinPath(w.path, c.name), rel: joinRel(w.rel, c.name),
			resync: ds.rs.on, parentDev: dev, poll: w.d.poll, shallow: w.shallow})
	}
	return children
}

// dirRule is the first scan's rule for one directory when it has a time
// baseline (Options.Since): a directory modified after the baseline gained
// or lost entries, and a file deleted or renamed away before the scan
// listed it leaves nothing else to see. Its new entries tell ignored growth
// (__pycache__) from anything else; a change the scan reports in it
// explains it (see dropExplained).
type dirRule struct {
	on                     bool  // the directory was modified after since
	since                  int64 // ns
	newEntries, newIgnored int
}

// note counts an entry, ignored or not, if it is new.
func (r *dirRule) note(fi fileInfo, ignored bool) {
	if r.on && newer(fi, r.since) {
		r.newEntries++
		if ignored {
			r.newIgnored++
		}
	}
}

// changed reports whether the directory itself is a change: modified, and
// not only by new ignored entries.
func (r *dirRule) changed() bool {
	return r.on && (r.newEntries == 0 || r.newEntries > r.newIgnored)
}

// dropExplained drops from a first scan's changes each directory the
// directory rule reported that another change in it explains (a file
// created after the baseline, or a new subdirectory, itself explained or
// not): that change names itself, and the directory would only repeat it.
// Only a directory can be another change's parent.
func dropExplained(changes []spec.Change) []spec.Change {
	if len(changes) < 2 {
		return changes
	}
	parents := make(map[string]bool, len(changes))
	for _, c := range changes {
		parents[filepath.Dir(c.Path)] = true
	}
	return slices.DeleteFunc(changes, func(c spec.Change) bool { return parents[c.Path] })
}

// newer reports whether fi was modified or changed at or after ns.
func newer(fi fileInfo, ns int64) bool { return fi.ctime >= ns || fi.mtime >= ns }
