package poller

import (
	"context"
	"strings"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// sweepPeriod is how long the safety net takes to re-check every watched
// directory: events are trusted there, so the sweep only catches what a
// kernel could still miss (a change through mmap, a bug), and costs a
// sixtieth of a full scan per second instead of a full scan per interval.
const sweepPeriod = 60 * time.Second

// tick is the event path's timer, every poll interval: it scans in full
// the directories that poll (an untrustworthy filesystem, a watch a kernel
// limit refused, a watch lost), one slice of the sweep of the watched ones,
// and the watched files. The VCS locks are looked at by the caller.
//
// A directory's scan may forget or replace every record below it (it is
// gone, or no longer a directory), so the records of a directory have one
// owner at a time: the directories are scanned level by level, as the
// event path's rescan does, a level only once every one above it is done,
// each found afresh then.
func (p *Poller) tick(ctx context.Context) []spec.Change {
	levels := p.sweepWork()
	sc := &scan{p: p, ctx: ctx, mode: modeReport, prevStart: p.lastStart.UnixNano(), rulesSince: p.rulesSeen}
	for i, items := range levels {
		if i > 0 {
			items = p.refind(items)
		}
		sc.runWork(items)
	}
	changes := sc.changes
	if sc.resynced.Load() {
		p.fullDue = true // the next listen scans everything
	}
	for i := range p.fileRoots {
		if c, ok := sc.fileRoot(&p.fileRoots[i]); ok {
			changes = append(changes, c)
		}
	}
	return changes
}

// refind looks up afresh the records of directories taken before a scan
// of a level above them, which may have dropped them; one no longer
// tracked is left to the scan that dropped it.
func (p *Poller) refind(items []work) []work {
	kept := items[:0]
	for _, w := range items {
		if d, _, _, ok := p.lookupDir(w.path); ok {
			w.d, w.poll = d, d.poll
			kept = append(kept, w)
		}
	}
	return kept
}

// sweepWork lists this tick's directories: every one not covered by a
// watch (with all below it), and the next slice of the watched ones, each
// directory weighing its file count plus one, so that each tick stats
// about the same number of files, and a sweep ends every sweepPeriod.
// They come in levels: a directory is in the level after the deepest one
// holding a directory above it.
func (p *Poller) sweepWork() [][]work {
	ev := p.ev
	ticks := max(1, int(sweepPeriod/p.interval))
	slice := max(1, (p.sweepTotal+ticks-1)/ticks)
	lo, hi := p.sweepPos, p.sweepPos+slice
	var levels [][]work
	acc := 0
	// The walk is in memory and runs every tick: a path is built in one
	// buffer and made a string only for the directories taken.
	var buf []byte
	var visit func(d *dirState, root string, level int)
	take := func(d *dirState, root string, shallow bool, level int) {
		path := string(buf)
		rel := strings.TrimPrefix(path[len(root):], "/")
		for len(levels) <= level {
			levels = append(levels, nil)
		}
		levels[level] = append(levels[level], work{d: d, root: root, path: path, rel: rel, known: true, poll: d.poll, shallow: shallow})
	}
	// level is the number of directories taken above d.
	visit = func(d *dirState, root string, level int) {
		if d.poll || d.watchGen != ev.gen {
			take(d, root, false, level) // scanned whole, with all below it
			return
		}
		w := len(d.files) + 1
		if acc < hi && acc+w > lo {
			take(d, root, true, level)
			level++
		}
		acc += w
		for _, c := range d.dirs {
			n := len(buf)
			if buf[n-1] != '/' {
				buf = append(buf, '/')
			}
			buf = append(buf, c.name...)
			visit(c, root, level)
			buf = buf[:n]
		}
	}
	for i, d := range p.roots {
		buf = append(buf[:0], p.rootPaths[i]...)
		visit(d, p.rootPaths[i], 0)
	}
	p.sweepTotal, p.sweepPos = acc, hi
	if hi >= acc {
		p.sweepPos = 0 // a sweep ended: the next tick starts another
	}
	return levels
}
