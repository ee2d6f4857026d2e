package fallback

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// A first crawl that never ends (watch-project held back while the daemon
// answers health requests) is "not available yet" in auto mode: New returns
// on the poller after WatchmanTimeout, saying why, the poller delivers
// changes, and the watcher is on Watchman once the crawl completes, with no
// fallback logged (Watchman was never lost).
func TestWatcherPollsWhileWatchmanCrawls(t *testing.T) {
	t.Parallel()
	var hold *watchmantest.CrawlHold
	f := newSwitchFixtureFrom(t, ReloaderAuto, fixtureConfig{sock: func(d *watchmantest.Daemon) string {
		hold = d.HoldCrawls(t)
		return hold.Sock
	}})
	if f.onWatchman() {
		t.Fatalf("on watchman during a crawl that never ends:\n%s", f.logs)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "msg=watching reloader=stat") || !strings.Contains(logs, `reason="watchman still crawling`) {
		t.Fatalf("watching is not logged with the poller and the crawl as the reason:\n%s", logs)
	}
	a := filepath.Join(f.dir, "a.go")
	testkit.Write(t, a, "package a // 1")
	f.expect("a change while watchman crawls", 10*time.Second, a)
	// Several re-check periods: the recheck waits for the crawl, it does
	// not give up and try again.
	f.expectNothing("anything more while watchman crawls", time.Second)
	if f.onWatchman() {
		t.Fatalf("on watchman before the crawl ended:\n%s", f.logs)
	}

	hold.Release()
	f.awaitWatchman(10 * time.Second)
	b := filepath.Join(f.dir, "b.go")
	testkit.Write(t, b, "package a")
	f.expect("a change once the crawl is over", 10*time.Second, b)
	if logs := f.logs.String(); strings.Contains(logs, "msg=fallback") {
		t.Fatalf("a crawl was logged as a loss of watchman:\n%s", logs)
	}
}

// With ReloaderWatchman a crawl that never ends is logged after
// WatchmanTimeout, and New gives up after CrawlLimit with ErrCrawling.
func TestWatcherWatchmanOnlyGivesUpOnANeverEndingCrawl(t *testing.T) {
	t.Parallel()
	const limit = 2 * time.Second
	f := newSwitchFixtureFrom(t, ReloaderWatchman, fixtureConfig{
		sock:    func(d *watchmantest.Daemon) string { return d.HoldCrawls(t).Sock },
		options: func(o *Options) { o.CrawlLimit = limit },
		fails:   true,
	})
	if !errors.Is(f.newErr, watchman.ErrCrawling) {
		t.Fatalf("New: %v, want ErrCrawling", f.newErr)
	}
	if f.newTook < limit {
		t.Fatalf("New gave up after %v, before the limit of %v", f.newTook, limit)
	}
	if !strings.Contains(f.logs.String(), "watchman still crawling") {
		t.Fatalf("the crawl in progress is not logged:\n%s", f.logs)
	}
	if !strings.Contains(f.newErr.Error(), limit.String()) {
		t.Fatalf("the error %q does not say how long the crawl was waited for (%v)", f.newErr, limit)
	}
}

// With ReloaderWatchman a crawl that ends within CrawlLimit is waited for.
func TestWatcherWatchmanOnlyWaitsForACrawlWithinTheLimit(t *testing.T) {
	t.Parallel()
	var hold *watchmantest.CrawlHold
	f := newSwitchFixtureFrom(t, ReloaderWatchman, fixtureConfig{
		sock: func(d *watchmantest.Daemon) string {
			hold = d.HoldCrawls(t)
			return hold.Sock
		},
		// The crawl ends once it has been logged.
		onLog: func(line string) {
			if strings.Contains(line, "msg=\"watchman still crawling\"") {
				hold.Release()
			}
		},
	})
	if !f.onWatchman() {
		t.Fatalf("not on watchman after the crawl:\n%s", f.logs)
	}
	a := filepath.Join(f.dir, "a.go")
	testkit.Write(t, a, "package a // 1")
	f.expect("a change after the crawl", 10*time.Second, a)
}
