package poller

import (
	"log/slog"
	"os"
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

func findVCSLocks(spec *spec.Spec, log *slog.Logger) vcsLocks {
	return vcsLocks{paths: spec.VCSLocks(), staleAge: staleLockAge, log: log, logged: map[string]bool{}}
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
