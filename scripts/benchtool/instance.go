//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// instance is one tool running on one tree, with its private Watchman daemon
// when it needs one, so the daemon's cost is the tool's alone.
type instance struct {
	t      *tool
	r      *result
	tree   *tree
	stamp  string
	p      *proc
	d      *daemon
	launch int64 // wall-clock ns, comparable with the child's stamps
	base   int   // child starts accounted for so far
	dead   bool
	// ownWatchKB: the peak of its own processes through restartsOnBig.
	ownWatchKB uint64
}

// live holds every instance not yet stopped, for the signal handler.
var live = struct {
	sync.Mutex
	m map[*instance]bool
}{m: map[*instance]bool{}}

// beforeLaunch, when not nil, runs after the tool's daemon started and just
// before the tool is launched.
func (b *bench) start(t *tool, tr *tree, phase string, beforeLaunch func() error) (*instance, error) {
	dir := filepath.Join(b.c.run, phase, t.slug)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	in := &instance{t: t, r: b.results[t], tree: tr, stamp: filepath.Join(dir, "stamps")}
	sock := filepath.Join(dir, "no-watchman.sock") // never the default socket
	switch {
	case t.watchman && b.shared != nil:
		sock = b.shared.sock
	case t.watchman:
		d, err := startWatchman(filepath.Join(dir, "watchman"), b.smp)
		if err != nil {
			return nil, err
		}
		in.d, sock = d, d.sock
	}
	s := t.command(b.c, tr.root, in.stamp, tr.list)
	s.log = filepath.Join(dir, "log")
	s.env = append(s.env, "WATCHMAN_SOCK="+sock)
	live.Lock()
	live.m[in] = true
	live.Unlock()
	if beforeLaunch != nil {
		if err := beforeLaunch(); err != nil {
			in.stop(b.smp)
			return nil, err
		}
	}
	in.launch = time.Now().UnixNano()
	p, err := launch(s, b.smp, b.c.sleepExe)
	if err != nil {
		in.stop(b.smp)
		return nil, err
	}
	in.p = p
	return in, nil
}

func (in *instance) stop(smp *sampler) {
	if in.p != nil {
		if problem := in.p.stop(smp, 5*time.Second); problem != "" {
			in.r.stopProblems = append(in.r.stopProblems, problem)
		}
		in.r.stops++
		in.r.fallbacks += countLines(in.p.log, "django_driver: fell back")
	}
	if in.d != nil {
		in.d.stop(smp, 5*time.Second)
	}
	live.Lock()
	delete(live.m, in)
	live.Unlock()
}

func (in *instance) starts() []int64 { return readStamps(in.stamp) }

// waitStart waits for the n-th start of the child (1-based) and returns its
// stamp; ok is false at the deadline.
func (in *instance) waitStart(n int, deadline time.Time) (ns int64, ok bool, err error) {
	for {
		if s := in.starts(); len(s) >= n {
			return s[n-1], true, nil
		}
		if !in.p.running() {
			return 0, false, errors.New(in.p.failure())
		}
		if time.Now().After(deadline) {
			return 0, false, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ready writes a watched file every probeEvery from launch until the tool
// starts the child because of a change, and returns launch to that start.
// It therefore includes one change-to-restart latency and up to one probe
// interval.
func (in *instance) ready(probe string, timeout time.Duration) (time.Duration, error) {
	n0 := 0
	if in.t.initialStart {
		n0 = 1
	}
	deadline := time.Now().Add(timeout)
	next := time.Now()
	for seq := 0; ; {
		if s := in.starts(); len(s) > n0 {
			return time.Duration(s[n0] - in.launch), nil
		}
		if !in.p.running() {
			return 0, errors.New(in.p.failure())
		}
		now := time.Now()
		if now.After(deadline) {
			return 0, fmt.Errorf("no restart on a change within %v of launch", timeout)
		}
		if !now.Before(next) {
			seq++
			if err := touch(probe, seq); err != nil {
				return 0, err
			}
			next = now.Add(in.t.probeEvery)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopAll stops instances in parallel: each may take its grace period.
func (b *bench) stopAll(ins []*instance) {
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.stop(b.smp)
		}()
	}
	wg.Wait()
}

// killLive is the signal handler's last resort.
func killLive(smp *sampler) {
	live.Lock()
	ins := make([]*instance, 0, len(live.m))
	for in := range live.m {
		ins = append(ins, in)
	}
	live.Unlock()
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if in.p != nil {
				in.p.stop(smp, 500*time.Millisecond)
			}
			if in.d != nil {
				in.d.stop(smp, 500*time.Millisecond)
			}
		}()
	}
	wg.Wait()
}
