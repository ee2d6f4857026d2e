package poller

import (
	"bufio"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autoreload/autoreload/watchman/spec"
)

// StaleLockAge is how old a VCS lock may be and still hold changes back:
// a crashed git leaves its index.lock behind for good. A takeover's Since
// can go back this far (see Options.Takeover).
const StaleLockAge = 60 * time.Second

const staleLockAge = StaleLockAge

// vcsLocks are the lock files of the repositories holding the roots, found
// once at start: git's index.lock and Mercurial's wlock exist for the
// length of a checkout, commit or rebase, and the poller holds its changes
// back meanwhile, as Watchman's defer_vcs does, so a checkout of 10,000
// files restarts COMMAND once.
type vcsLocks struct {
	paths    []string
	staleAge time.Duration
	log      *slog.Logger
	// logged holds the stale locks already logged, until they go away.
	logged map[string]bool
}

func findVCSLocks(roots []string, spec *spec.Spec, log *slog.Logger) vcsLocks {
	v := vcsLocks{staleAge: staleLockAge, log: log, logged: map[string]bool{}}
	seen := map[string]bool{}
	for _, root := range roots {
		dir := root
		if spec.IsFileRoot(root) {
			dir = filepath.Dir(root)
		}
		if lock := repoLock(dir); lock != "" && !seen[lock] {
			seen[lock] = true
			v.paths = append(v.paths, lock)
		}
	}
	return v
}

// repoLock returns the lock file of the nearest repository holding dir.
func repoLock(dir string) string {
	for d := dir; ; {
		git := filepath.Join(d, ".git")
		if fi, err := os.Stat(git); err == nil {
			if fi.IsDir() {
				return filepath.Join(git, "index.lock")
			}
			if gitdir := readGitdir(git); gitdir != "" {
				return filepath.Join(gitdir, "index.lock") // a worktree or submodule
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

// readGitdir reads the "gitdir: PATH" line of a .git file.
func readGitdir(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
	if !ok {
		return ""
	}
	dir = strings.TrimSpace(dir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(file), dir)
	}
	return dir
}

// locked reports whether a lock younger than staleAge exists. A stale one
// is logged once, until it goes away.
func (v *vcsLocks) locked() bool {
	held := false
	for _, path := range v.paths {
		fi, err := os.Lstat(path)
		if err != nil {
			delete(v.logged, path)
			continue
		}
		if age := time.Since(fi.ModTime()); age > v.staleAge {
			if !v.logged[path] {
				v.logged[path] = true
				v.log.Warn("poller: ignoring a stale VCS lock; changes are no longer held back",
					"lock", path, "age", age.Round(time.Second))
			}
			continue
		}
		held = true
	}
	return held
}
