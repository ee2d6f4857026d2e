package poller

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autoreload/autoreload/fallback/inotify"
	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/watchman/spec"
)

// ErrClosed is returned by Next and Scan once Close has been called.
var ErrClosed = errors.New("poller closed")

// DefaultInterval is --poll-interval's default, and MinInterval the
// shortest it may be: below it the poller would do nothing but scan.
const (
	DefaultInterval = time.Second
	MinInterval     = 10 * time.Millisecond
)

// cpuShare is the share of one core the poller aims to stay under: a scan
// that costs more than this share of the interval stretches the interval.
const cpuShare = 0.10

// Options configures a Poller.
type Options struct {
	// Interval between the starts of two scans; DefaultInterval when
	// zero. Stretched when a scan costs more than 10% of it in CPU.
	Interval time.Duration
	// Since is the time baseline. When set, the first scan reports every
	// selected file whose mtime or ctime is after it, instead of reporting
	// nothing, and each directory modified after it (it gained or lost
	// entries: a file deleted or renamed away before the scan listed the
	// directory leaves no mtime, and the poller, which never listed it,
	// cannot name it), unless the directory's entries created after Since
	// are all ignored by the spec (a program creating __pycache__ must not
	// restart itself) or a file of it reported as changed explains it.
	// Since is the start time of COMMAND at start-up, the last moment
	// Watchman was known to be right when switching from it at runtime.
	// Read it with spec.FileTime: a file written after such a reading is
	// never stamped earlier.
	Since time.Time
	// FilesOnly, with Since, leaves the directories out of the first scan:
	// for roots that another program modified after Since with files of
	// its own, gone again (Watchman's cookie files, while it crawls beside
	// the poller), which would look like deletions.
	FilesOnly bool
	// Takeover marks Since as the last moment a backend lost at runtime
	// (Watchman) had delivered everything: the poller takes over from it.
	// The first batch then also reports the file roots deleted, renamed
	// away or changed meanwhile. And as the lost backend held changes back
	// while a VCS lock was held (defer_vcs) and said nothing of it, Since
	// goes back a lock's life (StaleLockAge) if a lock is held, or came or
	// went after it.
	Takeover bool
	// Floor, with Takeover, is when the lost backend began covering:
	// Since never goes back before it.
	Floor time.Time
	// Logger receives the poller's few messages; none when nil.
	Logger *slog.Logger
	// NoEvents turns kernel events off: every directory is scanned every
	// interval, as on a filesystem that lies.
	NoEvents bool
	// Faults injects kernel faults; Mounts replaces the mount table. For
	// tests.
	Faults *inotify.Faults
	Mounts *mounts.Table
	// Bounded names the files to watch in the trees the poller never
	// lists, EdenFS checkouts (see mounts.Eden): absolute paths, asked
	// for again before every scan (keep it cheap), so the list may change. Those the spec
	// does not select, and those outside such a tree, are left out. Nil:
	// nothing is watched in them.
	Bounded func() []string
}

// Poller watches the files of a spec by scanning them. Each scan lstats
// every selected file below the spec's roots (pruning ignored directories
// before descending into them) and compares mtime, size and inode with the
// previous scan, so modifications, creations and deletions are all seen,
// and a file replaced by a rename is one change.
//
// Next and Scan are meant for one caller at a time (concurrent calls run
// one after the other); Close may be called from anywhere. Outside a call
// the poller runs no goroutine.
type Poller struct {
	spec      *spec.Spec
	log       *slog.Logger
	interval  time.Duration
	workers   int
	roots     []*dirState
	rootPaths []string
	fileRoots []fileRoot
	vcs       vcsLocks
	// unlisted are the directories never listed (bounded.go): roots in an
	// Eden checkout, and Eden mounts below the other roots; bounded names
	// the files watched in them.
	unlisted []string
	bounded  func() []string
	listed   atomic.Int64 // directories opened to be listed, for Stats

	ctx    context.Context // done when closed
	cancel context.CancelFunc

	mu        sync.Mutex // held by Next and Scan
	since     time.Time
	sinceDirs bool
	started   bool // a scan has completed: later scans report differences
	pending   []spec.Change
	period    time.Duration // interval, maybe stretched
	next      time.Time     // when the next scan is due
	stretched bool          // the stretch has been logged
	lastStart time.Time     // when the last scan started
	// rulesSeen is the generation of the spec's ignore rules that the last
	// complete scan followed (see spec.Spec.Generation).
	rulesSeen uint64

	// onStat, when set (by tests), sees every lstat of the walk; onOpen
	// can fail the opening of a directory, as an unreadable one would.
	onStat func(dir, name string)
	// onSettle, when set (by tests), runs before each settle look.
	onSettle func()
	onOpen   func(dir string) error
	// onScanDir, when set (by tests), is told when a worker takes a
	// directory and, through the func it returns, when it is done with it.
	onScanDir func(dir string) (done func())

	readers []*dirReader // one per worker, kept across scans

	// Kernel events (events.go, listen.go, sweep.go); ev is nil when off.
	ev      *events
	held    bool // a VCS lock held the last look back
	fullDue bool // only a full scan can tell what changed
	tickAt  time.Time
	dirty   map[string]*dirtyDir
	writing map[string]bool
	hb      heldBatch
	// unborn holds the files whose creation a look saw but that were gone
	// before their batch went out (a save's temporary file, renamed over
	// the real one): their deletion, when a look reports it, is no change.
	unborn map[string]bool
	// rescanned: the pending batch already had its look again for a
	// vanished creation (see settleVanished).
	rescanned bool
	// The sweep's position and the weight of the tree it last counted.
	sweepPos, sweepTotal int
}

// New returns a poller over the roots of spec. It does not scan:
// the first Next or Scan takes the baseline.
func New(spec *spec.Spec, opts Options) *Poller {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	p := &Poller{
		spec:      spec,
		log:       log,
		interval:  interval,
		period:    interval,
		workers:   min(2*runtime.GOMAXPROCS(0), 8), // more than the cores: a cold cache waits on the disk
		since:     opts.Since,
		sinceDirs: !opts.FilesOnly,
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	var dirRoots []string
	for _, root := range spec.Roots() {
		if spec.IsFileRoot(root) {
			p.fileRoots = append(p.fileRoots, fileRoot{path: root})
			continue
		}
		dirRoots = append(dirRoots, root)
	}
	p.findUnlisted(dirRoots, opts)
	p.refreshBounded()
	p.vcs = findVCSLocks(spec, log)
	if !opts.NoEvents {
		p.ev = newEvents(p.rootPaths, interval, inotify.Options{Faults: opts.Faults}, opts.Mounts, log)
	}
	if opts.Takeover {
		p.takeOver(opts.Floor)
	}
	return p
}

// Next blocks until a scan finds changes and returns them as one batch,
// once the files in it have stopped changing (see settle).
// The first scan is the baseline: it reports nothing, or with
// Options.Since what changed after that time. Changes made while a
// VCS lock is held are held back and returned together once it is gone.
// A cancelled Next loses nothing: what its scan found is returned later.
func (p *Poller) Next(ctx context.Context) (spec.Batch, error) {
	ctx, leave, err := p.enter(ctx)
	if err != nil {
		return spec.Batch{}, err
	}
	defer leave()
	for {
		if p.started && !p.held && len(p.pending) > 0 {
			if p.ev.active() {
				if p.ready(time.Now()) {
					if b := p.flush(); !b.Empty() {
						return b, nil
					}
				}
			} else {
				if err := p.settle(ctx); err != nil {
					return spec.Batch{}, err
				}
				if !p.settleVanished() {
					if b := p.flush(); !b.Empty() {
						return b, nil
					}
				}
				// Else the scan that finds the rest, now (below).
			}
		}
		if err := p.advance(ctx); err != nil {
			return spec.Batch{}, err
		}
	}
}

// advance does the next piece of work: the baseline, or waiting for kernel
// events and handling them, or, without events, waiting for the next scan
// and running it.
func (p *Poller) advance(ctx context.Context) error {
	switch {
	case !p.started:
		return p.begin(ctx)
	case p.ev != nil && !p.ev.active() && p.ev.start():
		// A new kernel watcher (events resumed): a full scan adds the
		// watches, each before its directory's listing, and the watched
		// files' directories, which no scan lists, are added here.
		p.watchFileRoots()
		return p.fullScan(ctx)
	case p.ev.active():
		return p.listen(ctx)
	}
	if err := p.wait(ctx); err != nil {
		return err
	}
	_, err := p.step(ctx)
	return err
}

// begin takes the baseline: the first scan, which also adds the watches
// when kernel events are on.
func (p *Poller) begin(ctx context.Context) error {
	if p.ev != nil {
		p.ev.start()
		p.watchFileRoots()
	}
	return p.fullScan(ctx)
}

// fullScan runs one scan of everything; with events, its changes are
// held as a tick's are, until they hold still.
func (p *Poller) fullScan(ctx context.Context) error {
	n := len(p.pending)
	_, err := p.step(ctx)
	if err == nil {
		p.fullDue = false
	}
	p.tickAt = time.Now().Add(p.interval)
	if p.ev.active() && len(p.pending) > n {
		found := slices.Clone(p.pending[n:])
		p.pending = p.pending[:n]
		p.hold(found, time.Now(), false)
	}
	return err
}

// Start takes the baseline now, if no Next or Scan has, so that Stats
// describe the tree; Next then goes on from it.
func (p *Poller) Start(ctx context.Context) error {
	ctx, leave, err := p.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	if p.started {
		return nil
	}
	return p.begin(ctx)
}

// Stats describes how the poller watches, for the log.
type Stats struct {
	Events      bool     // kernel events tell it where to look
	WatchedDirs int      // directories with a kernel watch
	PollOnly    []string // subtrees scanned at every interval instead
	// Unlisted are the trees never listed (EdenFS checkouts), where only
	// the files of Options.Bounded are watched: Bounded of them now.
	Unlisted []string
	Bounded  int
	// Listed counts the directories listed since New.
	Listed int64
}

// Stats returns how the poller watches now.
func (p *Poller) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{Unlisted: slices.Clone(p.unlisted), Listed: p.listed.Load()}
	for _, fr := range p.fileRoots {
		if fr.bounded {
			st.Bounded++
		}
	}
	if p.ev.active() {
		st.Events, st.WatchedDirs, st.PollOnly = true, p.ev.w.Len(), p.ev.pollOnly()
	}
	return st
}

// ReleaseWatches closes the kernel watcher and every watch, now, from any
// goroutine: before Watchman is asked to watch the same tree, since watches
// are a per-user budget. The poller scans at its interval from then on,
// until ResumeEvents.
func (p *Poller) ReleaseWatches() {
	if p.ev != nil {
		p.ev.release()
	}
}

// ResumeEvents undoes ReleaseWatches (Watchman did not come back after
// all): the next Next opens a new watcher and scans once to add the
// watches.
func (p *Poller) ResumeEvents() {
	if p.ev != nil {
		p.ev.released.Store(false)
	}
}

// watchFileRoots watches the directories of the watched files (--watch
// main.go), which no scan lists.
func (p *Poller) watchFileRoots() {
	if !p.ev.active() {
		return
	}
	for _, fr := range p.fileRoots {
		if !fr.bounded { // an Eden checkout's events are Eden's to tell
			p.ev.w.Add(filepath.Dir(fr.path)) // else the tick looks at it
		}
	}
}

// Scan scans once, now, and returns what changed since the last batch,
// possibly nothing. It is the final pass before switching back to
// Watchman, so it also returns changes held back for a VCS lock: after it
// the poller is closed and they would be lost.
func (p *Poller) Scan(ctx context.Context) (spec.Batch, error) {
	ctx, leave, err := p.enter(ctx)
	if err != nil {
		return spec.Batch{}, err
	}
	defer leave()
	if !p.started && p.ev != nil {
		p.ev.start()
	}
	if _, err := p.step(ctx); err != nil {
		return spec.Batch{}, err
	}
	return p.flush(), nil
}

// Close stops the poller: a Next or Scan in progress returns
// ErrClosed within one directory's scan, and Close waits for it.
func (p *Poller) Close() error {
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ev != nil {
		p.ev.release()
		p.ev.stop()
	}
	return nil
}

// enter takes the poller for one call and returns a context that is also
// cancelled by Close, with ErrClosed as its cause.
func (p *Poller) enter(ctx context.Context) (context.Context, func(), error) {
	if p.ctx.Err() != nil {
		return nil, nil, ErrClosed
	}
	p.mu.Lock()
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(p.ctx, func() { cancel(ErrClosed) })
	leave := func() {
		stop()
		cancel(nil)
		p.mu.Unlock()
	}
	if p.ctx.Err() != nil {
		leave()
		return nil, nil, ErrClosed
	}
	return ctx, leave, nil
}

// wait sleeps until the next scan is due.
func (p *Poller) wait(ctx context.Context) error {
	d := time.Until(p.next)
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// step runs one scan, between two looks at the VCS locks, adds its changes
// to the pending ones, and reports whether a lock holds them back.
func (p *Poller) step(ctx context.Context) (held bool, err error) {
	if err := context.Cause(ctx); err != nil {
		return false, err
	}
	lockedBefore := p.vcs.locked()
	start, cpu0 := time.Now(), cpuTime()
	p.refreshBounded()

	// The rules' generation before the scan: a change found during it, by
	// this scan or by another user of the spec, is looked at again by the
	// next scan, which costs a resync at most.
	gen := p.spec.Generation()
	sc := &scan{p: p, ctx: ctx, mode: modeReport, prevStart: p.lastStart.UnixNano(), rulesSince: p.rulesSeen}
	sc.resync = p.spec.SharedIgnoreFilesChanged(p.rulesSeen) && p.started
	// On the file clock: a file written after this scan started is never
	// stamped earlier (see spec.FileTime).
	p.lastStart = spec.FileTime()
	if !p.started {
		sc.mode = modeBaseline
		if !p.since.IsZero() {
			sc.mode, sc.since, sc.dirs = modeSince, p.since.UnixNano(), p.sinceDirs
		}
	}
	found := sc.run()
	if sc.dirs {
		found = dropExplained(found)
	}
	p.addPending(found)

	p.pace(start, time.Since(start), cpuTime()-cpu0)
	if err := context.Cause(ctx); err != nil {
		return false, err // the scan may be partial: the next one completes it
	}
	p.started = true
	p.rulesSeen = gen
	lockedAfter := p.vcs.locked()
	p.held = lockedBefore || lockedAfter
	return p.held, nil
}

// pace sets when the next scan is due: one interval after this one
// started, or later if this scan's CPU cost would keep the poller above
// cpuShare of one core. A scan that is slow without costing CPU (a cold
// cache, a network file system) still leaves as much time idle as it took,
// so scans never run back to back.
func (p *Poller) pace(start time.Time, wall, cpu time.Duration) {
	p.period = max(p.interval, time.Duration(float64(cpu)/cpuShare))
	if p.period > p.interval && !p.stretched {
		p.stretched = true
		p.log.Info("poll interval stretched to keep the poller near 10% of one core",
			"interval", p.interval, "stretched", p.period.Round(time.Millisecond), "scan_cpu", cpu.Round(time.Millisecond))
	}
	p.next = start.Add(max(p.period, 2*wall))
}

// addPending adds changes to the pending ones.
func (p *Poller) addPending(changes []spec.Change) {
	p.pending = append(p.pending, changes...)
}

// flush returns the pending changes as a batch sorted by path, each path
// once with its latest state (a path can come from several held-back
// scans, or from a walk and a file root both), without the files created
// and gone again meanwhile (see dropTransients).
func (p *Poller) flush() spec.Batch {
	p.dropVanished()
	changes := p.pending
	p.pending = nil
	clear(p.hb.unfinished)
	p.hb.delivered, p.hb.events, p.hb.burst, p.hb.created = time.Now(), 0, false, false
	p.rescanned = false
	slices.SortStableFunc(changes, func(a, b spec.Change) int { return cmp.Compare(a.Path, b.Path) })
	out := changes[:0]
	first := 0
	for i, c := range changes {
		if i > 0 && changes[i-1].Path != c.Path {
			first = i
		}
		if i+1 < len(changes) && changes[i+1].Path == c.Path {
			continue // a later state of the same path follows
		}
		out = append(out, c.Merge(changes[first]))
	}
	return spec.Batch{Changes: p.dropTransients(out)}
}

// statAt is the one place the walk lstats, so tests can count it.
func (p *Poller) statAt(r *dirReader, fd int, dir, name string) (fileInfo, error) {
	if p.onStat != nil {
		p.onStat(dir, name)
	}
	return r.statAt(fd, name)
}
