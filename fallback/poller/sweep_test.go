package poller

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// ownership records the directories the scan workers hold, and the first
// time two workers held one directory, or a directory and one below it,
// at once: the records of a directory have one owner, since its scan may
// forget or replace every record below it.
type ownership struct {
	mu       sync.Mutex
	held     map[string]int
	conflict string
	hold     time.Duration
}

func (o *ownership) take(dir string) func() {
	o.mu.Lock()
	for other := range o.held {
		if o.conflict == "" && nestedOrSame(other, dir) {
			o.conflict = other + " and " + dir
		}
	}
	o.held[dir]++
	o.mu.Unlock()
	// Held a moment, so that a second owner taken beside this one is
	// seen; the verdict does not depend on this wait being long enough.
	time.Sleep(o.hold)
	return func() {
		o.mu.Lock()
		if o.held[dir]--; o.held[dir] == 0 {
			delete(o.held, dir)
		}
		o.mu.Unlock()
	}
}

func nestedOrSame(a, b string) bool {
	return a == b || strings.HasPrefix(b, a+"/") || strings.HasPrefix(a, b+"/")
}

// TestSweepGivesEachDirectoryOneOwner: one tick of the sweep scans a
// watched directory's slice (shallow) beside the subtrees it must scan
// whole (polled, or a lost watch), which can lie below it. They used to be
// scanned at once, by two workers; under nested-directory churn both
// dropped the same record and the poller panicked.
func TestSweepGivesEachDirectoryOneOwner(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"a.go": "", "p/b.go": "",
		"p/polled/c.go": "", "p/polled/deeper/d.go": "",
		"p/lost/e.go": "", "p/lost/deeper/f.go": "",
	})
	faults := watchLimitAt("polled") // polled, never watched, from now on
	p, _ := eventPoller(t, dir, Options{Interval: 10 * time.Millisecond, Faults: faults})
	if d, _, _, ok := p.lookupDir(filepath.Join(dir, "p/lost")); !ok {
		t.Fatal("p/lost is not tracked")
	} else {
		d.watchGen = 0 // its watch is lost: the next sweep scans it whole
	}
	own := &ownership{held: map[string]int{}, hold: time.Millisecond}
	p.onScanDir = own.take
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The sweep takes one watched directory a tick here: every one of
	// them, p included, within a few ticks.
	for range 20 {
		p.tick(ctx)
		if own.conflict != "" {
			t.Fatalf("two workers held %s at once", own.conflict)
		}
	}
}

// churnPaths are the nested paths FuzzNestedChurn works on; a name ending
// in .go is a file, any other a directory.
var churnPaths = []string{
	"t0", "t0/a/b/c/x", "t0/a/y", "t0/a/b/f.go", "t0/a/b/c/g.go",
	"t1/a", "t1/a/b", "t1/a/b/h.go", "t1/z/z/z/z", "k.go", "t0/a/k.go", "t1/a/b/c/d/e",
}

// FuzzNestedChurn creates, deletes and rewrites nested directories and
// files while the event path's timer (the sweep) and its rescans run: no
// crash, no two owners of one directory's records, and once it is over a
// full scan leaves the records exactly what a fresh poller records.
func FuzzNestedChurn(f *testing.F) {
	f.Add([]byte{0, 1, 2, 5, 9, 0x40, 0x81, 0xc2, 3, 7, 11, 0x41, 0x45})
	f.Add([]byte{1, 2, 6, 0x40, 1, 2, 6, 0x40, 1, 2, 6, 0x40, 1, 2, 6, 0x40})
	f.Add([]byte{8, 0x88, 8, 0x88, 4, 0x84, 3, 0x83, 11, 0x8b, 5, 0x45})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 256 {
			ops = ops[:256]
		}
		dir := t.TempDir()
		tree(t, dir, map[string]string{"t0/a/b/f.go": "", "t1/a/b/h.go": "", "k.go": ""})
		// Directories named b poll (a kernel limit refused their watch):
		// the sweep scans them whole beside the watched ones above them.
		faults := watchLimitAt("b")
		p, _ := eventPoller(t, dir, Options{Interval: 10 * time.Millisecond, Faults: faults})
		own := &ownership{held: map[string]int{}}
		p.onScanDir = own.take
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, op := range ops {
				path := filepath.Join(dir, churnPaths[int(op&0x3f)%len(churnPaths)])
				switch op >> 6 {
				case 0, 1: // create, or write again
					if filepath.Ext(path) == ".go" {
						os.MkdirAll(filepath.Dir(path), 0o755)
						os.WriteFile(path, []byte{op}, 0o644)
					} else {
						os.MkdirAll(path, 0o755)
					}
				case 2:
					os.RemoveAll(path)
				case 3: // a directory replaced by a file, or the reverse
					os.RemoveAll(path)
					os.MkdirAll(filepath.Dir(path), 0o755)
					os.WriteFile(path, nil, 0o644)
				}
			}
		}()
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			// One turn of the event path: events read and rescanned, the
			// sweep's tick when due.
			turn, end := context.WithTimeout(ctx, 20*time.Millisecond)
			p.listen(turn)
			end()
			if own.conflict != "" {
				t.Fatalf("two workers held %s at once", own.conflict)
			}
		}
		full := &scan{p: p, ctx: ctx, mode: modeReport}
		full.run()
		fresh := newPoller(t, spec.Options{Watch: []string{dir}, Exts: []string{"go"}}, Options{})
		scanNow(t, fresh)
		if got, want := p.trackedPaths(), fresh.trackedPaths(); !slices.Equal(got, want) {
			t.Fatalf("after the churn and a full scan the poller records %v, a fresh one %v", got, want)
		}
	})
}

// TestWorkerPanicReachesTheCaller: a panic in a scan worker (a bug) is
// raised again in the goroutine that asked for the scan, where the
// program's own recovery stops COMMAND cleanly, instead of ending the
// process from the worker; no worker is left behind.
func TestWorkerPanicReachesTheCaller(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a/x.go": "", "b/y.go": "", "b/c/z.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	p.onScanDir = func(d string) func() {
		if filepath.Base(d) == "c" {
			panic("injected")
		}
		return func() {}
	}
	defer func() {
		v := recover()
		msg, _ := v.(string)
		if !strings.Contains(msg, "injected") || !strings.Contains(msg, "guardedDir") {
			t.Fatalf("recovered %v, want the worker's panic with its stack", v)
		}
	}()
	scanNow(t, p)
	t.Fatal("the scan returned: the worker's panic was lost")
}
