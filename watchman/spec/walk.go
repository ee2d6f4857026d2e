package spec

import "strings"

// WalkDir matches the entries of one directory of a walk. The poller asks
// about every name of the tree it has not recorded, on every scan, so what
// depends only on the directory is worked out once: which root it lies
// in, its path, and its ignore files. Matching an entry then allocates
// nothing, and builds the entry's relative path only when a pattern looks
// at more than the base name.
//
// A WalkDir is for one goroutine, during one directory's scan: it assumes,
// as walkSelects does, that its parents are not ignored.
type WalkDir struct {
	s   *Spec
	r   *root  // nil: not a watched directory; nothing is selected
	rel string // relative to the root, slash-separated; "" for the root
	abs string // absolute, for ignore files; built when first needed
	ign *ignoreDir
	// buf holds rel + "/" + the entry's name when a pattern needs it.
	buf []byte
}

// WalkDir returns the matcher of the directory rel (slash-separated,
// relative to root; "" for root itself) for a walk of the directory root
// that prunes with its SkipsDir.
func (s *Spec) WalkDir(root, rel string) *WalkDir {
	w := &WalkDir{s: s, rel: rel}
	if r := s.root(root); r != nil && !r.file {
		w.r = r
	}
	return w
}

// SelectsEntry reports whether the file name of the directory is watched:
// walkSelects for its relative path.
func (w *WalkDir) SelectsEntry(name string) bool {
	if w.r == nil {
		return false
	}
	rel := name
	if w.s.needRelFile {
		rel = w.relOf(name)
	}
	return w.r.selectsIn(w.s, rel, name, w)
}

// SkipsDir reports whether the subdirectory name is ignored with everything
// below it: walkSkipDir for its relative path.
func (w *WalkDir) SkipsDir(name string) bool {
	if w.r == nil {
		return false
	}
	rel := name
	if w.s.needRelDir || len(w.r.ignoreDirs) > 0 {
		rel = w.relOf(name)
	}
	return w.r.skipDirIn(w.s, rel, name, w)
}

// relOf returns the entry's path relative to the root, in w's buffer: it
// is valid until the next call, which is all a match needs.
func (w *WalkDir) relOf(name string) string {
	if w.rel == "" {
		return name
	}
	w.buf = append(append(append(w.buf[:0], w.rel...), '/'), name...)
	return unsafeString(w.buf)
}

// ignoredByFiles decides the entry name by the directory's ignore files.
func (w *WalkDir) ignoredByFiles(name string, isDir bool) bool {
	set := w.s.ignoreFiles
	if set == nil {
		return false
	}
	if w.ign == nil {
		w.abs = w.r.path
		if w.rel != "" {
			w.abs = joinPathSlash(w.r.path, w.rel)
		}
		w.ign = set.dir(w.abs)
	}
	return set.ignoredIn(w.ign, w.abs, name, isDir)
}

// baseName returns the last element of the slash-separated rel.
func baseName(rel string) string { return rel[strings.LastIndexByte(rel, '/')+1:] }
