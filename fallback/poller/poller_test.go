package poller

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tree writes files (path relative to dir → content) under dir.
func tree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for rel, data := range files {
		testkit.Write(t, filepath.Join(dir, rel), data)
	}
}

func newPoller(t testing.TB, so spec.Options, po Options) *Poller {
	t.Helper()
	spec, err := spec.New(so)
	if err != nil {
		t.Fatalf("spec.New: %v", err)
	}
	p := New(spec, po)
	t.Cleanup(func() { p.Close() })
	return p
}

func scanNow(t testing.TB, p *Poller) spec.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := p.Scan(ctx)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return b
}

// changes renders a batch as path (relative to dir) → exists.
func changes(dir string, b spec.Batch) map[string]bool {
	m := map[string]bool{}
	for _, c := range b.Changes {
		rel, err := filepath.Rel(dir, c.Path)
		if err != nil {
			rel = c.Path
		}
		if _, dup := m[rel]; dup {
			panic("path twice in one batch: " + c.Path)
		}
		m[rel] = c.Exists
	}
	return m
}

func expect(t *testing.T, dir string, b spec.Batch, want map[string]bool) {
	t.Helper()
	if got := changes(dir, b); !maps.Equal(got, want) {
		t.Fatalf("batch = %v, want %v", got, want)
	}
}

func expectQuiet(t *testing.T, p *Poller, dir string, scans int) {
	t.Helper()
	for i := range scans {
		if b := scanNow(t, p); !b.Empty() {
			t.Fatalf("scan %d of an unchanged tree reported %v", i+1, changes(dir, b))
		}
	}
}

func TestPollerBaselineAndQuiet(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "sub/b.go": "b", "sub/deep/c.txt": "c", ".env": "x"})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	if b := scanNow(t, p); !b.Empty() {
		t.Fatalf("baseline reported %v", changes(dir, b))
	}
	if n := p.tracked(); n != 4 {
		t.Fatalf("tracked %d files, want 4", n)
	}
	expectQuiet(t, p, dir, 50)
}

func TestPollerEveryKindOfChangeOnce(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"mtime.go": "1", "size.go": "1", "older.go": "1", "inode.go": "same", "gone.go": "x",
		"atomic.go": "old", "moved.go": "m", "d/x.go": "x", "d/e/y.go": "y", "keep.go": "k",
	})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)

	at := func(name string) string { return filepath.Join(dir, name) }
	fi, _ := os.Stat(at("mtime.go"))
	os.Chtimes(at("mtime.go"), time.Time{}, fi.ModTime().Add(time.Nanosecond)) // one nanosecond later
	testkit.Write(t, at("size.go"), "12")
	os.Chtimes(at("size.go"), time.Time{}, fi.ModTime()) // same mtime, new size
	os.Chtimes(at("older.go"), time.Time{}, fi.ModTime().Add(-time.Hour))
	// Same size and mtime, new inode: only the inode tells.
	ino, _ := os.Stat(at("inode.go"))
	testkit.Write(t, at("inode.tmp"), "same")
	os.Chtimes(at("inode.tmp"), time.Time{}, ino.ModTime())
	os.Rename(at("inode.tmp"), at("inode.go"))
	os.Remove(at("gone.go"))
	testkit.Write(t, at("atomic.go.tmp~"), "new content") // an editor's atomic save
	os.Rename(at("atomic.go.tmp~"), at("atomic.go"))
	os.Rename(at("moved.go"), at("d/moved.go"))
	testkit.Write(t, at("new.go"), "n")
	testkit.Write(t, at("newdir/z.go"), "z")
	os.RemoveAll(at("d/e"))

	expect(t, dir, scanNow(t, p), map[string]bool{
		"mtime.go": true, "size.go": true, "older.go": true, "inode.go": true, "gone.go": false,
		"atomic.go": true, "moved.go": false, "d/moved.go": true, "new.go": true, "newdir/z.go": true,
		"d/e/y.go": false,
	})
	expectQuiet(t, p, dir, 10)

	// A directory replaced by a file of the same name, and back.
	os.RemoveAll(at("newdir"))
	testkit.Write(t, at("newdir"), "now a file")
	expect(t, dir, scanNow(t, p), map[string]bool{"newdir/z.go": false, "newdir": true})
	os.Remove(at("newdir"))
	testkit.Write(t, at("newdir/z.go"), "z")
	expect(t, dir, scanNow(t, p), map[string]bool{"newdir": false, "newdir/z.go": true})
	expectQuiet(t, p, dir, 3)
}

func TestPollerSpecSelection(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "", "a.txt": "", "vendor/v.go": "", "x/a_test.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}, Patterns: []string{"*.go"}, Ignores: []string{"vendor/", "*_test.go"}}, Options{})
	scanNow(t, p)
	for _, rel := range []string{"a.go", "a.txt", "vendor/v.go", "x/a_test.go", "b.go", "b.txt", "vendor/w.go", "x/b.go.swp"} {
		testkit.Write(t, filepath.Join(dir, rel), "changed")
	}
	expect(t, dir, scanNow(t, p), map[string]bool{"a.go": true, "b.go": true})
}

func TestPollerFileRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.yaml")
	testkit.Write(t, file, "a")
	p := newPoller(t, spec.Options{Watch: []string{file}}, Options{})
	scanNow(t, p)
	testkit.Write(t, file, "ab")
	expect(t, dir, scanNow(t, p), map[string]bool{"settings.yaml": true})
	os.Remove(file)
	expect(t, dir, scanNow(t, p), map[string]bool{"settings.yaml": false})
	expectQuiet(t, p, dir, 2)
	testkit.Write(t, file, "c")
	expect(t, dir, scanNow(t, p), map[string]bool{"settings.yaml": true})
}

func TestPollerRootVanishes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	tree(t, dir, map[string]string{"a": "", "s/b": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	os.RemoveAll(dir)
	expect(t, dir, scanNow(t, p), map[string]bool{"a": false, "s/b": false})
	expectQuiet(t, p, dir, 2)
	tree(t, dir, map[string]string{"a": ""})
	expect(t, dir, scanNow(t, p), map[string]bool{"a": true})
}

func TestPollerTimeBaseline(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"old.py": "", "new.py": "", "notes.txt": "",
		"deleted/keep.py": "", "pycache/m.py": "", "grew/keep.py": "", "quiet/keep.py": "",
		"explained/new.py": "",
	})
	// The baseline T lies ahead of every timestamp the tree has; what
	// "changed after T" gets an mtime beyond it.
	since := time.Now().Add(time.Hour)
	after := since.Add(time.Minute)
	at := func(rel string) string { return filepath.Join(dir, rel) }
	touch := func(rel string) {
		if err := os.Chtimes(at(rel), time.Time{}, after); err != nil {
			t.Fatal(err)
		}
	}
	touch("new.py")
	touch("notes.txt") // after T but not selected
	touch("deleted")   // lost an entry: nothing else shows it
	os.MkdirAll(at("pycache/__pycache__"), 0o755)
	touch("pycache/__pycache__") // gained only an ignored entry
	touch("pycache")
	testkit.Write(t, at("grew/other.txt"), "")
	touch("grew/other.txt") // gained only an unselected entry
	touch("grew")
	touch("explained/new.py")
	touch("explained") // its reported file names the change
	so := spec.Options{Watch: []string{dir}, Patterns: []string{"*.py"}}

	// At start-up as at a takeover: a file deleted after COMMAND started
	// but before the first scan listed its directory leaves only the
	// directory's mtime, and a deletion is a change (it once was left out
	// here, and the deletion was lost). Growth by ignored or unselected
	// entries alone is still no change.
	t.Run("start-up: files and directories", func(t *testing.T) {
		p := newPoller(t, so, Options{Since: since})
		expect(t, dir, scanNow(t, p), map[string]bool{"new.py": true, "explained/new.py": true, "deleted": true})
		expectQuiet(t, p, dir, 3)
	})
	t.Run("start-up, files only", func(t *testing.T) {
		p := newPoller(t, so, Options{Since: since, FilesOnly: true})
		expect(t, dir, scanNow(t, p), map[string]bool{"new.py": true, "explained/new.py": true})
		expectQuiet(t, p, dir, 3)
	})
	t.Run("runtime switch: files and directories", func(t *testing.T) {
		p := newPoller(t, so, Options{Since: since, Takeover: true})
		expect(t, dir, scanNow(t, p), map[string]bool{"new.py": true, "explained/new.py": true, "deleted": true})
		expectQuiet(t, p, dir, 3)
	})
	t.Run("no baseline time", func(t *testing.T) {
		p := newPoller(t, so, Options{})
		expect(t, dir, scanNow(t, p), map[string]bool{})
	})
}

func TestPollerNeverStatsIgnored(t *testing.T) {
	dir := t.TempDir()
	testkit.Write(t, filepath.Join(dir, ".watchmanconfig"), `{"ignore_dirs": ["build"]}`)
	tree(t, dir, map[string]string{
		"main.go": "", "README.md": "",
		"node_modules/a/b.go": "", "x/node_modules/c.go": "", ".git/HEAD": "", "sub/.hg/store": "",
		"__pycache__/m.go": "", "build/out.go": "", "x/build/kept.go": "",
	})
	p := newPoller(t, spec.Options{Watch: []string{dir}, Patterns: []string{"*.go"}, Ignores: []string{"node_modules"}}, Options{})
	var stats []string
	p.onStat = func(d, name string) { stats = append(stats, strings.TrimPrefix(filepath.Join(d, name), dir+"/")) }
	p.workers = 1 // onStat appends without a lock
	for range 3 {
		scanNow(t, p)
	}
	want := []string{"main.go", "x/build/kept.go"}
	slices.Sort(stats)
	stats = slices.Compact(stats)
	if !slices.Equal(stats, want) {
		t.Fatalf("lstat'ed %q, want only %q (no ignored directory, no unselected file)", stats, want)
	}
}

// A watched file inside a watched directory is reported once.
func TestPollerFileRootInsideDirRoot(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "", "Makefile": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir, filepath.Join(dir, "a.go"), filepath.Join(dir, "Makefile")}, Patterns: []string{"*.go"}}, Options{})
	scanNow(t, p)
	testkit.Write(t, filepath.Join(dir, "a.go"), "1")
	testkit.Write(t, filepath.Join(dir, "Makefile"), "1")
	expect(t, dir, scanNow(t, p), map[string]bool{"a.go": true, "Makefile": true})
}

func TestPollerNext(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The baseline is taken by the first Next, which then waits.
	scanned := make(chan struct{})
	var once sync.Once
	p.onStat = func(string, string) { once.Do(func() { close(scanned) }) }
	got := make(chan spec.Batch)
	go func() {
		b, err := p.Next(ctx)
		if err != nil {
			t.Errorf("Next: %v", err)
		}
		got <- b
	}()
	<-scanned
	testkit.Write(t, filepath.Join(dir, "b.go"), "")
	select {
	case b := <-got:
		expect(t, dir, b, map[string]bool{"b.go": true})
	case <-ctx.Done():
		t.Fatal("Next did not report b.go within 30s")
	}
}

func TestPollerCancelAndClose(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: time.Hour})
	scanNow(t, p)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := p.Next(ctx); errc <- err }()
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("Next after cancel: err = %v, want context.Canceled", err)
	}

	go func() { _, err := p.Next(context.Background()); errc <- err }()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-errc; err != ErrClosed {
		t.Fatalf("Next during Close: err = %v, want ErrClosed", err)
	}
	if _, err := p.Scan(context.Background()); err != ErrClosed {
		t.Fatalf("Scan after Close: err = %v, want ErrClosed", err)
	}
}

// A scan cut short by its context loses nothing: what it found comes with
// the next batch, and what it did not reach is still compared then.
func TestPollerCancelledScanLosesNothing(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 20 {
		files[filepath.Join("d"+string(rune('a'+i)), "f.go")] = "1"
	}
	tree(t, dir, files)
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	want := map[string]bool{}
	for rel := range files {
		testkit.Write(t, filepath.Join(dir, rel), "22")
		want[rel] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	p.workers = 1
	p.onStat = func(string, string) {
		if n++; n == 5 {
			cancel()
		}
	}
	if _, err := p.Scan(ctx); err != context.Canceled {
		t.Fatalf("cancelled Scan: err = %v", err)
	}
	p.onStat = nil
	expect(t, dir, scanNow(t, p), want)
}

func TestPollerPace(t *testing.T) {
	var logs strings.Builder
	p := newPoller(t, spec.Options{Watch: []string{t.TempDir()}}, Options{Interval: time.Second, Logger: testLogger(&logs)})
	start := time.Now()
	p.pace(start, 10*time.Millisecond, 50*time.Millisecond)
	if p.period != time.Second || !p.next.Equal(start.Add(time.Second)) {
		t.Fatalf("a scan of 5%% of the interval stretched it to %v", p.period)
	}
	p.pace(start, 150*time.Millisecond, 300*time.Millisecond)
	if p.period != 3*time.Second {
		t.Fatalf("a scan costing 300ms: period %v, want 3s", p.period)
	}
	p.pace(start, 200*time.Millisecond, 400*time.Millisecond)
	p.pace(start, 5*time.Second, time.Millisecond) // slow but cheap: idle as long
	if !p.next.Equal(start.Add(10 * time.Second)) {
		t.Fatalf("a 5s scan costing no CPU: next scan %v after its start, want 10s", p.next.Sub(start))
	}
	if n := strings.Count(logs.String(), "interval stretched"); n != 1 {
		t.Fatalf("stretch logged %d times, want once:\n%s", n, logs.String())
	}
}

// tracked returns how many files the poller keeps a record of.
func (p *Poller) tracked() int { return len(p.trackedPaths()) }

// TestPollerListingOrderHint: from the third scan on, files are found
// where the last listing had them (dirState.order); every change must
// still be seen exactly once, whichever position it is at, with unselected
// names between the files and the directory's entries reshuffled.
func TestPollerListingOrderHint(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("f%02d.go", i)] = "x"
		if i%3 == 0 {
			files[fmt.Sprintf("n%02d.txt", i)] = "not selected"
		}
	}
	tree(t, dir, files)
	p := newPoller(t, spec.Options{Watch: []string{dir}, Patterns: []string{"*.go"}}, Options{})
	scanNow(t, p)
	expectQuiet(t, p, dir, 2) // the second records the listing order
	for i := range 40 {
		name := fmt.Sprintf("f%02d.go", i)
		testkit.Write(t, filepath.Join(dir, name), strings.Repeat("y", i+2))
		expect(t, dir, scanNow(t, p), map[string]bool{name: true})
	}
	// Same number of entries, different names: positions shift.
	os.Remove(filepath.Join(dir, "f07.go"))
	testkit.Write(t, filepath.Join(dir, "g07.go"), "g")
	os.Remove(filepath.Join(dir, "n09.txt"))
	testkit.Write(t, filepath.Join(dir, "f09.go.txt"), "not selected")
	expect(t, dir, scanNow(t, p), map[string]bool{"f07.go": false, "g07.go": true})
	expectQuiet(t, p, dir, 3)
	testkit.Write(t, filepath.Join(dir, "f39.go"), "last")
	expect(t, dir, scanNow(t, p), map[string]bool{"f39.go": true})
	if n := p.tracked(); n != 40 {
		t.Fatalf("tracked %d files, want 40", n)
	}
}
