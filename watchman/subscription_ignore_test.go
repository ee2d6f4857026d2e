package watchman

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

func gitProject(t *testing.T, files map[string]string) string {
	t.Helper()
	return watchmantest.GitRepo(t, "", files)
}

// batchPaths returns the paths of b relative to dir, sorted.
func batchPaths(dir string, b spec.Batch) []string {
	var rel []string
	for _, c := range b.Changes {
		r, _ := filepath.Rel(dir, c.Path)
		rel = append(rel, r)
	}
	slices.Sort(rel)
	return rel
}

// TestSubscriptionIgnoredWritesAreQuiet: writes to files that ignore files
// exclude (in a directory the daemon is told to leave out, and by a
// wildcard the client filters) never yield a batch.
func TestSubscriptionIgnoredWritesAreQuiet(t *testing.T) {
	dir := gitProject(t, map[string]string{
		".gitignore": "/bin/\n*.log\nsrc/**/gen/\n", "main.go": "", "bin/app": "", "src/a/gen/g.go": "",
	})
	spec := newSpec(t, spec.Options{Watch: []string{dir}})
	if expr := spec.Expression(dir); !containsTerm(expr, []any{"dirname", "bin"}) {
		t.Fatalf("the expression leaves the ignored bin/ to the client: %v", expr)
	}
	d := watchmantest.Start(t)
	s := subscribe(t, d, spec, Options{})
	for range 3 {
		for _, f := range []string{"bin/app", "bin/new", "x.log", "src/y.log", "src/a/gen/g.go", "src/b/c/gen/h.go"} {
			testkit.Write(t, filepath.Join(dir, f), "x")
		}
	}
	testkit.Write(t, filepath.Join(dir, "main.go"), "changed")
	if got := batchPaths(dir, next(t, s)); !slices.Equal(got, []string{"main.go"}) {
		t.Fatalf("batch %q, want only main.go", got)
	}
}

// TestSubscriptionReloadsIgnoreFiles: an ignore file that changes is no
// change by itself unless the spec selects it, and a directory it stops
// ignoring, left out by the daemon until then, is watched at once.
func TestSubscriptionReloadsIgnoreFiles(t *testing.T) {
	dir := gitProject(t, map[string]string{".gitignore": "/build/\n", "main.go": "", "build/out.go": "", "gen/g.go": ""})
	sp := newSpec(t, spec.Options{Watch: []string{dir}, Patterns: []string{"*.go"}})
	d := watchmantest.Start(t)
	s := subscribe(t, d, sp, Options{})

	// No wait between the rule change and the write below the directory:
	// the re-subscription must cover it whatever the timing.
	testkit.Write(t, filepath.Join(dir, ".gitignore"), "/gen/\n")
	testkit.Write(t, filepath.Join(dir, "build", "out.go"), "watched now")
	if got, _ := collect(t, s, filepath.Join(dir, "build", "out.go")); len(got) != 1 {
		t.Fatalf("got %v, want only build/out.go", got)
	}
	testkit.Write(t, filepath.Join(dir, "gen", "g.go"), "ignored now")
	testkit.Write(t, filepath.Join(dir, "main.go"), "changed")
	if got := batchPaths(dir, next(t, s)); !slices.Equal(got, []string{"main.go"}) {
		t.Fatalf("batch %q, want only main.go", got)
	}

	// A spec that selects the ignore file reports it.
	s2 := subscribe(t, d, newSpec(t, spec.Options{Watch: []string{dir}}), Options{})
	testkit.Write(t, filepath.Join(dir, ".gitignore"), "/gen/\n/build/\n")
	if got := batchPaths(dir, next(t, s2)); !slices.Equal(got, []string{".gitignore"}) {
		t.Fatalf("batch %q, want only .gitignore", got)
	}
}

func containsTerm(expr []any, term []any) bool {
	for _, e := range expr {
		sub, ok := e.([]any)
		if !ok {
			continue
		}
		if slices.EqualFunc(sub, term, func(a, b any) bool { return a == b }) || containsTerm(sub, term) {
			return true
		}
	}
	return false
}
