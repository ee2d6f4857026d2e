package poller

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// The reader's lstat passes a listed name to the kernel in place; any
// other string, or a view of the buffer that is not a whole name, must be
// copied, or the kernel would read past it.
func TestDirReaderStatsListedNamesInPlace(t *testing.T) {
	dir := t.TempDir()
	names := []string{"a.py", "ab.py", "with space", "new\nline", "\xff\xfe.py"}
	for i, n := range names {
		testkit.Write(t, filepath.Join(dir, n), strings.Repeat("x", i+1))
	}
	fd, _, err := openDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	r := newDirReader()
	listed := 0
	err = r.list(fd, func(name string, _ entryType) {
		listed++
		want, err := statAt(fd, name)
		if err != nil {
			t.Fatalf("lstat %q: %v", name, err)
		}
		for _, s := range []string{name, strings.Clone(name)} {
			if got, err := r.statAt(fd, s); err != nil || got != want {
				t.Errorf("reader lstat %q = %+v, %v; want %+v", s, got, err, want)
			}
		}
		if name == "ab.py" {
			// "ab.p" is a view of the buffer with no NUL after it.
			if _, err := r.statAt(fd, name[:len(name)-1]); err == nil {
				t.Errorf("reader lstat of the prefix %q found a file", name[:len(name)-1])
			}
		}
	})
	if err != nil || listed != len(names) {
		t.Fatalf("listed %d of %d names: %v", listed, len(names), err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "ab.p")); err == nil {
		t.Fatal("the tree has ab.p")
	}
}
