package spec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autoreload/autoreload/watchman/spec/internal/ignorefile"
)

// The spec's side of ignore files: the hooks its matching calls, and what
// the backends call to keep the rules current. Ignore files narrow what
// the patterns select; they never widen it.

// ignoreFileNames are the per-directory ignore files: git's, and the one
// tools such as ripgrep and watchexec read for ignores git should not have.
// Within a directory, .ignore wins over .gitignore.
var ignoreFileNames = []string{".gitignore", ".ignore"}

// IsIgnoreFileName reports whether name is one of ignoreFileNames.
func IsIgnoreFileName(name string) bool {
	return name == ".gitignore" || name == ".ignore"
}

// watchedDirs returns the absolute watched paths that are directories,
// including those inside another watched directory: each is exempt from
// the ignore files that would exclude it.
func watchedDirs(watch []string) []string {
	if len(watch) == 0 {
		watch = []string{"."}
	}
	var dirs []string
	for _, w := range watch {
		abs, err := filepath.Abs(w)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			dirs = append(dirs, abs)
		}
	}
	return dirs
}

// ignoredByFiles reports whether ignore files exclude the entry rel of the
// directory root r (its parents are the caller's business).
func (s *Spec) ignoredByFiles(r *root, rel string, isDir bool) bool {
	if s.ignoreFiles == nil || rel == "" {
		return false
	}
	dir, name := r.path, rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		dir, name = joinPathSlash(r.path, rel[:i]), rel[i+1:]
	}
	return s.ignoreFiles.ignored(dir, name, isDir)
}

func joinPathSlash(dir, rel string) string {
	if dir == string(filepath.Separator) {
		return dir + filepath.FromSlash(rel)
	}
	return dir + string(filepath.Separator) + filepath.FromSlash(rel)
}

// UsesIgnoreFiles reports whether the spec reads ignore files (it does
// unless Options.NoIgnoreFiles).
func (s *Spec) UsesIgnoreFiles() bool { return s.ignoreFiles != nil }

// Generation returns the generation of the ignore rules: it grows each
// time a re-read (by any of the methods below, whoever calls them) finds
// an ignore file changed. Each consumer of the spec, a backend, keeps the
// generation it last acted on and passes it as since: a change is then
// seen by every consumer, whichever of them re-read the file first. Zero
// with Options.NoIgnoreFiles.
func (s *Spec) Generation() uint64 {
	if s.ignoreFiles == nil {
		return 0
	}
	return s.ignoreFiles.generation()
}

// IgnoreFilesChanged re-reads the ignore files of the directory dir if
// they changed, and reports whether they changed after generation since:
// then what the spec selects at and below dir may differ from what the
// caller knew. dirMtime is dir's mtime in ns (-1 when unknown): a walk
// passes it so that a directory that gained no entry and holds no ignore
// file costs nothing.
func (s *Spec) IgnoreFilesChanged(dir string, dirMtime int64, since uint64) bool {
	return s.ignoreFiles != nil && s.ignoreFiles.checkDir(filepath.Clean(dir), dirMtime, since)
}

// SharedIgnoreFilesChanged re-reads each repository's info/exclude and the
// global excludes file if they changed, and reports whether any changed
// after generation since: then what the spec selects anywhere may differ.
func (s *Spec) SharedIgnoreFilesChanged(since uint64) bool {
	return s.ignoreFiles != nil && s.ignoreFiles.checkShared(since)
}

// IgnoreFileChanged is IgnoreFilesChanged for a changed file reported by
// path: it re-reads path if it is an ignore file read before.
func (s *Spec) IgnoreFileChanged(path string, since uint64) bool {
	return s.ignoreFiles != nil && s.ignoreFiles.checkFile(filepath.Clean(path), since)
}

// ignoredDirnames returns directories below the directory root r that
// ignore files exclude and that are named literally in a file already read
// ("/build/", "node_modules/" in the directory holding the file), relative
// to r: the Watchman expression excludes them on the daemon. Directories
// matched by wildcards, or at any depth, are left to Selects.
func (s *Spec) ignoredDirnames(r *root) []string {
	if s.ignoreFiles == nil {
		return nil
	}
	return s.ignoreFiles.literalDirs(r.path)
}

func (s *ignoreSet) literalDirs(root string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked(root)
	var candidates []string
	add := func(dir string, f *ignorefile.File) {
		for _, r := range f.Rules {
			if r.Negate || strings.ContainsAny(r.Pattern.Wild, `*?[\`) {
				continue
			}
			candidates = append(candidates, joinPathSlash(dir, r.Pattern.Wild))
		}
	}
	for _, d := range s.dirs {
		if d.path != root && !within(d.path, root) && !within(root, d.path) {
			continue
		}
		for i := range d.files {
			add(d.path, &d.files[i])
		}
		if d.repo != nil && d.parent == nil {
			add(d.path, &d.repo.exclude)
			add(d.path, &s.global)
		}
	}
	var dirs []string
	for _, c := range candidates {
		if !within(root, c) || !s.pathIgnoredLocked(c, true) {
			continue
		}
		exempt := false
		for _, e := range s.exempt {
			exempt = exempt || e == c || within(e, c) || within(c, e)
		}
		if !exempt {
			dirs = append(dirs, relSlash(root, c))
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}
