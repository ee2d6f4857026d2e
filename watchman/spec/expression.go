package spec

import (
	"path/filepath"

	"github.com/autoreload/autoreload/watchman/spec/internal/wildmatch"
)

// Expression translates the spec for a root into a Watchman query
// expression that selects exactly what Selects does, for names relative to
// that root (a query with relative_root set to it, or a watch of it). For a
// file root the names are relative to the file's directory.
//
// Watchman's match differs from the spec's patterns in two ways the
// translation bridges: it skips dotfiles unless asked (every match term
// carries includedotfiles), and it has no braces (each alternative is its
// own term). Directory ignores become a match on everything below them.
// Watched files below root are named in the expression, since Selects
// selects them whatever the patterns and ignores say.
//
// Of what ignore files exclude, only the directories they name literally
// are in the expression (as dirname terms): the expression then selects a
// superset of what Selects does, and Selects has the last word.
func (s *Spec) Expression(root string) []any {
	files := []any{"anyof", []any{"type", "f"}, []any{"type", "l"}}
	r := s.root(root)
	if r == nil {
		return []any{"false"}
	}
	if r.file {
		return []any{"allof", files, []any{"name", filepath.Base(r.path), "wholename"}}
	}
	expr := []any{"allof", files}
	if len(s.includes) > 0 {
		include := []any{"anyof"}
		for _, pt := range s.includes {
			include = append(include, includeTerm(&pt))
		}
		expr = append(expr, include)
	}
	ignore := []any{"anyof"}
	for _, pt := range s.ignores {
		ignore = append(ignore, ignoreTerms(&pt)...)
	}
	for _, d := range r.ignoreDirs {
		ignore = append(ignore, []any{"dirname", d})
	}
	for _, d := range s.ignoredDirnames(r) {
		ignore = append(ignore, []any{"dirname", d})
	}
	expr = append(expr, []any{"not", ignore})
	// Watched files below this root are selected whatever the patterns say.
	var named []any
	for _, o := range s.roots {
		if o.file && within(r.path, o.path) {
			named = append(named, relSlash(r.path, o.path))
		}
	}
	if len(named) > 0 {
		expr = []any{"anyof", expr, []any{"allof", files, []any{"name", named, "wholename"}}}
	}
	return expr
}

var dotfiles = map[string]any{"includedotfiles": true}

func matchTerm(pattern, scope string) []any {
	return []any{"match", pattern, scope, dotfiles}
}

// includeTerm selects the files this include pattern selects.
func includeTerm(pt *wildmatch.Pattern) []any {
	switch {
	case pt.DirOnly && pt.Anchored:
		return matchTerm(pt.Wild+"/**", "wholename")
	case pt.DirOnly:
		return matchTerm("**/"+pt.Wild+"/**", "wholename")
	case pt.Anchored:
		return matchTerm(pt.Wild, "wholename")
	default:
		return matchTerm(pt.Wild, "basename")
	}
}

// ignoreTerms match the files this ignore pattern excludes: the files it
// matches itself, unless it is for directories only, and every file below
// a directory it matches.
func ignoreTerms(pt *wildmatch.Pattern) []any {
	var terms []any
	if pt.Anchored {
		if !pt.DirOnly {
			terms = append(terms, matchTerm(pt.Wild, "wholename"))
		}
		return append(terms, matchTerm(pt.Wild+"/**", "wholename"))
	}
	if !pt.DirOnly {
		terms = append(terms, matchTerm(pt.Wild, "basename"))
	}
	return append(terms, matchTerm("**/"+pt.Wild+"/**", "wholename"))
}
