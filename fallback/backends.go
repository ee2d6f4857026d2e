package fallback

import (
	"context"
	"time"

	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// backend is what the watcher needs of either backend: one stream of
// batches, and a way to let it go.
type backend interface {
	Next(ctx context.Context) (spec.Batch, error)
	Close() error
}

// subscription is what the watcher needs of a Watchman subscription: the
// moment up to which it delivered everything, where a fallback starts.
type subscription interface {
	backend
	LastHealthy() time.Time
}

// scanner is what the watcher needs of the poller: one scan now, the last
// before switching back to Watchman.
type scanner interface {
	backend
	Scan(ctx context.Context) (spec.Batch, error)
	// Start takes the baseline now, and Stats says how the poller
	// watches, for the log.
	Start(ctx context.Context) error
	Stats() poller.Stats
	// ReleaseWatches drops the kernel watches, from any goroutine, before
	// Watchman is asked to watch the same tree; ResumeEvents takes them
	// again when Watchman did not come back after all.
	ReleaseWatches()
	ResumeEvents()
}

// locate finds the Watchman socket at start-up, letting get-sockname start
// the service as Watchman's own clients do. Later re-checks reuse what it
// found and never start a daemon.
func locate(ctx context.Context, timeout time.Duration) (string, error) {
	return watchman.FindSocket(ctx, "", timeout)
}

// subscribeWatchman subscribes on conn, a checked connection to sock, or
// on a new one when conn is nil; warnings is the watcher's, kept across
// its re-subscriptions; crawl bounds the wait for the daemon's first crawl
// (zero: as long as it answers health requests).
func subscribeWatchman(ctx context.Context, spec *spec.Spec, sock string, conn *watchman.Conn, since time.Time, opts Options, warnings *watchman.WarningLog, crawl time.Duration) (subscription, error) {
	sub, err := watchman.Subscribe(ctx, spec, watchman.Options{
		Sock:           sock,
		Conn:           conn,
		Timeout:        opts.WatchmanTimeout,
		DeferStates:    opts.DeferStates,
		Since:          since,
		HealthInterval: opts.HealthInterval,
		CrawlTimeout:   crawl,
		Logger:         opts.Logger,
		Warnings:       warnings,
	})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return sub, nil
}
