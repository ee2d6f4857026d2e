package poller

import (
	"errors"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autoreload/autoreload/watchman/spec"
)

// A save can go through a temporary file that lives for milliseconds: GNU
// sed -i writes sedXXXXXX and renames it over the file, an editor writes
// .name.tmp and does the same. A look that falls in between sees the
// temporary file created; the next, its deletion. Neither is a change:
// a file created and gone within one batch is left out of it, and one
// already gone when its batch is about to go out is dropped then, its
// deletion to come with it (unborn).

// dropVanished drops from the pending batch the files it holds as created
// that are gone now, and remembers them as unborn; it reports whether it
// dropped any. A batch beyond settleMax (a checkout) is left as it is:
// its files are not looked at again one by one.
func (p *Poller) dropVanished() bool {
	if len(p.pending) > settleMax {
		return false
	}
	dropped := false
	p.pending = slices.DeleteFunc(p.pending, func(c spec.Change) bool {
		if !c.Created || !c.Exists {
			return false
		}
		if _, err := lstat(c.Path); !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
			return false // there, or not known to be gone (a path too long to name)
		}
		if p.unborn == nil {
			p.unborn = map[string]bool{}
		}
		p.unborn[c.Path], dropped = true, true
		return true
	})
	return dropped
}

// settleVanished follows settle without kernel events: when a created
// file vanished, the file renamed over is found only by a scan, which is
// due at once, once per batch, for the rename to go out with it. It
// reports whether a scan is due before the batch goes out.
func (p *Poller) settleVanished() bool {
	if p.rescanned || !p.dropVanished() {
		return false
	}
	p.rescanned = true
	p.next = time.Now()
	return true
}

// dropTransients leaves out of a merged batch the files created and gone
// again within it, and the deletions of the unborn files.
func (p *Poller) dropTransients(changes []spec.Change) []spec.Change {
	kept := changes[:0]
	for _, c := range changes {
		if p.unborn[c.Path] {
			delete(p.unborn, c.Path)
			c.Created = true // the last batch did not have it
		}
		if !c.Transient() {
			kept = append(kept, c)
		}
	}
	return kept
}
