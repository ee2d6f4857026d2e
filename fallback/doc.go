// Package fallback watches files with a stat poller, and joins it to the
// Watchman backend: New picks Watchman when it is available (Django's
// get_reloader), falls back to the poller when Watchman is lost at runtime
// (start_django's except clause), and goes back when it returns.
//
// Guarantees of a Watcher:
//   - No change is lost in either direction of a switch. Going to the
//     poller, its first scan starts from the last moment Watchman was known
//     healthy, minus a margin, and reports modified directories too (a
//     deletion leaves nothing else behind). Going back, the subscription is
//     in place before the poller's last scan.
//   - A change seen by both backends around a switch is delivered once;
//     a switch by itself delivers nothing.
//   - The caller sees one stream of batches whatever the backend; Next
//     blocks without waking up while idle on Watchman.
//   - Close ends every goroutine and releases every descriptor, however
//     often the daemon died and returned.
//
// The Poller can be used alone: it reports modifications (mtime, size,
// inode), creations and deletions, prunes ignored directories, holds changes
// back during VCS operations, and keeps its CPU near 10% of one core.
package fallback
