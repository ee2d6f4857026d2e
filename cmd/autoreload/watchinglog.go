package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman/spec"
)

// watchingHandler adds to each "watching" record (the backend logs it)
// what the command knows of the watch: how much is watched, the filters in
// force, the poll interval and the project file in use.
type watchingHandler struct {
	slog.Handler
	describe func(reloader string) []slog.Attr
}

func (h watchingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == fallback.MsgWatching {
		reloader := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "reloader" {
				reloader = a.Value.String()
			}
			return true
		})
		r = r.Clone()
		r.AddAttrs(h.describe(reloader)...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h watchingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return watchingHandler{h.Handler.WithAttrs(as), h.describe}
}

func (h watchingHandler) WithGroup(name string) slog.Handler {
	return watchingHandler{h.Handler.WithGroup(name), h.describe}
}

// withWatchDescription returns logger whose "watching" records describe
// the watch of s as cfg asked for it. The tree is counted from now, beside
// the backend's start (Watchman's first crawl takes most of a second on a
// large tree): counted when the line is logged, it would delay the first
// batch of changes.
func withWatchDescription(logger *slog.Logger, s *spec.Spec, cfg *config) *slog.Logger {
	count := sync.OnceValue(func() treeCount { return countTree(s) })
	go count()
	return slog.New(watchingHandler{logger.Handler(), func(reloader string) []slog.Attr {
		n := count()
		attrs := []slog.Attr{slog.Int("files", n.files), slog.Int("dirs", n.dirs)}
		if n.more {
			attrs = append(attrs, slog.Bool("more_files", true))
		}
		var filters []string
		filters = append(filters, cfg.patterns...)
		for _, e := range cfg.exts {
			filters = append(filters, "*."+e)
		}
		if len(filters) > 0 {
			attrs = append(attrs, slog.Any("patterns", filters))
		}
		if len(cfg.ignores) > 0 {
			attrs = append(attrs, slog.Any("ignores", cfg.ignores))
		}
		if reloader == "stat" {
			attrs = append(attrs, slog.String("poll_interval", cfg.pollInterval.String()))
		}
		if cfg.projectFile != nil {
			attrs = append(attrs, slog.String("config", cfg.projectFile.Path))
		}
		return attrs
	}})
}
