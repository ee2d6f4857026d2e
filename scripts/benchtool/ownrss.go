//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ownWatch samples, every period, the memory of one tool's own processes:
// those below root that run exe (autoreload and the guards and shims it
// starts from its own executable, not COMMAND). A guard lives for one start
// of COMMAND, so the next guard and the old one are both alive only for the
// few milliseconds of a restart: the tree sampler's 200 ms would miss that,
// so this one runs at a millisecond or so, during restarts only. Each
// sample lists /proc and reads only processes it has not seen yet (their
// executable, once) and those running exe (their stat and status).
type ownWatch struct {
	root int
	exe  string

	mu     sync.Mutex
	peakKB uint64
	peakOf []string // the processes of the peak: "NAME KB"
	stop   chan struct{}
	done   chan struct{}
}

func watchOwn(root int, exe string, period time.Duration) *ownWatch {
	w := &ownWatch{root: root, exe: exe, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		other := map[int]bool{} // pids seen running something else
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			w.sample(other)
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// close stops the sampling and returns the largest sum of VmHWM seen at
// once, and what it was made of.
func (w *ownWatch) close() (kb uint64, of []string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakKB, w.peakOf
}

func (w *ownWatch) sample(other map[int]bool) {
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	present := make(map[int]bool, len(names))
	stats := map[int]procStat{}
	stat := func(pid int) (procStat, bool) {
		if s, ok := stats[pid]; ok {
			return s, true
		}
		s, ok := readStat(pid)
		if ok {
			stats[pid] = s
		}
		return s, ok
	}
	var sumKB uint64
	var of []string
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		present[pid] = true
		// A process that runs something else now may exec exe later only
		// if it is a fork of a process running exe, which is seen running
		// exe first; so what runs something else is not looked at again.
		if other[pid] {
			continue
		}
		if exePath(pid) != w.exe {
			other[pid] = true
			continue
		}
		s, ok := stat(pid)
		if !ok || !w.below(s, stat) {
			continue
		}
		if parent, ok := stat(s.ppid); ok && sharesMemory(s, parent) {
			continue
		}
		if hwm, _, ok := memKB(pid); ok {
			sumKB += hwm
			of = append(of, memPart(pid, hwm))
		}
	}
	for pid := range other {
		if !present[pid] {
			delete(other, pid) // the pid may be reused
		}
	}
	w.mu.Lock()
	if sumKB > w.peakKB {
		w.peakKB, w.peakOf = sumKB, of
	}
	w.mu.Unlock()
}

// below reports whether s is root or one of its descendants.
func (w *ownWatch) below(s procStat, stat func(int) (procStat, bool)) bool {
	for range 64 {
		if s.pid == w.root {
			return true
		}
		if s.ppid <= 1 {
			return false
		}
		var ok bool
		if s, ok = stat(s.ppid); !ok {
			return false
		}
	}
	return false
}

// memPart names one process of a peak and its VmHWM, in MiB.
func memPart(pid int, hwmKB uint64) string {
	name := "(exiting)" // its memory is not freed yet; its command line is gone
	if cl := cmdline(pid); cl != "" {
		name = filepath.Base(strings.Fields(cl)[0])
	}
	if at := strings.IndexByte(name, '@'); at >= 0 && len(name) > at+8 {
		name = name[:at+8] // autoreload@COMMIT, abbreviated
	}
	return fmt.Sprintf("%s %.1f", name, mib(hwmKB))
}
