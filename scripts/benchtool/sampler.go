//go:build linux

package main

import (
	"sync"
	"time"
)

// procKey names one process for its whole life: pids are reused, start times
// with the pid are not.
type procKey struct {
	pid   int
	start uint64
}

type trackedProc struct {
	ticks   uint64
	hwmKB   uint64
	isChild bool // the benchmark's own child, never charged to the tool
}

// tracker follows one measured process tree (a tool, or a Watchman daemon):
// the root and every descendant, and keeps following a descendant that was
// re-parented away from the root. It accounts CPU ticks and resident memory
// of the tree minus the benchmark child.
type tracker struct {
	root     int
	childExe string
	ownExe   string // the tool's executable, for ownPeakKB; "" for none

	mu     sync.Mutex
	procs  map[procKey]*trackedProc
	peakKB uint64 // largest sum of live processes' VmHWM seen at once
	// ownPeakKB is the same sum over the processes running ownExe only
	// (autoreload and its guards, not COMMAND).
	ownPeakKB uint64
	ownPeakOf []string           // the processes of that peak (memPart)
	base      map[procKey]uint64 // ticks at the start of the idle window
}

func newTracker(root int, childExe, ownExe string) *tracker {
	return &tracker{root: root, childExe: childExe, ownExe: ownExe, procs: map[procKey]*trackedProc{}}
}

// update folds one /proc picture into the tracker.
func (t *tracker) update(all map[int]procStat, kids map[int][]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	roots := []int{t.root}
	for k := range t.procs {
		if s, ok := all[k.pid]; ok && s.start == k.start {
			roots = append(roots, k.pid)
		}
	}
	var liveKB, ownKB uint64
	var ownOf []string
	for _, pid := range subtree(roots, all, kids) {
		s := all[pid]
		k := procKey{pid, s.start}
		p := t.procs[k]
		if p == nil {
			p = &trackedProc{}
			t.procs[k] = p
		}
		exe := exePath(pid)
		// A forked process becomes the child only once it has exec'd it.
		if !p.isChild && t.childExe != "" && exe == t.childExe {
			p.isChild = true
		}
		p.ticks = s.ticks
		if p.isChild || sharesMemory(s, all[s.ppid]) {
			continue
		}
		if hwm, _, ok := memKB(pid); ok {
			if hwm > p.hwmKB {
				p.hwmKB = hwm
			}
			liveKB += hwm
			if t.ownExe != "" && exe == t.ownExe {
				ownKB += hwm
				ownOf = append(ownOf, memPart(pid, hwm))
			}
		}
	}
	t.peakKB = max(t.peakKB, liveKB)
	if ownKB > t.ownPeakKB {
		t.ownPeakKB, t.ownPeakOf = ownKB, ownOf
	}
}

// beginWindow records every process's ticks; endWindow charges what each
// process used since, a process born in between being charged all of its.
func (t *tracker) beginWindow() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.base = map[procKey]uint64{}
	for k, p := range t.procs {
		t.base[k] = p.ticks
	}
}

func (t *tracker) endWindow() (ticks uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, p := range t.procs {
		if p.isChild {
			continue
		}
		if p.ticks > t.base[k] {
			ticks += p.ticks - t.base[k]
		}
	}
	return ticks
}

func (t *tracker) peak() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peakKB
}

func (t *tracker) ownPeak() (kb uint64, of []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ownPeakKB, t.ownPeakOf
}

// known lists every process the tracker has seen, for the final kill.
func (t *tracker) known() []procKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]procKey, 0, len(t.procs))
	for k := range t.procs {
		keys = append(keys, k)
	}
	return keys
}

// sampler reads /proc once per period for all registered trackers, so a
// dozen measured trees cost one scan rather than a dozen.
type sampler struct {
	mu       sync.Mutex
	trackers map[*tracker]bool
	stop     chan struct{}
	done     chan struct{}
}

func startSampler(period time.Duration) *sampler {
	s := &sampler{trackers: map[*tracker]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
				s.sampleNow()
			}
		}
	}()
	return s
}

func (s *sampler) add(t *tracker) {
	s.mu.Lock()
	s.trackers[t] = true
	s.mu.Unlock()
}

func (s *sampler) remove(t *tracker) {
	s.mu.Lock()
	delete(s.trackers, t)
	s.mu.Unlock()
}

// sampleNow takes one picture; callers use it to make a window's edges exact.
func (s *sampler) sampleNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.trackers) == 0 {
		return
	}
	all := allProcs()
	kids := childrenOf(all)
	for t := range s.trackers {
		t.update(all, kids)
	}
}

func (s *sampler) close() {
	close(s.stop)
	<-s.done
}
