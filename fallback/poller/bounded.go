package poller

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/autoreload/autoreload/fallback/mounts"
)

// An EdenFS checkout is never listed (see mounts.Eden): listing fetches it
// from the server, and a scan lists every directory at every interval. In
// a root inside one, and below a root where an Eden mount begins, the
// poller only lstats the files Options.Bounded names, as it does a watched
// file (--watch main.go): with no such list it watches nothing there.

// findUnlisted sorts the spec's directory roots into those the poller
// scans and those it never lists, and adds the Eden mounts below the
// scanned ones. The mount table is opts.Mounts, else this process's.
func (p *Poller) findUnlisted(dirRoots []string, opts Options) {
	table := opts.Mounts
	if table == nil && len(dirRoots) > 0 {
		table, _ = mounts.Load() // without one, only the .eden links tell
	}
	for _, root := range dirRoots {
		if mounts.Eden(table, root) {
			p.unlisted = append(p.unlisted, root)
			continue
		}
		p.roots = append(p.roots, &dirState{name: root})
		p.rootPaths = append(p.rootPaths, root)
		p.unlisted = append(p.unlisted, mounts.EdenBelow(table, root)...)
	}
	p.bounded = opts.Bounded
}

// isUnlisted reports whether dir is one the poller must never list.
func (p *Poller) isUnlisted(dir string) bool {
	return len(p.unlisted) > 0 && slices.Contains(p.unlisted, dir)
}

// inUnlisted reports whether path lies in a tree the poller never lists.
func (p *Poller) inUnlisted(path string) bool {
	for _, u := range p.unlisted {
		if rest, ok := strings.CutPrefix(path, u); ok && strings.HasPrefix(rest, "/") {
			return true
		}
	}
	return false
}

// refreshBounded makes the watched files of the unlisted trees those
// Options.Bounded names now (selected by the spec), keeping what the
// poller knew of each. A file new to the list after the first scan is
// recorded as it is, not reported: joining the list is no change.
func (p *Poller) refreshBounded() {
	if p.bounded == nil || len(p.unlisted) == 0 {
		return
	}
	known := make(map[string]fileRoot)
	seen := make(map[string]bool) // the spec's own file roots too
	n := 0
	for _, fr := range p.fileRoots {
		if fr.bounded {
			known[fr.path] = fr
		} else {
			p.fileRoots[n] = fr
			seen[fr.path] = true
			n++
		}
	}
	p.fileRoots = p.fileRoots[:n]
	for _, path := range p.bounded() {
		path = filepath.Clean(path)
		if seen[path] || !filepath.IsAbs(path) || !p.inUnlisted(path) || !p.spec.Selects(path) {
			continue
		}
		seen[path] = true
		fr, ok := known[path]
		if !ok {
			fr = fileRoot{path: path, bounded: true}
			if p.started {
				(&scan{p: p, mode: modeBaseline}).fileRoot(&fr)
			}
		}
		p.fileRoots = append(p.fileRoots, fr)
	}
}
