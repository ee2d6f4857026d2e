// Package poller watches the files a spec.Spec selects by scanning them: it
// reports modifications (mtime, size, inode), creations and deletions,
// prunes ignored directories, holds changes back during VCS operations,
// and keeps its CPU near 10% of one core. It is the backend package
// fallback switches to when Watchman is lost, and can be used alone.
package poller
