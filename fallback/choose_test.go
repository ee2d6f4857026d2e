package fallback

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// A choice made ahead of New and the subscription that follows are one
// connection: the daemon checks its capabilities once, in either mode;
// and a re-check that finds Watchman back checks once too.
func TestChooseThenNewHandshakeOnce(t *testing.T) {
	for _, reloader := range []Reloader{ReloaderWatchman, ReloaderAuto} {
		t.Run(string(reloader), func(t *testing.T) {
			t.Parallel()
			var h *watchmantest.Handshakes
			f := newSwitchFixtureFrom(t, reloader, fixtureConfig{
				sock: func(d *watchmantest.Daemon) string { h = d.CountHandshakes(t); return h.Sock },
				options: func(o *Options) {
					ch, err := Choose(t.Context(), *o)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { ch.Close() })
					o.Choice = ch
				},
			})
			if !f.onWatchman() {
				t.Fatalf("not on watchman at start:\n%s", f.logs)
			}
			if n := h.Count(); n != 1 {
				t.Fatalf("%d handshakes (list-capabilities) for Choose and New, want 1", n)
			}
			if reloader != ReloaderAuto {
				return
			}
			f.daemon.Kill()
			p := filepath.Join(f.dir, "down.go")
			writeFile(t, p, "package a")
			f.expect("change while down", 10*time.Second, p)
			f.daemon.Restart()
			for start := time.Now(); !f.onWatchman(); {
				if time.Since(start) > 10*time.Second {
					t.Fatalf("not back on watchman:\n%s", f.logs)
				}
				f.next(100 * time.Millisecond)
			}
			if n := h.Count(); n != 2 {
				t.Errorf("%d handshakes after a switch back, want 2: one at start, one for the re-check that found Watchman", n)
			}
		})
	}
}

// With ReloaderWatchman, Choose says Watchman is unusable, with the error
// New would give; with ReloaderAuto it chooses the poller and New says
// why; with ReloaderStat it touches nothing.
func TestChooseUnusableWatchman(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "no-such-sock")
	ctx := t.Context()
	if _, err := Choose(ctx, Options{Reloader: ReloaderWatchman, sock: sock}); !errors.Is(err, watchman.ErrUnavailable) {
		t.Errorf("Choose(watchman) = %v, want ErrUnavailable", err)
	}
	ch, err := Choose(ctx, Options{Reloader: ReloaderAuto, sock: sock, WatchmanTimeout: time.Second})
	if err != nil || ch.reason == nil || !errors.Is(ch.reason, watchman.ErrUnavailable) || ch.sock != sock {
		t.Errorf("Choose(auto) = %+v, %v; want the poller, the socket and why", ch, err)
	}
	ch.Close()
	ch, err = Choose(ctx, Options{Reloader: ReloaderStat, sock: sock})
	if err != nil || ch.conn != nil || ch.sock != "" {
		t.Errorf("Choose(stat) = %+v, %v; want the poller, nothing looked for", ch, err)
	}
	if _, err := Choose(ctx, Options{Reloader: "fsevents"}); err == nil {
		t.Error("Choose(fsevents) succeeded")
	}
}

// A choice given to a watcher of another mode is refused: the command's
// mistake, never a silent second decision.
func TestNewRefusesAChoiceOfAnotherMode(t *testing.T) {
	ch, err := Choose(context.Background(), Options{Reloader: ReloaderStat})
	if err != nil {
		t.Fatal(err)
	}
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{fails: true, options: func(o *Options) { o.Choice = ch }})
	if f.newErr == nil {
		t.Fatal("New took a choice made for stat")
	}
}
