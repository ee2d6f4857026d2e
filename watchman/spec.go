package watchman

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SpecOptions is what the user asked to watch, as given on the command line.
type SpecOptions struct {
	Watch            []string // files or directories; empty means "."
	Patterns         []string // include globs; none (and no Exts) means every file
	Exts             []string // extensions without the dot, combined with Patterns as "any of"
	Ignores          []string // globs of files or directories never watched
	NoDefaultIgnores bool     // drop the editor and OS droppings from the ignores
}

// Spec is the one description of what to watch, shared by both backends:
// the poller walks with it, the Watchman backend translates it into an
// expression and re-checks every result with Selects.
//
// TODO(spec): this is a placeholder API with a naive implementation; the
// poller issue replaces the matching with doublestar, braces, default ignores
// and .watchmanconfig ignore_dirs.
type Spec struct {
	roots []string
	opts  SpecOptions
}

// NewSpec validates opts and resolves the roots to absolute, cleaned paths.
func NewSpec(opts SpecOptions) (*Spec, error) {
	watch := opts.Watch
	if len(watch) == 0 {
		watch = []string{"."}
	}
	s := &Spec{opts: opts}
	for _, w := range watch {
		abs, err := filepath.Abs(w)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", w, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("watch %s: %w", w, err)
		}
		s.roots = append(s.roots, abs)
	}
	return s, nil
}

// Roots returns the watched paths (directories or files), absolute.
func (s *Spec) Roots() []string { return s.roots }

// Selects reports whether the file at the absolute path is watched.
func (s *Spec) Selects(path string) bool {
	base := filepath.Base(path)
	if len(s.opts.Patterns) == 0 && len(s.opts.Exts) == 0 {
		return true
	}
	for _, p := range s.opts.Patterns {
		if ok, _ := filepath.Match(p, base); ok {
			return true
		}
	}
	for _, e := range s.opts.Exts {
		if strings.HasSuffix(base, "."+e) {
			return true
		}
	}
	return false
}

// SkipDir reports whether the directory at the absolute path is ignored with
// everything below it, so a walk never descends into it.
func (s *Spec) SkipDir(path string) bool {
	switch filepath.Base(path) {
	case ".git", ".hg", ".svn":
		return true
	}
	return false
}

// Expression translates the spec for a root into a Watchman query
// expression, relative to that root, that selects exactly what Selects does
// (Selects is still applied to every result).
func (s *Spec) Expression(root string) []any {
	return []any{"anyof", []any{"type", "f"}, []any{"type", "l"}}
}
