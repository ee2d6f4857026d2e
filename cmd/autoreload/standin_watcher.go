package main

// This file is a stand-in for the fallback package's watcher, so that the
// command and its end-to-end tests work before that package lands: replace
// newWatcher's body with fallback.New and delete the rest of this file.

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/watchman"
)

// newWatcher builds the watcher the command pulls batches from; it logs
// "watching" once a change made afterwards is seen.
func newWatcher(ctx context.Context, spec *watchman.Spec, cfg *config, logger *slog.Logger) (watcher, error) {
	w := &standinWatcher{spec: spec, interval: cfg.pollInterval, files: scan(spec)}
	logger.Info("watching", "reloader", "stat", "roots", spec.Roots())
	return w, nil
}

// standinWatcher polls: every interval it stats the files the spec selects
// and reports what appeared, vanished or changed mtime, size or inode.
type standinWatcher struct {
	spec     *watchman.Spec
	interval time.Duration
	files    map[string]fileState
}

type fileState struct {
	mtime time.Time
	size  int64
	ino   uint64
}

func (w *standinWatcher) Next(ctx context.Context) (watchman.Batch, error) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return watchman.Batch{}, ctx.Err()
		case <-t.C:
		}
		now := scan(w.spec)
		var b watchman.Batch
		for p, st := range now {
			if old, ok := w.files[p]; !ok || old != st {
				b.Changes = append(b.Changes, watchman.Change{Path: p, Exists: true, Mtime: st.mtime, Size: st.size})
			}
		}
		for p := range w.files {
			if _, ok := now[p]; !ok {
				b.Changes = append(b.Changes, watchman.Change{Path: p})
			}
		}
		w.files = now
		if !b.Empty() {
			return b, nil
		}
	}
}

func (w *standinWatcher) Close() error { return nil }

func scan(spec *watchman.Spec) map[string]fileState {
	files := map[string]fileState{}
	for _, root := range spec.Roots() {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if path != root && spec.SkipDir(path) {
					return filepath.SkipDir
				}
				return nil
			}
			if path != root && !spec.Selects(path) {
				return nil
			}
			info, err := os.Lstat(path)
			if err != nil {
				return nil
			}
			st := fileState{mtime: info.ModTime(), size: info.Size()}
			if sys, ok := info.Sys().(*syscall.Stat_t); ok {
				st.ino = uint64(sys.Ino)
			}
			files[path] = st
			return nil
		})
	}
	return files
}
