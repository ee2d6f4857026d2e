package mounts

import (
	"os"
	"path/filepath"
	"strings"
)

// EdenFS checkouts are virtual: listing a directory fetches it from the
// server, so a crawl of one fetches the repository. A watcher must never
// list one; only Watchman, which EdenFS tells what changed, can watch it.
// The filesystem type alone cannot tell: on macOS Eden mounts as NFS. Eden
// puts a .eden directory in every directory of a checkout, whose root
// entry is a symlink to the checkout's root.

// IsEdenType reports whether fstype is one EdenFS mounts as: FUSE on
// Linux, its own FUSE build or type name on macOS.
func IsEdenType(fstype string) bool {
	switch fstype {
	case "fuse.edenfs", "edenfs", "macfuse_eden":
		return true
	}
	return false
}

// Eden reports whether dir (absolute) lies in an EdenFS checkout: a
// .eden/root that reads as a symlink in dir or a directory above it, or a
// mount of an Eden type holding it in t (nil: none known). It only lstats
// and reads links of known paths: it never lists a directory.
func Eden(t *Table, dir string) bool {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Readlink(filepath.Join(p, ".eden", "root")); err == nil {
			return true
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	if t == nil {
		return false
	}
	real := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		real = r // the table knows real paths only
	}
	m, ok := t.Find(real)
	return ok && IsEdenType(m.Type)
}

// EdenBelow returns the Eden mounts strictly inside dir (absolute), as
// paths below dir as given: where a walk of dir would cross into a
// checkout.
func EdenBelow(t *Table, dir string) []string {
	if t == nil {
		return nil
	}
	real := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		real = r
	}
	var out []string
	for _, m := range t.Below(real) {
		if IsEdenType(m.Type) {
			out = append(out, filepath.Join(dir, strings.TrimPrefix(m.Point, real)))
		}
	}
	return out
}
