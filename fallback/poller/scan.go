package poller

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
	// resynced is set when a directory's ignore rules changed: a scan of
	// part of the tree (the event path) then asks for a full one, which
	// brings the poller's generation of the rules up to date.
	resynced atomic.Bool

	mu      sync.Mutex
	queue   []work
	active  int
	cond    sync.Cond
	changes []spec.Change
	// panicked is the first panic of a worker, raised again by runWork in
	// its caller's goroutine, where the program's own recovery can see it:
	// a panic left in a worker would end the process at once.
	panicked *workerPanic
}

// workerPanic is a scan worker's panic, with the stack it had.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) String() string {
	return fmt.Sprintf("poller: scan worker: %v\n\n%s", p.value, p.stack)
}

// work is one directory to scan.
type work struct {
	d    *dirState
	root string // the spec's root it lies in
	path string // absolute
	rel  string // relative to root, slash-separated; "" for the root
	// resync: the ignore rules of this directory changed in this scan.
	resync bool

	// With kernel events (see events.go): parentDev is the device of the
	// parent directory (0 for a root), whose change means a mount; known
	// keeps d.poll as an earlier scan classified it; poll is the parent's.
	parentDev uint64
	known     bool
	poll      bool
	// shallow scans d, and of its subdirectories only those without a
	// watch (new ones, with all below them): an event's rescan, or a
	// slice of the sweep. only, when set, names the entries that changed:
	// the other recorded files are taken as unchanged, unstatted.
	shallow bool
	only    map[string]bool
}

// run scans every root and returns the changes found. It returns early,
// with the changes of the directories scanned so far, when ctx is done.
func (sc *scan) run() []spec.Change {
	p := sc.p
	var roots []work
	for i, d := range p.roots {
		roots = append(roots, work{d: d, root: p.rootPaths[i], path: p.rootPaths[i], resync: sc.resync})
	}
	sc.runWork(roots)
	for i := range p.fileRoots {
		if c, ok := sc.fileRoot(&p.fileRoots[i]); ok {
			sc.changes = append(sc.changes, c)
		}
	}
	return sc.changes
}

// runWork scans the directories of queue, and below them as each one's
// work says, and returns the changes found, with ctx as run.
func (sc *scan) runWork(queue []work) []spec.Change {
	p := sc.p
	sc.cond.L = &sc.mu
	sc.queue = queue
	for len(p.readers) < p.workers {
		p.readers = append(p.readers, newDirReader())
	}
	var wg sync.WaitGroup
	for _, r := range p.readers[:p.workers] {
		wg.Go(func() { sc.worker(r) })
	}
	wg.Wait()
	if sc.panicked != nil {
		panic(sc.panicked.String())
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
			children = sc.guardedDir(r, w, &local)
		}

		sc.mu.Lock()
		sc.active--
		sc.queue = append(sc.queue, children...)
		sc.cond.Broadcast()
	}
	sc.changes = append(sc.changes, local...)
	sc.mu.Unlock()
}

// guardedDir is dir, with a panic kept for runWork to raise (the first
// one; the scan stops taking directories after it) instead of ending the
// process from a worker.
func (sc *scan) guardedDir(r *dirReader, w work, out *[]spec.Change) (children []work) {
	defer func() {
		if v := recover(); v != nil {
			sc.mu.Lock()
			if sc.panicked == nil {
				sc.panicked = &workerPanic{value: v, stack: debug.Stack()}
				sc.queue = nil
			}
			sc.mu.Unlock()
			children = nil
		}
	}()
	return sc.dir(r, w, out)
}

// openDir is openDir with the test hook.
func (p *Poller) openDir(path string, follow bool) (int, fileInfo, error) {
	if p.onOpen != nil {
		if err := p.onOpen(path); err != nil {
			return -1, fileInfo{}, err
		}
	}
	p.listed.Add(1)
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
				c.forget(joinPath(path, c.name), &discard, sc.p.unwatch)
				continue
			}
			c.forget(joinPath(path, c.name), out, sc.p.unwatch)
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
	// bounded: named by Options.Bounded in a tree never listed.
	bounded bool
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
