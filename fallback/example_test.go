package fallback_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/autoreload/autoreload/fallback"
	"github.com/autoreload/autoreload/watchman/spec"
)

// A program that restarts itself, as Django's runserver does, embeds the
// watcher: it pulls batches of changes and reacts to each.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	spec, err := spec.New(spec.Options{Watch: []string{dir}, Exts: []string{"go"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// ReloaderAuto would use Watchman when it is available; the example
	// keeps to the poller so that it runs anywhere.
	w, err := fallback.New(ctx, spec, fallback.Options{
		Reloader:     fallback.ReloaderStat,
		PollInterval: 50 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()

	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not watched"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main"), 0o644)
	batch, err := w.Next(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range batch.Changes {
		fmt.Println(filepath.Base(c.Path), c.Exists)
	}
	// Output: main.go true
}
