package spec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
)

func TestSpecSelects(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		opts Options
		yes  []string
		no   []string
	}{
		{"everything", Options{},
			[]string{"a.go", "x/y/z", ".env", "sub/.hidden", "with space", "new\nline", "é.py", "b{r}ace",
				"#include.h", "a#", "coverage/c.go", "4913.go", "a.swift", "a.py"},
			[]string{".git/config", "a/.hg/x", ".svn", "x/.git", "a.swp", "a.swx", "a~", ".#a", "4913", "d/.DS_Store",
				"__pycache__/m.pyc", "p/__pycache__/m.py", "m.pyc", ".watchman-cookie-h-1-2", "s/.watchman-cookie-x",
				"a.go.swo", ".a.go.swn", ".a.go.swpx", "#a.go#", "s/#a#", ".a.go.kate-swp", "a.go___jb_tmp___", "a.go___jb_old___",
				".goutputstream-ABC123", ".~lock.a.odt#", "m.pyo", ".sass-cache/x", "s/.nyc_output/o.json",
				".bzr/branch", "_darcs/p", "s/.pijul/x"}},
		{"no default ignores", Options{NoDefaultIgnores: true},
			[]string{"a.swp", "__pycache__/m.pyc", "4913", "a~", "#a#", "a___jb_tmp___", ".~lock.a#", ".bzr/x"},
			[]string{".git/HEAD", ".watchman-cookie-h-1-2"}},
		{"basename glob", Options{Patterns: []string{"*.go"}},
			[]string{"a.go", "x/y/b.go", ".go", "x/.a.go"},
			[]string{"a.py", "go", "a.go/x"}},
		{"extensions", Options{Exts: []string{"py", ".html"}},
			[]string{"a.py", "t/i.html"},
			[]string{"a.pyc", "a.PY", "py"}},
		{"anchored", Options{Patterns: []string{"src/*.go", "/Makefile"}},
			[]string{"src/a.go", "Makefile", "src/.a.go"},
			[]string{"a.go", "x/src/a.go", "src/x/a.go", "x/Makefile"}},
		{"doublestar", Options{Patterns: []string{"src/**/*.go", "cfg/**"}},
			[]string{"src/a.go", "src/x/y/a.go", "cfg/a", "cfg/x/y"},
			[]string{"a.go", "x/src/a.go", "cfg"}},
		{"braces", Options{Patterns: []string{"*.{go,mod}", "{a,b/c}.txt", "{x,{y,z}}1"}},
			[]string{"a.go", "d/go.mod", "a.txt", "q/a.txt", "b/c.txt", "x1", "y1", "d/z1"},
			[]string{"a.sum", "b.txt", "q/b/c.txt", "{x,{y,z}}1"}},
		{"literal braces", Options{Patterns: []string{"b{r", "c}d", `e\{f,g}`}},
			[]string{"b{r", "c}d", "e{f,g}"},
			[]string{"br", "e", "f"}},
		{"byte-wise ?", Options{Patterns: []string{"?.py", "??.rb"}},
			[]string{"a.py", "é.rb", "\xff.py"},
			[]string{"é.py", "ab.py"}},
		{"ignores", Options{Ignores: []string{"node_modules", "/build", "gen/", "*.log", "docs/*.md"}},
			[]string{"a/build/x", "x.md", "a/docs/x.md", "gen"},
			[]string{"node_modules/a.js", "a/node_modules/b/c.js", "node_modules", "build/x", "build",
				"gen/x", "a/gen/x", "a.log", "x/a.log", "docs/a.md"}},
		{"include directories", Options{Patterns: []string{"templates/", "/static/"}},
			[]string{"templates/a", "x/templates/y/z", "static/s.css"},
			[]string{"templates", "a/static/s.css", "a"}},
		{"ignore beats include", Options{Patterns: []string{"*.go"}, Ignores: []string{"vendor/", "*_test.go"}},
			[]string{"a.go"},
			[]string{"vendor/a.go", "a_test.go", "x/vendor/y/a.go"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Watch = []string{dir}
			s := newSpec(t, c.opts)
			for _, rel := range c.yes {
				if !s.Selects(filepath.Join(dir, rel)) {
					t.Errorf("Selects(%q) = false, want true", rel)
				}
			}
			for _, rel := range c.no {
				if s.Selects(filepath.Join(dir, rel)) {
					t.Errorf("Selects(%q) = true, want false", rel)
				}
			}
		})
	}
}

func TestSpecSkipDir(t *testing.T) {
	dir := t.TempDir()
	s := newSpec(t, Options{Watch: []string{dir}, Ignores: []string{"/build", "node_modules", "*.log"}})
	for rel, want := range map[string]bool{
		".git": true, "a/.hg": true, "__pycache__": true, "x/__pycache__": true,
		"build": true, "build/sub": true, "a/build": false, "node_modules": true, "a/b/node_modules": true,
		"x.log": true, "src": false, "": false,
	} {
		if got := s.skipDir(filepath.Join(dir, rel)); got != want {
			t.Errorf("SkipDir(%q) = %v, want %v", rel, got, want)
		}
	}
	if s.skipDir("/elsewhere/.git") {
		t.Errorf("SkipDir outside the roots = true")
	}
	if !s.walkSkipDir(dir, "a/b/node_modules") || s.walkSkipDir(dir, "a/build") {
		t.Errorf("walkSkipDir disagrees with SkipDir")
	}
}

func TestSpecWatchmanConfig(t *testing.T) {
	project := t.TempDir()
	testkit.Write(t, filepath.Join(project, ".watchmanconfig"), `{"ignore_dirs": ["build", "src/gen", "elsewhere/x"]}`)
	os.MkdirAll(filepath.Join(project, "src", "gen"), 0o755)

	s := newSpec(t, Options{Watch: []string{project}})
	for rel, want := range map[string]bool{"build/a": false, "src/build/a": true, "src/gen/a": false, "src/a": true} {
		if got := s.Selects(filepath.Join(project, rel)); got != want {
			t.Errorf("root %s: Selects(%q) = %v, want %v", project, rel, got, want)
		}
	}
	// A root below the project root gets the ignore_dirs below it,
	// relative to itself.
	sub := filepath.Join(project, "src")
	s = newSpec(t, Options{Watch: []string{sub}})
	if s.Selects(filepath.Join(sub, "gen", "a")) || !s.Selects(filepath.Join(sub, "build", "a")) {
		t.Errorf("root %s: ignore_dirs not applied relative to the project root", sub)
	}
	if !s.skipDir(filepath.Join(sub, "gen")) {
		t.Errorf("root %s: SkipDir(gen) = false", sub)
	}

	testkit.Write(t, filepath.Join(project, ".watchmanconfig"), `{"ignore_dirs": [`)
	if _, err := New(Options{Watch: []string{project}}); err == nil {
		t.Errorf("New with a broken .watchmanconfig: no error")
	}
}

func TestSpecRoots(t *testing.T) {
	dir := t.TempDir()
	testkit.Write(t, filepath.Join(dir, "Makefile"), "")
	os.MkdirAll(filepath.Join(dir, "src", "app"), 0o755)
	s := newSpec(t, Options{
		Watch:    []string{filepath.Join(dir, "src", "app"), dir, filepath.Join(dir, "src"), filepath.Join(dir, "Makefile"), dir + "/Makefile"},
		Patterns: []string{"*.go"},
	})
	want := []string{dir, filepath.Join(dir, "Makefile")}
	if got := s.Roots(); !slices.Equal(got, want) {
		t.Fatalf("Roots() = %q, want %q", got, want)
	}
	if !s.IsFileRoot(want[1]) || s.IsFileRoot(want[0]) {
		t.Errorf("IsFileRoot wrong")
	}
	if !s.Selects(filepath.Join(dir, "Makefile")) {
		t.Errorf("a watched file is not selected by a spec whose patterns exclude it")
	}
	if _, err := New(Options{Watch: []string{filepath.Join(dir, "missing")}}); err == nil {
		t.Errorf("New with a missing root: no error")
	}
}

func TestSpecBadPatterns(t *testing.T) {
	for _, p := range []string{"", "[", "a\\", "[[:alpha:]]", "\xff", "/", "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}"} {
		_, err := New(Options{Watch: []string{t.TempDir()}, Patterns: []string{p}})
		if !errors.Is(err, ErrBadPattern) {
			t.Errorf("pattern %q: err = %v, want ErrBadPattern", p, err)
		}
	}
	if _, err := New(Options{Watch: []string{t.TempDir()}, Exts: []string{"*"}}); !errors.Is(err, ErrBadPattern) {
		t.Errorf("extension *: err = %v, want ErrBadPattern", err)
	}
}
