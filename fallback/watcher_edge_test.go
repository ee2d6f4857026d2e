package fallback

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
)

// Next after Close returns ErrClosed: the backends are gone by then, and
// nothing may be touched.
func TestWatcherNextAfterClose(t *testing.T) {
	dir := t.TempDir()
	spec, err := watchman.NewSpec(watchman.SpecOptions{Watch: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 { // the panic depended on a goroutine's timing
		w, err := New(context.Background(), spec, Options{Reloader: ReloaderStat, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = w.Next(ctx)
		cancel()
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	}
}

// A file root (--watch main.go) deleted while the daemon is down has no
// directory of its own to show the deletion: the fallback still reports it.
func TestWatcherFileRootDeletedDuringTheGap(t *testing.T) {
	f := newSwitchFixtureWith(t, ReloaderAuto, func(dir string) []string {
		return []string{filepath.Join(dir, "a.go")}
	})
	if !f.onWatchman() {
		t.Fatalf("not on watchman at start:\n%s", f.logs)
	}
	a := filepath.Join(f.dir, "a.go")
	f.daemon.Kill()
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	f.expect("the file root deleted while the daemon was down", 15*time.Second, a)
}
