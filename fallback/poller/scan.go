package poller

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// scanMode says what a scan reports.
type scanMode uint8

const (
	modeBaseline scanMode = iota // record only
	modeSince                    // record; report what changed after the time baseline
	modeReport                   // report every difference from the last scan
)

// scan is one pass over every root, run by a few workers over directories.
type scan struct {
	p     *Poller
	ctx   context.Context
	mode  scanMode
	since int64 // ns; modeSince only
	dirs  bool  // modeSince: report directories modified after since
	// resync makes every directory follow changed ignore rules (see
	// resyncRules); prevStart is when the previous scan started, in ns.
	resync    bool
	prevStart int64
	// rulesSince is the generation of the ignore rules the previous scan
	// followed: a directory whose rules changed after it is resynced.
	rulesSince uint64

	mu      sync.Mutex
	queue   []work
	active  int
	cond    sync.Cond
	changes []spec.Change
}

// work is one directory to scan.
type work struct {
	d    *dirState
	root string // the spec's root it lies in
	path string // absolute
	rel  string // relative to root, slash-separated; "" for the root
	// resync: the ignore rules of this directory changed in this scan.
	resync bool
}

// run scans every root and returns the changes found. It returns early,
// with the changes of the directories scanned so far, when ctx is done.
func (sc *scan) run() []spec.Change {
	p := sc.p
	sc.cond.L = &sc.mu
	for i, d := range p.roots {
		sc.queue = append(sc.queue, work{d: d, root: p.rootPaths[i], path: p.rootPaths[i], resync: sc.resync})
	}
	for len(p.readers) < p.workers {
		p.readers = append(p.readers, newDirReader())
	}
	var wg sync.WaitGroup
	for _, r := range p.readers[:p.workers] {
		wg.Go(func() { sc.worker(r) })
	}
	wg.Wait()
	for i := range p.fileRoots {
		if c, ok := sc.fileRoot(&p.fileRoots[i]); ok {
			sc.changes = append(sc.changes, c)
		}
	}
	return sc.changes
}

// worker takes directories off the queue until it is empty and no other
// worker can add to it.
func (sc *scan) worker(r *dirReader) {
	var local []spec.Change
	sc.mu.Lock()
	for {
		for len(sc.queue) == 0 && sc.active > 0 {
			sc.cond.Wait()
		}
		if len(sc.queue) == 0 {
			break
		}
		w := sc.queue[len(sc.queue)-1]
		sc.queue = sc.queue[:len(sc.queue)-1]
		sc.active++
		sc.mu.Unlock()

		var children []work
		if sc.ctx.Err() == nil {
			children = sc.dir(r, w, &local)
		}

		sc.mu.Lock()
		sc.active--
		sc.queue = append(sc.queue, children...)
		sc.cond.Broadcast()
	}
	sc.changes = append(sc.changes, local...)
	sc.mu.Unlock()
}

// dir scans one directory: it compares the selected files with d's record,
// updates the record, and returns the subdirectories to scan.
func (sc *scan) dir(r *dirReader, w work, out *[]spec.Change) []work {
	p, d := sc.p, w.d
	fd, dinfo, err := p.openDir(w.path, w.rel == "")
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			d.forget(w.path, out) // gone, or no longer a directory
		} else {
			// Unreadable: what it holds is unknown, not deleted.
			p.log.Debug("poller: cannot read directory", "dir", w.path, "err", err)
		}
		return nil
	}
	defer unix.Close(fd)
	rs := sc.resyncRules(w, dinfo.mtime)

	dirRule := sc.mode == modeSince && sc.dirs && dinfo.mtime >= sc.since
	var newEntries, newIgnored int
	isNew := func(fi fileInfo) bool { return fi.ctime >= sc.since || fi.mtime >= sc.since }
	// statNew lstats an entry only for the directory rule.
	statNew := func(name string, ignored bool) {
		if !dirRule {
			return
		}
		if fi, err := p.statAt(r, fd, w.path, name); err == nil && isNew(fi) {
			newEntries++
			if ignored {
				newIgnored++
			}
		}
	}

	match := p.spec.WalkDir(w.root, w.rel)
	seen := make([]bool, len(d.files))
	lk := lookup{d: d}
	var added []newFile
	var subdirs []string
	err = r.list(fd, func(name string, typ entryType) {
		var fi fileInfo
		var statted bool
		if typ == typeUnknown {
			var err error
			if fi, err = p.statAt(r, fd, w.path, name); err != nil {
				return
			}
			typ, statted = fi.typ, true
		}
		switch typ {
		case typeDir:
			if match.SkipsDir(name) {
				statNew(name, true)
				rs.skipDir(d, name)
				return
			}
			statNew(name, false)
			if j := d.findDir(name); j >= 0 {
				name = d.dirs[j].name // the listing's name is a view of its buffer
			} else {
				name = strings.Clone(name)
			}
			subdirs = append(subdirs, name)
		case typeFile, typeSymlink:
			i := lk.find(name)
			if (i < 0 || rs.on) && !match.SelectsEntry(name) {
				statNew(name, true)
				rs.dropFile(i)
				return
			}
			if !statted {
				var err error
				if fi, err = p.statAt(r, fd, w.path, name); err != nil {
					return // vanished since the listing: absent
				}
			}
			if fi.typ != typeFile && fi.typ != typeSymlink {
				return // replaced by a directory since the listing
			}
			if dirRule && isNew(fi) {
				newEntries++
			}
			if i >= 0 {
				seen[i] = true
				if f := &d.files[i]; f.changed(fi) {
					f.mtime, f.size, f.ino = fi.mtime, fi.size, fi.ino
					if sc.mode != modeBaseline {
						*out = append(*out, changeOf(joinPath(w.path, name), fi))
					}
				}
				return
			}
			added = append(added, newFile{strings.Clone(name), fi})
			if sc.mode == modeReport && rs.reportNew(fi) || sc.mode == modeSince && isNew(fi) {
				*out = append(*out, changeOf(joinPath(w.path, name), fi))
			}
		default:
			statNew(name, true)
		}
	})
	if err != nil {
		// A listing cut short says nothing about what it did not reach:
		// keep every file and directory already known.
		p.log.Debug("poller: cannot list directory", "dir", w.path, "err", err)
		for i := range seen {
			seen[i] = true
		}
		for _, c := range d.dirs {
			subdirs = append(subdirs, c.name)
		}
	}

	removed := false
	for i, ok := range seen {
		if !ok {
			removed = true
			if !rs.dropped(i) {
				*out = append(*out, spec.Change{Path: joinPath(w.path, d.fileName(&d.files[i]))})
			}
		}
	}
	if removed || len(added) > 0 {
		d.rebuild(seen, added)
	} else {
		lk.keep()
	}
	sc.reconcileDirs(d, w.path, subdirs, out, rs.skipped)

	// A directory modified after the time baseline gained or lost entries;
	// a file deleted or renamed away leaves nothing else to see. Its new
	// entries tell ignored growth (__pycache__) from anything else.
	if dirRule && (newEntries == 0 || newEntries > newIgnored) {
		*out = append(*out, spec.Change{Path: w.path, Exists: true, Mtime: time.Unix(0, dinfo.mtime)})
	}

	children := make([]work, len(d.dirs))
	for i, c := range d.dirs {
		children[i] = work{d: c, root: w.root, path: joinPath(w.path, c.name), rel: joinRel(w.rel, c.name), resync: rs.on}
	}
	return children
}

// openDir is openDir with the test hook.
func (p *Poller) openDir(path string, follow bool) (int, fileInfo, error) {
	if p.onOpen != nil {
		if err := p.onOpen(path); err != nil {
			return -1, fileInfo{}, err
		}
	}
	return openDir(path, follow)
}

// reconcileDirs makes d's subdirectories the listed ones: new ones start
// empty (so their files are new), vanished ones report their files deleted.
// Those in silent are dropped without a report: now ignored, not deleted.
func (sc *scan) reconcileDirs(d *dirState, path string, names []string, out *[]spec.Change, silent map[string]bool) {
	slices.Sort(names)
	names = slices.Compact(names)
	same := len(names) == len(d.dirs)
	for i := 0; same && i < len(names); i++ {
		same = names[i] == d.dirs[i].name
	}
	if same {
		return
	}
	dirs := make([]*dirState, len(names))
	for i, name := range names {
		if j := d.findDir(name); j >= 0 {
			dirs[i] = d.dirs[j]
		} else {
			dirs[i] = &dirState{name: name}
		}
	}
	for _, c := range d.dirs {
		if _, found := slices.BinarySearch(names, c.name); !found {
			if silent[c.name] {
				var discard []spec.Change
				c.forget(joinPath(path, c.name), &discard)
				continue
			}
			c.forget(joinPath(path, c.name), out)
		}
	}
	d.dirs = dirs
}

// fileRoot checks a watched file (a root that is not a directory).
func (sc *scan) fileRoot(fr *fileRoot) (spec.Change, bool) {
	fi, err := lstat(fr.path)
	exists := err == nil && (fi.typ == typeFile || fi.typ == typeSymlink)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR) {
		sc.p.log.Debug("poller: cannot stat", "file", fr.path, "err", err)
		return spec.Change{}, false
	}
	was := fr.exists
	fr.exists = exists
	switch {
	case !exists && !was:
		return spec.Change{}, false
	case !exists:
		return spec.Change{Path: fr.path}, sc.mode != modeBaseline
	}
	changed := !was || fr.state.changed(fi)
	fr.state = fileState{mtime: fi.mtime, size: fi.size, ino: fi.ino}
	report := changed && (sc.mode == modeReport || was && sc.mode == modeSince ||
		sc.mode == modeSince && (fi.mtime >= sc.since || fi.ctime >= sc.since))
	return changeOf(fr.path, fi), report
}

// fileRoot is a watched file.
type fileRoot struct {
	path   string
	exists bool
	state  fileState
}

func lstat(path string) (fileInfo, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fileInfo{}, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	return infoOf(&st), nil
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}
