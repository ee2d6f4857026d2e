package deps

import (
	"context"
	"sync/atomic"
	"time"
)

// Result is one answer of a source: a set, or why there is none.
type Result struct {
	Source   string
	Set      *Set  // nil on failure
	Err      error // nil on success
	Started  time.Time
	Duration time.Duration
	// Asked is how many times the source had been asked to run again
	// when this run began: the run answers those requests.
	Asked int64
	// Command is the pid of the COMMAND that declared the set (a
	// Channel's results).
	Command int
}

// Refresher runs a source at once and then again on each Trigger: one run
// at a time, and triggers during a run make one more run after it.
type Refresher struct {
	src     Source
	out     chan<- Result
	trigger chan struct{}
	asked   atomic.Int64
}

// NewRefresher returns a refresher of src that sends each Result to out.
func NewRefresher(src Source, out chan<- Result) *Refresher {
	return &Refresher{src: src, out: out, trigger: make(chan struct{}, 1)}
}

// Trigger asks for another run; it never blocks.
func (r *Refresher) Trigger() {
	r.asked.Add(1)
	select {
	case r.trigger <- struct{}{}:
	default: // one more run is already queued
	}
}

// Asked is how many times Trigger was called.
func (r *Refresher) Asked() int64 { return r.asked.Load() }

// Source is what the refresher runs.
func (r *Refresher) Source() Source { return r.src }

// Run runs the source now and on each Trigger until ctx ends; a result
// not taken by then is given up. It returns once the last run has ended.
func (r *Refresher) Run(ctx context.Context) {
	for {
		asked := r.asked.Load()
		start := time.Now()
		set, err := r.src.Load(ctx)
		if ctx.Err() != nil {
			return
		}
		res := Result{Source: r.src.Name(), Set: set, Err: err, Started: start, Duration: time.Since(start), Asked: asked}
		select {
		case r.out <- res:
		case <-ctx.Done():
			return
		}
		select {
		case <-r.trigger:
		case <-ctx.Done():
			return
		}
	}
}
