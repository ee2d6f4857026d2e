package poller

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestPollerTransientInOneBatchIsNoChange: a file that one scan saw
// created and the next saw gone, within one batch (held back here by a
// VCS lock), is not in it: sed -i's temporary file, renamed over the real
// file. A file that existed before the batch and was deleted is.
func TestPollerTransientInOneBatchIsNoChange(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{".git/HEAD": "ref", "main.go": "1", "old.go": "1"})
	lock := filepath.Join(dir, ".git", "index.lock")
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: time.Millisecond, NoEvents: true})
	scanNow(t, p)

	testkit.Write(t, lock, "")
	tmp := filepath.Join(dir, "sedAb12Cd.go") // the spec here selects *.go
	testkit.Write(t, tmp, "2")
	if !step(t, p) {
		t.Fatal("a scan while index.lock exists was not held back")
	}
	if err := os.Rename(tmp, filepath.Join(dir, "main.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "old.go")); err != nil {
		t.Fatal(err)
	}
	if !step(t, p) {
		t.Fatal("second scan while index.lock exists was not held back")
	}
	os.Remove(lock)
	expect(t, dir, next(t, p, 30*time.Second), map[string]bool{"main.go": true, "old.go": false})
	expectQuiet(t, p, dir, 2)
}

// TestPollerVanishedCreationSeenByAScan: a scan sees an editor's
// temporary file, which is renamed over the real file while the batch
// settles: the batch names only the real file, and the temporary file's
// deletion never comes as a change of its own.
func TestPollerVanishedCreationSeenByAScan(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"app.txt": "1"})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: 10 * time.Millisecond, NoEvents: true})
	scanNow(t, p)

	tmp := filepath.Join(dir, ".app.txt.tmp")
	testkit.Write(t, tmp, "2")
	looks := 0
	p.onSettle = func() {
		looks++
		if looks == 1 {
			if err := os.Rename(tmp, filepath.Join(dir, "app.txt")); err != nil {
				t.Error(err)
			}
		}
	}
	b := next(t, p, 30*time.Second)
	if looks == 0 {
		t.Fatal("the batch went out unsettled")
	}
	expect(t, dir, b, map[string]bool{"app.txt": true})
	p.onSettle = nil
	expectQuiet(t, p, dir, 3)

	// The same name, created again and kept, is a change.
	testkit.Write(t, tmp, "3")
	expect(t, dir, scanNow(t, p), map[string]bool{".app.txt.tmp": true})
}

// TestEventsVanishedCreationWaitsForTheRename: on kernel events, a look
// saw a save's temporary file, which is renamed over the real file before
// the batch goes out, the rename's events still unread: the batch waits
// for them and names only the real file.
func TestEventsVanishedCreationWaitsForTheRename(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"app.go": "1"})
	p, _ := eventPoller(t, dir, Options{Interval: time.Hour})
	tmp := filepath.Join(dir, ".app.go.tmp.go")
	testkit.Write(t, tmp, "2")
	awaitPending(t, p, tmp)
	if err := os.Rename(tmp, filepath.Join(dir, "app.go")); err != nil {
		t.Fatal(err)
	}
	if p.ready(time.Now().Add(time.Second)) {
		t.Fatalf("the batch would go out with %s, gone", tmp)
	}
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"app.go": true})
	expectNone(t, p, 200*time.Millisecond)
}

// TestEventsSlowTransientWaitsForTheRename: on kernel events, a batch made
// only of a new file (a save's temporary file that outlives Watchman's
// settle on a loaded machine) waits spec.NewOnlyHold for the rename, not
// the settle only.
func TestEventsSlowTransientWaitsForTheRename(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"app.go": "1"})
	p, _ := eventPoller(t, dir, Options{Interval: time.Hour})
	tmp := filepath.Join(dir, "sedAb12Cd.go") // the spec here selects *.go
	testkit.Write(t, tmp, "2")
	awaitPending(t, p, tmp)
	if p.ready(time.Now().Add(4 * settlePeriod)) {
		t.Fatalf("a batch of only the new %s would go out after %s", tmp, 4*settlePeriod)
	}
	if !p.ready(time.Now().Add(spec.NewOnlyHold + settlePeriod)) {
		t.Fatalf("a batch of only the new %s would not go out after %s", tmp, spec.NewOnlyHold+settlePeriod)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "app.go")); err != nil {
		t.Fatal(err)
	}
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"app.go": true})
}

// awaitPending advances p until its pending batch holds path.
func awaitPending(t *testing.T, p *Poller, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.ContainsFunc(p.pending, func(c spec.Change) bool { return c.Path == path }) {
		if time.Now().After(deadline) {
			t.Fatalf("no look saw %s; pending %v", path, p.pending)
		}
		if err := p.advance(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}
