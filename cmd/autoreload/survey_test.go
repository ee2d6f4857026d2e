package main

import (
	"github.com/autoreload/autoreload/watchman/testkit"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
)

// countTree, which lists directories the poller's way, counts what
// walkSelected (the walk --list prints) walks: every ignore kind of
// listTree, a symlink, a directory root and a file root, and stops at
// maxCounted files with more set.
func TestCountTreeIsWhatListWalks(t *testing.T) {
	t.Parallel()
	dir, _ := listTree(t)
	if err := os.Symlink("main.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	testkit.Write(t, filepath.Join(other, "solo.go"), "x")
	for _, watch := range [][]string{{dir}, {dir, filepath.Join(other, "solo.go")}} {
		s, err := spec.New(spec.Options{Watch: watch, Exts: []string{"go", "md"}, Ignores: []string{"vendor", "pkg/gen/g.go", "*_test.go"}})
		if err != nil {
			t.Fatal(err)
		}
		var want treeCount
		walkSelected(context.Background(), s, func(_ string, isDir bool) bool {
			if isDir {
				want.dirs++
			} else {
				want.files++
			}
			return true
		})
		if got := countTree(s); got != want || got.files < 6 {
			t.Errorf("watching %q: countTree %+v, walkSelected %+v", watch, got, want)
		}
	}

	big := t.TempDir()
	for d := range 3 {
		sub := filepath.Join(big, fmt.Sprintf("d%d", d))
		os.Mkdir(sub, 0o755)
		for f := range maxCounted / 2 {
			testkit.Write(t, filepath.Join(sub, fmt.Sprintf("f%d.go", f)), "")
		}
	}
	s, err := spec.New(spec.Options{Watch: []string{big}})
	if err != nil {
		t.Fatal(err)
	}
	if got := countTree(s); got.files != maxCounted || !got.more || got.dirs < 2 {
		t.Errorf("a tree of %d files counted as %+v, want %d files and more", 3*maxCounted/2, got, maxCounted)
	}
}
