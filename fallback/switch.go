package fallback

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// The runtime switch, both ways: to the poller when Watchman is lost (or a
// root is deleted under it), and back once the recheck has found Watchman
// again.

// The switch's log messages; the command's text log words them.
const (
	// MsgFallback: Watchman was lost and the poller took over (error,
	// reloader).
	MsgFallback = "fallback"
	// MsgRootDeleted: a watched root was deleted under Watchman, and the
	// poller waits for it (roots, reloader). Never MsgFallback.
	MsgRootDeleted = "root deleted"
)

// healthyMargin is taken off the last moment Watchman was known healthy
// before the poller's first scan after a fallback: a change made shortly
// before the daemon died may not have reached us yet.
const healthyMargin = time.Second

// nextFromWatchman waits on the subscription; when Watchman is lost it
// switches to the poller (start_django's except clause, minus the lost
// changes) and returns an empty batch. When a root is deleted it switches
// too and returns the batch of rootGone, deleted set.
func (w *Watcher) nextFromWatchman(ctx context.Context) (b spec.Batch, deleted bool, err error) {
	b, err = w.sub.Next(ctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, watchman.ErrRootGone) {
		return w.rootGone(err), true, nil
	}
	if err == nil || ctx.Err() != nil || !errors.Is(err, watchman.ErrUnavailable) {
		return b, false, err
	}
	if w.opts.Reloader == ReloaderWatchman {
		return spec.Batch{}, false, err
	}
	since := w.fallbackBaseline()
	w.sub.Close()
	w.sub = nil
	w.log.Warn(MsgFallback, "error", err.Error(), "reloader", "stat")
	w.startPoller(since, true, false)
	w.startRecheck(w.opts.WatchmanRetry)
	w.switchedAt, w.firstScanDue = time.Now(), true
	return spec.Batch{}, false, nil
}

// rootGone hands over to the poller when a watched root was deleted under
// Watchman: not a loss of Watchman (no fallback, even with
// ReloaderWatchman), but a change, returned as the batch of the roots now
// missing. The poller watches the other roots from where the subscription
// left off, and the root for its return; the recheck goes back to Watchman
// once every root is there again.
//
// The root may be back already, another directory at the same path (a
// delete and re-create faster than the daemon's cancel reached us): the
// batch then names the roots in the directory the subscription lost, for
// what they hold now is unknown.
func (w *Watcher) rootGone(err error) spec.Batch {
	var b spec.Batch
	var gone []string
	for _, root := range w.spec.Roots() {
		if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			b.Changes = append(b.Changes, spec.Change{Path: root})
			gone = append(gone, root)
		}
	}
	var ge *watchman.RootGoneError
	if len(gone) == 0 && errors.As(err, &ge) {
		for _, root := range w.spec.Roots() {
			if rel, err := filepath.Rel(ge.Root, root); err == nil && filepath.IsLocal(rel) {
				// Deleted all the same: the directory watched is gone.
				b.Changes = append(b.Changes, spec.Change{Path: root})
				gone = append(gone, root)
			}
		}
	}
	if b.Empty() {
		b.Unknown = true
	}
	since := w.fallbackBaseline()
	w.sub.Close()
	w.sub = nil
	w.log.Warn(MsgRootDeleted, "roots", gone, "reloader", "stat")
	w.startPoller(since, true, false)
	w.startRecheck(w.opts.WatchmanRetry)
	w.switchedAt, w.firstScanDue = time.Now(), true
	return b
}

// fallbackBaseline is the poller's time baseline when Watchman is lost:
// the last moment the subscription had delivered everything, minus a
// margin. The poller takes it back further if a VCS lock may have held
// changes back at the daemon (see poller.Options.Takeover), never before
// the subscription began covering.
func (w *Watcher) fallbackBaseline() time.Time {
	return w.sub.LastHealthy().Add(-healthyMargin)
}

// nextFromPoller waits on the poller while a recheck tries Watchman beside
// it; once Watchman is back it takes one last scan, after the subscription
// is in place, so whatever changed in between is seen by one or both (and
// delivered once: see deduplicate). Only a subscription in place interrupts
// the poller: a scan that had found changes hands them to that last scan.
func (w *Watcher) nextFromPoller(ctx context.Context) (spec.Batch, error) {
	if w.recheck == nil || w.recheck.found.Err() == nil {
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if w.recheck != nil {
			defer context.AfterFunc(w.recheck.found, cancel)()
		}
		b, err := w.poller.Next(pctx)
		if err == nil && w.firstScanDue {
			w.switchedAt, w.firstScanDue = time.Now(), false
		}
		if err == nil || ctx.Err() != nil || w.recheck == nil || w.recheck.found.Err() == nil {
			return b, err
		}
	}
	return w.switchBack(ctx)
}

// switchBack ends the poller's stand-in once the recheck has found Watchman
// again: the poller's final scan, then the subscription.
func (w *Watcher) switchBack(ctx context.Context) (spec.Batch, error) {
	if err := w.recheck.err; err != nil {
		return spec.Batch{}, err // Watchman lost (ReloaderWatchman), or a panic
	}
	final, err := w.poller.Scan(ctx)
	if err != nil {
		// Cancelled mid-scan: stay on the poller, which keeps what it
		// found, and keep the subscription, which keeps what it gets: the
		// next call scans again and switches.
		return spec.Batch{}, err
	}
	final.Unknown = final.Unknown || w.edenUnwatched()
	sub := w.recheck.take()
	w.sub, w.subscribedAt, w.coveredSince, w.switchedAt = sub, w.recheck.at, w.recheck.started, time.Now()
	w.recheck = nil
	w.poller.Close()
	w.poller = nil
	w.logWatching(ctx, nil)
	return final, nil
}
