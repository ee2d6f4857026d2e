package poller

import (
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreload/autoreload/fallback/inotify"
	"github.com/autoreload/autoreload/fallback/mounts"
)

// events is the poller's use of kernel events: one inotify watch per
// tracked directory that the spec does not prune, on filesystems whose
// events can be trusted. Events only say where to look; the stat
// comparison stays the truth, and full scans go on as the safety net
// (see listen.go and sweep.go).
//
// A directory is watched when its dirState's watchGen is the current
// generation: a new kernel watcher (after a release) starts a new one, so
// no walk is needed to forget the old watches. Watches are added by the
// scan that lists a directory, before the listing, so a file created
// after the listing raises an event and one created before is listed.
type events struct {
	log    *slog.Logger
	opts   inotify.Options
	w      *inotify.Watcher // nil while off: released, or none to be had
	gen    uint32
	closed atomic.Pointer[inotify.Watcher] // w, for release from any goroutine
	// released is set by Poller.ReleaseWatches: no watcher until resumed.
	released atomic.Bool

	mu       sync.Mutex // guards what scan workers share below
	table    *mounts.Table
	points   map[string]bool   // mount points inside the roots
	reloaded time.Time         // when the table was last read
	polled   map[string]string // subtree roots that poll only → why
	warned   map[string]bool   // sysctls already named in a warning
	interval time.Duration
}

// newEvents prepares events for the roots; nil when events are off.
func newEvents(roots []string, interval time.Duration, opts inotify.Options, table *mounts.Table, log *slog.Logger) *events {
	ev := &events{log: log, opts: opts, interval: interval, polled: map[string]string{}, warned: map[string]bool{}}
	if table == nil {
		var err error
		if table, err = mounts.Load(); err != nil && !errors.Is(err, mounts.ErrUnsupported) {
			log.Debug("poller: cannot read the mount table; every filesystem counts as untrustworthy", "err", err)
		}
		ev.reloaded = time.Now()
	}
	ev.setTable(table, roots)
	return ev
}

func (ev *events) setTable(t *mounts.Table, roots []string) {
	ev.table, ev.points = t, map[string]bool{}
	for _, root := range roots {
		for _, m := range t.Below(root) {
			ev.points[m.Point] = true
		}
	}
}

// start opens a kernel watcher, a new generation, unless released. A
// kernel limit is warned about once; events stay off then.
func (ev *events) start() bool {
	if ev.w != nil {
		return true
	}
	if ev.released.Load() {
		return false
	}
	w, err := inotify.New(ev.opts)
	if err != nil {
		if le := (*inotify.LimitError)(nil); errors.As(err, &le) {
			ev.limitReached("", le)
		} else if !errors.Is(err, inotify.ErrUnsupported) {
			ev.log.Warn("poller: no kernel events; polling every directory", "err", err)
		}
		return false
	}
	ev.w = w
	ev.gen++
	ev.closed.Store(w)
	if ev.released.Load() { // released meanwhile: honour it
		ev.stop()
		return false
	}
	return true
}

// stop closes the kernel watcher and with it every watch.
func (ev *events) stop() {
	if ev.w != nil {
		ev.w.Close()
		ev.w = nil
	}
}

// release is Poller.ReleaseWatches: it may run beside a scan or a Read,
// which then see inotify.ErrClosed.
func (ev *events) release() {
	ev.released.Store(true)
	if w := ev.closed.Load(); w != nil {
		w.Close()
	}
}

// active reports whether events stand in for polling now.
func (ev *events) active() bool { return ev != nil && ev.w != nil }

// covers reports whether directory d needs no scan of its own when its
// parent is rescanned: it has a watch, or the tick polls it.
func (ev *events) covers(d *dirState) bool {
	return ev != nil && (d.poll || d.watchGen == ev.gen && ev.w != nil)
}

// watch classifies the directory of w (a mount in the tree? what type?)
// and adds its watch if it should have one. Called by scan workers.
func (ev *events) watch(w *work, dinfo fileInfo) {
	d := w.d
	if !w.known {
		d.poll = w.poll
		if dinfo.dev != w.parentDev || ev.isPoint(w.path) {
			d.poll = !ev.trusted(w.path, w.rel == "")
		}
	}
	if d.poll || ev.w == nil || d.watchGen == ev.gen {
		return
	}
	switch err := ev.w.Add(w.path); {
	case err == nil:
		d.watchGen = ev.gen
	case errors.Is(err, inotify.ErrLimit):
		d.poll = true // and below it: no more watches refused one by one
		le := (*inotify.LimitError)(nil)
		errors.As(err, &le)
		ev.limitReached(w.path, le)
	default:
		// Gone since it was opened, or the watcher was released: the
		// listing or the next scan sees to it.
	}
}

func (ev *events) isPoint(path string) bool {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.points[path]
}

// trusted reports whether events can be trusted on the filesystem holding
// dir, and logs once a subtree that polls instead. A device change with
// no mount known there means the table is old: it is read again, at most
// once per poll interval.
func (ev *events) trusted(dir string, root bool) bool {
	// The table knows real paths only: a root may be a symlink, or lie
	// below one (called for roots and mount points only: rarely).
	real := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		real = r
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	m, ok := ev.table.Find(real)
	if (!ok || m.Point != real) && !root && time.Since(ev.reloaded) > ev.interval {
		if t, err := mounts.Load(); err == nil {
			ev.reloaded = time.Now()
			ev.table = t
			for _, b := range t.Below(dir) {
				ev.points[b.Point] = true
			}
			m, ok = t.Find(real)
		}
	}
	class := m.Class()
	if ok && class.Trusted() {
		return true
	}
	if _, logged := ev.polled[dir]; !logged {
		fstype := m.Type
		if !ok {
			fstype = "unknown"
		}
		ev.polled[dir] = fstype
		ev.log.Info("poller: polling, not watching, a filesystem whose events miss changes made elsewhere",
			"dir", dir, "fstype", fstype, "class", class.String(), "interval", ev.interval)
	}
	return false
}

// limitReached warns once per sysctl that a kernel limit keeps a subtree
// (dir; every directory when dir is empty) on full scans.
func (ev *events) limitReached(dir string, le *inotify.LimitError) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if dir != "" {
		ev.polled[dir] = "limit " + le.Sysctl()
	}
	if ev.warned[le.Sysctl()] {
		if dir != "" { // a new instance is tried every interval: not logged each time
			ev.log.Debug("poller: kernel limit: polling", "dir", dir, "err", le.Error())
		}
		return
	}
	ev.warned[le.Sysctl()] = true
	attrs := []any{"sysctl", le.Sysctl(), "err", le.Error()}
	if dir != "" {
		attrs = append(attrs, "dir", dir)
	}
	ev.log.Warn("poller: kernel watch limit reached; polling what it leaves unwatched (raise the sysctl to watch it)", attrs...)
}

// pollOnly returns the subtree roots that poll only, sorted.
func (ev *events) pollOnly() []string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	out := make([]string, 0, len(ev.polled))
	for dir := range ev.polled {
		out = append(out, dir)
	}
	slices.Sort(out)
	return out
}

// unwatch drops the watch of a directory leaving the tree: deleted, now
// ignored, or renamed away (its watch would follow it out of the tree).
func (p *Poller) unwatch(path string, d *dirState) {
	ev := p.ev
	if ev == nil || d.watchGen == 0 {
		return
	}
	if ev.w != nil && d.watchGen == ev.gen {
		ev.w.Remove(path)
	}
	d.watchGen = 0
}
