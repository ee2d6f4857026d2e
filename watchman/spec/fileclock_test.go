package spec

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestStartBaselineSeparatesWritesBeforeAndAfter: a file written just
// before the baseline is taken is stamped before it, one written just
// after is stamped at or after it, every time: the coarse clock alone gets
// the first wrong about half the time.
func TestStartBaselineSeparatesWritesBeforeAndAfter(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the probe needs O_TMPFILE")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "root.go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Watch: []string{dir, filepath.Join(dir, "root.go")}})
	if err != nil {
		t.Fatal(err)
	}
	stamp := func(path string) time.Time {
		t.Helper()
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	for i := range 200 {
		before := stamp(filepath.Join(dir, "before.go"))
		base := s.StartBaseline()
		after := stamp(filepath.Join(dir, "after.go"))
		if !before.Before(base) || after.Before(base) {
			t.Fatalf("try %d: written before at %v, baseline %v, written after at %v", i,
				before.Format(time.RFC3339Nano), base.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
		}
	}
}

// TestStartBaselineWithoutAProbe: a root where no unnamed file can be made
// (a read-only or pseudo filesystem) takes the coarse file clock.
func TestStartBaselineWithoutAProbe(t *testing.T) {
	s, err := New(Options{Watch: []string{"/proc/self"}})
	if err != nil {
		t.Skip(err)
	}
	lo := FileTime()
	base := s.StartBaseline()
	if base.Before(lo) || base.After(FileTime()) {
		t.Errorf("baseline %v, want a FileTime reading from the call", base)
	}
}
