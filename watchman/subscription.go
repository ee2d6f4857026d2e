package watchman

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// Subscription delivers the changes of a spec's roots as batches.
//
// Two goroutines, both ended and awaited by Close: the reader blocks on the
// socket (no wake-ups while idle) and routes notifications to the pending
// batch and replies to replies; the health loop sends one get-pid every
// HealthInterval on the same connection (a daemon can stop answering one
// connection only) and fails the subscription when no reply comes within
// Timeout. The first failure is kept and returned by Next; done is closed
// exactly once, by finish.
type Subscription struct {
	spec    *spec.Spec
	opts    Options
	c       *conn
	targets map[string]*target // by subscription name; changed by refresh, under tmu
	tmu     sync.Mutex         // guards targets and their clocks
	// rulesChanged: ignore files changed; Next refreshes the expressions.
	rulesChanged atomic.Bool
	// rulesSeen is the generation of the spec's ignore rules that the
	// expressions follow (see spec.Spec.Generation).
	rulesSeen atomic.Uint64

	mu      sync.Mutex
	pending spec.Batch
	index   map[string]int // path -> position in pending.Changes
	err     error
	ready   chan struct{} // signalled (cap 1) when pending grows
	done    chan struct{} // closed by finish

	replies chan reply // reader -> the one request in flight
	reqMu   sync.Mutex // one request in flight at a time
	owed    int        // replies to abandoned requests, still to come; under reqMu

	lastHealthy atomic.Int64 // unix ns
	// deferring holds, by subscription and state name, when a state in
	// DeferStates was entered and not yet left: the daemon holds back the
	// changes made since. Under mu.
	deferring map[string]time.Time
	lastRead  atomic.Int64 // unix ns

	cancelHealth context.CancelFunc
	wg           sync.WaitGroup
	closeOnce    sync.Once
}

type reply struct {
	pdu response
	err error
}

// Next returns the changes pending since the last call as one batch, waiting
// for one if there are none. Changes read before a failure are delivered
// before the failure. Errors: an ErrUnavailable, an ErrRootGone, ErrClosed, or
// ctx's cause.
func (s *Subscription) Next(ctx context.Context) (spec.Batch, error) {
	var hold *time.Timer // holds a batch of new files only (spec.NewOnlyHold)
	defer func() {
		if hold != nil {
			hold.Stop()
		}
	}()
	holdOver := false
	for {
		if err := s.refreshIfNeeded(ctx); err != nil {
			return spec.Batch{}, err
		}
		s.mu.Lock()
		if !holdOver && s.err == nil && !s.pending.Unknown && spec.OnlyNew(s.pending.Changes) {
			s.mu.Unlock()
			if hold == nil {
				hold = time.NewTimer(spec.NewOnlyHold)
			}
			select {
			case <-ctx.Done():
				return spec.Batch{}, context.Cause(ctx)
			case <-s.ready:
			case <-s.done:
			case <-hold.C:
				holdOver = true
			}
			continue
		}
		if !s.pending.Empty() {
			b := s.pending
			s.pending, s.index = spec.Batch{}, nil
			s.mu.Unlock()
			// A save's temporary file, created and gone within the
			// batch (the daemon settles for 20 ms), is no change.
			b.Changes = slices.DeleteFunc(b.Changes, spec.Change.Transient)
			if b.Empty() {
				if hold != nil {
					hold.Stop()
				}
				hold, holdOver = nil, false // the next batch is held anew
				continue
			}
			return b, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return spec.Batch{}, err
		}
		select {
		case <-ctx.Done():
			return spec.Batch{}, context.Cause(ctx)
		case <-s.ready:
		case <-s.done:
		}
	}
}

// LastHealthy returns the moment up to which every change has been
// delivered, as far as the subscription knows: the latest reply or
// notification read on it, or, while a state in DeferStates is asserted,
// when the first such state was entered (the daemon holds back the changes
// made since). It says nothing of defer_vcs: the daemon tells nothing of
// the VCS locks it defers for, and the caller must look at them itself.
func (s *Subscription) LastHealthy() time.Time {
	t := time.Unix(0, s.lastHealthy.Load())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, entered := range s.deferring {
		if entered.Before(t) {
			t = entered
		}
	}
	return t
}

// noteState records a state entered or left on t.
func (s *Subscription) noteState(t *target, n notice) {
	if !slices.Contains(s.opts.DeferStates, n.stateName) {
		return // not deferred: its changes come as they happen
	}
	key := t.name + "\x00" + n.stateName
	s.mu.Lock()
	defer s.mu.Unlock()
	if !n.enter {
		delete(s.deferring, key)
		return
	}
	if s.deferring == nil {
		s.deferring = map[string]time.Time{}
	}
	if _, ok := s.deferring[key]; !ok {
		// Read before this notice was: the state was entered earlier
		// still, by up to the time it took to reach us, which the
		// caller's margin covers.
		at := time.Now()
		if last := s.lastRead.Load(); last != 0 {
			at = time.Unix(0, last)
		}
		s.deferring[key] = at
	}
}

// failure returns the failure that ended the subscription, or nil.
func (s *Subscription) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close unsubscribes (bounded by Timeout, skipped when the daemon is already
// gone), closes the connection and waits for both goroutines. Changes not
// yet taken by Next are dropped.
func (s *Subscription) Close() error {
	s.closeOnce.Do(func() {
		s.cancelHealth()
		if s.failure() == nil {
			// Unsubscribing is a courtesy (the daemon drops a closed
			// connection's subscriptions anyway): a daemon that is hung but
			// not yet found out must not hold up a Ctrl-C for the timeout.
			ctx, cancel := context.WithTimeout(context.Background(), min(s.opts.Timeout, unsubscribeTimeout))
			for _, t := range s.targetList() {
				req := unsubscribeRequest(t.watch, t.name)
				if _, err := s.roundTrip(ctx, "unsubscribe "+t.dir, req); err != nil {
					break // gone or hung: closing is all that is left
				}
			}
			cancel()
		}
		s.finish(ErrClosed)
		s.c.Close()
		s.wg.Wait()
	})
	return nil
}

// unsubscribeTimeout bounds the unsubscribe of Close; a healthy daemon
// answers in well under a millisecond.
const unsubscribeTimeout = 250 * time.Millisecond

// finish records the first error and wakes Next.
func (s *Subscription) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		close(s.done)
	}
}

// failOnPanic, deferred in a goroutine of the subscription's, ends it on
// a panic there (a bug) with a *PanicError, which Next returns.
func (s *Subscription) failOnPanic() {
	if v := recover(); v != nil {
		s.fail(Recovered(v))
	}
}

// fail ends the subscription on err and unblocks the reader.
func (s *Subscription) fail(err error) {
	s.finish(err)
	s.c.Close()
}

func (s *Subscription) markHealthy() { s.lastHealthy.Store(time.Now().UnixNano()) }

func (s *Subscription) readLoop() {
	defer s.wg.Done()
	defer s.failOnPanic()
	queued := s.c.queued
	s.c.queued = nil
	for _, pdu := range queued {
		if err := s.handle(pdu); err != nil {
			s.fail(err)
			return
		}
	}
	op := "subscription " + s.c.sock
	for {
		pdu, err := s.c.recv(time.Time{}, nil)
		var ce *CommandError
		if err != nil && !(errors.As(err, &ce) && !pdu.unilateral()) {
			s.fail(classify(op, err))
			return
		}
		s.lastRead.Store(time.Now().UnixNano())
		if !pdu.unilateral() {
			select {
			case s.replies <- reply{pdu, err}:
			default:
				s.fail(unavailable(op, ReasonProtocol, errors.New("a reply to no request")))
				return
			}
			s.markHealthy()
			continue
		}
		s.markHealthy()
		if err := s.handle(pdu); err != nil {
			s.fail(err)
			return
		}
	}
}

// handle applies one unilateral PDU.
func (s *Subscription) handle(pdu response) error {
	if s.opts.beforeNotice != nil {
		s.opts.beforeNotice()
	}
	n, err := parseNotice(pdu)
	if err != nil {
		return unavailable("subscription "+s.c.sock, ReasonProtocol, err)
	}
	t := s.target(n.sub)
	if t == nil {
		return nil // a log line, or a subscription we no longer hold
	}
	if n.canceled {
		return canceled(t)
	}
	if n.warning != "" {
		s.warnOnce(t.watch, n.warning)
	}
	switch {
	case n.state:
		// state-enter / state-leave: the changes they held back follow in
		// their own notification.
		s.noteState(t, n)
	case n.fresh:
		s.push(spec.Batch{Unknown: true})
	default:
		b := spec.Batch{Changes: make([]spec.Change, 0, len(n.files))}
		for _, f := range n.files {
			b.Changes = append(b.Changes, f.change(t.dir))
		}
		s.noteRules(t, pdu, b)
		s.push(s.selected(b))
		if t.rel != "" && t.replaced() {
			// A directory below the watch's root: the daemon lists what
			// went with it and goes on, but the watched root is deleted
			// (or replaced), as when the daemon cancels. What the
			// notification listed is delivered first.
			return &RootGoneError{Root: t.dir}
		}
	}
	return nil
}

// canceled says what the daemon's cancel of t's subscription means. The
// daemon cancels when the watched root is deleted, and then t's directory,
// the root or below it, is gone too — or already re-created, by the time
// the cancel is read: another directory at the same path (see replaced);
// or when the watch is removed (watch-del), and then Watchman cannot serve
// us until we watch again.
func canceled(t *target) error {
	if t.replaced() {
		return &RootGoneError{Root: t.dir}
	}
	return unavailable("subscription "+t.dir, ReasonCanceled, errors.New("the watch was removed"))
}

// selected keeps the changes the spec selects: the daemon's expression
// filters first, Selects has the last word.
func (s *Subscription) selected(b spec.Batch) spec.Batch {
	kept := b.Changes[:0]
	for _, c := range b.Changes {
		if s.spec.Selects(c.Path) {
			kept = append(kept, c)
		}
	}
	b.Changes = kept
	return b
}

// push merges b into the pending batch; a path seen again keeps its latest
// state in its first position (see spec.Change.Merge).
func (s *Subscription) push(b spec.Batch) {
	if b.Empty() {
		return
	}
	s.mu.Lock()
	if s.index == nil {
		s.index = map[string]int{}
	}
	s.pending.Unknown = s.pending.Unknown || b.Unknown
	for _, c := range b.Changes {
		if i, ok := s.index[c.Path]; ok {
			s.pending.Changes[i] = c.Merge(s.pending.Changes[i])
			continue
		}
		s.index[c.Path] = len(s.pending.Changes)
		s.pending.Changes = append(s.pending.Changes, c)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// MsgWarning is the daemon's warning about a watch, logged once per watch
// (watch, warning, remedy).
const MsgWarning = "watchman warning (shown once per watch)"

// warnOnce logs the daemon's warning for a watch the first time only: the
// recrawl warning repeats on every later notification with a growing count.
func (s *Subscription) warnOnce(watch, warning string) {
	if !s.opts.Warnings.first(watch) {
		return
	}
	remedy := "usually harmless; if it recurs, raise fs.inotify.max_user_watches or watch a smaller tree, " +
		"then run `watchman watch-del " + watch + "` and restart autoreload"
	if strings.Contains(warning, "Recrawled") {
		remedy = "the daemon lost events and rescanned; raise fs.inotify.max_user_watches " +
			"(sysctl) and run `watchman watch-del " + watch + "`, then restart autoreload"
	}
	s.opts.Logger.Warn(MsgWarning,
		"watch", watch, "warning", oneLine(warning), "remedy", remedy)
}

func (s *Subscription) healthLoop(ctx context.Context) {
	defer s.wg.Done()
	defer s.failOnPanic()
	t := time.NewTimer(s.opts.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
		}
		s.noteSharedRules()
		// A connection that delivered something within the interval is
		// alive; check only one that has been quiet that long.
		if quiet := time.Since(time.Unix(0, s.lastRead.Load())); quiet < s.opts.HealthInterval {
			t.Reset(s.opts.HealthInterval - quiet)
			continue
		}
		op := "get-pid " + s.c.sock
		pdu, err := s.roundTrip(ctx, op, getPidRequest{})
		if err == nil {
			err = checkPid(op, pdu)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.fail(err)
			}
			return
		}
		t.Reset(s.opts.HealthInterval)
	}
}

// roundTrip sends req on the subscribing connection and waits for its reply,
// which the reader routes here (it may follow queued notifications). The
// daemon has Timeout to answer; reading anything meanwhile extends it,
// since a daemon streaming a large notification is not hung.
func (s *Subscription) roundTrip(ctx context.Context, op string, req request) (response, error) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	timeout := s.opts.Timeout
	sent := time.Now()
	if err := s.c.send(req, sent.Add(timeout)); err != nil {
		if e := s.failure(); e != nil {
			return nil, e
		}
		return nil, classify(op, err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case r := <-s.replies:
			if s.owed > 0 {
				s.owed-- // the reply to a request abandoned earlier
				continue
			}
			if r.err != nil {
				return nil, classify(op, r.err)
			}
			return r.pdu, nil
		case <-s.done:
			return nil, s.failure()
		case <-ctx.Done():
			s.owed++
			return nil, context.Cause(ctx)
		case <-timer.C:
			if last := s.lastRead.Load(); last > sent.UnixNano() {
				sent = time.Unix(0, last)
				timer.Reset(time.Until(sent.Add(timeout)))
				continue
			}
			return nil, unavailable(op, ReasonTimeout, fmt.Errorf("no answer on the subscription within %s", timeout))
		}
	}
}
