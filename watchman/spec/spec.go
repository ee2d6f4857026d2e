package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/autoreload/autoreload/watchman/spec/internal/repo"
	"github.com/autoreload/autoreload/watchman/spec/internal/wildmatch"
)

// Options is what the user asked to watch, as given on the command line.
type Options struct {
	Watch            []string // files or directories; empty means "."
	Patterns         []string // include globs; none (and no Exts) means every file
	Exts             []string // extensions without the dot, combined with Patterns as "any of"
	Ignores          []string // globs of files or directories never watched
	NoDefaultIgnores bool     // drop the editor and OS droppings from the ignores
	NoIgnoreFiles    bool     // do not read .gitignore, .ignore and git's other excludes
}

// cookiePattern matches the files Watchman creates and deletes on every
// sync; a poller that saw them would report a change per health check.
const cookiePattern = ".watchman-cookie-*"

// defaultIgnores are the droppings ignored unless Options.NoDefaultIgnores
// is set: files that editors, tools and the OS leave beside the source and
// that nobody edits. (They include every dropping in watchexec's and
// nodemon's default lists; a name that may as well be source, such as
// nodemon's coverage/, is left to the ignore files.)
var defaultIgnores = []string{
	// Vim: swap files (.a.go.swp, then .swo, .swn...), its probes for a
	// writable directory, and a file named 4913 it creates to test
	// permissions before a save.
	"*.swp", "*.swo", "*.swx", ".*.sw?", ".*.sw?x", "4913",
	// Emacs, Kate, Gedit and many others: backups a~; Emacs locks .#a and
	// auto-saves #a#; Kate's swap files.
	"*~", ".#*", "#*#", ".*.kate-swp",
	// JetBrains IDEs' safe write, GNOME's (gedit) atomic save, LibreOffice's
	// lock files.
	"*___jb_tmp___", "*___jb_old___", ".goutputstream-*", ".~lock.*#",
	// macOS Finder.
	".DS_Store",
	// Python bytecode; Sass's and nyc's caches.
	"__pycache__/", "*.py[co]", ".sass-cache/", ".nyc_output/",
	// Version control state beyond .git, .hg and .svn (always ignored).
	".bzr/", "_darcs/", ".pijul/",
}

// DefaultIgnores returns the patterns ignored unless NoDefaultIgnores is
// set, for help text.
func DefaultIgnores() []string { return slices.Clone(defaultIgnores) }

// Spec is the one description of what to watch, shared by both backends:
// the poller walks with it, the Watchman backend translates it into an
// expression and re-checks every result with Selects.
//
// Patterns are wildmatch globs (*, ?, [...], **, {a,b}) matched byte by byte
// as Watchman does. A pattern without '/' matches the base name at any
// depth; one with '/' (or a leading '/') matches the slash-separated path
// relative to its root; a trailing '/' makes a pattern match directories
// only (an include then selects everything below such directories). '*'
// matches a leading dot. An ignored directory is ignored with everything
// below it. Only regular files and symlinks are ever selected; the caller
// checks the type (Watchman's "type f"/"type l", the poller's lstat).
//
// A watched file (a root that is not a directory) is selected whatever the
// patterns and ignores say: the user named it. A watched directory inside
// another watched directory adds nothing and is dropped from Roots.
type Spec struct {
	roots    []*root
	includes []wildmatch.Pattern // any of; none means every file
	ignores  []wildmatch.Pattern
	// needRelFile is set when some pattern looks at more than the base
	// name in deciding about a file, needRelDir about a directory.
	needRelFile, needRelDir bool
	// ignoreFiles is nil with Options.NoIgnoreFiles.
	ignoreFiles *ignoreSet
}

// root is one watched path with what the .watchmanconfig of its Watchman
// project root says about it.
type root struct {
	path string
	file bool
	// ignoreDirs holds the config's ignore_dirs below this root, relative to
	// it and slash-separated: Watchman never watches them.
	ignoreDirs []string
}

// New validates opts and resolves the roots to absolute, cleaned paths.
func New(opts Options) (*Spec, error) {
	s := &Spec{}
	for _, p := range opts.Patterns {
		pts, err := wildmatch.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("include %w", err)
		}
		s.includes = append(s.includes, pts...)
	}
	for _, e := range opts.Exts {
		e = strings.TrimPrefix(e, ".")
		if e == "" || strings.ContainsAny(e, `/*?[]{}\`) {
			return nil, fmt.Errorf("extension %q: must be a plain name such as go: %w", e, ErrBadPattern)
		}
		pts, err := wildmatch.Compile("*." + e)
		if err != nil {
			return nil, fmt.Errorf("extension %w", err)
		}
		s.includes = append(s.includes, pts...)
	}
	// The VCS directories are ignored at any depth, with everything below.
	ignores := append(repo.Markers(), cookiePattern)
	if !opts.NoDefaultIgnores {
		ignores = append(ignores, defaultIgnores...)
	}
	ignores = append(ignores, opts.Ignores...)
	for _, p := range ignores {
		pts, err := wildmatch.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("ignore %w", err)
		}
		s.ignores = append(s.ignores, pts...)
	}
	for _, pt := range s.includes {
		s.needRelFile = s.needRelFile || pt.Anchored || pt.DirOnly // a directory include looks at the parents
	}
	for _, pt := range s.ignores {
		s.needRelFile = s.needRelFile || pt.Anchored && !pt.DirOnly
		s.needRelDir = s.needRelDir || pt.Anchored
	}
	if err := s.addRoots(opts.Watch); err != nil {
		return nil, err
	}
	if !opts.NoIgnoreFiles {
		s.ignoreFiles = newIgnoreSet(watchedDirs(opts.Watch))
	}
	return s, nil
}

func (s *Spec) addRoots(watch []string) error {
	if len(watch) == 0 {
		watch = []string{"."}
	}
	var roots []*root
	for _, w := range watch {
		if w == "" {
			// filepath.Abs would make it the working directory: an unset
			// variable in -w "$SRC" must not watch wherever we are.
			return fmt.Errorf("watch %q: empty path", w)
		}
		abs, err := filepath.Abs(w)
		if err != nil {
			return fmt.Errorf("watch %s: %w", w, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("watch %s: %w", w, err)
		}
		roots = append(roots, &root{path: abs, file: !fi.IsDir()})
	}
	// A directory inside (or equal to an earlier) watched directory adds
	// nothing; a file is kept even inside one, since it is selected whatever
	// the patterns say.
	for i, r := range roots {
		for j, o := range roots {
			if i == j || o == nil || o.file || r.file {
				continue
			}
			if within(o.path, r.path) || r.path == o.path && j < i {
				roots[i] = nil
				break
			}
		}
		for _, o := range roots[:i] {
			if roots[i] != nil && r.file && o != nil && o.path == r.path {
				roots[i] = nil
			}
		}
	}
	for _, r := range roots {
		if r == nil {
			continue
		}
		if !r.file {
			dirs, err := configIgnoreDirs(r.path)
			if err != nil {
				return fmt.Errorf("watch %s: %w", r.path, err)
			}
			r.ignoreDirs = dirs
		}
		s.roots = append(s.roots, r)
	}
	return nil
}

// within reports whether path lies strictly below dir.
func within(dir, path string) bool {
	if dir == string(filepath.Separator) {
		return path != dir && strings.HasPrefix(path, dir)
	}
	return len(path) > len(dir) && strings.HasPrefix(path, dir) && path[len(dir)] == filepath.Separator
}

// relSlash returns path, which lies below dir, relative to dir and
// slash-separated.
func relSlash(dir, path string) string {
	rel := path[len(dir):]
	if dir != string(filepath.Separator) {
		rel = rel[1:]
	}
	return filepath.ToSlash(rel)
}

// Roots returns the watched paths (directories or files), absolute.
func (s *Spec) Roots() []string {
	paths := make([]string, len(s.roots))
	for i, r := range s.roots {
		paths[i] = r.path
	}
	return paths
}

// VCSLocks returns the lock files of the repositories holding the roots,
// each once: git's index.lock, Mercurial's wlock. One exists while a VCS
// operation (a checkout, a commit, a rebase) is under way, and the
// backends hold their changes back meanwhile, as Watchman's defer_vcs
// does, so that a checkout of 10,000 files is one change.
func (s *Spec) VCSLocks() []string {
	var locks []string
	for _, r := range s.roots {
		dir := r.path
		if r.file {
			dir = filepath.Dir(r.path)
		}
		if lock := repo.Lock(dir); lock != "" && !slices.Contains(locks, lock) {
			locks = append(locks, lock)
		}
	}
	return locks
}

// IsFileRoot reports whether root is one of the spec's roots and names a
// watched file rather than a directory.
func (s *Spec) IsFileRoot(root string) bool {
	r := s.root(root)
	return r != nil && r.file
}

func (s *Spec) root(path string) *root {
	for _, r := range s.roots {
		if r.path == path {
			return r
		}
	}
	return nil
}

// dirRootOf returns the watched directory that path lies below, and the
// path relative to it, slash-separated.
func (s *Spec) dirRootOf(path string) (*root, string) {
	for _, r := range s.roots {
		if !r.file && within(r.path, path) {
			return r, relSlash(r.path, path)
		}
	}
	return nil, ""
}

// Selects reports whether the file at the absolute path is watched.
func (s *Spec) Selects(path string) bool {
	path = filepath.Clean(path)
	for _, r := range s.roots {
		if r.file && r.path == path {
			return true
		}
	}
	r, rel := s.dirRootOf(path)
	if r == nil {
		return false
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && r.skipDir(s, rel[:i]) {
			return false
		}
	}
	return r.selects(s, rel)
}

// selects applies the includes and the file ignores to rel.
func (r *root) selects(s *Spec, rel string) bool {
	return r.selectsIn(s, rel, baseName(rel), nil)
}

// selectsIn is selects for the entry name; rel is its relative path, or
// just name when s.needRelFile is not set. The ignore files are w's when w
// is not nil.
func (r *root) selectsIn(s *Spec, rel, name string, w *WalkDir) bool {
	for i := range s.ignores {
		if pt := &s.ignores[i]; !pt.DirOnly && pt.Match(name, rel) {
			return false
		}
	}
	if w != nil && w.ignoredByFiles(name, false) || w == nil && s.ignoredByFiles(r, rel, false) {
		return false
	}
	if len(s.includes) == 0 {
		return true
	}
	for i := range s.includes {
		pt := &s.includes[i]
		if !pt.DirOnly {
			if pt.Match(name, rel) {
				return true
			}
			continue
		}
		// An include of directories selects what lies below them.
		for j := 0; j < len(rel); j++ {
			if rel[j] == '/' {
				dir := rel[:j]
				if pt.Match(dir[strings.LastIndexByte(dir, '/')+1:], dir) {
					return true
				}
			}
		}
	}
	return false
}

// skipDir applies the ignores and the config's ignore_dirs to the
// directory rel (not to its parents).
func (r *root) skipDir(s *Spec, rel string) bool {
	if rel == "" {
		return false
	}
	return r.skipDirIn(s, rel, baseName(rel), nil)
}

// skipDirIn is skipDir for the entry name; rel is its relative path, or
// just name when neither s.needRelDir nor r.ignoreDirs needs it. The
// ignore files are w's when w is not nil.
func (r *root) skipDirIn(s *Spec, rel, name string, w *WalkDir) bool {
	if slices.Contains(r.ignoreDirs, rel) {
		return true
	}
	for i := range s.ignores {
		if s.ignores[i].Match(name, rel) {
			return true
		}
	}
	if w != nil {
		return w.ignoredByFiles(name, true)
	}
	return s.ignoredByFiles(r, rel, true)
}

// ErrBadPattern is wrapped by every error about an include or ignore
// pattern, or an extension.
var ErrBadPattern = wildmatch.ErrBadPattern
