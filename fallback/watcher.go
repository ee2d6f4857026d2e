package fallback

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/autoreload/autoreload/fallback/poller"
	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/spec"
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

// DefaultWatchmanRetry is how often a watcher on the poller tries
// Watchman again when Options leaves it zero; MinWatchmanRetry is the
// shortest period the command line accepts (each try costs a connection).
const (
	DefaultWatchmanRetry = 10 * time.Second
	MinWatchmanRetry     = 100 * time.Millisecond
)

// Options configures a Watcher. Zero values take the defaults named.
type Options struct {
	Reloader Reloader // ReloaderAuto
	// PollInterval is the poller's; poller.DefaultInterval when zero.
	PollInterval time.Duration
	// WatchmanTimeout bounds availability and health requests;
	// watchman.DefaultTimeout when zero.
	WatchmanTimeout time.Duration
	// WatchmanRetry is how often the poller re-checks Watchman;
	// DefaultWatchmanRetry when zero.
	WatchmanRetry time.Duration
	// DeferStates are the Watchman states that hold changes back; nil is
	// watchman.DefaultDeferState alone.
	DeferStates []string
	// HealthInterval is how long a Watchman connection may stay quiet
	// before a health request; watchman.DefaultHealthInterval when zero.
	HealthInterval time.Duration
	// Since is the start-up baseline: a file selected by the spec whose
	// mtime or ctime is after it is a change, even if it happened before
	// the backend was ready. The command passes COMMAND's start time, read
	// with spec.FileTime; zero means the time New is called.
	Since time.Time
	// Logger receives the switches and the backends' messages; nil
	// discards them.
	Logger *slog.Logger

	// sock, when set, is the socket instead of the one FindSocket finds:
	// tests with a private daemon each, run in parallel, cannot all set
	// WATCHMAN_SOCK.
	sock string
}

func (o *Options) fill() {
	if o.Reloader == "" {
		o.Reloader = ReloaderAuto
	}
	if o.PollInterval <= 0 {
		o.PollInterval = poller.DefaultInterval
	}
	if o.WatchmanTimeout <= 0 {
		o.WatchmanTimeout = watchman.DefaultTimeout
	}
	if o.WatchmanRetry <= 0 {
		o.WatchmanRetry = DefaultWatchmanRetry
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Since.IsZero() {
		// The poller takes its baseline on the first Next: without this,
		// a change between New and then would be part of it, and lost.
		o.Since = spec.FileTime()
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
	spec *spec.Spec
	opts Options
	log  *slog.Logger

	closed context.Context // done once Close is called
	close  context.CancelFunc
	mu     sync.Mutex // held by Next; Close takes it to release the backends

	sub          subscription // non-nil while on Watchman
	subscribedAt time.Time    // when sub was in place: its cookie files are older
	// coveredSince is when sub started answering for changes: earlier ones
	// were someone else's (the poller's, or before the watcher started).
	coveredSince time.Time
	poller       scanner  // non-nil while on the poller
	recheck      *recheck // tries Watchman again while on the poller; nil when it never will
	sock         string   // the socket found at start; re-checks never look elsewhere
	delivered    *recent
	warnings     *watchman.WarningLog // the daemon's warnings logged, across re-subscriptions
	switchedAt   time.Time
	// firstScanDue is set at a fallback until the poller's first batch:
	// the window of deduplicate counts from that scan, which can take
	// seconds on a huge tree, not from the switch.
	firstScanDue bool
}

// New chooses the backend (get_reloader in Django) and makes it ready: a
// change made after New returns is delivered. With ReloaderWatchman, an
// unavailable Watchman is an error matching watchman.ErrUnavailable.
func New(ctx context.Context, spec *spec.Spec, opts Options) (*Watcher, error) {
	opts.fill()
	w := &Watcher{spec: spec, opts: opts, log: opts.Logger, delivered: newRecent(), warnings: &watchman.WarningLog{}}
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
	sock, err := opts.sock, error(nil)
	if sock == "" {
		sock, err = locate(ctx, opts.WatchmanTimeout)
	}
	if err == nil {
		w.sock = sock
		var sub subscription
		covered := opts.Since
		if covered.IsZero() {
			covered = time.Now()
		}
		if sub, err = subscribeWatchman(ctx, spec, sock, opts.Since, opts, w.warnings); err == nil {
			w.sub, w.subscribedAt, w.coveredSince = sub, time.Now(), covered
		}
	}
	if err != nil {
		if opts.Reloader == ReloaderWatchman || ctx.Err() != nil {
			return nil, err
		}
		w.startPoller(opts.Since, false)
		w.startRecheck(opts.WatchmanRetry)
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

// startPoller starts the poller from since; takeover is set at a fallback
// at runtime, when since is the last moment Watchman was known right.
func (w *Watcher) startPoller(since time.Time, takeover bool) {
	opts := poller.Options{
		Interval: w.opts.PollInterval,
		Since:    since,
		Takeover: takeover,
		Logger:   w.log,
	}
	if takeover {
		opts.Floor = w.coveredSince
	}
	w.poller = poller.New(w.spec, opts)
}

// startRecheck tries Watchman again beside the poller, first after delay,
// unless it is never to be tried again: with ReloaderStat, or with no
// socket found at start.
func (w *Watcher) startRecheck(delay time.Duration) {
	if w.opts.Reloader == ReloaderStat || w.sock == "" {
		return
	}
	w.recheck = startRecheck(w.closed, recheckConfig{
		spec: w.spec, sock: w.sock, opts: w.opts, warnings: w.warnings, log: w.log,
	}, delay)
}

// Next blocks until the next batch of changes, the context ends, or the
// watcher fails for good: Watchman lost with ReloaderWatchman, or Close.
func (w *Watcher) Next(ctx context.Context) (spec.Batch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.closed, cancel)()
	for {
		// w.closed first: AfterFunc cancels ctx from a goroutine of its
		// own, so after Close ctx may not be done yet, and the backends
		// are already gone.
		if w.closed.Err() != nil {
			return spec.Batch{}, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return spec.Batch{}, err
		}
		var b spec.Batch
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
			return spec.Batch{}, err
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
func (w *Watcher) nextFromWatchman(ctx context.Context) (spec.Batch, error) {
	b, err := w.sub.Next(ctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, watchman.ErrRootGone) {
		return w.rootGone(err), nil
	}
	if err == nil || ctx.Err() != nil || !errors.Is(err, watchman.ErrUnavailable) {
		return b, err
	}
	if w.opts.Reloader == ReloaderWatchman {
		return spec.Batch{}, err
	}
	since := w.fallbackBaseline()
	w.sub.Close()
	w.sub = nil
	w.log.Warn("fallback", "error", err.Error(), "reloader", "stat")
	w.startPoller(since, true)
	w.startRecheck(w.opts.WatchmanRetry)
	w.switchedAt, w.firstScanDue = time.Now(), true
	return spec.Batch{}, nil
}

// rootGone hands over to the poller when a watched root was deleted under
// Watchman: not a loss of Watchman (no fallback, even with
// ReloaderWatchman), but a change, returned as the batch of the roots now
// missing. The poller watches the other roots from where the subscription
// left off, and the root for its return; the recheck goes back to Watchman
// once every root is there again.
func (w *Watcher) rootGone(err error) spec.Batch {
	var b spec.Batch
	var gone []string
	for _, root := range w.spec.Roots() {
		if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			b.Changes = append(b.Changes, spec.Change{Path: root})
			gone = append(gone, root)
		}
	}
	if b.Empty() {
		// Back already: what it holds now is unknown.
		b.Unknown = true
	}
	since := w.fallbackBaseline()
	w.sub.Close()
	w.sub = nil
	w.log.Warn("root deleted", "roots", gone, "reloader", "stat")
	w.startPoller(since, true)
	w.startRecheck(w.opts.WatchmanRetry)
	w.switchedAt, w.firstScanDue = time.Now(), true
	return b
}

// fallbackBaseline is the poller's time baseline when Watchman is lost:
// the last moment the subscription had delivered everything, minus a
// margin. The poller takes it back further if a VCS lock may have held
// changes back at the daemon (see poller.Options.Takeover), never before
// the subscription began covering.
func (w *Watcher) fallbackBaseline() time.Time {
	return w.sub.LastHealthy().Add(-healthyMargin)
}

// nextFromPoller waits on the poller while a recheck tries Watchman beside
// it; once Watchman is back it takes one last scan, after the subscription
// is in place, so whatever changed in between is seen by one or both (and
// delivered once: see deduplicate). Only a subscription in place interrupts
// the poller: a scan that had found changes hands them to that last scan.
func (w *Watcher) nextFromPoller(ctx context.Context) (spec.Batch, error) {
	if w.recheck == nil || w.recheck.found.Err() == nil {
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if w.recheck != nil {
			defer context.AfterFunc(w.recheck.found, cancel)()
		}
		b, err := w.poller.Next(pctx)
		if err == nil && w.firstScanDue {
			w.switchedAt, w.firstScanDue = time.Now(), false
		}
		if err == nil || ctx.Err() != nil || w.recheck == nil || w.recheck.found.Err() == nil {
			return b, err
		}
	}
	return w.switchBack(ctx)
}

// switchBack ends the poller's stand-in once the recheck has found Watchman
// again: the poller's final scan, then the subscription.
func (w *Watcher) switchBack(ctx context.Context) (spec.Batch, error) {
	if err := w.recheck.err; err != nil {
		return spec.Batch{}, err // ReloaderWatchman: Watchman lost
	}
	final, err := w.poller.Scan(ctx)
	if err != nil {
		// Cancelled mid-scan: stay on the poller, which keeps what it
		// found, and keep the subscription, which keeps what it gets: the
		// next call scans again and switches.
		return spec.Batch{}, err
	}
	sub := w.recheck.take()
	w.sub, w.subscribedAt, w.coveredSince, w.switchedAt = sub, w.recheck.at, w.recheck.started, time.Now()
	w.recheck = nil
	w.poller.Close()
	w.poller = nil
	w.logWatching(nil)
	return final, nil
}

// deduplicate drops, for a short while after a switch, what was already
// delivered, the root directories' modifications made by Watchman's own
// cookie files when the subscription synced, and directories whose change
// is explained by an entry in the same batch (the poller reports a modified
// directory after a switch, as a deletion leaves nothing else behind).
func (w *Watcher) deduplicate(b spec.Batch) spec.Batch {
	if time.Since(w.switchedAt) > switchWindow {
		return b
	}
	b = dropExplainedDirs(w.delivered.drop(b))
	if w.sub != nil || w.subscribedAt.IsZero() {
		return b
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if c.Exists && w.isDirRoot(c.Path) && !c.Mtime.After(w.subscribedAt) {
			continue
		}
		kept = append(kept, c)
	}
	b.Changes = kept
	return b
}

func dropExplainedDirs(b spec.Batch) spec.Batch {
	if len(b.Changes) < 2 {
		return b
	}
	parents := make(map[string]bool, len(b.Changes))
	for _, c := range b.Changes {
		parents[filepath.Dir(c.Path)] = true
	}
	kept := b.Changes[:0:0]
	for _, c := range b.Changes {
		if !parents[c.Path] {
			kept = append(kept, c)
		}
	}
	b.Changes = kept
	return b
}

// isDirRoot reports whether path is a root directory, where Watchman puts
// its cookie files. A file root's change is always a real one.
func (w *Watcher) isDirRoot(path string) bool {
	return slices.Contains(w.spec.Roots(), path) && !w.spec.IsFileRoot(path)
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
	if w.recheck != nil {
		w.recheck.stop()
		w.recheck = nil
	}
	return err
}
