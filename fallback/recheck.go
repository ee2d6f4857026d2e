package fallback

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
)

// recheck tries Watchman again while the poller stands in, beside the
// poller and never in its way: it does not interrupt a scan when an attempt
// is due or fails, only when a subscription is in place (found), and then
// the switch-back's final scan takes over whatever the interrupted scan had
// found. (Cancelling the poller at every re-check lost changes for ever when
// the two periods were in step: each re-check cancelled the scan that had
// found one.)
//
// Its one goroutine is owned by the watcher: stop cancels and waits for it,
// and it has ended by the time found is done.
type recheck struct {
	found    context.Context // done once sub (or, with ReloaderWatchman, err) is set
	setFound context.CancelFunc
	cancel   context.CancelFunc
	done     chan struct{} // closed when the goroutine has ended

	// Set by the goroutine before found is done; read after.
	sub     subscription
	err     error     // Watchman lost with every root present (ReloaderWatchman only), or a *watchman.PanicError
	started time.Time // when the successful attempt began: the subscription covers changes from then
	at      time.Time // when the subscription was in place: its cookie files are older
}

// recheckConfig is what a recheck needs of its watcher.
type recheckConfig struct {
	spec     *spec.Spec
	sock     string
	opts     Options
	warnings *watchman.WarningLog
	log      *slog.Logger
	// release drops the poller's kernel watches, once the daemon answers
	// and before it is asked to watch the tree: they come out of the same
	// per-user budget, and Watchman 4.9 that runs out of it stops working
	// until restarted (the switch-back's final scan covers the gap).
	// resume takes them again when the subscription failed after all.
	release, resume func()
}

// MsgStillUnavailable: a re-check found Watchman still unusable (error;
// debug level).
const MsgStillUnavailable = "watchman still unavailable"

// startRecheck makes its first attempt after delay, and one every
// WatchmanRetry after each failure. parent is the watcher's closed context.
func startRecheck(parent context.Context, cfg recheckConfig, delay time.Duration) *recheck {
	ctx, cancel := context.WithCancel(parent)
	r := &recheck{cancel: cancel, done: make(chan struct{})}
	r.found, r.setFound = context.WithCancel(context.Background())
	go r.run(ctx, cfg, delay)
	return r
}

func (r *recheck) run(ctx context.Context, cfg recheckConfig, delay time.Duration) {
	defer close(r.done)
	// A panic here (a bug) would end the process at once, leaving the
	// terminal as COMMAND left it; as an error of Next, the program ends
	// as on any other.
	defer func() {
		if v := recover(); v != nil {
			r.err = watchman.Recovered(v)
			r.setFound()
		}
	}()
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A missing root cannot be watched (watch-project refuses it): wait
		// for it quietly, the poller watches the rest meanwhile.
		call(cfg.opts.beforeRecheck)
		if rootsPresent(cfg.spec) {
			started := spec.FileTime()
			sock, err := cfg.sock, error(nil)
			if sock == "" {
				// None found at start, in an Eden checkout (see
				// Watcher.startRecheck): look again, as at start.
				sock, err = locate(ctx, cfg.opts.WatchmanTimeout)
			}
			var conn *watchman.Conn
			if err == nil {
				// Checked, then subscribed on the same connection.
				conn, err = watchman.Connect(ctx, sock, cfg.opts.WatchmanTimeout)
			}
			var sub subscription
			if err == nil {
				call(cfg.release)
				// The crawl unbounded: the poller goes on meanwhile.
				if sub, err = subscribeWatchman(ctx, cfg.spec, sock, conn, time.Time{}, cfg.opts, cfg.warnings, 0); err != nil {
					call(cfg.resume)
				}
			}
			if err == nil {
				r.sub, r.started, r.at = sub, started, time.Now()
				r.setFound()
				return
			}
			if ctx.Err() != nil {
				return
			}
			if cfg.opts.Reloader == ReloaderWatchman && rootsPresent(cfg.spec) && !errors.Is(err, watchman.ErrRootGone) {
				// The poller stood in for a missing root only: Watchman
				// itself lost is the end, as at any other time. (Not a
				// root deleted, and maybe re-created, during the attempt:
				// present again now, it failed the attempt all the same.)
				r.err = err
				r.setFound()
				return
			}
			cfg.log.Debug(MsgStillUnavailable, "error", err.Error())
		}
		t.Reset(cfg.opts.WatchmanRetry)
	}
}

func call(f func()) {
	if f != nil {
		f()
	}
}

// take waits for the goroutine, which has ended once found is done, and
// hands over the subscription.
func (r *recheck) take() subscription {
	<-r.done
	sub := r.sub
	r.sub = nil
	return sub
}

// stop cancels the recheck, waits for it, and releases what it got.
func (r *recheck) stop() {
	r.cancel()
	<-r.done
	if r.sub != nil {
		r.sub.Close()
		r.sub = nil
	}
}

// rootsPresent reports whether every root can be watched: a directory root
// is there, and so is the directory of a file root (a file root itself may
// be missing: its creation is a change Watchman reports).
func rootsPresent(sp *spec.Spec) bool {
	for _, root := range sp.Roots() {
		dir := root
		if sp.IsFileRoot(root) {
			dir = filepath.Dir(root)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}
