package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman/spec"
)

// newWatcher builds the watcher the command pulls batches from. since is
// when COMMAND was about to start: a change from then on is delivered even
// if it happened before the backend was ready. bounded, when not nil,
// gives the files of the --deps-from set (fallback.Options.Bounded).
// choice, when not nil, is chooseFirst's: the watcher takes it over.
func newWatcher(ctx context.Context, spec *spec.Spec, cfg *config, since time.Time, bounded func() []string, choice *fallback.Choice, logger *slog.Logger) (watcher, error) {
	opts := watcherOptions(cfg)
	opts.Since = since
	opts.Logger = withWatchDescription(logger, spec, cfg)
	opts.Bounded = bounded
	opts.Choice = choice
	return fallback.New(ctx, spec, opts)
}

// watcherOptions are the watcher's options that cfg gives.
func watcherOptions(cfg *config) fallback.Options {
	return fallback.Options{
		Reloader:        fallback.Reloader(cfg.reloader),
		PollInterval:    cfg.pollInterval,
		WatchmanTimeout: cfg.watchmanTimeout,
		WatchmanRetry:   cfg.watchmanRetry,
		DeferStates:     cfg.deferStates,
		NoEvents:        cfg.noEvents,
	}
}

// depsBound reports whether a --deps-from set bounds what the poller
// watches in an EdenFS checkout, which it never lists: then --reloader
// stat is allowed there, and fallback.Options.Bounded gives the set's
// files (depsWatcher.bounded).
func depsBound(cfg *config) bool { return len(cfg.depsFrom) > 0 }

// chooseFirst makes the watcher's choice of backend before COMMAND starts
// when COMMAND must not start without it: with --reloader watchman, where
// an unusable Watchman ends autoreload (exit 1). The watcher, built beside
// COMMAND, takes the choice over, and with it the checked connection. Nil
// otherwise: the watcher chooses as it starts.
func chooseFirst(cfg *config) (*fallback.Choice, error) {
	if cfg.reloader != string(fallback.ReloaderWatchman) {
		return nil, nil
	}
	choice, err := fallback.Choose(context.Background(), watcherOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	return choice, nil
}
