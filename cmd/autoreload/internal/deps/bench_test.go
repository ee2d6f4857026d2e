package deps

import (
	"fmt"
	"path/filepath"
	"testing"
)

// benchSet is a Go-like set: 500 package directories of 10 files each.
func benchSet(b *testing.B) (*Set, string) {
	dir := b.TempDir()
	var bd Builder
	for p := range 500 {
		pkg := filepath.Join(dir, fmt.Sprintf("pkg%d", p))
		bd.AddDir(pkg, buildExts...)
		for f := range 10 {
			bd.AddFile(filepath.Join(pkg, fmt.Sprintf("f%d.go", f)))
		}
	}
	return bd.Set(), dir
}

// BenchmarkContains judges one change in the set and one outside it (a
// checkout's unrelated file): the cost per change of --deps-from.
func BenchmarkContains(b *testing.B) {
	s, dir := benchSet(b)
	in, out := filepath.Join(dir, "pkg250", "new.go"), filepath.Join(dir, "other", "x.go")
	for b.Loop() {
		if !s.Contains(in) || s.Contains(out) {
			b.Fatal("wrong answer")
		}
	}
}

// BenchmarkUnion is the cost of taking a new answer.
func BenchmarkUnion(b *testing.B) {
	s, _ := benchSet(b)
	for b.Loop() {
		Union(s)
	}
}
