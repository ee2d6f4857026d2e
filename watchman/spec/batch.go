package spec

import "time"

// Change is one file that changed, as a backend saw it.
type Change struct {
	Path   string    // absolute
	Exists bool      // false when the file was deleted or renamed away
	Mtime  time.Time // zero when the backend does not know it, or the file is gone
	Size   int64     // meaningful only when Exists
}

// Batch is the set of changes a backend delivers together: one Watchman
// notification, or one poller scan.
type Batch struct {
	Changes []Change
	// Unknown means the backend lost track of the tree (a Watchman fresh
	// instance): anything may have changed, so the caller should restart once.
	Unknown bool
}

// Empty reports whether the batch carries nothing to act on.
func (b Batch) Empty() bool { return len(b.Changes) == 0 && !b.Unknown }
