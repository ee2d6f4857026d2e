package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// newWatcher builds the watcher the command pulls batches from. since is
// when COMMAND was about to start: a change from then on is delivered even
// if it happened before the backend was ready. bounded, when not nil,
// gives the files of the --deps-from set (fallback.Options.Bounded).
func newWatcher(ctx context.Context, spec *spec.Spec, cfg *config, since time.Time, bounded func() []string, logger *slog.Logger) (watcher, error) {
	return fallback.New(ctx, spec, fallback.Options{
		Reloader:        fallback.Reloader(cfg.reloader),
		PollInterval:    cfg.pollInterval,
		WatchmanTimeout: cfg.watchmanTimeout,
		WatchmanRetry:   cfg.watchmanRetry,
		DeferStates:     cfg.deferStates,
		Since:           since,
		Logger:          withWatchDescription(logger, spec, cfg),
		NoEvents:        cfg.noEvents,
		Bounded:         bounded,
	})
}

// depsBound reports whether a --deps-from set bounds what the poller
// watches in an EdenFS checkout, which it never lists: then --reloader
// stat is allowed there, and fallback.Options.Bounded gives the set's
// files (depsWatcher.bounded).
func depsBound(cfg *config) bool { return len(cfg.depsFrom) > 0 }

// checkWatchman decides, as the watcher would, whether Watchman is usable,
// bounded by timeout.
func checkWatchman(timeout time.Duration) error {
	ctx := context.Background()
	sock, err := watchman.FindSocket(ctx, "", timeout)
	if err == nil {
		err = watchman.Check(ctx, sock, timeout)
	}
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}
