package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
	"github.com/autoreload/autoreload/watchman/watchmantest"
)

// TestIgnoreLineSyntax: each expectation is what `git check-ignore
// --no-index` says (git 2.39), but "ax": git knows POSIX classes such as
// [[:alpha:]], the spec's matcher does not, and the line is skipped rather
// than half understood.
func TestIgnoreLineSyntax(t *testing.T) {
	dir := watchmantest.GitRepo(t, "", map[string]string{
		".gitignore": "\xef\xbb\xbftrailing   \r\nescaped\\ \n{a,b}.txt\n\\#hash\n\\!bang\n# comment\n!\n/\n[[:alpha:]]x\n" +
			"a\\*b\n**/deep/**\nmid**.js\n[!q].md\n",
	})
	spec := newSpec(t, Options{Watch: []string{dir}})
	for rel, want := range map[string]bool{
		"trailing": false, "trailing   ": true, "escaped ": false, "escaped": true,
		"{a,b}.txt": false, "a.txt": true, "#hash": false, "!bang": false, "comment": true,
		"ax": true, "a*b": false, "ab": true, "x/deep/y": false, "deep/z": false, "deep": true,
		"middle.js": false, "mid.js": false, "q.md": true, "r.md": false, "main.go": true,
	} {
		if got := spec.Selects(filepath.Join(dir, rel)); got != want {
			t.Errorf("Selects(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestWatchedPathsWin: a watched directory or file that ignore files
// exclude is watched, with everything below it; the rest of the tree
// keeps its ignores.
func TestWatchedPathsWin(t *testing.T) {
	dir := watchmantest.GitRepo(t, "", map[string]string{
		".gitignore": "build/\n.env\n*.o\n", "build/x.o": "", "build/sub/y": "", ".env": "", "a.o": "", "main.go": "",
		"other/build/z": "",
	})
	spec := newSpec(t, Options{Watch: []string{dir, filepath.Join(dir, "build"), filepath.Join(dir, ".env")}})
	for rel, want := range map[string]bool{
		"build/x.o": true, "build/sub/y": true, ".env": true, "a.o": false, "main.go": true, "other/build/z": false,
	} {
		if got := spec.Selects(filepath.Join(dir, rel)); got != want {
			t.Errorf("Selects(%q) = %v, want %v", rel, got, want)
		}
	}
	if spec.skipDir(filepath.Join(dir, "build")) || !spec.skipDir(filepath.Join(dir, "other", "build")) {
		t.Error("SkipDir: the watched build/ must be walked, other/build/ skipped")
	}
	if expr := spec.Expression(dir); containsTerm(expr, []any{"dirname", "build"}) {
		t.Errorf("the expression leaves out the watched build/: %v", expr)
	}
}

func TestGlobalExcludesFile(t *testing.T) {
	// The default place.
	dir := watchmantest.GitRepo(t, "*.secret\n", map[string]string{"a.secret": "", "b.go": ""})
	spec := newSpec(t, Options{Watch: []string{dir}})
	if spec.Selects(filepath.Join(dir, "a.secret")) || !spec.Selects(filepath.Join(dir, "b.go")) {
		t.Error("the default global excludes file ($XDG_CONFIG_HOME/git/ignore) is not applied")
	}
	// core.excludesFile wins over the default place.
	home := os.Getenv("HOME")
	testkit.Write(t, filepath.Join(home, "my-excludes"), "*.go\n")
	testkit.Write(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = ~/my-excludes\n")
	spec = newSpec(t, Options{Watch: []string{dir}})
	if !spec.Selects(filepath.Join(dir, "a.secret")) || spec.Selects(filepath.Join(dir, "b.go")) {
		t.Error("core.excludesFile is not applied instead of the default place")
	}
	// Off with NoIgnoreFiles.
	spec = newSpec(t, Options{Watch: []string{dir}, NoIgnoreFiles: true})
	if !spec.Selects(filepath.Join(dir, "b.go")) {
		t.Error("NoIgnoreFiles still applies the global excludes file")
	}
}

// TestIgnoreFilesOutsideGit: outside a repository neither .gitignore nor
// the global file ignores anything; .ignore files do.
func TestIgnoreFilesOutsideGit(t *testing.T) {
	watchmantest.GitRepo(t, "*.go\n", nil) // a global excludes file that must not apply
	dir := t.TempDir()
	for rel, data := range map[string]string{".gitignore": "*.txt\n", ".ignore": "*.md\n", "sub/.ignore": "/x\n"} {
		testkit.Write(t, filepath.Join(dir, rel), data)
	}
	spec := newSpec(t, Options{Watch: []string{dir}})
	for rel, want := range map[string]bool{"a.txt": true, "b.go": true, "c.md": false, "sub/x": false, "x": true} {
		if got := spec.Selects(filepath.Join(dir, rel)); got != want {
			t.Errorf("Selects(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestIgnoreFileWinsOverGitignore: in one directory .ignore has the last
// word, and a deeper file wins over a shallower one.
func TestIgnoreFileWinsOverGitignore(t *testing.T) {
	dir := watchmantest.GitRepo(t, "", map[string]string{
		".gitignore": "*.gen\n", ".ignore": "!keep.gen\n", "sub/.gitignore": "!*.gen\n", "sub/.ignore": "x.gen\n",
	})
	spec := newSpec(t, Options{Watch: []string{dir}})
	for rel, want := range map[string]bool{"a.gen": false, "keep.gen": true, "sub/a.gen": true, "sub/x.gen": false} {
		if got := spec.Selects(filepath.Join(dir, rel)); got != want {
			t.Errorf("Selects(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestInfoExcludeOfWorktree: a linked worktree reads the common
// directory's info/exclude.
func TestInfoExcludeOfWorktree(t *testing.T) {
	dir := watchmantest.GitRepo(t, "", map[string]string{".git/info/exclude": "*.local\n"})
	wt := filepath.Join(t.TempDir(), "wt")
	testkit.Write(t, filepath.Join(wt, ".git"), "gitdir: "+filepath.Join(dir, ".git", "worktrees", "wt")+"\n")
	testkit.Write(t, filepath.Join(dir, ".git", "worktrees", "wt", "commondir"), "../..\n")
	spec := newSpec(t, Options{Watch: []string{wt}})
	if spec.Selects(filepath.Join(wt, "a.local")) || !spec.Selects(filepath.Join(wt, "a.go")) {
		t.Error("the worktree does not apply the common info/exclude")
	}
}
