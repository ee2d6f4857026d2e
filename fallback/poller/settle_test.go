package poller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
)

// TestPollerSettlesAWriteInProgress: a scan that catches a file half
// written delivers it once, in its final state, and the next scans are
// quiet: the second half of the write is not a second change.
func TestPollerSettlesAWriteInProgress(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.bin")
	testkit.Write(t, path, "old")
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{Interval: 10 * time.Millisecond, NoEvents: true})
	scanNow(t, p)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("first half, "); err != nil {
		t.Fatal(err)
	}
	// The writer goes on while the poller settles: the first look finds the
	// file still growing.
	looks := 0
	p.onSettle = func() {
		looks++
		if looks == 1 {
			if _, err := f.WriteString("second half"); err != nil {
				t.Error(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := p.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(len("first half, second half"))
	if len(b.Changes) != 1 || b.Changes[0].Path != path || b.Changes[0].Size != want {
		t.Fatalf("batch %+v, want %s once with size %d", b.Changes, path, want)
	}
	if looks < 2 {
		t.Fatalf("settled after %d looks; the file was still growing after the first", looks)
	}
	p.onSettle = nil
	expectQuiet(t, p, dir, 3)
}

// TestPollerSettleRecordsNestedAndFileRoots: the settled state is recorded
// for a file deep in a tree and for a watched file root alike.
func TestPollerSettleRecordsNestedAndFileRoots(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c.go")
	other := filepath.Join(t.TempDir(), "single.go")
	testkit.Write(t, deep, "1")
	testkit.Write(t, other, "1")
	p := newPoller(t, spec.Options{Watch: []string{dir, other}}, Options{Interval: 10 * time.Millisecond, NoEvents: true})
	scanNow(t, p)
	testkit.Write(t, deep, "22")
	testkit.Write(t, other, "22")
	looks := 0
	p.onSettle = func() {
		looks++
		if looks == 1 {
			testkit.Write(t, deep, "333")
			testkit.Write(t, other, "333")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := p.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 2 || b.Changes[0].Size != 3 || b.Changes[1].Size != 3 {
		t.Fatalf("batch %+v, want both files once with size 3", b.Changes)
	}
	p.onSettle = nil
	for i := range 3 {
		if b := scanNow(t, p); !b.Empty() {
			t.Fatalf("scan %d after the settle reported %+v", i+1, b.Changes)
		}
	}
}
