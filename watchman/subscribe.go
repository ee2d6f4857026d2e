package watchman

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

var subscriptionSeq atomic.Int64

// errConnTaken is a Conn handed to a second Subscribe, or after Close: a
// caller's mistake.
var errConnTaken = errors.New("watchman: Options.Conn already taken over or closed")

// Subscribe checks that Watchman is available (or takes over Options.Conn,
// checked already), watches the spec's roots and subscribes to their
// changes on one connection. Every failure that means
// "Watchman cannot serve us" is an ErrUnavailable; a root deleted or
// replaced meanwhile, an ErrRootGone. On 4.9 watch-project
// returns after the daemon's first crawl of a new root: that wait is bounded
// by ctx and Options.CrawlTimeout only (a CrawlError when it passes), while
// a side connection checks every HealthInterval that the daemon still
// answers within Timeout.
func Subscribe(ctx context.Context, spec *spec.Spec, opts Options) (*Subscription, error) {
	opts = opts.withDefaults()
	c := opts.Conn.take()
	if opts.Conn != nil && c == nil {
		return nil, errConnTaken
	}
	targets, err := plan(spec)
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, err
	}
	if c == nil {
		sock := opts.Sock
		if sock == "" {
			if sock, err = FindSocket(ctx, opts.Binary, opts.Timeout); err != nil {
				return nil, err
			}
		}
		if c, err = connect(ctx, sock, opts.Timeout); err != nil {
			return nil, err
		}
	}
	if opts.json {
		c.enc = encJSON
	}
	s := &Subscription{
		spec:    spec,
		opts:    opts,
		c:       c,
		targets: map[string]*target{},
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		replies: make(chan reply, 1),
	}
	// Before the expressions are made: a change of the rules meanwhile is
	// noted by the first notification or health tick.
	s.rulesSeen.Store(spec.Generation())
	if err := s.setUp(ctx, targets); err != nil {
		c.Close()
		return nil, err
	}
	s.markHealthy()
	hctx, cancel := context.WithCancel(context.Background())
	s.cancelHealth = cancel
	s.wg.Add(2)
	go s.readLoop()
	go s.healthLoop(hctx)
	return s, nil
}

// setUp watches and subscribes each target. A target's directory deleted
// or replaced meanwhile makes it fail with an ErrRootGone, whether or not
// a request failed for it (watch-project of a missing directory is refused;
// of one re-created, it watches the new one, not the one identified): the
// root changed, Watchman did not fail.
func (s *Subscription) setUp(ctx context.Context, targets []*target) error {
	for _, t := range targets {
		// Before the daemon resolves it: taken after, a replacement in
		// between would pass for the directory watched.
		t.id, _ = identify(t.dir)
	}
	err := s.subscribeTargets(ctx, targets)
	if ctx.Err() != nil {
		return err
	}
	for _, t := range targets {
		if t.replaced() {
			return &RootGoneError{Root: t.dir}
		}
	}
	return err
}

func (s *Subscription) subscribeTargets(ctx context.Context, targets []*target) error {
	clocks := map[string]string{}
	roots := map[string]*rootSnapshot{} // by watch, for catchUp
	for _, t := range targets {
		if err := s.watchProject(ctx, t); err != nil {
			return err
		}
		if _, ok := clocks[t.watch]; ok {
			continue
		}
		if !s.opts.Since.IsZero() {
			// Before the clock's sync, whose cookie file touches the root.
			roots[t.watch] = snapshotRoot(t)
		}
		op := "clock " + t.watch
		syncMs := int(s.opts.Timeout / time.Millisecond)
		pdu, err := s.c.request(ctx, op, clockRequest(t.watch, syncMs), 2*s.opts.Timeout)
		if err != nil {
			return err
		}
		clock, err := parseClock(pdu)
		if err == nil && clock == "" {
			err = errors.New("reply without a clock")
		}
		if err != nil {
			return unavailable(op, ReasonProtocol, err)
		}
		if s.opts.clock != "" {
			clock = s.opts.clock
		}
		clocks[t.watch] = clock
	}
	// Every catch-up runs before the first subscription, so that no
	// notification can come on the connection while a catch-up's reply is
	// decoded from it (conn.requestFiles). Each subscription still starts
	// from its own target's catch-up clock: a change before that clock is in
	// the catch-up's answer, one after it in the subscription's first
	// notification, whether other targets subscribed in between or not.
	for _, t := range targets {
		t.clock = clocks[t.watch]
		if !s.opts.Since.IsZero() {
			clock, err := s.catchUp(ctx, t, roots[t.watch])
			if err != nil {
				return err
			}
			if s.opts.clock == "" {
				t.clock = clock
			}
		}
	}
	pid := os.Getpid()
	for _, t := range targets {
		t.name = fmt.Sprintf("autoreload-%d-%d", pid, subscriptionSeq.Add(1))
		q := s.subscribeQuery(t)
		op := "subscribe " + t.dir
		pdu, err := s.c.request(ctx, op, &subscribeRequest{watch: t.watch, name: t.name, query: q}, s.opts.Timeout)
		if err != nil {
			return err
		}
		if w, _ := parseSubscribeWarning(pdu); w != "" {
			s.warnOnce(t.watch, w)
		}
		s.targets[t.name] = t
	}
	return nil
}

// watchProject resolves the watch covering t.dir. It is not bounded by the
// timeout (the first crawl), so a watchdog pings the daemon meanwhile; only
// CrawlTimeout, when set, bounds it.
func (s *Subscription) watchProject(ctx context.Context, t *target) error {
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			if v := recover(); v != nil {
				cancel(Recovered(v))
			}
		}()
		watchdog(ctx, s.c.sock, s.c.enc, s.opts.HealthInterval, s.opts.Timeout, cancel)
	}()
	if d := s.opts.CrawlTimeout; d > 0 {
		defer time.AfterFunc(d, func() { cancel(&CrawlError{Root: t.dir, After: d}) }).Stop()
	}
	op := "watch-project " + t.dir
	pdu, err := s.c.request(ctx, op, watchProjectRequest(t.dir), 0)
	var crawling *CrawlError
	var panicked *PanicError
	switch cause := context.Cause(ctx); {
	case err == nil:
	case errors.As(cause, &crawling):
		err = crawling
	case errors.As(cause, &panicked):
		err = panicked
	}
	cancel(nil)
	wg.Wait()
	if err != nil {
		return err
	}
	watch, rel, warning, err := parseWatchProject(pdu)
	if err == nil && watch == "" {
		err = errors.New("reply without a watch")
	}
	if err != nil {
		return unavailable(op, ReasonProtocol, err)
	}
	if warning != "" {
		s.warnOnce(watch, warning)
	}
	t.watch, t.rel = watch, rel
	return nil
}

// watchdog cancels ctx with an ErrUnavailable when the daemon stops
// answering a fresh connection within timeout, checked every interval.
func watchdog(ctx context.Context, sock string, enc encoding, interval, timeout time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := ping(ctx, sock, enc, timeout)
		if err != nil && ctx.Err() == nil {
			cancel(err)
			return
		}
		t.Reset(interval)
	}
}

// ping asks get-pid on a fresh connection, in enc: the daemon is already
// known to speak it.
func ping(ctx context.Context, sock string, enc encoding, timeout time.Duration) error {
	c, err := dial(ctx, sock, timeout)
	if err != nil {
		return err
	}
	c.enc = enc
	defer c.Close()
	op := "get-pid " + sock
	pdu, err := c.request(ctx, op, getPidRequest{}, timeout)
	if err != nil {
		return err
	}
	return checkPid(op, pdu)
}

// checkPid accepts a get-pid reply as health only when it is well formed:
// a daemon that answers anything at all is not necessarily a Watchman.
func checkPid(op string, pdu response) error {
	if pid, err := intField(pdu, "pid"); err != nil || pid <= 0 {
		return unavailable(op, ReasonProtocol, errors.New("get-pid reply without a pid"))
	}
	return nil
}

// catchUp queues the files of t changed since opts.Since: changes made
// while the first crawl ran, before the subscription's clock. It returns
// the clock its query answered at, for the subscription to start from:
// every change is then either in the query's answer or after its clock,
// never both (with an earlier clock, a write during the query came twice).
// root is the watch's root as it was before the first sync.
func (s *Subscription) catchUp(ctx context.Context, t *target, root *rootSnapshot) (string, error) {
	// Since is a file-clock reading (spec.StartBaseline or FileTime): a
	// file written after it is stamped no earlier. The since terms compare
	// whole seconds (as observed on 4.9), so every file changed in that
	// second comes back, a whole checkout's worth when one just ran: ask
	// for the few fields needed and compare the nanoseconds here, in
	// Watchman's view as of the clock, by mtime or ctime as the poller
	// does (a file renamed into the tree keeps its mtime). A file deleted
	// meanwhile keeps its old times, and only a since generator yields
	// deleted files at all: the generator's seconds are the moments the
	// daemon observed each file, after the given second (as observed on
	// 4.9), so a deletion is judged by its directory instead (see
	// rootSnapshot.deletedBefore). (Missed, a deletion would be lost, for
	// the subscription starts after it.)
	//
	// The since terms come first: after a first crawl the generator yields
	// every file of the tree (the daemon observed them all just now), and
	// allof stops at the first term that fails, so a file changed before
	// that second costs two integer comparisons instead of the spec's
	// dozens of wildmatches (a quarter of a second on 100,000 files).
	since := s.opts.Since
	sec := since.Unix()
	changed := []any{"anyof",
		[]any{"allof", []any{"exists"}, []any{"anyof", []any{"since", sec, "mtime"}, []any{"since", sec, "ctime"}}},
		[]any{"not", "exists"}}
	expr := append([]any{"allof", changed}, t.expression(s.spec)[1:]...)
	q := map[string]any{"since": sec - 1, "expression": expr, "dedup_results": true,
		"fields": []string{"name", "exists", "mtime_ns", "ctime_ns", "size"}}
	if t.rel != "" {
		q["relative_root"] = t.rel
	}
	op := "query " + t.dir
	found := &changedSince{dir: t.dir, ns: since.UnixNano(), root: root}
	pdu, err := s.c.requestFiles(ctx, op, &queryRequest{watch: t.watch, query: q}, 2*s.opts.Timeout, found.add)
	if err != nil {
		return "", err
	}
	clock, _ := pdu["clock"].(string)
	if clock == "" {
		return "", unavailable(op, ReasonProtocol, errors.New("reply without a clock"))
	}
	s.push(s.selected(spec.Batch{Changes: found.changes}))
	return clock, nil
}

// changedSince collects the changes among a catch-up query's files under
// dir, those at or after ns: the query's since terms compare whole seconds.
// It is handed the files one at a time, as they are read, and drops those
// changed before ns (most of them, when a whole tree was written in that
// second) at once, having read their times only: in BSER, where they lie
// in the read window, without an allocation.
type changedSince struct {
	dir     string
	ns      int64
	root    *rootSnapshot
	changes []spec.Change
}

func (cs *changedSince) add(f fileFields) error {
	exists, err := entryExists(f)
	if err != nil {
		return err
	}
	mtime, err := f.intField("mtime_ns")
	if err != nil {
		return err
	}
	ctime, err := f.intField("ctime_ns")
	if err != nil {
		return err
	}
	if exists && mtime < cs.ns && ctime < cs.ns {
		// Changed before since, in the same second: no change, whatever the
		// rest of the entry says, which is not even read.
		return nil
	}
	fi, err := parseFile(f)
	if err != nil {
		return err
	}
	c := fi.change(cs.dir)
	if !fi.exists && cs.root.deletedBefore(c.Path, cs.ns) {
		return nil // deleted before since, in the same second
	}
	cs.changes = append(cs.changes, c)
	return nil
}
