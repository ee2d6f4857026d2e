package inotify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// waitLimit bounds every wait for the kernel: generous on a loaded machine.
const waitLimit = 10 * time.Second

func newWatcher(t *testing.T, opts Options, dirs ...string) *Watcher {
	t.Helper()
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	for _, d := range dirs {
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// collect reads until an event matching want arrives, and returns all
// events read up to it.
func collect(t *testing.T, w *Watcher, want func(Event) bool) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var all []Event
	for {
		batch, err := w.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for an event (got %v): %v", all, err)
		}
		all = append(all, batch...)
		if slices.ContainsFunc(batch, want) {
			return all
		}
	}
}

func is(name string, op Op) func(Event) bool {
	return func(e Event) bool { return e.Name == name && e.Op.Has(op) }
}

func TestWriteEndsWithCloseWrite(t *testing.T) {
	dir := t.TempDir()
	w := newWatcher(t, Options{}, dir)
	f, err := os.Create(filepath.Join(dir, "a.go"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("package a")
	got := collect(t, w, is("a.go", Modify))
	if slices.ContainsFunc(got, is("a.go", CloseWrite)) {
		t.Fatalf("close_write before the file was closed: %v", got)
	}
	f.Close()
	collect(t, w, is("a.go", CloseWrite))
}

func TestEventsNameEntries(t *testing.T) {
	dir := t.TempDir()
	w := newWatcher(t, Options{}, dir)
	tmp := filepath.Join(dir, ".a.go.swp")
	os.WriteFile(tmp, []byte("x"), 0o644)
	os.Rename(tmp, filepath.Join(dir, "a.go")) // an atomic save
	got := collect(t, w, is("a.go", MovedTo))
	if !slices.ContainsFunc(got, is(".a.go.swp", MovedFrom)) {
		t.Errorf("no moved_from for the temporary file: %v", got)
	}
	os.Remove(filepath.Join(dir, "a.go"))
	collect(t, w, is("a.go", Remove))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	collect(t, w, is("sub", Create|IsDir))
	now := time.Now()
	os.WriteFile(filepath.Join(dir, "b"), nil, 0o644)
	collect(t, w, is("b", CloseWrite))
	os.Chtimes(filepath.Join(dir, "b"), now, now.Add(time.Hour)) // touch -m
	got = collect(t, w, is("b", Attrib))
	if e := got[len(got)-1]; e.Path() != filepath.Join(dir, "b") || e.Dir != dir {
		t.Errorf("event %v: path %q, dir %q", e, e.Path(), e.Dir)
	}
}

func TestQueuedEventsComeAsOneBatch(t *testing.T) {
	dir := t.TempDir()
	w := newWatcher(t, Options{}, dir)
	const n = 200
	for i := range n {
		os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), nil, 0o644)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	batch, err := w.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every file was written before the Read: all are queued.
	if !slices.ContainsFunc(batch, is(fmt.Sprint(n-1), CloseWrite)) {
		t.Fatalf("one Read returned %d events, not up to the last file's close_write", len(batch))
	}
}

func TestDeletedDirectoryEndsItsWatch(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "sub")
	os.Mkdir(dir, 0o755)
	w := newWatcher(t, Options{}, parent, dir)
	if w.Len() != 2 {
		t.Fatalf("Len = %d, want 2", w.Len())
	}
	os.Remove(dir)
	got := collect(t, w, func(e Event) bool { return e.Dir == dir && e.Op.Has(Gone) })
	if !slices.ContainsFunc(got, is("sub", Remove|IsDir)) {
		t.Errorf("the parent did not see the directory go: %v", got)
	}
	// IN_IGNORED may come in the next batch.
	for w.Len() != 1 {
		collect(t, w, func(e Event) bool { return e.Dir == dir && e.Op.Has(Gone) })
	}
	if err := w.Remove(dir); err != nil {
		t.Errorf("Remove of a watch the kernel ended: %v", err)
	}
}

func TestOverflowIsOneEvent(t *testing.T) {
	max, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		t.Skip(err)
	}
	var limit int
	fmt.Sscan(string(max), &limit)
	if limit > 1<<17 {
		t.Skipf("max_queued_events %d: too many files to overflow it", limit)
	}
	dir := t.TempDir()
	w := newWatcher(t, Options{}, dir)
	// Each file is at least two events (create, close_write); nobody reads.
	for i := range limit/2 + 100 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, w, func(e Event) bool { return e.Op == Overflow })
	if n := len(slices.DeleteFunc(got, func(e Event) bool { return e.Op != Overflow })); n != 1 {
		t.Errorf("%d overflow events, want 1", n)
	}
}

func TestReadReturnsWhenCancelled(t *testing.T) {
	w := newWatcher(t, Options{}, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := w.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %v, want the context's deadline", err)
	}
	// The cancellation of one Read must not end the next one early.
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitLimit)
	defer cancel2()
	dir := t.TempDir()
	w.Add(dir)
	go os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if _, err := w.Read(ctx2); err != nil {
		t.Fatalf("the Read after a cancelled one: %v", err)
	}
}

func TestCloseEndsRead(t *testing.T) {
	w := newWatcher(t, Options{}, t.TempDir())
	done := make(chan error)
	go func() {
		_, err := w.Read(context.Background())
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Read block; it also passes if it has not yet
	w.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close = %v, want ErrClosed", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Read still blocked after Close")
	}
	if err := w.Add(t.TempDir()); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v", err)
	}
}

func TestLimitsAreTyped(t *testing.T) {
	_, err := New(Options{Faults: &Faults{Init: syscall.EMFILE}})
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrLimit) || le.Sysctl() != "fs.inotify.max_user_instances" {
		t.Fatalf("New with EMFILE = %v", err)
	}
	dir := t.TempDir()
	w := newWatcher(t, Options{Faults: &Faults{Add: func(d string) error {
		if d == dir {
			return syscall.ENOSPC
		}
		return nil
	}}})
	err = w.Add(dir)
	if !errors.As(err, &le) || !errors.Is(err, syscall.ENOSPC) || le.Sysctl() != "fs.inotify.max_user_watches" {
		t.Fatalf("Add with ENOSPC = %v", err)
	}
	if err := w.Add(filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrLimit) {
		t.Errorf("Add of a missing directory = %v, want an error that is not a limit", err)
	}
	if w.Len() != 0 {
		t.Errorf("Len = %d after failed adds", w.Len())
	}
}

func TestInjectedOverflowReplacesTheBatch(t *testing.T) {
	dir := t.TempDir()
	w := newWatcher(t, Options{Faults: &Faults{Overflow: func(b []Event) bool {
		return slices.ContainsFunc(b, func(e Event) bool { return e.Name == "lost" })
	}}}, dir)
	os.WriteFile(filepath.Join(dir, "lost"), nil, 0o644)
	got := collect(t, w, func(e Event) bool { return e.Op == Overflow })
	if slices.ContainsFunc(got, func(e Event) bool { return e.Name == "lost" }) {
		t.Errorf("the event lost to the overflow was delivered: %v", got)
	}
}

func TestNoLeakOverCycles(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	for i := range 10 {
		os.Mkdir(filepath.Join(dir, fmt.Sprint(i)), 0o755)
	}
	before := testkit.OpenFDs(t, os.Getpid())
	for range 300 {
		w, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			w.Add(filepath.Join(dir, fmt.Sprint(i)))
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w.Read(ctx)
		w.Close()
	}
	if after := testkit.OpenFDs(t, os.Getpid()); after != before {
		t.Fatalf("%d descriptors open before 300 watchers, %d after", before, after)
	}
}
