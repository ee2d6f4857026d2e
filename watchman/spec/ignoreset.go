package spec

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/autoreload/autoreload/watchman/spec/internal/ignorefile"
	"github.com/autoreload/autoreload/watchman/spec/internal/repo"
)

// ignoreSet is the ignore files that apply below a spec's directory roots:
// each directory's .gitignore (inside a git repository only) and .ignore,
// read lazily the first time a decision needs them and re-read when they
// change; the repository's info/exclude; the global excludes file. It is
// safe for concurrent use: the poller's workers ask at once.
//
// A decision is git's, by patterns only (`git check-ignore --no-index`):
// the deepest directory's files first, .ignore before .gitignore, then
// info/exclude, then the global file; within a file the last matching line
// wins. It decides about one entry, not its parents: callers prune ignored
// directories (the walk) or check each parent (Selects), which is what
// makes a file below an ignored directory ignored whatever a negation says.
type ignoreSet struct {
	mu      sync.RWMutex
	dirs    map[string]*ignoreDir  // by absolute path
	repos   map[string]*ignoreRepo // by top
	tops    map[string]bool        // watched directories outside any repository
	global  ignorefile.File        // core.excludesFile; no rules outside a repository
	watched []string               // every watched directory, as given
	exempt  []string               // watched directories that ignore files exclude
	// gen counts the re-reads that found a change; sharedGen is its value
	// at the last change of info/exclude or the global file. Consumers
	// compare them with the value they last acted on (see Spec.Generation).
	gen, sharedGen uint64
}

// ignoreDir is one directory's ignore files.
type ignoreDir struct {
	path     string
	rel      string // relative to its top (repository or watched root)
	parent   *ignoreDir
	repo     *ignoreRepo // nil outside a git repository
	files    [2]ignorefile.File
	dirMtime int64  // the directory's mtime when its files were last checked
	checked  int64  // when, ns
	gen      uint64 // ignoreSet.gen at the last change of its files; 0: none since loaded
}

type ignoreRepo struct {
	top     string
	exclude ignorefile.File // $GIT_COMMON_DIR/info/exclude
}

// racyWindow: a directory whose mtime is this close to the moment its
// files were checked may have changed again within the file system's clock
// tick, so its mtime does not prove that no ignore file appeared.
const racyWindow = int64(2 * time.Second)

func newIgnoreSet(watched []string) *ignoreSet {
	s := &ignoreSet{dirs: map[string]*ignoreDir{}, repos: map[string]*ignoreRepo{}, tops: map[string]bool{}, watched: watched}
	inRepo := false
	for _, w := range watched {
		if repo.GitTop(w) == "" {
			s.tops[w] = true
		} else {
			inRepo = true
		}
	}
	if inRepo {
		s.global = ignorefile.Read(ignorefile.GlobalExcludes(watched[0]))
	}
	s.mu.Lock()
	s.computeExemptLocked()
	s.mu.Unlock()
	return s
}

// dir returns the loaded ignoreDir of the absolute directory path.
func (s *ignoreSet) dir(path string) *ignoreDir {
	s.mu.RLock()
	d := s.dirs[path]
	s.mu.RUnlock()
	if d != nil {
		return d
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadLocked(path)
}

func (s *ignoreSet) loadLocked(path string) *ignoreDir {
	if d := s.dirs[path]; d != nil {
		return d
	}
	d := &ignoreDir{path: path}
	switch {
	case repo.HasGit(path):
		d.repo = s.repos[path]
		if d.repo == nil {
			d.repo = &ignoreRepo{top: path, exclude: ignorefile.Read(filepath.Join(repo.GitCommonDir(path), "info", "exclude"))}
			s.repos[path] = d.repo
		}
	case s.tops[path] || filepath.Dir(path) == path:
	default:
		d.parent = s.loadLocked(filepath.Dir(path))
		d.repo = d.parent.repo
		d.rel = joinRelPath(d.parent.rel, filepath.Base(path))
	}
	s.readLocked(d)
	s.dirs[path] = d
	return d
}

// readLocked (re-)reads d's files.
func (s *ignoreSet) readLocked(d *ignoreDir) {
	if fi, err := os.Stat(d.path); err == nil {
		d.dirMtime = fi.ModTime().UnixNano()
	}
	d.checked = time.Now().UnixNano()
	for i, name := range ignoreFileNames {
		path := filepath.Join(d.path, name)
		if name == ".gitignore" && d.repo == nil {
			d.files[i] = ignorefile.File{Path: path} // git's files mean nothing outside git
			continue
		}
		d.files[i] = ignorefile.Read(path)
	}
}

func joinRelPath(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// ignored decides about the entry name of the directory dir (absolute).
func (s *ignoreSet) ignored(dir, name string, isDir bool) bool {
	return s.ignoredIn(s.dir(dir), dir, name, isDir)
}

// ignoredIn is ignored for the loaded directory d at dir.
func (s *ignoreSet) ignoredIn(d *ignoreDir, dir, name string, isDir bool) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return !s.exemptLocked(dir, name) && s.decideLocked(d, name, isDir)
}

// exemptLocked reports whether dir/name is a watched directory that ignore
// files exclude, or lies below one: the user named it, so it is watched.
func (s *ignoreSet) exemptLocked(dir, name string) bool {
	for _, e := range s.exempt {
		if dir == e || within(e, dir) || dir == filepath.Dir(e) && name == filepath.Base(e) {
			return true
		}
	}
	return false
}

func (s *ignoreSet) decideLocked(d *ignoreDir, name string, isDir bool) bool {
	for dd := d; dd != nil; dd = dd.parent {
		for i := len(dd.files) - 1; i >= 0; i-- {
			f := &dd.files[i]
			if len(f.Rules) == 0 {
				continue
			}
			rel := name
			if f.Anchored {
				rel = joinRelPath(strings.TrimPrefix(strings.TrimPrefix(d.rel, dd.rel), "/"), name)
			}
			if ignored, ok := f.Decide(name, rel, isDir); ok {
				return ignored
			}
		}
	}
	if d.repo == nil {
		return false
	}
	for _, f := range []*ignorefile.File{&d.repo.exclude, &s.global} {
		rel := name // what decide matches unanchored rules with; spare the join
		if f.Anchored {
			rel = joinRelPath(d.rel, name)
		}
		if ignored, ok := f.Decide(name, rel, isDir); ok {
			return ignored
		}
	}
	return false
}

// pathIgnoredLocked reports whether ignore files exclude the absolute path
// or one of its parents below its top, exemptions aside.
func (s *ignoreSet) pathIgnoredLocked(path string, isDir bool) bool {
	parent := filepath.Dir(path)
	if s.tops[path] || repo.HasGit(path) || parent == path {
		return false
	}
	if s.pathIgnoredLocked(parent, true) {
		return true
	}
	return s.decideLocked(s.loadLocked(parent), filepath.Base(path), isDir)
}

func (s *ignoreSet) computeExemptLocked() {
	s.exempt = s.exempt[:0]
	for _, w := range s.watched {
		if s.pathIgnoredLocked(w, true) {
			s.exempt = append(s.exempt, w)
		}
	}
}

// generation returns the count of changes found so far.
func (s *ignoreSet) generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// checkDir re-reads the ignore files of the directory dir, whose mtime is
// dirMtime (-1: unknown), if they changed since last read, and reports
// whether they changed after generation since, whoever re-read them. A
// directory not read yet has nothing to re-read. A directory whose mtime
// has not moved has gained no file, so only its present files are looked
// at: most directories cost nothing.
func (s *ignoreSet) checkDir(dir string, dirMtime int64, since uint64) bool {
	s.mu.RLock()
	d := s.dirs[dir]
	var stamps [2]ignorefile.Stamp
	var racy, present, before bool
	if d != nil {
		stamps = [2]ignorefile.Stamp{d.files[0].Stamp, d.files[1].Stamp}
		racy = d.checked-d.dirMtime < racyWindow || dirMtime != d.dirMtime
		present = stamps[0] != ignorefile.Stamp{} || stamps[1] != ignorefile.Stamp{}
		before = d.gen > since
	}
	s.mu.RUnlock()
	if d == nil || !racy && !present {
		return before
	}
	changed := false
	for i, f := range d.files {
		if (racy || stamps[i] != ignorefile.Stamp{}) && ignorefile.StampOf(f.Path) != stamps[i] {
			changed = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !changed {
		if dirMtime >= 0 {
			d.dirMtime, d.checked = dirMtime, time.Now().UnixNano()
		}
		return d.gen > since
	}
	s.readLocked(d)
	s.computeExemptLocked()
	s.gen++
	d.gen = s.gen
	return true
}

// checkShared re-reads info/exclude of every repository and the global
// file if they changed, and reports whether any changed after generation
// since, whoever re-read them.
func (s *ignoreSet) checkShared(since uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	files := []*ignorefile.File{}
	if s.global.Path != "" {
		files = append(files, &s.global)
	}
	for _, r := range s.repos {
		files = append(files, &r.exclude)
	}
	for _, f := range files {
		if ignorefile.StampOf(f.Path) != f.Stamp {
			*f = ignorefile.Read(f.Path)
			changed = true
		}
	}
	if changed {
		s.computeExemptLocked()
		s.gen++
		s.sharedGen = s.gen
	}
	return s.sharedGen > since
}

// checkFile re-reads the ignore file at path if it was read before and has
// changed since, and reports whether it changed after generation since:
// the Watchman backend learns of ignore files through its notifications.
func (s *ignoreSet) checkFile(path string, since uint64) bool {
	if !IsIgnoreFileName(filepath.Base(path)) {
		return false
	}
	s.mu.RLock()
	d := s.dirs[filepath.Dir(path)]
	s.mu.RUnlock()
	if d == nil {
		return false
	}
	return s.checkDir(d.path, -1, since) // -1: any mtime; look at both files
}
