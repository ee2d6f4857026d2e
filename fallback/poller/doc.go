// Package poller watches the files a spec.Spec selects by scanning them: it
// reports modifications (mtime, size, inode), creations and deletions,
// prunes ignored directories, holds changes back during VCS operations,
// and keeps its CPU near 10% of one core. It is the backend package
// fallback switches to when Watchman is lost, and can be used alone.
//
// Where the kernel can tell it where to look (inotify on Linux: one watch
// per tracked directory, none in pruned ones), it does: an event makes it
// rescan the entries named at once, through the scan's own comparison, so
// a change is delivered within milliseconds; the full scans go on as the
// safety net, a slice at a time so that the whole tree is re-checked every
// minute. Directories on filesystems whose events miss changes made
// elsewhere (NFS, SMB, 9p, FUSE...), and those a kernel limit left without
// a watch, are scanned at every interval instead. Options.NoEvents, and
// systems without inotify, give pure polling.
//
// A root in an EdenFS checkout, and an Eden mount below a root, are never
// listed (listing fetches the checkout from its server): there the poller
// only lstats the files Options.Bounded names, if any.
package poller
