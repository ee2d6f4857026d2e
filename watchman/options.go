package watchman

import (
	"log/slog"
	"time"
)

// Options tune a subscription. The zero value is usable.
type Options struct {
	// Sock is the daemon's socket; "" finds it with FindSocket (start-up
	// only: re-checks should pass the socket found the first time).
	Sock string
	// Binary is the watchman executable FindSocket runs; "" is "watchman".
	Binary string
	// Timeout bounds availability and health requests, not the first crawl
	// of a root. Zero is DefaultTimeout.
	Timeout time.Duration
	// DeferStates are the states during which the daemon holds back
	// notifications. Nil is DefaultDeferStates; empty and non-nil is none.
	DeferStates []string
	// HealthInterval is how long the connection may stay quiet before a
	// health request. Zero is DefaultHealthInterval.
	HealthInterval time.Duration
	// Since, when set, asks for the files modified since that moment to be
	// delivered as the first batch, covering the first crawl: a caller that
	// starts COMMAND before Subscribe returns passes the time it started.
	Since time.Time
	// Logger receives the daemon's warnings, once per watch. Nil discards.
	Logger *slog.Logger

	// clock, when set, replaces every watch's current clock: tests use it
	// to subscribe since a clock of an earlier daemon.
	clock string
}

// Defaults for Options.
var (
	DefaultDeferStates    = []string{"hg.update"}
	DefaultHealthInterval = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DeferStates == nil {
		o.DeferStates = DefaultDeferStates
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
