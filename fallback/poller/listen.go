package poller

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreload/autoreload/fallback/inotify"
	"github.com/autoreload/autoreload/watchman/spec"
)

// The event path. An event names a directory and an entry; the poller
// rescans that directory at once, statting only the entries named (and any
// it had not seen), through the scan's own comparison: the spec's
// selection, the VCS-lock hold and "nothing lost, nothing twice" are the
// scan's. Events already queued come in the same batch, so a save is one
// look. Then the batch waits only as long as the writes in it may not be
// finished and the kernel is not quiet:
//   - a file is finished when its last event is IN_CLOSE_WRITE, IN_MOVED_TO
//     or a deletion, or else when its size and mtime held still for
//     stillPeriod (a file written through a descriptor kept open, a link);
//   - the batch waits for quietFirst without events (settlePeriod when it
//     holds a new file, which may be a save's temporary file about to be
//     renamed over the real one: see transient.go). Once events look like
//     a burst (a checkout, an unpack: many events, or events right after a
//     delivery), the poller only notes where they point until the kernel
//     has been quiet for quietBurst, as Watchman's settle does, then looks
//     once; at most holdLimit after the first event. A burst that outlasts
//     it is a second batch.
const (
	quietFirst  = 2 * time.Millisecond
	quietBurst  = 200 * time.Millisecond
	burstEvents = 64                     // this many events in one held batch are a burst
	burstAfter  = 200 * time.Millisecond // events this soon after a delivery go on with a burst
	holdLimit   = 30 * time.Second
	stillPeriod = 10 * time.Millisecond
	// maxNamed: a directory with more entries named than this in one
	// batch is rescanned whole, which costs the same and keeps no map.
	maxNamed = 256
)

// dirtyDir is what the events of one batch said about one directory.
type dirtyDir struct {
	all   bool // the directory itself changed: rescan every entry
	names map[string]bool
}

// heldBatch is the state of the batch being held back on the event path,
// from its first event to its delivery.
type heldBatch struct {
	start, last time.Time // first and latest event (or look) of the batch
	events      int
	burst       bool
	unfinished  map[string]*still // files that may still be written
	delivered   time.Time         // when the last batch went out
	created     bool              // the batch holds a file created since the last one
}

// still is the last look at a file that may still be written.
type still struct {
	mtime, size int64
	due         time.Time // when to look again
}

// burstEnd is when a burst's noted events are looked at: after quietBurst
// without events, or holdLimit after the first.
func (hb *heldBatch) burstEnd() time.Time {
	end := hb.last.Add(quietBurst)
	if limit := hb.start.Add(holdLimit); limit.Before(end) {
		end = limit
	}
	return end
}

// listen waits for kernel events, or the next tick, or the moment the
// held batch may be ready, and handles what came. It returns with the
// changes added to pending and p.held set; ErrClosed-like endings of the
// kernel watcher turn events off (the poller scans at its interval then).
func (p *Poller) listen(ctx context.Context) error {
	if p.fullDue {
		return p.fullScan(ctx)
	}
	hb := &p.hb
	deadline := p.tickAt
	switch {
	case len(p.dirty) > 0 && hb.burst:
		deadline = earlier(deadline, hb.burstEnd())
	case len(p.pending) > 0 && !p.held:
		deadline = earlier(deadline, p.readyAt())
	}
	var batch []inotify.Event
	var err error
	// Dirty directories outside a burst are left over from a cancelled
	// call: rescan them first.
	if len(p.dirty) == 0 || hb.burst && time.Now().Before(deadline) {
		rctx, cancel := context.WithDeadline(ctx, deadline)
		batch, err = p.ev.w.Read(rctx)
		cancel()
	}
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
	default:
		if !errors.Is(err, inotify.ErrClosed) {
			p.log.Warn("poller: kernel events failed; polling", "err", err)
		}
		p.eventsOff()
		return nil
	}
	now := time.Now()
	if len(batch) > 0 {
		if hb.events == 0 && len(p.pending) == 0 {
			hb.start = now
			hb.burst = now.Sub(hb.delivered) < burstAfter
		}
		hb.events += len(batch)
		hb.last = now
		if hb.events > burstEvents {
			hb.burst = true
		}
		if !p.note(batch) {
			p.log.Warn("poller: the kernel's event queue overflowed; scanning the whole tree")
			p.fullDue = true
			// The events lost may have ended watches (a directory replaced
			// at the same path keeps its record, not its watch): a new
			// kernel watcher is a new generation, so the full scan adds
			// every watch again.
			p.ev.stop()
			if p.ev.start() {
				p.watchFileRoots()
			}
		}
	}
	if p.fullDue {
		// An overflow, or ignore rules changed: only a scan of everything
		// can tell what changed, or what is selected now.
		clear(p.dirty)
		clear(p.writing)
		return p.fullScan(ctx)
	}
	if len(p.dirty) > 0 && (!hb.burst || !now.Before(hb.burstEnd())) {
		changes := p.rescan(ctx)
		if err := context.Cause(ctx); err != nil {
			p.addPending(changes)
			return err
		}
		p.hold(changes, now, true)
		if p.fullDue {
			return p.fullScan(ctx)
		}
		// Quiet is counted from the end of the look: what came meanwhile
		// is in the queue, and the next Read returns it.
		hb.last = time.Now()
		if len(p.pending) == 0 {
			// Events about nothing selected (a build's objects, an editor's
			// swap file): no batch is held, and no burst goes on.
			hb.events, hb.burst = 0, false
		}
	}
	if !now.Before(p.tickAt) {
		if p.spec.SharedIgnoreFilesChanged(p.rulesSeen) {
			p.fullDue = true
			return p.fullScan(ctx)
		}
		p.refreshBounded()
		changes := p.tick(ctx)
		p.tickAt = now.Add(p.interval)
		p.hold(changes, now, false)
		if err := context.Cause(ctx); err != nil {
			return err
		}
	}
	if len(p.pending) > 0 {
		p.held = p.vcs.locked()
	}
	return nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// note records what a batch of events says into p.dirty and p.writing;
// false on an overflow, when only a full scan can tell what changed.
func (p *Poller) note(batch []inotify.Event) bool {
	if p.dirty == nil {
		p.dirty, p.writing = map[string]*dirtyDir{}, map[string]bool{}
	}
	for _, e := range batch {
		if e.Op == inotify.Overflow {
			return false
		}
		if e.Name == "" {
			// The directory itself went (deleted, renamed, unmounted): its
			// watch is over. Rescan it, and its parent, which lists it.
			if d, _, _, ok := p.lookupDir(e.Dir); ok {
				p.unwatch(e.Dir, d)
			}
			p.mark(e.Dir, "").all = true
			if parent := filepath.Dir(e.Dir); parent != e.Dir {
				p.mark(parent, filepath.Base(e.Dir))
			}
			continue
		}
		p.mark(e.Dir, e.Name)
		path := joinPath(e.Dir, e.Name)
		if p.spec.IgnoreFileChanged(path, p.rulesSeen) {
			p.fullDue = true
		}
		switch {
		case e.Op&(inotify.CloseWrite|inotify.MovedTo|inotify.Remove|inotify.MovedFrom) != 0:
			p.writing[path] = false
		case e.Op&(inotify.Create|inotify.Modify) != 0 && e.Op&inotify.IsDir == 0:
			p.writing[path] = true
		}
	}
	return true
}

// mark notes that name (empty: nothing in particular) changed in dir.
func (p *Poller) mark(dir, name string) *dirtyDir {
	dd := p.dirty[dir]
	if dd == nil {
		dd = &dirtyDir{}
		p.dirty[dir] = dd
	}
	if name != "" && !dd.all {
		if dd.names == nil {
			dd.names = map[string]bool{}
		}
		dd.names[name] = true
		if len(dd.names) > maxNamed {
			dd.all, dd.names = true, nil
		}
	}
	return dd
}

// rescan looks at what the noted events named, as a scan would, and
// returns the changes. The directories stay noted if ctx ends first.
//
// Noted directories can be nested, and a look at one can forget or
// replace the records below it (it is gone, or no longer a directory), so
// they are looked at level by level: a directory only once every noted
// directory above it is done, and found afresh then.
func (p *Poller) rescan(ctx context.Context) []spec.Change {
	var changes []spec.Change
	dirs := make([]string, 0, len(p.dirty))
	for dir, dd := range p.dirty {
		dirs = append(dirs, dir)
		// A watched file's directory (--watch main.go).
		for i := range p.fileRoots {
			fr := &p.fileRoots[i]
			if filepath.Dir(fr.path) == dir && (dd.all || dd.names[filepath.Base(fr.path)]) {
				sc := &scan{p: p, ctx: ctx, mode: modeReport}
				if c, ok := sc.fileRoot(fr); ok {
					changes = append(changes, c)
				}
			}
		}
	}
	sc := &scan{p: p, ctx: ctx, mode: modeReport, prevStart: p.lastStart.UnixNano(), rulesSince: p.rulesSeen}
	for _, level := range nestingLevels(dirs) {
		var items []work
		for _, dir := range level {
			if d, root, rel, ok := p.lookupDir(dir); ok {
				w := work{d: d, root: root, path: dir, rel: rel, known: true, poll: d.poll, shallow: true}
				if dd := p.dirty[dir]; !dd.all {
					w.only = dd.names
				}
				items = append(items, w)
			}
		}
		sc.runWork(items)
	}
	changes = append(changes, sc.changes...)
	if ctx.Err() == nil {
		clear(p.dirty)
	}
	if sc.resynced.Load() {
		p.fullDue = true
	}
	return changes
}

// nestingLevels groups dirs by how many of the others lie above each: no
// two directories of one level are nested.
func nestingLevels(dirs []string) [][]string {
	set := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		set[d] = true
	}
	var levels [][]string
	for _, d := range dirs {
		n := 0
		for at, up := d, filepath.Dir(d); up != at; at, up = up, filepath.Dir(up) {
			if set[up] {
				n++
			}
		}
		for len(levels) <= n {
			levels = append(levels, nil)
		}
		levels[n] = append(levels[n], d)
	}
	return levels
}

// lookupDir finds the record of the tracked directory at path.
func (p *Poller) lookupDir(path string) (d *dirState, root, rel string, ok bool) {
	for i, r := range p.roots {
		root = p.rootPaths[i]
		rest, found := strings.CutPrefix(path, root)
		if !found || rest != "" && rest[0] != '/' && !strings.HasSuffix(root, "/") {
			continue
		}
		rel = strings.Trim(rest, "/")
		d = r
		if rel != "" {
			for part := range strings.SplitSeq(rel, "/") {
				j := d.findDir(part)
				if j < 0 {
					d = nil
					break
				}
				d = d.dirs[j]
			}
		}
		if d != nil {
			return d, root, rel, true
		}
	}
	return nil, "", "", false
}

// hold adds changes to pending and notes which may be unfinished: those
// whose latest event says they are being written, and, from a scan
// (named false), every one, as settle would.
func (p *Poller) hold(changes []spec.Change, now time.Time, named bool) {
	hb := &p.hb
	if hb.unfinished == nil {
		hb.unfinished = map[string]*still{}
	}
	if len(changes) > 0 && len(p.pending) == 0 && hb.events == 0 {
		hb.start, hb.last = now, now // found by a scan, not an event
	}
	p.addPending(changes)
	for _, c := range changes {
		if !c.Exists {
			delete(hb.unfinished, c.Path)
			continue
		}
		hb.created = hb.created || c.Created
		if writing, ok := p.writing[c.Path]; named && (!ok || !writing) {
			continue // closed after writing, renamed into place, or only touched
		}
		hb.unfinished[c.Path] = &still{mtime: c.Mtime.UnixNano(), size: c.Size, due: now.Add(stillPeriod)}
	}
	for path, writing := range p.writing {
		if !writing {
			delete(hb.unfinished, path)
		}
	}
	clear(p.writing)
}

// ready reports whether the held batch can go out now: no file in it
// still being written, and the kernel quiet for long enough, or the hold
// at its limit. It looks again at the files due for it.
func (p *Poller) ready(now time.Time) bool {
	hb := &p.hb
	limit := now.Sub(hb.start) >= holdLimit
	for path, s := range hb.unfinished {
		if now.Before(s.due) && !limit {
			continue
		}
		fi, err := lstat(path)
		if err != nil || fi.mtime == s.mtime && fi.size == s.size {
			delete(hb.unfinished, path) // gone (the next event or scan says so) or still
			continue
		}
		// Written since: what goes out is what is there now, and the
		// record follows, so the next look does not report it again.
		s.mtime, s.size, s.due = fi.mtime, fi.size, now.Add(stillPeriod)
		p.addPending([]spec.Change{changeOf(path, fi)})
		if f := p.record(path); f != nil {
			f.mtime, f.size, f.ino = fi.mtime, fi.size, fi.ino
		}
	}
	if len(p.dirty) > 0 {
		return false // a burst's events, not looked at yet
	}
	if limit {
		return true
	}
	if len(hb.unfinished) > 0 || now.Sub(hb.last) < p.quiet() {
		return false
	}
	if p.dropVanished() {
		// A save's temporary file, renamed over the real one: the events
		// of the rename are queued, and the real file goes out with them.
		hb.last = now
		return false
	}
	return true
}

// quiet is how long the kernel must be quiet before the held batch goes
// out. A batch holding a new file waits as long as Watchman's settle: a
// save's temporary file (sed -i, an editor's atomic save) is renamed over
// the real file within milliseconds, and must not go out alone first;
// one made only of new files waits spec.NewOnlyHold, as the Watchman
// subscription holds it, for a temporary file slower than that.
func (p *Poller) quiet() time.Duration {
	switch {
	case p.hb.burst:
		return quietBurst
	case p.hb.created && spec.OnlyNew(p.pending):
		return spec.NewOnlyHold
	case p.hb.created:
		return settlePeriod
	}
	return quietFirst
}

// readyAt is when ready may next say yes.
func (p *Poller) readyAt() time.Time {
	hb := &p.hb
	at := hb.last.Add(p.quiet())
	for _, s := range hb.unfinished {
		if s.due.After(at) {
			at = s.due
		}
	}
	if limit := hb.start.Add(holdLimit); limit.Before(at) {
		at = limit
	}
	return at
}

// eventsOff stops kernel events after the watcher ended (released for
// Watchman, or failed): the poller scans everything at its interval, from
// now, until events are resumed.
func (p *Poller) eventsOff() {
	p.ev.stop()
	clear(p.dirty)
	clear(p.writing)
	clear(p.hb.unfinished)
	p.next = time.Now()
}
