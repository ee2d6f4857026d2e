package poller

import (
	"github.com/autoreload/autoreload/watchman/testkit"

	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A Lister gives every directory, file and symlink of a directory once,
// with its kind, through listings that fill the buffer many times over
// (the entry at a buffer's end was read as a whole unix.Dirent, past the
// buffer: a checkptr failure under -race), and none of "." and "..".
func TestListerListsEveryEntryOnce(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 3000 {
		name := fmt.Sprintf("file-with-a-longish-name-%04d.py", i)
		testkit.Write(t, filepath.Join(dir, name), "")
		want = append(want, name)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "link", "sub/")
	var got []string
	if err := NewLister().List(dir, func(name string, isDir bool) {
		name = strings.Clone(name) // a view of the buffer
		if isDir {
			name += "/"
		}
		got = append(got, name)
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listed %d entries, want %d (first %q...)", len(got), len(want), got[:min(3, len(got))])
	}
}
