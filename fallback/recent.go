package fallback

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman/spec"
)

// recentKeep is how long a delivered change is remembered. It must outlast
// how far back a fallback's time baseline can go: the slowest detection of
// a lost daemon (a hung one is noticed only after a health interval plus
// --watchman-timeout), and a VCS lock's life (see fallbackBaseline).
const recentKeep = poller.StaleLockAge + time.Minute

// switchWindow is how long after a switch batches are compared with what was
// already delivered. Outside it, a change is never dropped: two real writes
// can share an mtime on filesystems with coarse timestamps.
const switchWindow = 5 * time.Second

// delivery is what was known of a change when it was handed to the caller.
type delivery struct {
	exists bool
	mtime  time.Time
	size   int64
	at     time.Time // when it was delivered
}

// recent remembers what was delivered lately, so that the two backends'
// views of the same change around a switch restart COMMAND once. Only the
// goroutine calling Watcher.Next touches it.
type recent struct {
	byPath map[string]delivery
	// byDir holds, for each directory, the latest delivery of an entry in
	// it: a directory whose mtime is no later than that was already
	// accounted for by the entry's own change.
	byDir     map[string]time.Time
	lastPrune time.Time
}

func newRecent() *recent {
	return &recent{byPath: make(map[string]delivery), byDir: make(map[string]time.Time)}
}

// remember records every change of b as delivered at now.
func (r *recent) remember(b spec.Batch, now time.Time) {
	for _, c := range b.Changes {
		r.byPath[c.Path] = delivery{exists: c.Exists, mtime: c.Mtime, size: c.Size, at: now}
		r.byDir[filepath.Dir(c.Path)] = now
	}
	r.prune(now)
}

func (r *recent) prune(now time.Time) {
	if now.Sub(r.lastPrune) < time.Second {
		return
	}
	r.lastPrune = now
	for p, d := range r.byPath {
		if now.Sub(d.at) > recentKeep {
			delete(r.byPath, p)
		}
	}
	for p, at := range r.byDir {
		if now.Sub(at) > recentKeep {
			delete(r.byDir, p)
		}
	}
}

// seen reports whether c was already delivered: the same path in the same
// state (existence, mtime, size), or a directory whose last modification
// predates a delivered change of one of its entries.
func (r *recent) seen(c spec.Change) bool {
	if d, ok := r.byPath[c.Path]; ok && d.exists == c.Exists {
		if !c.Exists {
			return true
		}
		if !d.mtime.IsZero() && d.mtime.Equal(c.Mtime) && d.size == c.Size {
			return true
		}
	}
	if at, ok := r.byDir[c.Path]; ok && c.Exists && !c.Mtime.IsZero() && !c.Mtime.After(at) {
		return true
	}
	return false
}

// drop returns b without the changes already delivered. An unknown batch is
// kept whole: it asks for a restart whatever else it carries.
func (r *recent) drop(b spec.Batch) spec.Batch {
	if b.Unknown {
		return b
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if !r.seen(c) {
			kept = append(kept, c)
		}
	}
	return spec.Batch{Changes: kept}
}

// deduplicate drops, for a short while after a switch, what was already
// delivered, the root directories' modifications made by Watchman's own
// cookie files when the subscription synced, and directories whose change
// is explained by an entry in the same batch (the poller reports a modified
// directory after a switch, as a deletion leaves nothing else behind).
func (w *Watcher) deduplicate(b spec.Batch) spec.Batch {
	if time.Since(w.switchedAt) > switchWindow {
		return b
	}
	b = dropExplainedDirs(w.delivered.drop(b))
	if w.sub != nil || w.subscribedAt.IsZero() {
		return b
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if c.Exists && w.isDirRoot(c.Path) && !c.Mtime.After(w.subscribedAt) {
			continue
		}
		kept = append(kept, c)
	}
	b.Changes = kept
	return b
}

func dropExplainedDirs(b spec.Batch) spec.Batch {
	if len(b.Changes) < 2 {
		return b
	}
	parents := make(map[string]bool, len(b.Changes))
	for _, c := range b.Changes {
		parents[filepath.Dir(c.Path)] = true
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if !parents[c.Path] {
			kept = append(kept, c)
		}
	}
	b.Changes = kept
	return b
}

// isDirRoot reports whether path is a root directory, where Watchman puts
// its cookie files. A file root's change is always a real one.
func (w *Watcher) isDirRoot(path string) bool {
	return slices.Contains(w.spec.Roots(), path) && !w.spec.IsFileRoot(path)
}
