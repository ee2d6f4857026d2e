package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreload/autoreload/watchman/testkit"
)

// ProjectRoot follows what watch-project answered on Watchman 4.9.0.
func TestProjectRoot(t *testing.T) {
	for _, c := range []struct {
		name  string
		marks []string // directories (ending in /) or files to create
		query string
		want  string
	}{
		{"config above vcs", []string{"a/.watchmanconfig", "a/b/.hg/"}, "a/b", "a"},
		{"config below vcs", []string{"a/.git/", "a/b/.watchmanconfig"}, "a/b", "a/b"},
		{"outermost vcs", []string{"a/.hg/", "a/b/.git/"}, "a/b/c", "a"},
		{"nearest config", []string{"a/.watchmanconfig", "a/b/.watchmanconfig"}, "a/b/c", "a/b"},
		{"vcs kinds mix", []string{"a/.git/", "a/b/.svn/"}, "a/b/c", "a"},
		{"one vcs", []string{"a/b/.git/"}, "a/b/c", "a/b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(dir, c.query), 0o755)
			for _, m := range c.marks {
				if strings.HasSuffix(m, "/") {
					os.MkdirAll(filepath.Join(dir, m), 0o755)
				} else {
					testkit.Write(t, filepath.Join(dir, m), "{}")
				}
			}
			if got, want := ProjectRoot(filepath.Join(dir, c.query)), filepath.Join(dir, c.want); got != want {
				t.Errorf("ProjectRoot = %q, want %q", got, want)
			}
		})
	}
}

func TestLockOfWorktree(t *testing.T) {
	dir := t.TempDir()
	testkit.Write(t, filepath.Join(dir, "main/.git/worktrees/wt/HEAD"), "")
	testkit.Write(t, filepath.Join(dir, "wt/.git"), "gitdir: ../main/.git/worktrees/wt\n")
	got := Lock(filepath.Join(dir, "wt", "sub"))
	want := filepath.Join(dir, "main", ".git", "worktrees", "wt", "index.lock")
	if got != want {
		t.Fatalf("Lock = %q, want %q", got, want)
	}
	if got, want := GitCommonDir(filepath.Join(dir, "wt")), filepath.Join(dir, "main", ".git", "worktrees", "wt"); got != want {
		t.Fatalf("GitCommonDir without commondir = %q, want %q", got, want)
	}
	testkit.Write(t, filepath.Join(dir, "main/.git/worktrees/wt/commondir"), "../..\n")
	if got, want := GitCommonDir(filepath.Join(dir, "wt")), filepath.Join(dir, "main", ".git"); got != want {
		t.Fatalf("GitCommonDir = %q, want %q", got, want)
	}
}

func TestLockOfMercurial(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".hg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := Lock(filepath.Join(dir, "a", "b")), filepath.Join(dir, ".hg", "wlock"); got != want {
		t.Fatalf("Lock = %q, want %q", got, want)
	}
}
