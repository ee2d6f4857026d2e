// Package repo finds what the version-control repository holding a
// directory means to a watcher: the top of a git work tree and the
// directory holding its info/exclude, the lock file a VCS operation holds
// (git's index.lock, Mercurial's wlock), and the project root that
// Watchman's watch-project chooses. It is the one place that walks up a
// tree looking for .git, .hg or .svn.
package repo

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Markers returns the names of the VCS directories: .git, .hg and .svn.
func Markers() []string { return []string{".git", ".hg", ".svn"} }

// HasGit reports whether dir holds a .git directory or file (a linked
// worktree or a submodule).
func HasGit(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// GitTop returns the top of the git work tree holding dir, or "".
func GitTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if HasGit(d) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// gitDir returns the git directory of the work tree at top: .git itself,
// or the directory a .git file's "gitdir:" line names; "" when top/.git is
// a file without one.
func gitDir(top string) string {
	git := filepath.Join(top, ".git")
	if fi, err := os.Stat(git); err == nil && fi.IsDir() {
		return git
	}
	dir := readFirstLine(git, "gitdir:")
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(top, dir)
	}
	return dir
}

// GitCommonDir returns the directory holding info/exclude for the work
// tree at top: .git itself, or for a linked worktree or submodule the
// common directory its gitdir names.
func GitCommonDir(top string) string {
	gitdir := gitDir(top)
	if gitdir == "" {
		return filepath.Join(top, ".git")
	}
	if common := readFirstLine(filepath.Join(gitdir, "commondir"), ""); common != "" {
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitdir, common)
		}
		return filepath.Clean(common)
	}
	return gitdir
}

// Lock returns the lock file of the nearest repository holding dir, ""
// when there is none: git's index.lock (in a worktree's own git
// directory), or Mercurial's wlock. Either exists for the length of a
// checkout, commit or rebase.
func Lock(dir string) string {
	for d := dir; ; {
		if HasGit(d) {
			if gitdir := gitDir(d); gitdir != "" {
				return filepath.Join(gitdir, "index.lock")
			}
		}
		if fi, err := os.Stat(filepath.Join(d, ".hg")); err == nil && fi.IsDir() {
			return filepath.Join(d, ".hg", "wlock")
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// ProjectRoot returns the directory watch-project would watch for dir, as
// Watchman 4.9 chooses it (observed, not documented): the nearest of dir
// and its parents holding a .watchmanconfig; failing that, the outermost
// holding .git, .hg or .svn; "" when there is none (then Watchman watches
// dir itself).
func ProjectRoot(dir string) string {
	outermost := ""
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".watchmanconfig")); err == nil {
			return d
		}
		for _, m := range Markers() {
			if _, err := os.Lstat(filepath.Join(d, m)); err == nil {
				outermost = d
				break
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return outermost
		}
		d = parent
	}
}

// readFirstLine returns the first line of the file at path without prefix
// and surrounding spaces; "" when the file cannot be read or the line
// lacks prefix.
func readFirstLine(path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}
