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
func (p *Poller) tick(ctx context.Context) []spec.Change {
	items := p.sweepWork()
	sc := &scan{p: p, ctx: ctx, mode: modeReport, prevStart: p.lastStart.UnixNano(), rulesSince: p.rulesSeen}
	changes := sc.runWork(items)
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

// sweepWork lists this tick's directories: every one not covered by a
// watch (with all below it), and the next slice of the watched ones, each
// directory weighing its file count plus one, so that each tick stats
// about the same number of files, and a sweep ends every sweepPeriod.
func (p *Poller) sweepWork() []work {
	ev := p.ev
	ticks := max(1, int(sweepPeriod/p.interval))
	slice := max(1, (p.sweepTotal+ticks-1)/ticks)
	lo, hi := p.sweepPos, p.sweepPos+slice
	var items []work
	acc := 0
	// The walk is in memory and runs every tick: a path is built in one
	// buffer and made a string only for the directories taken.
	var buf []byte
	var visit func(d *dirState, root string)
	take := func(d *dirState, root string, shallow bool) {
		path := string(buf)
		rel := strings.TrimPrefix(path[len(root):], "/")
		items = append(items, work{d: d, root: root, path: path, rel: rel, known: true, poll: d.poll, shallow: shallow})
	}
	visit = func(d *dirState, root string) {
		if d.poll || d.watchGen != ev.gen {
			take(d, root, false) // scanned whole, with all below it
			return
		}
		w := len(d.files) + 1
		if acc < hi && acc+w > lo {
			take(d, root, true)
		}
		acc += w
		for _, c := range d.dirs {
			n := len(buf)
			if buf[n-1] != '/' {
				buf = append(buf, '/')
			}
			buf = append(buf, c.name...)
			visit(c, root)
			buf = buf[:n]
		}
	}
	for i, d := range p.roots {
		buf = append(buf[:0], p.rootPaths[i]...)
		visit(d, p.rootPaths[i])
	}
	p.sweepTotal, p.sweepPos = acc, hi
	if hi >= acc {
		p.sweepPos = 0 // a sweep ended: the next tick starts another
	}
	return items
}
