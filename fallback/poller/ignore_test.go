package poller

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// isolateGit keeps the user's git configuration out of the test, with
// global as the global excludes file.
func isolateGit(t *testing.T, global string) {
	t.Helper()
	watchmantest.GitRepo(t, global, nil)
}

// gitRepo makes a repository with nothing committed, holding files.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	return watchmantest.GitRepo(t, "", files)
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// gitUntracked is what git says is not ignored: with nothing committed,
// the files that ignore patterns leave, as absolute paths.
func gitUntracked(t *testing.T, dir string) []string {
	t.Helper()
	out := git(t, dir, "ls-files", "-z", "--others", "--exclude-standard")
	var paths []string
	for p := range strings.SplitSeq(out, "\x00") {
		if p != "" {
			paths = append(paths, filepath.Join(dir, p))
		}
	}
	slices.Sort(paths)
	return paths
}

// ignoreRepos are repositories whose ignore files use negation, anchoring,
// directory-only patterns and "**", at several depths.
var ignoreRepos = []struct {
	name   string
	global string
	files  map[string]string
}{
	{"nested with negations", "*.swo\nglobal-only/\n", map[string]string{
		".gitignore": "*.log\n!keep.log\n/build/\nnode_modules/\ndocs/*.md\n!docs/README.md\nfoo/**\n" +
			"a/**/b/c\n[!a].txt\n\\#hash\ntrailing   \n*.tmp\n# a comment\n\n\\!bang\nsrc/**.js\n",
		".git/info/exclude":  "local.cfg\n",
		"src/.gitignore":     "!important.log\n/gen/\n*.o\n!keep.o\nsub/deep/\n",
		"src/sub/.gitignore": "!*.tmp\n/only-here\n*.log\n",
		"main.go":            "", "x.log": "", "keep.log": "", "a.txt": "", "b.txt": "", "#hash": "", "trailing": "",
		"!bang": "", "local.cfg": "", "x.swo": "", "y.tmp": "",
		"build/out": "", "src/build/kept.go": "", "node_modules/m/i.js": "", "src/node_modules/x.js": "",
		"docs/a.md": "", "docs/README.md": "", "docs/sub/b.md": "", "d2/foo": "", "d/foo/x": "", "foo/y": "",
		"a/b/x/b/c": "", "a/b/c": "", "a/c": "", "global-only/g": "",
		"src/important.log": "", "src/x.log": "", "src/gen/g.go": "", "src/x/gen/g.go": "", "src/a.o": "",
		"src/keep.o": "", "src/a.js": "", "src/q/a.js": "", "src/sub/deep/z": "", "src/sub/deep2/z": "",
		"src/sub/t.tmp": "", "src/sub/only-here": "", "src/sub/x/only-here": "", "src/sub/important.log": "",
		"src/sub/keep.log": "", "src/main.go": "", "src/sub/s.go": "",
	}},
	{"ignore everything but", "", map[string]string{
		".gitignore": "/*\n!/src/\n!/go.mod\n!.gitignore\n",
		"go.mod":     "", "README.md": "", "src/a.go": "", "src/.gitignore": "*\n!*.go\n!*/\n",
		"src/b.txt": "", "src/d/c.go": "", "src/d/c.txt": "", "other/x.go": "",
	}},
	{"directory-only and negated directories", "", map[string]string{
		".gitignore": "cache/\n!cache/keep/\nlogs\n!logs/\n*.out\n!special/\n",
		"cache/a":    "", "cache/keep/b": "", "x/cache/c": "", "logs/l": "", "x/logs": "",
		"special/p.out": "", "q.out": "", "a.go": "", "special/s.go": "", "x/y.go": "",
	}},
}

func TestIgnoreFilesMatchGit(t *testing.T) {
	d := watchmantest.Start(t)
	for _, r := range ignoreRepos {
		t.Run(r.name, func(t *testing.T) {
			dir := watchmantest.GitRepo(t, r.global, r.files)

			plain, err := spec.New(spec.Options{Watch: []string{dir}, NoIgnoreFiles: true})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, p := range gitUntracked(t, dir) {
				if plain.Selects(p) {
					want = append(want, p)
				}
			}

			spec, err := spec.New(spec.Options{Watch: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			p := New(spec, Options{})
			defer p.Close()
			scanNow(t, p)
			compare(t, "poller", p.trackedPaths(), want)

			var queried []string
			for _, q := range watchmanQuery(t, d, spec, dir) {
				if spec.Selects(q) {
					queried = append(queried, q)
				}
			}
			slices.Sort(queried)
			compare(t, "Watchman", queried, want)
		})
	}
}

func compare(t *testing.T, who string, got, want []string) {
	t.Helper()
	if len(want) < 3 {
		t.Fatalf("git leaves only %q: the repository tests too little", want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s and git disagree (%d vs %d files)\nonly %s: %q\nonly git: %q",
			who, len(got), len(want), who, minus(got, want), minus(want, got))
	}
}

// TestPollerIgnoredWritesAreQuiet: writing, creating and deleting ignored
// files never yields a change, and the poller never lstats them.
func TestPollerIgnoredWritesAreQuiet(t *testing.T) {
	dir := watchmantest.GitRepo(t, "*.swo\n", map[string]string{
		".gitignore": "/bin/\n*.log\nnode_modules/\n", "main.go": "", "bin/app": "", "node_modules/m/i.js": "",
		"x.log": "", ".git/info/exclude": "local.cfg\n",
	})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	var statted []string
	p.workers = 1 // onStat appends without a lock
	p.onStat = func(d, name string) { statted = append(statted, filepath.Join(d, name)) }
	scanNow(t, p)
	for i := range 3 {
		tree(t, dir, map[string]string{
			"bin/app": strings.Repeat("x", i+1), "bin/new": "", "y.log": "", "node_modules/m/i.js": "x",
			"sub/z.log": "", "local.cfg": "", "a.swo": "",
		})
		if b := scanNow(t, p); !b.Empty() {
			t.Fatalf("writing ignored files reported %v", changes(dir, b))
		}
	}
	for _, s := range statted {
		if strings.Contains(s, "/bin/") || strings.Contains(s, "node_modules") {
			t.Fatalf("the poller lstat'ed %s inside an ignored directory", s)
		}
	}
	testkit.Write(t, filepath.Join(dir, "main.go"), "changed")
	expect(t, dir, scanNow(t, p), map[string]bool{"main.go": true})
}

// TestPollerReloadsIgnoreFiles: an ignore file that changes changes the
// rules at once, reports nothing by itself unless the spec selects it, and
// a file created together with the change is not lost.
func TestPollerReloadsIgnoreFiles(t *testing.T) {
	dir := gitRepo(t, map[string]string{
		".gitignore": "/build/\n", "main.go": "", "build/out.go": "", "gen/g.go": "", "src/s.go": "",
	})
	backdate(t, filepath.Join(dir, "build", "out.go"))
	// Its ctime is now: the scan before the rule change must start
	// clearly later, as it would for a file written long before.
	watchmantest.AgeFiles(t, spec.FileTime)
	p := newPoller(t, spec.Options{Watch: []string{dir}, Patterns: []string{"*.go"}}, Options{})
	scanNow(t, p)
	if n := p.tracked(); n != 3 {
		t.Fatalf("tracked %d files, want 3 (build/ ignored)", n)
	}

	// Un-ignore build/, ignore gen/: nothing to report.
	testkit.Write(t, filepath.Join(dir, ".gitignore"), "/gen/\n")
	expectQuiet(t, p, dir, 2)
	if got := p.trackedPaths(); !slices.Equal(got, []string{filepath.Join(dir, "build/out.go"), filepath.Join(dir, "main.go"), filepath.Join(dir, "src/s.go")}) {
		t.Fatalf("after the reload the poller tracks %q", got)
	}
	testkit.Write(t, filepath.Join(dir, "gen", "g.go"), "ignored now")
	testkit.Write(t, filepath.Join(dir, "build", "out.go"), "watched now")
	expect(t, dir, scanNow(t, p), map[string]bool{"build/out.go": true})

	// A nested .gitignore appearing, and a file created with it.
	testkit.Write(t, filepath.Join(dir, "src", ".gitignore"), "s.go\n")
	testkit.Write(t, filepath.Join(dir, "src", "new.go"), "")
	expect(t, dir, scanNow(t, p), map[string]bool{"src/new.go": true})
	testkit.Write(t, filepath.Join(dir, "src", "s.go"), "ignored now")
	expectQuiet(t, p, dir, 1)

	// info/exclude changes the rules of every directory.
	testkit.Write(t, filepath.Join(dir, ".git", "info", "exclude"), "main.go\n")
	expectQuiet(t, p, dir, 1)
	testkit.Write(t, filepath.Join(dir, "main.go"), "ignored now")
	expectQuiet(t, p, dir, 1)

	// With a spec that selects it, the ignore file is a change itself.
	p2 := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p2)
	testkit.Write(t, filepath.Join(dir, ".gitignore"), "/gen/\n/build/\n")
	expect(t, dir, scanNow(t, p2), map[string]bool{".gitignore": true})
}

// backdate sets a file's times an hour back, as for a file written long
// before a rule change (its ctime moves to now: call it before the scan
// that precedes the change).
func backdate(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestPollerOutsideGit: outside a repository .gitignore means nothing, and
// .ignore files still apply.
func TestPollerOutsideGit(t *testing.T) {
	isolateGit(t, "*.go\n")
	dir := t.TempDir()
	tree(t, dir, map[string]string{".gitignore": "*.txt\n", "a.txt": "", "b.go": "", ".ignore": "*.md\n", "c.md": ""})
	p := newPoller(t, spec.Options{Watch: []string{dir}}, Options{})
	scanNow(t, p)
	want := []string{filepath.Join(dir, ".gitignore"), filepath.Join(dir, ".ignore"), filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.go")}
	if got := p.trackedPaths(); !slices.Equal(got, want) {
		t.Fatalf("tracked %q, want %q", got, want)
	}
}
