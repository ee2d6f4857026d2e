package poller

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autoreload/autoreload/fallback/inotify"
	"github.com/autoreload/autoreload/fallback/mounts"
	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// The event path's tests use an interval of an hour where only events can
// explain a delivery, and short ones where the tick must.
const never = time.Hour

func eventPoller(t *testing.T, dir string, po Options) (*Poller, *testkit.Buffer) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("kernel events: Linux only")
	}
	logs := &testkit.Buffer{}
	po.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newPoller(t, spec.Options{Watch: []string{dir}, Exts: []string{"go"}}, po)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return p, logs
}

// next waits for the next batch, bounded.
func next(t *testing.T, p *Poller, limit time.Duration) spec.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	b, err := p.Next(ctx)
	if err != nil {
		t.Fatalf("no batch within %v: %v", limit, err)
	}
	return b
}

// expectNone checks that no batch comes within d.
func expectNone(t *testing.T, p *Poller, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if b, err := p.Next(ctx); err == nil {
		t.Fatalf("unexpected batch %+v", b.Changes)
	}
}

func TestEventsDeliverEachKindOfChangeOnce(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "gone.go": "g", "sub/b.go": "b"})
	p, _ := eventPoller(t, dir, Options{Interval: never})
	if s := p.Stats(); !s.Events || s.WatchedDirs != 2 {
		t.Fatalf("Stats = %+v, want events on 2 directories", s)
	}
	at := func(name string) string { return filepath.Join(dir, name) }

	testkit.Write(t, at("a.go"), "modified")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
	testkit.Write(t, at("sub/new.go"), "created")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"sub/new.go": true})
	os.Remove(at("gone.go"))
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"gone.go": false})
	testkit.Write(t, at(".a.go.tmp"), "saved")
	os.Rename(at(".a.go.tmp"), at("a.go"))
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
	testkit.Write(t, at("fresh/deeper/c.go"), "in a directory made a moment before")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"fresh/deeper/c.go": true})
	if s := p.Stats(); s.WatchedDirs != 4 {
		t.Errorf("%d directories watched, want 4 with the new ones", s.WatchedDirs)
	}
	expectNone(t, p, 100*time.Millisecond)
	expectQuiet(t, p, dir, 2)
}

func TestEventsWaitForTheWriteToFinish(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"server.go": "old"})
	p, _ := eventPoller(t, dir, Options{Interval: never})
	f, err := os.OpenFile(filepath.Join(dir, "server.go"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The writer writes a little at a time, faster than stillPeriod: the
	// poller must not deliver before it closes the file.
	got := make(chan spec.Batch, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b, _ := p.Next(ctx)
		got <- b
	}()
	for i := range 20 {
		fmt.Fprintf(f, "line %d\n", i)
		time.Sleep(stillPeriod / 4) // the writer's pace, not synchronisation
	}
	select {
	case b := <-got:
		t.Fatalf("delivered while still being written: %+v", b.Changes)
	default:
	}
	f.Close()
	b := <-got
	fi, _ := os.Stat(filepath.Join(dir, "server.go"))
	if len(b.Changes) != 1 || b.Changes[0].Size != fi.Size() {
		t.Fatalf("batch %+v, want server.go once with its final size %d", b.Changes, fi.Size())
	}
	expectNone(t, p, 100*time.Millisecond)
}

func TestEventsWriteLeftOpenIsDeliveredOnceStill(t *testing.T) {
	dir := t.TempDir()
	p, _ := eventPoller(t, dir, Options{Interval: never})
	f, err := os.Create(filepath.Join(dir, "log.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("written, never closed")
	b := next(t, p, 10*time.Second)
	if len(b.Changes) != 1 || b.Changes[0].Size != int64(len("written, never closed")) {
		t.Fatalf("batch %+v", b.Changes)
	}
}

func TestEventsSkipIgnoredDirectories(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "node_modules/m/x.go": "x", "build/y.go": "y", ".gitignore": "build/\nnode_modules/\n"})
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	p, _ := eventPoller(t, dir, Options{Interval: never})
	if s := p.Stats(); s.WatchedDirs != 1 {
		t.Fatalf("%d directories watched, want only the root", s.WatchedDirs)
	}
	testkit.Write(t, filepath.Join(dir, "node_modules/m/x.go"), "changed")
	testkit.Write(t, filepath.Join(dir, "build/y.go"), "changed")
	testkit.Write(t, filepath.Join(dir, "build/new/z.go"), "new")
	expectNone(t, p, 200*time.Millisecond)
}

// watchLimitAt refuses the watch of every directory called base as a
// kernel limit does (ENOSPC: fs.inotify.max_user_watches).
func watchLimitAt(base string) *inotify.Faults {
	return &inotify.Faults{Add: func(d string) error {
		if filepath.Base(d) == base {
			return syscall.ENOSPC
		}
		return nil
	}}
}

func TestEventsOnAWatchLimitPollThatSubtree(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "full/b.go": "b", "full/deep/c.go": "c"})
	faults := watchLimitAt("full")
	p, logs := eventPoller(t, dir, Options{Interval: 50 * time.Millisecond, Faults: faults})
	s := p.Stats()
	if !s.Events || s.WatchedDirs != 1 || !slices.Equal(s.PollOnly, []string{filepath.Join(dir, "full")}) {
		t.Fatalf("Stats = %+v, want the root watched and full/ polled", s)
	}
	if n := strings.Count(logs.String(), "sysctl=fs.inotify.max_user_watches"); n != 1 {
		t.Fatalf("the sysctl named %d times, want one warning:\n%s", n, logs)
	}
	testkit.Write(t, filepath.Join(dir, "full/deep/c.go"), "changed")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"full/deep/c.go": true})
	testkit.Write(t, filepath.Join(dir, "a.go"), "changed") // the rest still on events
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
}

// TestEventsOverflowRewatchesAReplacedDirectory: a directory replaced at
// the same path while the queue overflowed keeps its record, but its watch
// went with the old one; the full scan that follows must watch the new
// one, or its changes wait for the sweep.
func TestEventsOverflowRewatchesAReplacedDirectory(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	tree(t, dir, map[string]string{"sub/b.go": "b"})
	faults := &inotify.Faults{Overflow: func(b []inotify.Event) bool {
		return slices.ContainsFunc(b, func(e inotify.Event) bool { return e.Name == "sub" || e.Dir == sub })
	}}
	p, _ := eventPoller(t, dir, Options{Interval: never, Faults: faults})
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"sub/b.go": false})
	testkit.Write(t, filepath.Join(sub, "c.go"), "in the new directory")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"sub/c.go": true})
}

func TestEventsOverflowScansEverything(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "sub/b.go": "b"})
	faults := &inotify.Faults{Overflow: func(b []inotify.Event) bool {
		return slices.ContainsFunc(b, func(e inotify.Event) bool { return e.Name == "lost.go" })
	}}
	p, logs := eventPoller(t, dir, Options{Interval: never, Faults: faults})
	testkit.Write(t, filepath.Join(dir, "sub/b.go"), "changed before") // in the same batch, maybe
	testkit.Write(t, filepath.Join(dir, "lost.go"), "its event is lost")
	got := changes(dir, next(t, p, 10*time.Second))
	if !got["lost.go"] {
		got2 := changes(dir, next(t, p, 10*time.Second))
		for k, v := range got2 {
			got[k] = v
		}
	}
	if !got["lost.go"] || !got["sub/b.go"] {
		t.Fatalf("after an overflow: %v", got)
	}
	if !strings.Contains(logs.String(), "overflowed") {
		t.Errorf("no overflow logged:\n%s", logs)
	}
}

func TestEventsUntrustedFilesystemPolls(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "share/b.go": "b"})
	table, err := mounts.Load()
	if err != nil {
		t.Skip(err)
	}
	table.Fake(filepath.Join(dir, "share"), "nfs4")
	p, logs := eventPoller(t, dir, Options{Interval: 50 * time.Millisecond, Mounts: table})
	s := p.Stats()
	if s.WatchedDirs != 1 || !slices.Equal(s.PollOnly, []string{filepath.Join(dir, "share")}) {
		t.Fatalf("Stats = %+v, want share/ polled", s)
	}
	if !strings.Contains(logs.String(), "fstype=nfs4") {
		t.Errorf("the polled filesystem is not logged:\n%s", logs)
	}
	testkit.Write(t, filepath.Join(dir, "share/b.go"), "changed on the server")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"share/b.go": true})
}

// A root that is a symlink is on its target's filesystem: the mount table
// knows only real paths.
func TestEventsUntrustedFilesystemBehindSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"share/b.go": "b"})
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "share"), link); err != nil {
		t.Fatal(err)
	}
	table, err := mounts.Load()
	if err != nil {
		t.Skip(err)
	}
	table.Fake(filepath.Join(dir, "share"), "nfs4")
	p, _ := eventPoller(t, link, Options{Interval: 50 * time.Millisecond, Mounts: table})
	if s := p.Stats(); s.WatchedDirs != 0 || !slices.Equal(s.PollOnly, []string{link}) {
		t.Fatalf("Stats = %+v, want %s polled", s, link)
	}
}

func TestEventsBurstIsOneBatchOrTwo(t *testing.T) {
	dir := t.TempDir()
	p, _ := eventPoller(t, dir, Options{Interval: never})
	const n = 3000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if i < 30 {
				os.Mkdir(filepath.Join(dir, fmt.Sprintf("d%d", i)), 0o755)
			}
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%d/f%d.go", i%30, i)), nil, 0o644)
		}
	}()
	seen := map[string]bool{}
	batches := 0
	var sizes []int
	for len(seen) < n {
		b := next(t, p, 20*time.Second)
		batches++
		sizes = append(sizes, len(b.Changes))
		for _, c := range b.Changes {
			seen[c.Path] = true
		}
		if batches > 2 {
			break
		}
	}
	<-done
	if batches > 2 {
		t.Fatalf("%d batches (%v) for one burst of %d files (%d seen)", batches, sizes, n, len(seen))
	}
}

func TestEventsHeldByAVCSLock(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a"})
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	p, _ := eventPoller(t, dir, Options{Interval: 50 * time.Millisecond})
	lock := filepath.Join(dir, ".git", "index.lock")
	testkit.Write(t, lock, "")
	testkit.Write(t, filepath.Join(dir, "a.go"), "checked out")
	expectNone(t, p, 200*time.Millisecond)
	os.Remove(lock)
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
}

func TestEventsReleasedForWatchman(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "sub/b.go": "b"})
	base := testkit.InotifyFDs(t, os.Getpid())
	p, _ := eventPoller(t, dir, Options{Interval: 50 * time.Millisecond})
	if testkit.InotifyFDs(t, os.Getpid()) != base+1 {
		t.Fatalf("%d inotify descriptors, want %d", testkit.InotifyFDs(t, os.Getpid()), base+1)
	}
	p.ReleaseWatches()
	if n := testkit.InotifyFDs(t, os.Getpid()); n != base {
		t.Fatalf("%d inotify descriptors after ReleaseWatches, want %d", n, base)
	}
	testkit.Write(t, filepath.Join(dir, "sub/b.go"), "seen by a scan")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"sub/b.go": true})
	if s := p.Stats(); s.Events {
		t.Fatalf("Stats after release = %+v", s)
	}
	p.ResumeEvents()
	testkit.Write(t, filepath.Join(dir, "a.go"), "seen by a scan or an event")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
	if s := p.Stats(); !s.Events || s.WatchedDirs != 2 {
		t.Fatalf("Stats after resume = %+v", s)
	}
}

// A watched file's directory is watched again when events resume after
// a release, as at the baseline: else the file waits for the tick.
func TestEventsResumedWatchFileRoots(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("kernel events: Linux only")
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	testkit.Write(t, main, "a")
	p := newPoller(t, spec.Options{Watch: []string{main}}, Options{Interval: never})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p.ReleaseWatches()
	testkit.Write(t, main, "seen by a scan")
	next(t, p, 10*time.Second)
	p.ResumeEvents()
	expectNone(t, p, 300*time.Millisecond) // a new watcher meanwhile
	testkit.Write(t, main, "seen by an event")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"main.go": true})
}

func TestEventsLeakNothing(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a", "sub/b.go": "b"})
	sp, err := spec.New(spec.Options{Watch: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	fds := testkit.OpenFDs(t, os.Getpid())
	for range 50 {
		p := New(sp, Options{Interval: never})
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		p.Next(ctx)
		cancel()
		p.ReleaseWatches()
		p.Close()
	}
	if n := testkit.OpenFDs(t, os.Getpid()); n != fds {
		t.Fatalf("%d descriptors open after 50 pollers, %d before", n, fds)
	}
}

// TestEventsAboutUnselectedFilesHoldNothing: a churn of files the spec
// does not select (an editor's swap files, a build's objects) leaves no
// batch held and no burst going on, so the next save waits only quietFirst.
func TestEventsAboutUnselectedFilesHoldNothing(t *testing.T) {
	dir := t.TempDir()
	p, _ := eventPoller(t, dir, Options{Interval: never})
	for i := range 200 {
		testkit.Write(t, filepath.Join(dir, fmt.Sprintf("obj%d.o", i)), "x")
	}
	expectNone(t, p, 500*time.Millisecond) // the events are read and looked at
	if p.hb.events != 0 || p.hb.burst || len(p.dirty) != 0 {
		t.Fatalf("after unselected churn: %d events held, burst %v, %d directories noted", p.hb.events, p.hb.burst, len(p.dirty))
	}
	testkit.Write(t, filepath.Join(dir, "a.go"), "saved")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
}

// TestSweepCoversTheTreeInOnePeriod: the safety net takes every watched
// directory once per sweepPeriod, a slice per tick, not all at once.
func TestSweepCoversTheTreeInOnePeriod(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 50 {
		for j := range i % 7 {
			files[fmt.Sprintf("d%d/f%d.go", i, j)] = "x"
		}
		files[fmt.Sprintf("d%d/keep.go", i)] = "x"
	}
	tree(t, dir, files)
	p, _ := eventPoller(t, dir, Options{Interval: time.Second})
	ticks := int(sweepPeriod / time.Second)
	seen := map[string]int{}
	most := 0
	for range ticks {
		items := slices.Concat(p.sweepWork()...)
		most = max(most, len(items))
		for _, w := range items {
			if !w.shallow {
				t.Fatalf("%s scanned whole: every directory has a watch", w.path)
			}
			seen[w.path]++
		}
	}
	if len(seen) != 51 {
		t.Fatalf("%d of 51 directories re-checked in one sweep", len(seen))
	}
	if most > 5 {
		t.Errorf("a tick took %d directories: the sweep is not spread", most)
	}
}

// TestEventsWithoutAnInstancePoll: no inotify instance to be had (EMFILE:
// fs.inotify.max_user_instances) is one warning naming the sysctl, and
// polling of everything.
func TestEventsWithoutAnInstancePoll(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir, map[string]string{"a.go": "a"})
	p, logs := eventPoller(t, dir, Options{Interval: 50 * time.Millisecond, Faults: &inotify.Faults{Init: syscall.EMFILE}})
	if s := p.Stats(); s.Events {
		t.Fatalf("Stats = %+v, want no events", s)
	}
	testkit.Write(t, filepath.Join(dir, "a.go"), "polled")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"a.go": true})
	if n := strings.Count(logs.String(), "sysctl=fs.inotify.max_user_instances"); n != 1 {
		t.Errorf("the sysctl named %d times, want once:\n%s", n, logs)
	}
}

// TestEventsRootDeletedAndBack: a deleted root is its files deleted, at
// once; a root made again is watched again, and its files are new.
func TestEventsRootDeletedAndBack(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "root")
	tree(t, dir, map[string]string{"a.go": "a", "sub/b.go": "b"})
	p, _ := eventPoller(t, dir, Options{Interval: 100 * time.Millisecond})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	got := changes(dir, next(t, p, 10*time.Second))
	for len(got) < 2 {
		for k, v := range changes(dir, next(t, p, 10*time.Second)) {
			got[k] = v
		}
	}
	if got["a.go"] || got["sub/b.go"] {
		t.Fatalf("after the root was deleted: %v", got)
	}
	tree(t, dir, map[string]string{"c.go": "c"})
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"c.go": true})
	if s := p.Stats(); s.WatchedDirs != 1 {
		t.Errorf("%d directories watched after the root came back, want 1", s.WatchedDirs)
	}
	testkit.Write(t, filepath.Join(dir, "c.go"), "by event")
	expect(t, dir, next(t, p, 10*time.Second), map[string]bool{"c.go": true})
}
