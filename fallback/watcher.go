package fallback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/autoreload/autoreload/watchman"
)

// Reloader names a choice of backend, as --reloader gives it.
type Reloader string

const (
	ReloaderAuto     Reloader = "auto"     // Watchman when available, else the poller
	ReloaderWatchman Reloader = "watchman" // Watchman only: losing it is an error
	ReloaderStat     Reloader = "stat"     // the poller only; Watchman is never touched
)

// healthyMargin is taken off the last moment Watchman was known healthy
// before the poller's first scan after a fallback: a change made shortly
// before the daemon died may not have reached us yet.
const healthyMargin = time.Second

// Options configures a Watcher. Zero values take the defaults shown.
type Options struct {
	Reloader        Reloader      // ReloaderAuto
	PollInterval    time.Duration // 1s
	WatchmanTimeout time.Duration // 5s: availability and health requests
	WatchmanRetry   time.Duration // 10s: how often the poller re-checks Watchman
	DeferStates     []string      // Watchman states that hold changes back (hg.update)
	// Since is the start-up baseline: a file selected by the spec whose
	// mtime or ctime is after it is a change, even if it happened before
	// the backend was ready. The command passes COMMAND's start time.
	Since  time.Time
	Logger *slog.Logger // slog.Default()
}

func (o *Options) fill() {
	if o.Reloader == "" {
		o.Reloader = ReloaderAuto
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.WatchmanTimeout <= 0 {
		o.WatchmanTimeout = 5 * time.Second
	}
	if o.WatchmanRetry <= 0 {
		o.WatchmanRetry = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Watcher delivers the changes to the files a spec selects, through
// Watchman or the poller, switching between them at runtime. Its caller sees
// one stream of batches whatever the backend.
//
// Guarantees: a change made while switching, in either direction, is
// delivered; a change seen by both backends around a switch is delivered
// once; a switch by itself delivers nothing. Next is called from one
// goroutine at a time; Close may be called from any goroutine.
type Watcher struct {
	spec *watchman.Spec
	opts Options
	log  *slog.Logger

	closed context.Context // done once Close is called
	close  context.CancelFunc
	mu     sync.Mutex // held by Next; Close takes it to release the backends

	sub          subscription // non-nil while on Watchman
	subscribedAt time.Time
	poller       *Poller // non-nil while on the poller
	retryAt      time.Time
	sock         string // the socket found at start; re-checks never look elsewhere
	delivered    *recent
	switchedAt   time.Time
}

// New chooses the backend (get_reloader in Django) and makes it ready: a
// change made after New returns is delivered. With ReloaderWatchman, an
// unavailable Watchman is an error matching watchman.ErrUnavailable.
func New(ctx context.Context, spec *watchman.Spec, opts Options) (*Watcher, error) {
	opts.fill()
	w := &Watcher{spec: spec, opts: opts, log: opts.Logger, delivered: newRecent()}
	w.closed, w.close = context.WithCancel(context.Background())
	switch opts.Reloader {
	case ReloaderStat:
		w.startPoller(opts.Since, false)
		w.logWatching(nil)
		return w, nil
	case ReloaderAuto, ReloaderWatchman:
	default:
		return nil, fmt.Errorf("unknown reloader %q", opts.Reloader)
	}
	sock, err := locate(ctx, opts.WatchmanTimeout)
	if err == nil {
		w.sock = sock
		err = w.subscribe(ctx)
	}
	if err != nil {
		if opts.Reloader == ReloaderWatchman || ctx.Err() != nil {
			return nil, err
		}
		w.startPoller(opts.Since, false)
		w.logWatching(err)
		return w, nil
	}
	w.logWatching(nil)
	return w, nil
}

func (w *Watcher) logWatching(reason error) {
	attrs := []any{"roots", w.spec.Roots()}
	if w.sub != nil {
		attrs = append([]any{"reloader", "watchman"}, attrs...)
	} else {
		attrs = append([]any{"reloader", "stat"}, attrs...)
	}
	if reason != nil {
		attrs = append(attrs, "reason", reason.Error())
	}
	w.log.Info("watching", attrs...)
}

func (w *Watcher) subscribe(ctx context.Context) error {
	sub, err := subscribeWatchman(ctx, w.spec, w.sock, w.opts)
	if err != nil {
		return err
	}
	w.sub, w.subscribedAt = sub, time.Now()
	return nil
}

func (w *Watcher) startPoller(since time.Time, dirs bool) {
	w.poller = NewPoller(w.spec, PollerOptions{
		Interval:  w.opts.PollInterval,
		Since:     since,
		SinceDirs: dirs,
		Logger:    w.log,
	})
	w.retryAt = time.Now().Add(w.opts.WatchmanRetry)
}

// Next blocks until the next batch of changes, the context ends, or the
// watcher fails for good: Watchman lost with ReloaderWatchman, or Close.
func (w *Watcher) Next(ctx context.Context) (watchman.Batch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.closed, cancel)()
	for {
		if err := ctx.Err(); err != nil {
			if w.closed.Err() != nil {
				return watchman.Batch{}, ErrClosed
			}
			return watchman.Batch{}, err
		}
		var b watchman.Batch
		var err error
		if w.sub != nil {
			b, err = w.nextFromWatchman(ctx)
		} else {
			b, err = w.nextFromPoller(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return watchman.Batch{}, err
		}
		if b = w.deduplicate(b); !b.Empty() {
			w.delivered.remember(b, time.Now())
			return b, nil
		}
	}
}

// nextFromWatchman waits on the subscription; when Watchman is lost it
// switches to the poller (start_django's except clause, minus the lost
// changes) and returns an empty batch.
func (w *Watcher) nextFromWatchman(ctx context.Context) (watchman.Batch, error) {
	b, err := w.sub.Next(ctx)
	if err == nil || ctx.Err() != nil || !errors.Is(err, watchman.ErrUnavailable) {
		return b, err
	}
	if w.opts.Reloader == ReloaderWatchman {
		return watchman.Batch{}, err
	}
	since := w.sub.LastHealthy().Add(-healthyMargin)
	w.sub.Close()
	w.sub = nil
	w.log.Warn("fallback", "error", err.Error(), "reloader", "stat")
	w.startPoller(since, true)
	w.switchedAt = time.Now()
	return watchman.Batch{}, nil
}

// nextFromPoller waits on the poller until the next Watchman re-check; when
// Watchman is back it subscribes first, then takes one last scan, so
// whatever changed in between is seen by one or both.
func (w *Watcher) nextFromPoller(ctx context.Context) (watchman.Batch, error) {
	if w.opts.Reloader == ReloaderStat || w.sock == "" {
		return w.poller.Next(ctx)
	}
	pctx, cancel := context.WithDeadline(ctx, w.retryAt)
	b, err := w.poller.Next(pctx)
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return b, err
	}
	w.retryAt = time.Now().Add(w.opts.WatchmanRetry)
	if err := w.subscribe(ctx); err != nil {
		w.log.Debug("watchman still unavailable", "error", err.Error())
		return watchman.Batch{}, nil
	}
	final, err := w.poller.Scan(ctx)
	w.poller.Close()
	w.poller = nil
	w.switchedAt = time.Now()
	w.logWatching(nil)
	if err != nil && ctx.Err() == nil {
		w.log.Debug("final scan", "error", err.Error())
	}
	return final, nil
}

// deduplicate drops, for a short while after a switch, what was already
// delivered, and the root directories' modifications made by Watchman's own
// cookie files when the subscription synced.
func (w *Watcher) deduplicate(b watchman.Batch) watchman.Batch {
	if time.Since(w.switchedAt) > switchWindow {
		return b
	}
	b = w.delivered.drop(b)
	if w.sub != nil || w.subscribedAt.IsZero() {
		return b
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if w.isRoot(c.Path) && !c.Mtime.After(w.subscribedAt) {
			continue
		}
		kept = append(kept, c)
	}
	b.Changes = kept
	return b
}

func (w *Watcher) isRoot(path string) bool {
	for _, r := range w.spec.Roots() {
		if r == path {
			return true
		}
	}
	return false
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("watcher closed")

// Close stops the watcher and releases its backend; a Next in progress
// returns ErrClosed.
func (w *Watcher) Close() error {
	w.close()
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	if w.sub != nil {
		err = w.sub.Close()
		w.sub = nil
	}
	if w.poller != nil {
		err = errors.Join(err, w.poller.Close())
		w.poller = nil
	}
	return err
}
