package fallback

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// isolateGit keeps the user's git configuration and global excludes out of
// the test, and gives it a global excludes file of its own (the default
// place, $XDG_CONFIG_HOME/git/ignore) holding global.
func isolateGit(t *testing.T, global string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
	if global != "" {
		write(t, filepath.Join(home, ".config", "git", "ignore"), global)
	}
}

// gitRepo makes a repository with nothing committed, holding files.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q")
	tree(t, dir, files)
	return dir
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
			isolateGit(t, r.global)
			dir := gitRepo(t, r.files)

			plain, err := watchman.NewSpec(watchman.SpecOptions{Watch: []string{dir}, NoIgnoreFiles: true})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, p := range gitUntracked(t, dir) {
				if plain.Selects(p) {
					want = append(want, p)
				}
			}

			spec, err := watchman.NewSpec(watchman.SpecOptions{Watch: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			p := NewPoller(spec, PollerOptions{})
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
