// Package wildmatch compiles and matches the patterns of a watch spec and
// of ignore files as Watchman's wildmatch does: *, ?, [...], ** and {a,b},
// byte by byte. A pattern without '/' matches a base name, one with '/'
// (or a leading '/') the slash-separated path below its root, and a
// trailing '/' matches directories only. Every error about a pattern wraps
// ErrBadPattern.
package wildmatch

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
)

// maxAlternatives bounds brace expansion, so a pattern like {a,b}{c,d}...
// cannot make the spec (and the Watchman expression) explode.
const maxAlternatives = 256

// ErrBadPattern is wrapped by every error about an include or ignore pattern.
var ErrBadPattern = errors.New("bad pattern")

// Pattern is one brace-free alternative of a user pattern, kept in two
// spellings of the same meaning: Wild for Watchman's wildmatch (and for
// its expression terms), and ds for doublestar over the name's bytes as
// Latin-1 runes (see latin1).
type Pattern struct {
	Wild     string
	ds       string
	Anchored bool // matched against the path relative to the root, else the base name
	DirOnly  bool // written with a trailing slash: matches directories only
	// kind and lit let the common base-name shapes ("*.go", ".#*",
	// ".DS_Store") skip the general matcher: a poller asks about every
	// name of the tree on every scan.
	kind patternKind
	lit  string
}

type patternKind uint8

const (
	kindGlob patternKind = iota
	kindLiteral
	kindPrefix // lit*
	kindSuffix // *lit
)

// classify sets kind and lit for a base-name pattern of a simple shape.
func (pt *Pattern) classify() {
	const meta = `*?[\`
	w := pt.Wild
	switch {
	case pt.Anchored:
	case !strings.ContainsAny(w, meta):
		pt.kind, pt.lit = kindLiteral, w
	case len(w) > 1 && w[0] == '*' && !strings.ContainsAny(w[1:], meta):
		pt.kind, pt.lit = kindSuffix, w[1:]
	case len(w) > 1 && w[len(w)-1] == '*' && !strings.ContainsAny(w[:len(w)-1], meta):
		pt.kind, pt.lit = kindPrefix, w[:len(w)-1]
	}
}

// Compile expands the braces of p and compiles each alternative.
func Compile(p string) ([]Pattern, error) {
	if p == "" {
		return nil, fmt.Errorf("pattern %q: empty: %w", p, ErrBadPattern)
	}
	if !utf8.ValidString(p) {
		return nil, fmt.Errorf("pattern %q: not valid UTF-8: %w", p, ErrBadPattern)
	}
	if err := checkClasses(p); err != nil {
		return nil, fmt.Errorf("pattern %q: %v: %w", p, err, ErrBadPattern)
	}
	alts, err := expandBraces(p)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %v: %w", p, err, ErrBadPattern)
	}
	var out []Pattern
	for _, a := range alts {
		var pt Pattern
		for strings.HasSuffix(a, "/") && !strings.HasSuffix(a, `\/`) {
			a = strings.TrimSuffix(a, "/")
			pt.DirOnly = true
		}
		for strings.HasPrefix(a, "/") {
			a = strings.TrimPrefix(a, "/")
			pt.Anchored = true
		}
		if a == "" {
			continue // an empty alternative matches no name
		}
		if strings.Contains(a, "/") {
			pt.Anchored = true
		}
		// Wildmatch's "a/**" matches what is below a, never a itself;
		// doublestar's also matches a. "a/**/*" means the former to both.
		if strings.HasSuffix(a, "/**") {
			a += "/*"
		}
		pt.Wild = a
		pt.ds = latin1(a)
		pt.classify()
		if !doublestar.ValidatePattern(pt.ds) {
			return nil, fmt.Errorf("pattern %q: invalid syntax: %w", p, ErrBadPattern)
		}
		out = append(out, pt)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pattern %q: matches no name: %w", p, ErrBadPattern)
	}
	return out, nil
}

// Match reports whether the pattern matches an entry with the given base
// name and slash-separated path relative to its root.
func (pt *Pattern) Match(name, rel string) bool {
	switch pt.kind {
	case kindLiteral:
		return name == pt.lit
	case kindPrefix:
		return strings.HasPrefix(name, pt.lit)
	case kindSuffix:
		return strings.HasSuffix(name, pt.lit)
	}
	if pt.Anchored {
		return doublestar.MatchUnvalidated(pt.ds, latin1(rel))
	}
	return doublestar.MatchUnvalidated(pt.ds, latin1(name))
}

// latin1 spells every byte of s at or above 0x80 as one rune, so that
// doublestar, which works on runes, matches byte by byte as Watchman's
// wildmatch does: "?" is one byte, and invalid UTF-8 matches like any byte.
// ASCII strings, the common case, are returned as they are.
func latin1(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(c)
		} else {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// classEnd returns the index just past the character class opening at
// p[i] == '[', or -1 when it is not closed (then '[' is a literal).
func classEnd(p string, i int) int {
	j := i + 1
	if j < len(p) && (p[j] == '!' || p[j] == '^') {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++
	}
	for j < len(p) {
		switch p[j] {
		case '\\':
			j += 2
			continue
		case ']':
			return j + 1
		}
		j++
	}
	return -1
}

// nextToken returns the index of the token after the one at p[i]: an escape
// and its character, a whole character class, or one byte. The brace
// scanners step with it, so that neither an escaped brace nor one inside a
// class ("[{]") is taken for syntax.
func nextToken(p string, i int) int {
	switch p[i] {
	case '\\':
		return min(i+2, len(p))
	case '[':
		if end := classEnd(p, i); end > 0 {
			return end
		}
	}
	return i + 1
}

// checkClasses refuses POSIX class names ([[:alpha:]]): wildmatch knows
// them, doublestar does not, so the two backends would disagree.
func checkClasses(p string) error {
	for i := 0; i < len(p); i = nextToken(p, i) {
		if end := nextToken(p, i); p[i] == '[' && end > i+1 {
			body := p[i+1 : end-1]
			for _, open := range []string{"[:", "[=", "[."} {
				if strings.Contains(body, open) {
					return errors.New("character class names such as [:alpha:] are not supported")
				}
			}
		}
	}
	return nil
}

// expandBraces returns the brace-free alternatives of p ("{a,b}c" gives
// "ac" and "bc"; groups nest). A brace without a partner is a literal and
// comes out escaped, since neither matcher should see it as syntax.
func expandBraces(p string) ([]string, error) {
	var out []string
	var expand func(s string) error
	expand = func(s string) error {
		open, close := findGroup(s)
		if open < 0 {
			if len(out) >= maxAlternatives {
				return fmt.Errorf("more than %d brace alternatives", maxAlternatives)
			}
			out = append(out, EscapeBraces(s))
			return nil
		}
		prefix, suffix := s[:open], s[close+1:]
		for _, alt := range splitTop(s[open+1 : close]) {
			// The prefix has no group, so its braces are literals: escape
			// them now, or the next round would pair them up.
			if err := expand(EscapeBraces(prefix) + alt + suffix); err != nil {
				return err
			}
		}
		return nil
	}
	if err := expand(p); err != nil {
		return nil, err
	}
	return out, nil
}

// findGroup returns the first '{' that has a partner '}' and that partner;
// -1, -1 when there is none.
func findGroup(s string) (int, int) {
	for i := 0; i < len(s); i = nextToken(s, i) {
		if s[i] == '{' {
			if end := groupEnd(s, i); end > 0 {
				return i, end
			}
		}
	}
	return -1, -1
}

// groupEnd returns the index of the '}' closing the group opened at s[i].
func groupEnd(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j = nextToken(s, j) {
		switch s[j] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return -1
}

// splitTop splits a group's body at the commas outside nested groups.
func splitTop(body string) []string {
	var parts []string
	depth, start := 0, 0
	for j := 0; j < len(body); j = nextToken(body, j) {
		switch body[j] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, body[start:j])
				start = j + 1
			}
		}
	}
	return append(parts, body[start:])
}

// EscapeBraces escapes the braces of s that are syntax (see nextToken).
func EscapeBraces(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		n := nextToken(s, i)
		if s[i] == '{' || s[i] == '}' {
			b.WriteByte('\\')
		}
		b.WriteString(s[i:n])
		i = n
	}
	return b.String()
}
