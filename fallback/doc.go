// Package fallback is the switch between the two backends, the Watchman
// client (package watchman) and the stat poller (package fallback/poller):
// New picks Watchman when it is available (Django's
// get_reloader; Choose makes that choice ahead of New for a caller that
// must know it first, and New takes over its checked connection), falls back to the poller when Watchman is lost at runtime
// (start_django's except clause), and goes back when it returns.
//
// Guarantees of a Watcher:
//   - No change is lost in either direction of a switch. Going to the
//     poller, its first scan starts from the last moment Watchman had
//     delivered everything (its last reply, or the entry of a deferring
//     state such as hg.update), minus a margin, and never before the
//     subscription began covering; a VCS lock held or taken or released
//     meanwhile (defer_vcs, of which the daemon says nothing) takes it back
//     a lock's life. That scan reports modified directories too (a deletion
//     leaves nothing else behind), and file roots deleted or renamed away.
//     Going back, the subscription is in place before the poller's last
//     scan: a change is seen by that scan, or made after the subscription's
//     clock was taken, and delivered by Watchman.
//   - Back on Watchman within WatchmanRetry of its return, plus the daemon's
//     crawl of the roots (on 4.9 watch-project waits for it; the poller
//     goes on meanwhile). Re-checks only connect to the socket found at
//     start and never start a daemon; with no socket found at start (no
//     binary, no WATCHMAN_SOCK) the watcher stays on the poller, but in an
//     Eden checkout (below). They run beside the poller and never
//     interrupt a scan, whatever the ratio of
//     WatchmanRetry to PollInterval: only a subscription in place does, and
//     the final scan then takes over what the interrupted one had found.
//   - A first crawl still running after WatchmanTimeout (watch-project on
//     4.9 waits for it) means Watchman is not available yet: New returns
//     on the poller, saying so, and the recheck waits for the rest of the
//     crawl beside it, then switches back as above. With ReloaderWatchman
//     New waits for the crawl up to CrawlLimit, then fails.
//   - A watched root deleted under Watchman is a change, not a loss of
//     Watchman: the batch names it, the log says "root deleted" (never
//     "fallback"), and the poller stands in, even with ReloaderWatchman,
//     until every root is there again; then the watcher goes back to
//     Watchman through the same switch-back. So too when it is re-created
//     at once (the directory at its path is another one), when it lies
//     below the watch's own root (watch-project resolved to a parent), and
//     when it is deleted again soon after its return: every deletion is
//     a batch of its own, never taken for one delivered already.
//   - A root in an EdenFS checkout (see mounts.Eden) is never crawled:
//     while the poller stands in for Watchman it lists no directory there
//     and watches only the files of Options.Bounded (none without it),
//     says once per stand-in that Watchman is required ("eden checkout"),
//     re-checks even with no socket found at start (looking for it each
//     time as at start, which may start the service), and the switch back
//     delivers one unknown batch, as a fresh instance does: what changed
//     meanwhile is not known.
//   - A change seen by both backends around a switch is delivered once
//     (same path, mtime and size within a window after the switch); a
//     switch by itself delivers nothing. The daemon's warnings are logged
//     once per watch however often the watcher re-subscribes.
//   - An ignore-file edit is followed by both backends, whichever reads it
//     first (they share the spec; see spec.Spec.Generation): a directory
//     it un-ignores is watched after a switch too.
//   - The caller sees one stream of batches whatever the backend; Next
//     blocks without waking up while idle on Watchman.
//   - The poller's kernel watches (see package poller) are released once
//     the daemon answers a re-check, before it is asked to watch the tree:
//     both come out of one per-user budget. The poller never holds a
//     watch while Watchman watches.
//   - Close ends every goroutine and releases every descriptor, however
//     often the daemon died and returned.
package fallback
