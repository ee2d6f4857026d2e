// Package ignorefile reads gitignore-style files (.gitignore, .ignore,
// info/exclude, git's global excludes file) into rules decided as
// `git check-ignore --no-index` decides, by pattern, and stamps each
// version of a file so a caller can tell when to read it again.
package ignorefile

import (
	"bytes"
	"os"
	"strings"
	"syscall"

	"github.com/autoreload/autoreload/watchman/spec/internal/wildmatch"
)

// Ignore files hold gitignore patterns: one per line; blank lines and lines
// starting with '#' say nothing; '!' negates; a trailing '/' matches
// directories only; a '/' anywhere else anchors the pattern to the file's
// directory; unescaped trailing spaces are dropped. Each pattern is
// compiled by package wildmatch, as the spec's own are, so it has the
// meaning the spec's patterns already have ('*' and '?' stop at '/', "**"
// spans directories, "a/**" is what lies below a, never a).
//
// Why not go-git's plumbing/format/gitignore: checked against
// `git check-ignore --no-index`, its matcher disagrees with git on five
// common shapes: "*.log" then "!src/" un-ignores src/x.log (a negated
// directory pattern matches every path below it), "foo/**" ignores a file
// named foo, "a/**/b/c" misses a/b/x/b/c (greedy "**"), "src/**.js" matches
// nothing, and "[!a].txt" misses b.txt (filepath.Match has no '!'
// negation). It also reads the global excludes only from ~/.gitconfig.

// Rule is one pattern line of an ignore file.
type Rule struct {
	Pattern wildmatch.Pattern
	Negate  bool // written with a leading '!': un-ignores
}

// Stamp identifies one version of a file; the zero Stamp is "absent".
type Stamp struct {
	mtime int64
	size  int64
	ino   uint64
}

func stampOfInfo(fi os.FileInfo) Stamp {
	st := Stamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
	}
	if st == (Stamp{}) {
		st.ino = 1 // present, whatever it says
	}
	return st
}

// StampOf returns the stamp of the file at path now.
func StampOf(path string) Stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}
	}
	return stampOfInfo(fi)
}

// File is one ignore file as last read.
type File struct {
	Path     string
	Stamp    Stamp // when read; zero when absent
	Rules    []Rule
	Anchored bool // some rule looks at more than the base name
}

// Read reads the ignore file at path; a missing or unreadable file has no
// rules.
func Read(path string) File {
	f := File{Path: path, Stamp: StampOf(path)}
	if f.Stamp == (Stamp{}) {
		return f
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return f
	}
	f.Rules = parseLines(data)
	for _, r := range f.Rules {
		f.Anchored = f.Anchored || r.Pattern.Anchored
	}
	return f
}

// parseLines parses the content of an ignore file. A line the spec's
// matcher cannot express exactly (a POSIX class name such as [:alpha:], or
// invalid UTF-8) is skipped: it ignores nothing rather than the wrong files.
func parseLines(data []byte) []Rule {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // git skips a BOM
	var rules []Rule
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		var r Rule
		if line[0] == '!' {
			r.Negate, line = true, line[1:]
		}
		line = trimTrailingSpaces(line)
		if line == "" {
			continue
		}
		// Braces are literal in gitignore; the spec's compiler expands them.
		pts, err := wildmatch.Compile(wildmatch.EscapeBraces(line))
		if err != nil || len(pts) != 1 {
			continue
		}
		r.Pattern = pts[0]
		rules = append(rules, r)
	}
	return rules
}

// trimTrailingSpaces drops trailing spaces unless escaped with a backslash
// (itself not escaped).
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		backslashes := 0
		for i := end - 2; i >= 0 && s[i] == '\\'; i-- {
			backslashes++
		}
		if backslashes%2 == 1 {
			break
		}
		end--
	}
	return s[:end]
}

// Decide returns whether the rules of f decide about the entry at rel
// (relative to f's directory) with base name name, and how: the last
// matching rule wins, as in git.
func (f *File) Decide(name, rel string, isDir bool) (ignored, decided bool) {
	for i := len(f.Rules) - 1; i >= 0; i-- {
		r := &f.Rules[i]
		if r.Pattern.DirOnly && !isDir {
			continue
		}
		if r.Pattern.Match(name, rel) {
			return !r.Negate, true
		}
	}
	return false, false
}
