package watchman

import (
	"log/slog"
	"sync"
	"time"
)

// Options tune a subscription. The zero value is usable.
type Options struct {
	// Sock is the daemon's socket; "" finds it with FindSocket (start-up
	// only: re-checks should pass the socket found the first time).
	Sock string
	// Conn, when set, is the connection Subscribe takes over, checked
	// already by Connect (Sock and Binary are then not used); Subscribe
	// owns it from then on, and closes it if it fails.
	Conn *Conn
	// Binary is the watchman executable FindSocket runs; "" is "watchman".
	Binary string
	// Timeout bounds availability and health requests, not the first crawl
	// of a root. Zero is DefaultTimeout.
	Timeout time.Duration
	// DeferStates are the states during which the daemon holds back
	// notifications. Nil is DefaultDeferState alone; empty and non-nil is
	// none.
	DeferStates []string
	// HealthInterval is how long the connection may stay quiet before a
	// health request. Zero is DefaultHealthInterval.
	HealthInterval time.Duration
	// CrawlTimeout, when set, bounds the wait for the daemon's first crawl
	// of a root (watch-project): once it passes, Subscribe fails with a
	// CrawlError. Zero waits for the crawl as long as the daemon answers
	// health requests.
	CrawlTimeout time.Duration
	// Since, when set, asks for the files modified since that moment to be
	// delivered as the first batch, covering the first crawl: a caller that
	// starts COMMAND before Subscribe returns passes the time it started,
	// read with spec.FileTime.
	Since time.Time
	// Logger receives the daemon's warnings, once per watch. Nil discards.
	Logger *slog.Logger
	// Warnings remembers the watches whose warning was logged. A caller
	// that subscribes again after a fault passes the same one, so that a
	// warning the daemon repeats (the recrawl count) is logged once per
	// watch, not once per subscription. Nil is one per subscription.
	Warnings *WarningLog

	// clock, when set, replaces every watch's current clock: tests use it
	// to subscribe since a clock of an earlier daemon.
	clock string
	// json keeps the connections in JSON even when the daemon lists
	// bser-v2: tests of the JSON path, against a real daemon.
	json bool
	// beforeNotice, when set, runs before each notification is handled:
	// a test's stand-in for a bug there.
	beforeNotice func()
}

// Defaults for Options.
const (
	// DefaultTimeout bounds availability and health requests.
	DefaultTimeout = 5 * time.Second
	// MinTimeout is the shortest Timeout the command line accepts: below
	// it a healthy daemon busy for a moment would count as dead.
	MinTimeout = 100 * time.Millisecond
	// DefaultDeferState is Mercurial's update: while it is asserted
	// (hg.update, by the fsmonitor extension) the tree is half written.
	DefaultDeferState = "hg.update"
	// DefaultHealthInterval is how long a quiet connection waits before a
	// health request.
	DefaultHealthInterval = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DeferStates == nil {
		o.DeferStates = []string{DefaultDeferState}
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Warnings == nil {
		o.Warnings = &WarningLog{}
	}
	return o
}

// WarningLog is the set of watches whose daemon warning was logged. Safe for
// concurrent use; the zero value is empty.
type WarningLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

// first records watch and reports whether it was not there yet.
func (l *WarningLog) first(watch string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[watch] {
		return false
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[watch] = true
	return true
}
