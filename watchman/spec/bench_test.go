package spec

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkSpecMatch measures the matcher as the poller uses it (one entry
// of a walk, by base name and directory) and as the Watchman backend does
// (an absolute path, ancestors checked), on a realistic spec: the default
// ignores, a few includes with braces and a path pattern, user ignores.
// "walk" asks entry by entry, "walkdir" through the directory's WalkDir.
func BenchmarkSpecMatch(b *testing.B) {
	dir := b.TempDir()
	spec, err := New(Options{
		Watch:    []string{dir},
		Patterns: []string{"*.{py,html,txt}", "src/**/*.go", "Makefile"},
		Ignores:  []string{"node_modules", "/build", "*.min.js"},
	})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("module_%03d%s", i, []string{".py", ".html", ".js", ".go", ".pyc", "~"}[i%6])
	}
	b.Run("walk", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			spec.walkSelectsEntry(dir, "src/app/views", names[i%len(names)])
		}
	})
	b.Run("walkdir", func(b *testing.B) {
		// As the poller asks: one matcher per directory.
		w := spec.WalkDir(dir, "src/app/views")
		for i := 0; b.Loop(); i++ {
			w.SelectsEntry(names[i%len(names)])
		}
	})
	b.Run("walk-simple", func(b *testing.B) {
		simple, _ := New(Options{Watch: []string{dir}, Patterns: []string{"*.py"}})
		for i := 0; b.Loop(); i++ {
			simple.walkSelectsEntry(dir, "src/app/views", names[i%len(names)])
		}
	})
	b.Run("absolute", func(b *testing.B) {
		paths := make([]string, len(names))
		for i, n := range names {
			paths[i] = filepath.Join(dir, "src", "app", "views", n)
		}
		for i := 0; b.Loop(); i++ {
			spec.Selects(paths[i%len(paths)])
		}
	})
}
