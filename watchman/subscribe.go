package watchman

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sjansen/watchman/protocol"
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

// target is one subscription: a directory (or the files named in it) and
// the watch that covers it.
type target struct {
	dir   string   // absolute
	names []string // file roots in dir; nil means the whole directory
	watch string   // the watched project root
	rel   string   // dir relative to watch; "" when dir is the watch
	name  string   // subscription name
}

// plan reduces the spec's roots to subscriptions: a root inside another root
// adds nothing, and file roots in one directory share a subscription.
func plan(roots []string) ([]*target, error) {
	var dirs, files []string
	for _, r := range roots {
		fi, err := os.Stat(r)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", r, err)
		}
		if fi.IsDir() {
			dirs = append(dirs, filepath.Clean(r))
		} else {
			files = append(files, filepath.Clean(r))
		}
	}
	sort.Strings(dirs)
	var targets []*target
	covered := func(p string) bool {
		for _, t := range targets {
			if t.names == nil && (p == t.dir || strings.HasPrefix(p, t.dir+string(filepath.Separator)) || t.dir == "/") {
				return true
			}
		}
		return false
	}
	for _, d := range dirs {
		if !covered(d) {
			targets = append(targets, &target{dir: d})
		}
	}
	byDir := map[string]*target{}
	for _, f := range files {
		if covered(f) {
			continue
		}
		dir := filepath.Dir(f)
		t := byDir[dir]
		if t == nil {
			t = &target{dir: dir, names: []string{}}
			byDir[dir] = t
			targets = append(targets, t)
		}
		t.names = append(t.names, filepath.Base(f))
	}
	return targets, nil
}

// expression is the query expression of a target: regular files and
// symlinks, selected by the spec (or by name for file roots).
func (t *target) expression(spec *Spec) []any {
	expr := []any{"allof", []any{"anyof", []any{"type", "f"}, []any{"type", "l"}}}
	if t.names != nil {
		names := make([]any, len(t.names))
		for i, n := range t.names {
			names[i] = n
		}
		return append(expr, []any{"name", names, "basename"})
	}
	if e := spec.Expression(t.dir); len(e) > 0 {
		expr = append(expr, e)
	}
	return expr
}

var subscriptionSeq atomic.Int64

// Subscribe checks that Watchman is available, watches the spec's roots and
// subscribes to their changes on one connection. Every failure that means
// "Watchman cannot serve us" is an ErrUnavailable. On 4.9 watch-project
// returns after the daemon's first crawl of a new root: that wait is bounded
// by ctx only, while a side connection checks every HealthInterval that the
// daemon still answers within Timeout.
func Subscribe(ctx context.Context, spec *Spec, opts Options) (*Subscription, error) {
	opts = opts.withDefaults()
	targets, err := plan(spec.Roots())
	if err != nil {
		return nil, err
	}
	sock := opts.Sock
	if sock == "" {
		if sock, err = FindSocket(ctx, opts.Binary, opts.Timeout); err != nil {
			return nil, err
		}
	}
	c, err := connect(ctx, sock, opts.Timeout)
	if err != nil {
		return nil, err
	}
	s := &Subscription{
		spec:    spec,
		opts:    opts,
		c:       c,
		targets: map[string]*target{},
		warned:  map[string]bool{},
		ready:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		replies: make(chan reply, 1),
	}
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

func (s *Subscription) setUp(ctx context.Context, targets []*target) error {
	clocks := map[string]string{}
	for _, t := range targets {
		if err := s.watchProject(ctx, t); err != nil {
			return err
		}
		if _, ok := clocks[t.watch]; ok {
			continue
		}
		op := "clock " + t.watch
		syncMs := int(s.opts.Timeout / time.Millisecond)
		pdu, err := s.c.request(ctx, op, &protocol.ClockRequest{Path: t.watch, SyncTimeout: max(syncMs, 1)}, 2*s.opts.Timeout)
		if err != nil {
			return err
		}
		clock := protocol.NewClockResponse(pdu).Clock()
		if clock == "" {
			return unavailable(op, ReasonProtocol, errors.New("reply without a clock"))
		}
		if s.opts.clock != "" {
			clock = s.opts.clock
		}
		clocks[t.watch] = clock
	}
	pid := os.Getpid()
	for _, t := range targets {
		if !s.opts.Since.IsZero() {
			if err := s.catchUp(ctx, t); err != nil {
				return err
			}
		}
		t.name = fmt.Sprintf("autoreload-%d-%d", pid, subscriptionSeq.Add(1))
		q := map[string]any{
			"expression":    t.expression(s.spec),
			"fields":        fields,
			"since":         clocks[t.watch],
			"dedup_results": true,
			"defer_vcs":     true,
		}
		if t.rel != "" {
			q["relative_root"] = t.rel
		}
		if len(s.opts.DeferStates) > 0 {
			q["defer"] = s.opts.DeferStates
		}
		op := "subscribe " + t.dir
		pdu, err := s.c.request(ctx, op, &subscribeRequest{watch: t.watch, name: t.name, query: q}, s.opts.Timeout)
		if err != nil {
			return err
		}
		if w := protocol.NewSubscribeResponse(pdu).Warning(); w != "" {
			s.warnOnce(t.watch, w)
		}
		s.targets[t.name] = t
	}
	return nil
}

// watchProject resolves the watch covering t.dir. It is not bounded by the
// timeout (the first crawl), so a watchdog pings the daemon meanwhile.
func (s *Subscription) watchProject(ctx context.Context, t *target) error {
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchdog(ctx, s.c.sock, s.opts.HealthInterval, s.opts.Timeout, cancel)
	}()
	op := "watch-project " + t.dir
	pdu, err := s.c.request(ctx, op, &protocol.WatchProjectRequest{Path: t.dir}, 0)
	cancel(nil)
	wg.Wait()
	if err != nil {
		return err
	}
	res := protocol.NewWatchProjectResponse(pdu)
	if res.Watch() == "" {
		return unavailable(op, ReasonProtocol, errors.New("reply without a watch"))
	}
	if w := res.Warning(); w != "" {
		s.warnOnce(res.Watch(), w)
	}
	t.watch, t.rel = res.Watch(), res.RelativePath()
	return nil
}

// watchdog cancels ctx with an ErrUnavailable when the daemon stops
// answering a fresh connection within timeout, checked every interval.
func watchdog(ctx context.Context, sock string, interval, timeout time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := ping(ctx, sock, timeout)
		if err != nil && ctx.Err() == nil {
			cancel(err)
			return
		}
		t.Reset(interval)
	}
}

func ping(ctx context.Context, sock string, timeout time.Duration) error {
	c, err := dial(ctx, sock, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.request(ctx, "get-pid "+sock, getPidRequest{}, timeout)
	return err
}

// catchUp queues the files of t modified since opts.Since: changes made
// while the first crawl ran, before the subscription's clock.
func (s *Subscription) catchUp(ctx context.Context, t *target) error {
	since := s.opts.Since
	expr := append(t.expression(s.spec), []any{"since", since.Unix(), "mtime"})
	q := map[string]any{"expression": expr, "fields": fields, "dedup_results": true}
	if t.rel != "" {
		q["relative_root"] = t.rel
	}
	op := "query " + t.dir
	pdu, err := s.c.request(ctx, op, &queryRequest{watch: t.watch, query: q}, 2*s.opts.Timeout)
	if err != nil {
		return err
	}
	// The reply has the shape of a notification without a subscription.
	pdu["subscription"] = "catch-up"
	pdu["is_fresh_instance"] = false
	n, err := parseNotice(pdu)
	if err != nil {
		return unavailable(op, ReasonProtocol, err)
	}
	var b Batch
	for _, f := range n.files {
		if f.exists && f.mtime >= since.UnixNano() {
			b.Changes = append(b.Changes, f.change(t.dir))
		}
	}
	s.push(s.selected(b))
	return nil
}
