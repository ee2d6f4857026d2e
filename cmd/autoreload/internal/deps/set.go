package deps

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// treeSuffix marks a line naming a whole subtree: DIR/...
const treeSuffix = "/..."

// Set is what COMMAND uses: files, directories (the files directly in
// them, optionally of some extensions only) and subtrees. The zero value
// is empty; a Set is read-only once built, safe for concurrent readers.
type Set struct {
	files map[string]bool
	dirs  map[string]exts // nil exts: every file directly in the directory
	trees []string
	// named are the paths as given, each once, in order: what Outside
	// and the accessors report (the resolved twins only help matching).
	named []entry
	// resolve is shared by a set and its builder.
	resolve resolver
}

// exts is a set of extensions with their dot (".go"); nil means any.
type exts map[string]bool

type kind int

const (
	kindFile kind = iota
	kindDir
	kindTree
)

type entry struct {
	path string
	kind kind
}

// Builder makes a Set. Paths are absolute or relative to Dir.
type Builder struct {
	Dir string
	set Set
}

func (b *Builder) abs(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(b.Dir, p)
	}
	return filepath.Clean(p)
}

// twins returns p and, when symlinks make it differ, its resolved form (a
// file's directory resolved, a directory itself): a change is reported
// under the watched root as the user named it, a build tool names the real
// path.
func (b *Builder) twins(p string, isDir bool) []string {
	if isDir {
		if r := b.set.resolve.dir(p); r != p {
			return []string{p, r}
		}
	} else if r := b.set.resolve.dir(filepath.Dir(p)); r != filepath.Dir(p) {
		return []string{p, filepath.Join(r, filepath.Base(p))}
	}
	return []string{p}
}

// resolver resolves directories through symlinks, each once: a set of
// thousands of files in a few hundred directories costs a few hundred
// resolutions. Safe for concurrent use.
type resolver struct{ m *sync.Map }

func (r resolver) dir(d string) string {
	if v, ok := r.m.Load(d); ok {
		return v.(string)
	}
	real, err := filepath.EvalSymlinks(d)
	if err != nil {
		real = d
	}
	r.m.Store(d, real)
	return real
}

func (b *Builder) init() {
	if b.set.files == nil {
		b.set.files, b.set.dirs = map[string]bool{}, map[string]exts{}
		b.set.resolve = resolver{new(sync.Map)}
	}
}

// AddFile adds a file.
func (b *Builder) AddFile(p string) {
	b.init()
	p = b.abs(p)
	if b.set.files[p] {
		return
	}
	b.set.named = append(b.set.named, entry{p, kindFile})
	for _, t := range b.twins(p, false) {
		b.set.files[t] = true
	}
}

// AddDir adds the files directly in dir; with extensions (".go"), only
// those with one of them. Adding a directory twice widens its extensions.
func (b *Builder) AddDir(dir string, extensions ...string) {
	b.init()
	dir = b.abs(dir)
	old, seen := b.set.dirs[dir]
	if !seen {
		b.set.named = append(b.set.named, entry{dir, kindDir})
	}
	var e exts
	switch {
	case seen && old == nil, len(extensions) == 0:
	default:
		e = exts{}
		for x := range old {
			e[x] = true
		}
		for _, x := range extensions {
			e[x] = true
		}
	}
	for _, t := range b.twins(dir, true) {
		b.set.dirs[t] = e
	}
}

// AddTree adds everything below dir.
func (b *Builder) AddTree(dir string) {
	b.init()
	dir = b.abs(dir)
	if slices.Contains(b.set.trees, dir) {
		return
	}
	b.set.named = append(b.set.named, entry{dir, kindTree})
	b.set.trees = append(b.set.trees, b.twins(dir, true)...)
}

// AddLine adds one line of a source's output: DIR/... a subtree, an
// existing directory its files, anything else a file. It fails for a path
// that does not exist; blank lines add nothing.
func (b *Builder) AddLine(line string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	if dir, ok := strings.CutSuffix(line, treeSuffix); ok {
		if dir == "" {
			dir = "/"
		}
		if _, err := os.Stat(b.abs(dir)); err != nil {
			return pathError(line, err)
		}
		b.AddTree(dir)
		return nil
	}
	fi, err := os.Stat(b.abs(line))
	switch {
	case err != nil:
		return pathError(line, err)
	case fi.IsDir():
		b.AddDir(line)
	default:
		b.AddFile(line)
	}
	return nil
}

func pathError(line string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such file or directory", line)
	}
	return err
}

// Set returns the set built so far; the builder may go on.
func (b *Builder) Set() *Set {
	s := b.set
	s.files, s.dirs = copyMap(s.files), copyMap(s.dirs)
	s.trees, s.named = slices.Clone(s.trees), slices.Clone(s.named)
	return &s
}

func copyMap[V any](m map[string]V) map[string]V {
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// ErrNoPaths is a source's answer that names nothing: never taken to mean
// "watch nothing".
var ErrNoPaths = errors.New("printed no path")

// Parse reads paths one a line (see Builder.AddLine), relative to dir or
// absolute. No path at all, or one that does not exist, is an error.
func Parse(r io.Reader, dir string) (*Set, error) {
	b := &Builder{Dir: dir}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if err := b.AddLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	s := b.Set()
	if s.Len() == 0 {
		return nil, ErrNoPaths
	}
	return s, nil
}

// Len is how many paths the set names.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.named)
}

// Contains reports whether the file at the absolute path is in the set.
func (s *Set) Contains(path string) bool {
	if s == nil {
		return false
	}
	path = filepath.Clean(path)
	if s.contains(path) {
		return true
	}
	// The path may lie below a symlink the set names resolved.
	if s.resolve.m == nil {
		return false
	}
	dir := filepath.Dir(path)
	if r := s.resolve.dir(dir); r != dir {
		return s.contains(filepath.Join(r, filepath.Base(path)))
	}
	return false
}

func (s *Set) contains(path string) bool {
	if s.files[path] {
		return true
	}
	if e, ok := s.dirs[filepath.Dir(path)]; ok && (e == nil || e[filepath.Ext(path)]) {
		return true
	}
	for _, t := range s.trees {
		if path == t || Within(t, path) {
			return true
		}
	}
	return false
}

// Files are the files the set names, absolute: what can be watched
// without listing a directory (an Eden checkout's bounded polling).
func (s *Set) Files() []string { return s.of(kindFile) }

// Dirs are the directories whose files the set holds (not their subdirectories).
func (s *Set) Dirs() []string { return s.of(kindDir) }

// Trees are the directories the set holds with everything below them.
func (s *Set) Trees() []string { return s.of(kindTree) }

func (s *Set) of(k kind) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, e := range s.named {
		if e.kind == k {
			out = append(out, e.path)
		}
	}
	return out
}

// Union is the set of everything in any of sets (nil ones are empty).
func Union(sets ...*Set) *Set {
	var b Builder
	b.init()
	for _, s := range sets {
		if s == nil {
			continue
		}
		for _, e := range s.named {
			switch e.kind {
			case kindFile:
				b.AddFile(e.path)
			case kindTree:
				b.AddTree(e.path)
			case kindDir:
				var list []string
				for x := range s.dirs[e.path] {
					list = append(list, x)
				}
				if s.dirs[e.path] == nil {
					list = nil
				}
				b.AddDir(e.path, list...)
			}
		}
	}
	return b.Set()
}

// Outside returns what must be watched beyond the given watched paths
// for the set to be covered: the directories it names that lie in none of
// them, and the files that lie in none of them nor in those directories.
func (s *Set) Outside(watched []string) []string {
	if s == nil {
		return nil
	}
	covered := func(p string, in []string) bool {
		for _, w := range in {
			if p == w || Within(w, p) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, k := range []kind{kindTree, kindDir, kindFile} {
		for _, e := range s.named {
			if e.kind == k && !covered(e.path, watched) && !covered(e.path, out) {
				out = append(out, e.path)
			}
		}
	}
	return out
}

// Within reports whether path lies strictly below dir.
func Within(dir, path string) bool {
	if dir == string(filepath.Separator) {
		return path != dir && strings.HasPrefix(path, dir)
	}
	return len(path) > len(dir) && strings.HasPrefix(path, dir) && path[len(dir)] == filepath.Separator
}
