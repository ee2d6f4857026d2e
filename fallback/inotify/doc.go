// Package inotify tells the poller where to look: it reports kernel file
// events for a set of directories, one watch per directory (never one per
// file), so a tree of 100,000 files costs as many watches as it has
// directories and no descriptor per file.
//
// It is a hint, never the truth: the poller still stats what an event names
// and still scans. So the package guarantees only what the poller needs:
//   - Read blocks until the kernel has queued an event, then returns every
//     event already queued as one batch, in the kernel's order, and never
//     wakes up while nothing happens. There is no goroutine of its own.
//   - A write is told apart from its end: CloseWrite (IN_CLOSE_WRITE) and
//     MovedTo (IN_MOVED_TO) mean the file is complete; Modify means it may
//     still be written.
//   - An overflowing kernel queue is one Overflow event: events were lost
//     and only a full scan is safe.
//   - Kernel limits are typed: a *LimitError (errors.Is ErrLimit) names the
//     sysctl to raise (fs.inotify.max_user_watches for ENOSPC on Add,
//     fs.inotify.max_user_instances for EMFILE on New).
//   - Close releases the descriptor and with it every watch, and unblocks a
//     Read in progress.
//
// Linux only, through golang.org/x/sys/unix: fsnotify (v1.10) keeps
// IN_CLOSE_WRITE unexported and folds the rest into a portable set that
// cannot say "written and closed". On other systems New returns
// ErrUnsupported and the poller runs without events (fsnotify's kqueue
// backend would hold a descriptor per file, wrong for large trees; FSEvents
// is left until it can be tested on a Mac).
//
// Tests inject the faults a real kernel cannot produce on demand (ENOSPC,
// EMFILE) through Options.Faults; a binary built with the tag
// autoreload_faults also reads them from AUTORELOAD_FAULTS (see faults.go).
package inotify
