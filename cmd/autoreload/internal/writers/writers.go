package writers

import (
	"os"
	"sync"
	"time"
)

const (
	// Burst is how soon after a start a modification counts as the run's
	// own: well under the time a person takes to save again after a
	// restart, well over the time a COMMAND takes to open its log.
	Burst = 100 * time.Millisecond
	// slop allows, where the kernel's file clock cannot be read, for
	// file times taken from a coarse clock: a file written as COMMAND
	// starts may be stamped a few milliseconds before the start.
	slop = 20 * time.Millisecond
	// sampleEvery and sampleFor: how often and how long after a start the
	// tree is sampled on its own (start-up work: migrations, caches).
	// Later on, only an arriving change makes a sample.
	sampleEvery = 20 * time.Millisecond
	sampleFor   = 5 * time.Second
	// maxFiles bounds what a run's record holds.
	maxFiles = 1000
)

// File is a regular file held open for writing: its path as the kernel
// names it, and its identity, which survives a rename and a path spelt
// through a symbolic link.
type File struct {
	Path     string
	Dev, Ino uint64
}

// Recorder is the record of one run of COMMAND: when it began, and the
// files its tree was seen holding open for writing. Its methods may be
// called from any goroutine.
type Recorder struct {
	root    int
	started time.Time
	// from: a file modified earlier is not the run's write; COMMAND did
	// not run yet. A person's save just before the start is often reported
	// only after it (Watchman settles for 20 ms); it must not count.
	from time.Time

	mu    sync.Mutex
	paths map[string]bool
	ids   map[[2]uint64]bool

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Record starts recording the run whose leader is root: begun is Floor
// read just before COMMAND could first run (before its go-ahead, not
// earlier: what is written meanwhile is not its write), started when it
// was known to run. Stop ends the sampling.
func Record(root int, begun, started time.Time) *Recorder {
	r := &Recorder{root: root, started: started, from: begun,
		paths: map[string]bool{}, ids: map[[2]uint64]bool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.sampleStartUp()
	return r
}

// sampleStartUp samples the tree every sampleEvery for sampleFor after
// the start, or until Stop.
func (r *Recorder) sampleStartUp() {
	defer close(r.done)
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	end := time.NewTimer(time.Until(r.started.Add(sampleFor)))
	defer end.Stop()
	for {
		r.Sample()
		select {
		case <-tick.C:
		case <-end.C:
			return
		case <-r.stop:
			return
		}
	}
}

// Sample records what the tree holds open for writing now: when a change
// arrives, the writer may still hold it.
func (r *Recorder) Sample() {
	if r == nil {
		return
	}
	scan.Lock()
	defer scan.Unlock()
	files := scan.openForWriting(scan.tree(r.root))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range files {
		if len(r.paths) >= maxFiles {
			return
		}
		if path := scan.path(f); !r.paths[string(path)] { // no copy of a path already known
			r.paths[string(path)] = true
		}
		r.ids[[2]uint64{f.dev, f.ino}] = true
	}
}

// scan is every Recorder's scanner, with the buffers it keeps from one
// sample to the next and from one run to the next (a run's own would be
// a few KiB more garbage each start). Samples take tens of microseconds:
// one at a time is no wait.
var scan struct {
	sync.Mutex
	scanner
}

// Stop ends the sampling and waits for it; what was recorded stays.
func (r *Recorder) Stop() {
	if r == nil {
		return
	}
	r.stopOnce.Do(func() { close(r.stop) })
	<-r.done
}

// Wrote reports whether path, last modified at modified (zero when
// unknown, as for a deletion), was written by this run: modified after it
// began, and either within Burst of its start or while its tree held the
// file open for writing.
func (r *Recorder) Wrote(path string, modified time.Time) bool {
	if r == nil || modified.IsZero() || modified.Before(r.from) {
		return false
	}
	if !modified.After(r.started.Add(Burst)) {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.paths[path] {
		return true
	}
	dev, ino, ok := identity(path)
	return ok && r.ids[[2]uint64{dev, ino}]
}

// identity is path's device and inode, following symbolic links.
func identity(path string) (dev, ino uint64, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, false
	}
	return fileID(fi)
}
