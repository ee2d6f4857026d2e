//go:build linux

package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// usage is CPU over an idle window and what the tool left behind in memory.
type usage struct {
	ok          bool
	ticks       uint64 // the tool's tree, minus the child
	daemonTicks uint64
	window      time.Duration
	idleStarts  int // child starts during the window: restarts with no change
}

type result struct {
	latencies     []time.Duration
	trials        int
	extra, missed int
	idleSmall     usage
	idleBig       usage
	ready         []time.Duration
	rssKB         uint64
	daemonRSSKB   uint64
	// ownRSSKB: the peak of the sum over the tool's processes running its
	// own executable (measuresOwn), on the big tree, restarts included.
	ownRSSKB               uint64
	ownRSSOf               []string // the processes of that peak (memPart)
	ownRounds              []uint64 // the peak of each ready round's instance
	bigRestarts, bigMissed int      // restarts on the big tree (restartsOnBig)
	errs                   []string
	stops                  int      // times the tool was stopped with SIGTERM
	stopProblems           []string // what those stops left behind
	fallbacks              int      // Django: WatchmanReloader unavailable, StatReloader used
}

func (r *result) fail(phase string, err error) {
	r.errs = append(r.errs, phase+": "+err.Error())
}

type bench struct {
	c       *config
	smp     *sampler
	tools   []*tool // the measurable ones, in row order
	results map[*tool]*result
	// idleGroups names the tools that shared each idle window on the big tree.
	idleGroups []string
	// shared, when set, is the one Watchman daemon every Watchman-based
	// tool started from then on uses, instead of a private one.
	shared *daemon
	logf   func(format string, args ...any)
}

// startAll starts each tool on its own tree (or on the shared one) and waits
// until each restarts on a change. The probing writes go to one file every
// interval, so that every tool, even one that settles, sees them.
func (b *bench) startAll(phase, label string, tools []*tool, treeFor func(*tool) *tree, probeEvery time.Duration) []*instance {
	var ins []*instance
	for _, t := range tools {
		in, err := b.start(t, treeFor(t), phase, nil)
		if err != nil {
			b.results[t].fail(label, err)
			continue
		}
		ins = append(ins, in)
	}
	deadline := time.Now().Add(b.c.readyTimeout)
	pending := map[*instance]bool{}
	for _, in := range ins {
		pending[in] = true
	}
	probes := map[string]int{}
	next := time.Now()
	for len(pending) > 0 {
		for in := range pending {
			n0 := 0
			if in.t.initialStart {
				n0 = 1
			}
			switch {
			case len(in.starts()) > n0:
				delete(pending, in)
			case !in.p.running():
				in.r.fail(label, errors.New(in.p.failure()))
				in.dead = true
				delete(pending, in)
			case time.Now().After(deadline):
				in.r.fail(label, fmt.Errorf("no restart on a change within %v of launch", b.c.readyTimeout))
				in.dead = true
				delete(pending, in)
			}
		}
		if now := time.Now(); !now.Before(next) {
			touched := map[string]bool{}
			for in := range pending {
				probe := in.tree.files[0]
				if !touched[probe] {
					touched[probe] = true
					probes[probe]++
					_ = touch(probe, probes[probe])
				}
			}
			next = now.Add(probeEvery)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ins
}

// idle measures every running instance over the same window.
func (b *bench) idle(label string, ins []*instance, window time.Duration, into func(*result) *usage) {
	before := map[*instance]int{}
	b.smp.sampleNow()
	for _, in := range ins {
		if in.dead {
			continue
		}
		in.p.tr.beginWindow()
		if in.d != nil {
			in.d.tr.beginWindow()
		}
		before[in] = len(in.starts())
	}
	start := time.Now()
	time.Sleep(window)
	b.smp.sampleNow()
	elapsed := time.Since(start)
	for in, n := range before {
		u := into(in.r)
		if !in.p.running() {
			in.r.fail(label, errors.New(in.p.failure()))
			continue
		}
		*u = usage{ok: true, ticks: in.p.tr.endWindow(), window: elapsed, idleStarts: len(in.starts()) - n}
		if in.d != nil {
			u.daemonTicks = in.d.tr.endWindow()
		}
	}
}

// phaseSmall: every tool on its own 1,000-file tree, all running at once;
// latency trials round-robin over the tools, then one shared idle window.
func (b *bench) phaseSmall() error {
	trees := map[*tool]*tree{}
	for _, t := range b.tools {
		tr, err := makeTree(filepath.Join(b.c.run, "trees", "small-"+t.slug), 1000)
		if err != nil {
			return err
		}
		trees[t] = tr
	}
	if b.c.targets {
		// One daemon for every Watchman-based tool, as the targets of the
		// restart path are set: the trials are interleaved, so only one
		// tool's change is in the daemon at a time.
		d, err := startWatchman(filepath.Join(b.c.run, "small-watchman"), b.smp)
		if err != nil {
			return err
		}
		b.shared = d
		defer func() { b.shared = nil; d.stop(b.smp, 5*time.Second) }()
		b.logf("1k files: starting %d tools, each on its own tree, sharing one Watchman daemon", len(b.tools))
	} else {
		b.logf("1k files: starting %d tools, each on its own tree", len(b.tools))
	}
	ins := b.startAll("small", "start, 1k files", b.tools, func(t *tool) *tree { return trees[t] }, time.Second)
	defer b.stopAll(ins)
	time.Sleep(b.c.settle) // let the readiness probes' restarts finish
	var live []*instance
	for _, in := range ins {
		if !in.dead {
			in.base = len(in.starts())
			live = append(live, in)
		}
	}
	b.logf("1k files: %d latency trials on %d tools, interleaved, at least %v apart", b.c.trials, len(live), b.c.trialGap)
	seq := 0
	for round := 0; round < b.c.trials; round++ {
		for j := range live {
			in := live[(j+round)%len(live)]
			if in.dead {
				continue
			}
			seq++
			wrote := b.trial(in, round, seq)
			pause(wrote, b.c.trialGap)
		}
	}
	time.Sleep(b.c.settle) // late second restarts show up as extra starts
	for _, in := range live {
		if !in.dead {
			in.r.extra += len(in.starts()) - in.base
		}
	}
	if b.c.targets {
		return nil // no idle window: the targets need none
	}
	b.logf("1k files: idle window of %v", b.c.idle)
	b.idle("idle, 1k files", slices.DeleteFunc(slices.Clone(live), func(in *instance) bool { return in.t.reference }), b.c.idle, func(r *result) *usage { return &r.idleSmall })
	return nil
}

// pause waits until gap after wrote, and at least 150 ms, to let the last
// restart's work drain.
func pause(wrote time.Time, gap time.Duration) {
	time.Sleep(max(time.Until(wrote.Add(gap)), 150*time.Millisecond))
}

// trial writes one file of in's tree and waits for the restart; it returns
// when it wrote.
func (b *bench) trial(in *instance, round, seq int) (wrote time.Time) {
	r := in.r
	n := len(in.starts())
	r.extra += n - in.base
	in.base = n
	path := in.tree.pick(round)
	t0 := time.Now()
	if err := touch(path, seq); err != nil {
		r.fail("latency", err)
		return t0
	}
	ns, ok, err := in.waitStart(in.base+1, t0.Add(b.c.trialTimeout))
	r.trials++
	switch {
	case err != nil:
		r.fail("latency", err)
		in.dead = true
	case ok:
		r.latencies = append(r.latencies, time.Duration(ns-t0.UnixNano()))
		in.base++
	default:
		r.missed++
	}
	return t0
}

// phaseBig: on one shared big tree, time to ready with each tool alone
// (rounds in rotating order), then all tools at once for the idle window.
// Peak memory is the larger of the two. In the first round every tool
// starts right after the whole tree is stamped anew at the start of a
// wall-clock second (big.restamp), as after a checkout: a tool that starts
// in the second its tree was written sees more of it as changed at start
// (Watchman's since terms compare whole seconds), and started after
// makeTree, the first tool in the order did while the next did not. The
// later rounds run on a tree last written rounds earlier.
func (b *bench) phaseBig() error {
	b.logf("%d files: creating the tree", b.c.bigFiles)
	big, err := makeTree(filepath.Join(b.c.run, "trees", "big"), b.c.bigFiles)
	if err != nil {
		return err
	}
	tools := slices.DeleteFunc(slices.Clone(b.tools), func(t *tool) bool { return t.reference })
	if b.c.targets {
		tools = slices.DeleteFunc(tools, func(t *tool) bool { return !measuresOwn(t) }) // only autoreload's own figures are targets on the big tree
	}
	for round := 0; round < b.c.readyRounds; round++ {
		for j := range tools {
			t := tools[(j+round)%len(tools)]
			r := b.results[t]
			var restamp func() error
			if round == 0 {
				restamp = func() error {
					took, err := big.restamp()
					late := ""
					if took >= time.Second {
						late = " (over a second: it starts in a later second than the tree's)"
					}
					b.logf("%d files: stamped anew in %v%s, then %s starts", b.c.bigFiles, took.Round(time.Millisecond), late, t.name)
					return err
				}
			}
			in, err := b.start(t, big, fmt.Sprintf("big-ready%d", round), restamp)
			if err != nil {
				r.fail("ready, big tree", err)
				continue
			}
			d, err := in.ready(big.files[0], b.c.readyTimeout)
			if err != nil {
				r.fail("ready, big tree", err)
			} else {
				r.ready = append(r.ready, d)
				b.logf("%d files: %s ready in %v", b.c.bigFiles, t.name, d.Round(time.Millisecond))
				time.Sleep(b.c.settle / 2) // memory just after the crawl counts too
				if measuresOwn(t) {
					b.restartsOnBig(in, big, round)
				}
			}
			b.smp.sampleNow()
			b.keepPeaks(in)
			if measuresOwn(t) {
				kb, _ := in.p.tr.ownPeak()
				r.ownRounds = append(r.ownRounds, max(kb, in.ownWatchKB))
			}
			in.stop(b.smp)
		}
	}
	if b.c.targets {
		return nil
	}
	for i, g := range idleGroups(tools, b.c.bigFiles) {
		var names []string
		for _, t := range g {
			names = append(names, t.name)
		}
		b.logf("%d files: idle window of %v for %s, all at once", b.c.bigFiles, b.c.idle, strings.Join(names, ", "))
		b.idleGroups = append(b.idleGroups, strings.Join(names, ", "))
		b.idleBig(g, big, fmt.Sprintf("big-idle%d", i))
	}
	return nil
}

func (b *bench) idleBig(tools []*tool, big *tree, phase string) {
	ins := b.startAll(phase, "start, big tree", tools, func(*tool) *tree { return big }, time.Second)
	defer b.stopAll(ins)
	time.Sleep(b.c.settle)
	b.idle("idle, big tree", ins, b.c.idle, func(r *result) *usage { return &r.idleBig })
	b.smp.sampleNow()
	for _, in := range ins {
		b.keepPeaks(in)
	}
}

// measuresOwn tells the rows whose own memory (the processes running
// autoreload's executable: it, its guards and shims) is measured through
// restarts on the big tree: autoreload's with Watchman, of this checkout
// and of the older commit.
func measuresOwn(t *tool) bool {
	return t.watchman && strings.HasPrefix(t.slug, "autoreload")
}

// restartsOnBig restarts COMMAND bigRestarts times on the big tree, a trial
// gap apart, while sampling the memory of the tool's own processes every
// millisecond: the guards of two starts may both be alive for a moment.
func (b *bench) restartsOnBig(in *instance, big *tree, round int) {
	r := in.r
	w := watchOwn(in.p.cmd.Process.Pid, in.p.tr.ownExe, time.Millisecond)
	defer func() {
		kb, of := w.close()
		in.ownWatchKB = kb
		if kb > r.ownRSSKB {
			r.ownRSSKB, r.ownRSSOf = kb, of
		}
	}()
	base := len(in.starts())
	for i := range b.c.bigRestarts {
		seq := 1_000_000 + round*b.c.bigRestarts + i
		t0 := time.Now()
		if err := touch(big.pick(seq), seq); err != nil {
			r.fail("restarts, big tree", err)
			return
		}
		_, ok, err := in.waitStart(base+1, t0.Add(b.c.trialTimeout))
		switch {
		case err != nil:
			r.fail("restarts, big tree", err)
			return
		case ok:
			base++
			r.bigRestarts++
		default:
			r.bigMissed++
		}
		pause(t0, b.c.trialGap)
	}
}

func (b *bench) keepPeaks(in *instance) {
	r := in.r
	r.rssKB = max(r.rssKB, in.p.tr.peak())
	if kb, of := in.p.tr.ownPeak(); kb > r.ownRSSKB {
		r.ownRSSKB, r.ownRSSOf = kb, of
	}
	if in.d != nil {
		r.daemonRSSKB = max(r.daemonRSSKB, in.d.tr.peak())
	}
}

// runAll runs both phases; a failing phase is reported, not fatal.
func (b *bench) runAll() error {
	var errs []error
	var mu sync.Mutex
	add := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	if err := b.phaseSmall(); err != nil {
		add(fmt.Errorf("1k phase: %w", err))
	}
	if err := b.phaseBig(); err != nil {
		add(fmt.Errorf("big phase: %w", err))
	}
	return errors.Join(errs...)
}
