package spec

import "path/filepath"

// The tests' oracles: the walk's decisions asked one path at a time, as
// plain as they can be put, to check the per-directory matcher (WalkDir)
// and Selects against. Nothing outside the tests asks them.

// skipDir reports whether the directory at the absolute path is ignored with
// everything below it, so a walk never descends into it. Roots are never
// skipped.
func (s *Spec) skipDir(path string) bool {
	path = filepath.Clean(path)
	r, rel := s.dirRootOf(path)
	if r == nil {
		return false
	}
	for i := 0; i <= len(rel); i++ {
		if (i == len(rel) || rel[i] == '/') && r.skipDir(s, rel[:i]) {
			return true
		}
	}
	return false
}

// walkSelects is Selects for a walk of the directory root that has pruned
// with walkSkipDir: rel is the file's slash-separated path relative to root,
// and its directories are taken as not ignored. It is cheaper than Selects.
func (s *Spec) walkSelects(root, rel string) bool {
	r := s.root(root)
	return r != nil && !r.file && r.selects(s, rel)
}

// walkSelectsEntry is walkSelects for the entry name of the directory
// dirRel ("" for the root itself). A walk asking about many entries of one
// directory does better with WalkDir.
func (s *Spec) walkSelectsEntry(root, dirRel, name string) bool {
	return s.WalkDir(root, dirRel).SelectsEntry(name)
}

// walkSkipDir is skipDir for a walk of the directory root: rel is the
// directory's slash-separated path relative to root, and its parents are
// taken as not ignored.
func (s *Spec) walkSkipDir(root, rel string) bool {
	r := s.root(root)
	return r != nil && !r.file && r.skipDir(s, rel)
}
