package spec

import "time"

// Change is one file that changed, as a backend saw it.
type Change struct {
	Path   string    // absolute
	Exists bool      // false when the file was deleted or renamed away
	Mtime  time.Time // zero when the backend does not know it, or the file is gone
	Size   int64     // meaningful only when Exists
	// Created: the file did not exist when the backend last delivered a
	// batch (or took its baseline). Created and gone again within the
	// batch, it is a save's temporary file (sed -i's sedXXXXXX, an
	// editor's .name.tmp renamed over the real file): no change at all,
	// and backends leave it out (see Transient).
	Created bool
}

// NewOnlyHold is how long a backend holds a batch made only of new files
// for what comes next. A save's temporary file (sed -i's sedXXXXXX) lives
// milliseconds, longer than Watchman's 20 ms settle on a loaded machine;
// its batch, alone, would restart nothing but name the temporary file
// and make the real file's rename a second batch. The rename and the
// deletion come within the hold, and the temporary file, created and gone
// within the batch, is left out. A batch with an edit in it goes at once.
const NewOnlyHold = 100 * time.Millisecond

// OnlyNew reports whether changes, not empty, are all files created in
// the batch and still there: a batch that NewOnlyHold holds.
func OnlyNew(changes []Change) bool {
	for _, c := range changes {
		if !c.Created || !c.Exists {
			return false
		}
	}
	return len(changes) > 0
}

// Transient reports whether c is a file created and deleted again within
// one batch: no change at all.
func (c Change) Transient() bool { return c.Created && !c.Exists }

// Merge returns the change of a path seen as earlier, then as c within
// one batch: c's state, created if the path did not exist before the
// batch began, which the earlier change tells.
func (c Change) Merge(earlier Change) Change {
	c.Created = earlier.Created
	return c
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
