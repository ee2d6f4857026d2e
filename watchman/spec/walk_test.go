package spec

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestWalkViewsAgree: a walk's three ways of asking (WalkDir, the
// one-entry walkSelectsEntry/walkSkipDir, and Selects/SkipDir on the
// absolute path) give the same answers, with nested ignore files, anchored
// and directory patterns, and with the default ignores off (then no
// pattern looks past the base name, and a nested entry must still be
// judged by its own directory's ignore files).
func TestWalkViewsAgree(t *testing.T) {
	dir := watchmantest.GitRepo(t, "*.secret\n", map[string]string{
		".gitignore":        "/top.log\nbuild/\n",
		"sub/.gitignore":    "x.log\n/only_here\n",
		"sub/deep/.ignore":  "!x.log\n",
		".git/info/exclude": "/sub/excluded\n",
	})
	rels := []string{
		"a.go", "top.log", "x.log", "only_here", "a.secret", "build", "excluded",
		"sub/a.go", "sub/top.log", "sub/x.log", "sub/only_here", "sub/build", "sub/excluded", "sub/a.secret",
		"sub/deep/x.log", "sub/deep/only_here", "sub/deep/a.pyc", "src/m.go", "src/x/__pycache__", "src/x/m.py",
	}
	for _, opts := range []Options{
		{Watch: []string{dir}},
		{Watch: []string{dir}, NoDefaultIgnores: true},
		{Watch: []string{dir}, Patterns: []string{"src/**/*.go", "*.log", "only_here", "deep/"}},
		{Watch: []string{dir}, Ignores: []string{"/sub/a.go", "deep"}, NoDefaultIgnores: true},
	} {
		spec := newSpec(t, opts)
		for _, rel := range rels {
			dirRel, name := "", rel
			if i := strings.LastIndexByte(rel, '/'); i >= 0 {
				dirRel, name = rel[:i], rel[i+1:]
			}
			abs := filepath.Join(dir, filepath.FromSlash(rel))
			w := spec.WalkDir(dir, dirRel)
			if got, want := w.SelectsEntry(name), spec.walkSelects(dir, rel); got != want {
				t.Errorf("%+v: WalkDir(%q).SelectsEntry(%q) = %v, walkSelects = %v", opts, dirRel, name, got, want)
			}
			if got, want := spec.walkSelectsEntry(dir, dirRel, name), spec.walkSelects(dir, rel); got != want {
				t.Errorf("%+v: walkSelectsEntry(%q, %q) = %v, walkSelects = %v", opts, dirRel, name, got, want)
			}
			if got, want := w.SkipsDir(name), spec.walkSkipDir(dir, rel); got != want {
				t.Errorf("%+v: WalkDir(%q).SkipsDir(%q) = %v, walkSkipDir = %v", opts, dirRel, name, got, want)
			}
			if !spec.skipDir(filepath.Dir(abs)) {
				if got, want := spec.walkSelects(dir, rel), spec.Selects(abs); got != want {
					t.Errorf("%+v: walkSelects(%q) = %v, Selects = %v", opts, rel, got, want)
				}
			}
		}
	}
}
