package fallback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

// DefaultWatchmanRetry is how often a watcher on the poller tries
// Watchman again when Options leaves it zero; MinWatchmanRetry is the
// shortest period the command line accepts (each try costs a connection).
const (
	DefaultWatchmanRetry = 10 * time.Second
	MinWatchmanRetry     = 100 * time.Millisecond
)

// CrawlLimitFactor times WatchmanTimeout is the default CrawlLimit: a
// minute with the default timeout.
const CrawlLimitFactor = 12

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
	// CrawlLimit is how long New waits, with ReloaderWatchman, for the
	// daemon's first crawl of the roots before it fails with a
	// watchman.ErrCrawling; CrawlLimitFactor times WatchmanTimeout when
	// zero. (With ReloaderAuto the poller stands in for a crawl that takes
	// longer than WatchmanTimeout, for as long as it takes.)
	CrawlLimit time.Duration
	// Since is the start-up baseline: a file selected by the spec whose
	// mtime or ctime is after it is a change, even if it happened before
	// the backend was ready. The command passes COMMAND's start time, read
	// with spec.StartBaseline; zero means the time New is called, read so.
	Since time.Time
	// Logger receives the switches and the backends' messages; nil
	// discards them.
	Logger *slog.Logger
	// NoEvents keeps the poller to pure polling, without kernel events
	// (for a filesystem whose events lie).
	NoEvents bool
	// Bounded names the files the poller watches in an EdenFS checkout,
	// which it never lists (see poller.Options.Bounded): the files COMMAND
	// uses. Nil: while Watchman is away nothing is watched there.
	Bounded func() []string
	// Choice, when set, is the decision Choose made ahead of New, with
	// the same Reloader; New takes over its connection. Nil: New decides.
	Choice *Choice

	// sock, when set, is the socket instead of the one FindSocket finds:
	// tests with a private daemon each, run in parallel, cannot all set
	// WATCHMAN_SOCK.
	sock string
	// beforeRecheck, when set, runs before each re-check's attempt: a
	// test's stand-in for a bug there.
	beforeRecheck func()
}

// fillChoice sets the defaults Choose needs.
func (o *Options) fillChoice() {
	if o.Reloader == "" {
		o.Reloader = ReloaderAuto
	}
	if o.WatchmanTimeout <= 0 {
		o.WatchmanTimeout = watchman.DefaultTimeout
	}
}

func (o *Options) fill(s *spec.Spec) {
	o.fillChoice()
	if o.PollInterval <= 0 {
		o.PollInterval = poller.DefaultInterval
	}
	if o.WatchmanRetry <= 0 {
		o.WatchmanRetry = DefaultWatchmanRetry
	}
	if o.CrawlLimit <= 0 {
		o.CrawlLimit = CrawlLimitFactor * o.WatchmanTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Since.IsZero() {
		// The poller takes its baseline on the first Next: without this,
		// a change between New and then would be part of it, and lost.
		// From the roots' own file clocks, so that nothing written before
		// New (a root just created) counts as a change.
		o.Since = s.StartBaseline()
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

// New chooses the backend (see Choose), unless Options.Choice gives the
// choice, and makes it ready: a change made after New returns is
// delivered. With ReloaderWatchman, an unavailable Watchman is an error
// matching watchman.ErrUnavailable, and a first crawl still running after
// CrawlLimit one matching watchman.ErrCrawling too; a root deleted
// meanwhile is not an error.
func New(ctx context.Context, spec *spec.Spec, opts Options) (*Watcher, error) {
	opts.fill(spec)
	ch := opts.Choice
	if ch == nil {
		var err error
		if ch, err = Choose(ctx, opts); err != nil {
			return nil, err
		}
	} else if ch.reloader != opts.Reloader {
		return nil, fmt.Errorf("a choice made for reloader %q given to a watcher for %q", ch.reloader, opts.Reloader)
	}
	w := &Watcher{spec: spec, opts: opts, log: opts.Logger, delivered: newRecent(), warnings: &watchman.WarningLog{}}
	w.closed, w.close = context.WithCancel(context.Background())
	if ch.reloader == ReloaderStat {
		w.startPoller(opts.Since, false, false)
		w.logWatching(ctx, nil)
		return w, nil
	}
	w.sock = ch.sock
	err := ch.reason
	if err == nil {
		err = w.subscribeAtStart(ctx, ch.conn)
	}
	if err != nil {
		// A root deleted while subscribing is no failure of Watchman, even
		// with ReloaderWatchman: the poller stands in until it is back.
		if opts.Reloader == ReloaderWatchman && !errors.Is(err, watchman.ErrRootGone) || ctx.Err() != nil {
			return nil, err
		}
		// A crawling daemon syncs with cookie files in the roots, before
		// the poller's baseline and beside it: the roots' mtimes then say
		// nothing of deletions, and only files are judged against Since.
		crawling := errors.Is(err, watchman.ErrCrawling)
		w.startPoller(opts.Since, false, crawling)
		delay := opts.WatchmanRetry
		if crawling {
			// The daemon goes on crawling: wait for the end of it beside
			// the poller, from now.
			delay = 0
		}
		w.startRecheck(delay)
		w.logWatching(ctx, err)
		return w, nil
	}
	w.logWatching(ctx, nil)
	return w, nil
}

// subscribeAtStart subscribes for New. The daemon's first crawl of a root
// can take long, or never end: in auto mode, a crawl still running after
// WatchmanTimeout means Watchman is not available yet (New lets the poller
// stand in, and its recheck waits for the rest of the crawl); with
// ReloaderWatchman the crawl is logged and waited for up to CrawlLimit.
// The first attempt takes over conn, the choice's checked connection.
func (w *Watcher) subscribeAtStart(ctx context.Context, conn *watchman.Conn) error {
	first := w.opts.WatchmanTimeout
	if w.opts.Reloader == ReloaderWatchman {
		first = min(first, w.opts.CrawlLimit)
	}
	sub, err := subscribeWatchman(ctx, w.spec, w.sock, conn, w.opts.Since, w.opts, w.warnings, first)
	if errors.Is(err, watchman.ErrCrawling) && w.opts.Reloader == ReloaderWatchman && w.opts.CrawlLimit > first {
		w.log.Info(MsgStillCrawling, "roots", w.spec.Roots(), "limit", w.opts.CrawlLimit.String())
		sub, err = subscribeWatchman(ctx, w.spec, w.sock, nil, w.opts.Since, w.opts, w.warnings, w.opts.CrawlLimit-first)
		if ce := (*watchman.CrawlError)(nil); errors.As(err, &ce) {
			ce.After = w.opts.CrawlLimit // in all, not since the log line
		}
	}
	if err != nil {
		return err
	}
	w.sub, w.subscribedAt, w.coveredSince = sub, time.Now(), w.opts.Since
	return nil
}

// The watcher's own log messages.
const (
	// MsgWatching: a backend is ready (reloader, roots; on the poller
	// events, watched_dirs, poll_only; reason when Watchman was not used).
	MsgWatching = "watching"
	// MsgStillCrawling: with ReloaderWatchman, New waits for the daemon's
	// first crawl (roots, limit).
	MsgStillCrawling = "watchman still crawling"
)

// logWatching logs the backend in use. On the poller it first takes the
// baseline, which adds the kernel watches, so that the line says how many
// there are (a cancelled baseline is taken again by the first Next).
func (w *Watcher) logWatching(ctx context.Context, reason error) {
	attrs := []any{"roots", w.spec.Roots()}
	if w.sub != nil {
		attrs = append([]any{"reloader", "watchman"}, attrs...)
	} else {
		_ = w.poller.Start(ctx)
		st := w.poller.Stats()
		pollOnly := st.PollOnly
		if pollOnly == nil {
			pollOnly = []string{}
		}
		attrs = append([]any{"reloader", "stat"}, attrs...)
		attrs = append(attrs, "events", st.Events, "watched_dirs", st.WatchedDirs, "poll_only", pollOnly)
	}
	if reason != nil {
		attrs = append(attrs, "reason", reason.Error())
	}
	w.log.Info(MsgWatching, attrs...)
}

// startPoller starts the poller from since; takeover is set at a fallback
// at runtime, when since is the last moment Watchman was known right, and
// filesOnly when directories modified after since are no evidence of a
// deletion (see poller.Options.FilesOnly).
func (w *Watcher) startPoller(since time.Time, takeover, filesOnly bool) {
	opts := poller.Options{
		Interval:  w.opts.PollInterval,
		Since:     since,
		FilesOnly: filesOnly,
		Takeover:  takeover,
		Logger:    w.log,
		NoEvents:  w.opts.NoEvents,
		Bounded:   w.opts.Bounded,
	}
	if takeover {
		opts.Floor = w.coveredSince
	}
	w.poller = poller.New(w.spec, opts)
	w.warnEden()
}

// startRecheck tries Watchman again beside the poller, first after delay,
// unless it is never to be tried again: with ReloaderStat, or with no
// socket found at start, but in an Eden checkout, where only Watchman
// watches: there the recheck looks for the socket again each time.
func (w *Watcher) startRecheck(delay time.Duration) {
	if w.opts.Reloader == ReloaderStat || w.sock == "" && !w.edenUnwatched() {
		return
	}
	w.recheck = startRecheck(w.closed, recheckConfig{
		spec: w.spec, sock: w.sock, opts: w.opts, warnings: w.warnings, log: w.log,
		release: w.poller.ReleaseWatches, resume: w.poller.ResumeEvents,
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
		// deleted: b names roots deleted under Watchman, the watcher's own
		// finding and no backend's view of a change, so never one already
		// delivered (a root deleted again soon after its return is a
		// change again).
		deleted := false
		if w.sub != nil {
			b, deleted, err = w.nextFromWatchman(ctx)
		} else {
			b, err = w.nextFromPoller(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return spec.Batch{}, err
		}
		if !deleted {
			b = w.deduplicate(b)
		}
		if !b.Empty() {
			w.delivered.remember(b, time.Now())
			return b, nil
		}
	}
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
