package poller

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// trickyTree is a project whose names and layout stress the two backends'
// agreement: spaces, newlines, braces, glob characters, dotfiles, non-ASCII
// names, ignores at several depths, a .watchmanconfig's ignore_dirs, and
// symlinks (to files, to directories, dangling, looping), and names that
// are not UTF-8 (the query speaks BSER, as the Watchman backend does).
func trickyTree(t *testing.T) string {
	t.Helper()
	project, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testkit.Write(t, filepath.Join(project, ".watchmanconfig"), `{"ignore_dirs": ["build", "src/gen"]}`)
	var files []string
	for _, dir := range []string{"", "src/", "src/app/", "src/dir with space/", "src/.hidden/", "src/{b,r}/", "src/new\nline/", "docs/", "src/a.b/"} {
		for _, name := range []string{
			"main.go", "util.py", "a.txt", "README.md", "x.log", ".env", ".bashrc", "with space.go", "new\nline.py",
			"{brace}.go", "b{r}.txt", "star*.go", "q?.py", "[x].go", "é.go", "日本.txt", "ab.go", "a.go",
			"Makefile", "file~", ".#lock.go", "a.swp", "4913", ".DS_Store", "m.pyc", "noext", ".watchman-cookie-h-1-2",
			"a_test.go", "x.min.js", "bad\xff\xfe.go", "caf\xe9.py", "\xff.txt",
			"#auto#", ".a.go.swo", "a.go___jb_old___", ".~lock.x.odt#", "m.pyo", "#include.h",
		} {
			files = append(files, dir+name)
		}
	}
	files = append(files,
		"build/out.go", "src/build/kept.go", "src/gen/skipped.go", "gen/kept.go", "src/x/gen/dir.go",
		"node_modules/a/index.js", "src/node_modules/b.go", ".git/HEAD", ".git/objects/x.go", "src/.hg/store.go",
		"__pycache__/m.py", "src/app/__pycache__/m.go", ".svn/entries", "vendor/v.go", "src/vendor/w/v.go",
		"deep/a/b/c/d/e/f.go", "templates/base.html", "src/templates/x/y.html",
		"src/dir-\xe9t\xe9/x.go", "src/dir-\xe9t\xe9/y\xff.py",
	)
	for _, f := range files {
		testkit.Write(t, filepath.Join(project, f), f)
	}
	for link, target := range map[string]string{
		"link.go": "main.go", "src/dirlink": "app", "dangling.py": "missing", "self": "self",
		"loop1": "loop2", "loop2": "loop1", "src/app/up": "..", "node_modules/l.go": "x",
	} {
		if err := os.Symlink(target, filepath.Join(project, link)); err != nil {
			t.Fatal(err)
		}
	}
	return project
}

// TestPollerSelectsWhatWatchmanSelects checks, against a real Watchman
// daemon, that for each spec a query with the spec's Expression returns
// exactly the files the poller tracks.
func TestPollerSelectsWhatWatchmanSelects(t *testing.T) {
	project := trickyTree(t)
	d := watchmantest.Start(t)
	src := filepath.Join(project, "src")

	specs := []struct {
		name string
		opts spec.Options
	}{
		{"everything", spec.Options{Watch: []string{project}}},
		{"no default ignores", spec.Options{Watch: []string{project}, NoDefaultIgnores: true}},
		{"patterns", spec.Options{Watch: []string{project},
			Patterns: []string{"*.{go,py}", ".*rc", "?.go", "src/**/*.txt", "/Makefile", "templates/", `\{brace}.go`, "[x].go", "*\n*"},
			Exts:     []string{"md"}}},
		{"ignores", spec.Options{Watch: []string{project},
			Ignores: []string{"node_modules", "/gen", "vendor/", "*.log", "docs/*.md", "*_test.go", "{a,b}.txt", "src/dir with space"}}},
		{"dotfiles and stars", spec.Options{Watch: []string{project}, Patterns: []string{"*", ".*"}, Ignores: []string{"*.*.*"}}},
		{"root below the project", spec.Options{Watch: []string{src}, Patterns: []string{"**/*.go", "app/*"}}},
		{"file roots", spec.Options{Watch: []string{src, filepath.Join(src, "a.txt"), filepath.Join(project, "docs", "README.md")},
			Patterns: []string{"*.py"}}},
	}
	for _, sc := range specs {
		t.Run(sc.name, func(t *testing.T) {
			spec, err := spec.New(sc.opts)
			if err != nil {
				t.Fatal(err)
			}
			p := New(spec, Options{})
			defer p.Close()
			scanNow(t, p)
			polled := p.trackedPaths()

			var queried []string
			for _, root := range spec.Roots() {
				queried = append(queried, watchmanQuery(t, d, spec, root)...)
			}
			slices.Sort(queried)
			queried = slices.Compact(queried)
			if len(polled) < 5 {
				t.Fatalf("the poller selected only %q: the spec tests too little", polled)
			}
			if !slices.Equal(polled, queried) {
				t.Errorf("the poller and Watchman disagree (%d vs %d files)\nonly the poller: %q\nonly Watchman:  %q",
					len(polled), len(queried), minus(polled, queried), minus(queried, polled))
			}
		})
	}
}

// watchmanQuery returns the absolute paths Watchman selects for root with
// the spec's expression, queried as the Watchman backend does: on the
// project's watch, relative to root.
func watchmanQuery(t *testing.T, d *watchmantest.Daemon, spec *spec.Spec, root string) []string {
	t.Helper()
	dir, expr := root, spec.Expression(root)
	if spec.IsFileRoot(root) {
		dir = filepath.Dir(root)
	}
	w := d.MustCommandBSER("watch-project", dir)
	watch, _ := w["watch"].(string)
	q := map[string]any{"expression": expr, "fields": []string{"name"}}
	if rel, _ := w["relative_path"].(string); rel != "" {
		q["relative_root"] = rel
	}
	r := d.MustCommandBSER("query", watch, q)
	files, _ := r["files"].([]any)
	var paths []string
	for _, f := range files {
		name, ok := f.(string)
		if !ok {
			t.Fatalf("query returned a file that is not a name: %#v", f)
		}
		paths = append(paths, filepath.Join(dir, name))
	}
	return paths
}

// trackedPaths returns every file the poller keeps a record of, sorted.
func (p *Poller) trackedPaths() []string {
	var paths []string
	var walk func(d *dirState, path string)
	walk = func(d *dirState, path string) {
		for i := range d.files {
			paths = append(paths, joinPath(path, d.fileName(&d.files[i])))
		}
		for _, c := range d.dirs {
			walk(c, joinPath(path, c.name))
		}
	}
	for i, d := range p.roots {
		walk(d, p.rootPaths[i])
	}
	for _, f := range p.fileRoots {
		if f.exists {
			paths = append(paths, f.path)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, strings.ReplaceAll(s, "\n", `\n`))
		}
	}
	return out
}
