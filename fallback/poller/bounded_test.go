package poller

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

func edenCheckout(t *testing.T, dir string) {
	t.Helper()
	if err := mounts.FakeEdenCheckout(dir); err != nil {
		t.Fatal(err)
	}
}

// boundedList is an Options.Bounded that a test changes as it goes.
type boundedList struct {
	mu    sync.Mutex
	paths []string
}

func (l *boundedList) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.paths)
}

func (l *boundedList) set(paths ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths = paths
}

// countOpens counts the directories the poller opens to list, by path.
func countOpens(p *Poller) func() []string {
	var mu sync.Mutex
	var opened []string
	p.onOpen = func(dir string) error {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, dir)
		return nil
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(opened)
	}
}

// In an Eden checkout the poller lists no directory, the root included: it
// lstats the files of its bounded list, which may change, and only those.
func TestBoundedEdenRootIsNeverListed(t *testing.T) {
	for _, events := range []bool{true, false} {
		t.Run(map[bool]string{true: "events", false: "no-events"}[events], func(t *testing.T) {
			dir := t.TempDir()
			tree(t, dir, map[string]string{"a/used.go": "u", "a/other.go": "o", "b/later.go": "l"})
			edenCheckout(t, dir)
			used, later := filepath.Join(dir, "a/used.go"), filepath.Join(dir, "b/later.go")
			list := &boundedList{}
			list.set(used, filepath.Join(dir, "a/missing.go"), "relative.go")
			p := newPoller(t, spec.Options{Watch: []string{dir}, Exts: []string{"go"}},
				Options{Interval: 20 * time.Millisecond, NoEvents: !events, Bounded: list.get})
			opened := countOpens(p)
			scanNow(t, p)

			testkit.Write(t, filepath.Join(dir, "a/other.go"), "not in the list")
			testkit.Write(t, used, "changed")
			expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a/used.go": true})
			testkit.Write(t, filepath.Join(dir, "a/missing.go"), "created")
			expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a/missing.go": true})

			// Joining the list is no change; a change after it is one.
			list.set(used, later)
			expectNone(t, p, 200*time.Millisecond)
			testkit.Write(t, later, "changed")
			expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"b/later.go": true})

			if got := opened(); len(got) != 0 {
				t.Errorf("listed %q in an Eden checkout", got)
			}
			st := p.Stats()
			if st.Listed != 0 || !slices.Equal(st.Unlisted, []string{dir}) || st.Bounded != 2 {
				t.Errorf("Stats = %+v, want nothing listed, %s unlisted, 2 files bounded", st, dir)
			}
		})
	}
}

// Without a list, nothing in the checkout is watched, and nothing listed.
func TestBoundedEdenWithoutAListWatchesNothing(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a"})
	edenCheckout(t, filepath.Dir(dir)) // the checkout holds the root
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: 20 * time.Millisecond})
	opened := countOpens(p)
	scanNow(t, p)
	testkit.Write(t, filepath.Join(dir, "a.go"), "changed")
	expectNone(t, p, 300*time.Millisecond)
	if got := opened(); len(got) != 0 {
		t.Errorf("listed %q in an Eden checkout", got)
	}
}

// An Eden mount below a root (the mount table says so) is not crossed
// into; the rest of the root is scanned as ever, and a file of the list
// in the mount is watched.
func TestBoundedEdenMountBelowARoot(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "eden/src/b.go": "b", "eden/c.go": "c"})
	table, err := mounts.Load()
	if err != nil {
		t.Skip(err)
	}
	checkout := filepath.Join(dir, "eden")
	table.Fake(checkout, "fuse.edenfs")
	b := filepath.Join(checkout, "src/b.go")
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{
		Interval: 20 * time.Millisecond, NoEvents: true, Mounts: table,
		Bounded: func() []string { return []string{b} },
	})
	opened := countOpens(p)
	scanNow(t, p)
	for _, d := range opened() {
		if d == checkout || strings.HasPrefix(d, checkout+"/") {
			t.Fatalf("listed %s, in the Eden mount", d)
		}
	}
	if !slices.Contains(opened(), dir) {
		t.Fatalf("the root %s was not scanned: %q", dir, opened())
	}
	testkit.Write(t, filepath.Join(dir, "a.go"), "changed")
	testkit.Write(t, filepath.Join(checkout, "c.go"), "changed, not in the list")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
	testkit.Write(t, b, "changed")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"eden/src/b.go": true})
}
