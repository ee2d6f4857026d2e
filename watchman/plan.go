package watchman

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/autoreload/autoreload/watchman/spec"
)

// target is one subscription: a directory (or the files named in it) and
// the watch that covers it.
type target struct {
	dir   string   // absolute
	names []string // file roots in dir; nil means the whole directory
	watch string   // the watched project root
	rel   string   // dir relative to watch; "" when dir is the watch
	name  string   // subscription name
	expr  []any    // the subscribed expression
	// id is dir's identity when it was subscribed: a directory at the same
	// path later is another one if its identity differs (see replaced).
	id dirID
	// clock is the clock of the latest notification (the subscription's
	// since before any); refreshFrom, when set, the clock before the first
	// notification that changed the ignore rules. Under Subscription.tmu.
	clock, refreshFrom string
}

// plan reduces the spec's roots to subscriptions: a root inside another root
// adds nothing, and file roots in one directory share a subscription. What
// a root is comes from the spec, not from the disk now: a file root deleted
// meanwhile (while the poller stood in) is still watched by name in its
// directory, and its re-creation is a change.
func plan(spec *spec.Spec) ([]*target, error) {
	var dirs, files []string
	for _, r := range spec.Roots() {
		if spec.IsFileRoot(r) {
			files = append(files, filepath.Clean(r))
			continue
		}
		if _, err := os.Stat(r); err != nil {
			return nil, fmt.Errorf("watch %s: %w", r, err)
		}
		dirs = append(dirs, filepath.Clean(r))
	}
	sort.Strings(dirs)
	var targets []*target
	covered := func(p string) bool {
		for _, t := range targets {
			if t.names == nil && (p == t.dir || strings.HasPrefix(p, t.dir+string(filepath.Separator)) || t.dir == "/") {
				return true
			}
		}
		return false
	}
	for _, d := range dirs {
		if !covered(d) {
			targets = append(targets, &target{dir: d})
		}
	}
	byDir := map[string]*target{}
	for _, f := range files {
		if covered(f) {
			continue
		}
		dir := filepath.Dir(f)
		t := byDir[dir]
		if t == nil {
			t = &target{dir: dir, names: []string{}}
			byDir[dir] = t
			targets = append(targets, t)
		}
		t.names = append(t.names, filepath.Base(f))
	}
	return targets, nil
}

// expression is the query expression of a target: regular files and
// symlinks, selected by the spec (or by name for file roots).
func (t *target) expression(spec *spec.Spec) []any {
	expr := []any{"allof", []any{"anyof", []any{"type", "f"}, []any{"type", "l"}}}
	if t.names != nil {
		names := make([]any, len(t.names))
		for i, n := range t.names {
			names[i] = n
		}
		return append(expr, []any{"name", names, "basename"})
	}
	if e := spec.Expression(t.dir); len(e) > 0 {
		expr = append(expr, e)
	}
	return expr
}
