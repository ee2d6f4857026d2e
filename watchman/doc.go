// Package watchman is the Watchman client: the availability check, and
// subscriptions over the Watchman socket that deliver the changes a
// spec.Spec (package watchman/spec) selects.
//
// Guarantees: every way the service can fail us — binary missing, socket
// missing, refused or owned by another user, version older than 4.9, a
// capability missing, no answer within the timeout, a malformed or hostile
// reply, the daemon shut down, killed, hung or canceling the subscription —
// comes back as an error matching ErrUnavailable (with an *UnavailableError
// saying which), never as a panic or a hang. A cancel because a watched
// root was deleted is not a failure of the service: it comes back as an
// ErrRootGone (a *RootGoneError naming the root), also when the root is
// back before the cancel is read (another directory at its path: see
// dirID), and so does a root below the watch's own deleted, of which the
// daemon cancels nothing (after the deletions it listed). A subscription blocks on its
// socket while idle; its only timer is the health request every
// HealthInterval. Close ends every goroutine it started. LastHealthy is the
// moment up to which every change was delivered (it stops at the entry of
// a state in DeferStates), for a caller that must cover the rest itself.
// Daemon warnings are logged once per watch, across subscriptions sharing
// Options.Warnings.
//
// Theory of operation: Subscribe watches the common roots (watch-project,
// one watch for nested roots, relative_root below it), takes each watch's
// clock with a sync, and subscribes since that clock with the spec's
// expression, deferring during VCS operations. Notifications become batches
// of absolute paths re-checked with spec.Spec.Selects; a fresh instance becomes
// one spec.Batch{Unknown: true}. On 4.9 watch-project returns only after the
// first crawl of a new root; that wait is not bounded by the timeout (a side
// connection checks the daemon still answers with a well-formed get-pid),
// only by Options.CrawlTimeout when set (then an ErrCrawling: not available
// yet), and Options.Since makes the changes made meanwhile the first batch.
// The transport is our own (deadlines, capped replies): the capability
// check is JSON, and every connection to a daemon listing bser-v2 (4.9
// does) then speaks BSER v2 (package watchman/bser), in which file names
// are bytes (in JSON, 4.9 never sends a name that is not UTF-8: the
// connection goes silent). github.com/sjansen/watchman/protocol supplies
// the request types and reply translators it has, through one file
// (protocol.go), which recovers the translators' panics.
//
// Ignore files: the spec's ignore files are themselves in every directory
// subscription's expression, so their changes arrive as notifications and
// the rules change at once; a subscription whose daemon-side dirname terms
// a change makes stale re-subscribes.
package watchman
