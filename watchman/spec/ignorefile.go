package spec

import (
	"bytes"
	"os"
	"strings"
	"syscall"
)

// Ignore files hold gitignore patterns: one per line; blank lines and lines
// starting with '#' say nothing; '!' negates; a trailing '/' matches
// directories only; a '/' anywhere else anchors the pattern to the file's
// directory; unescaped trailing spaces are dropped. Each pattern is compiled
// into the spec's own pattern type, so it is matched by doublestar with the
// wildmatch meaning the spec's patterns already have ('*' and '?' stop at
// '/', "**" spans directories, "a/**" is what lies below a, never a).
//
// Why not go-git's plumbing/format/gitignore: checked against
// `git check-ignore --no-index`, its matcher disagrees with git on five
// common shapes: "*.log" then "!src/" un-ignores src/x.log (a negated
// directory pattern matches every path below it), "foo/**" ignores a file
// named foo, "a/**/b/c" misses a/b/x/b/c (greedy "**"), "src/**.js" matches
// nothing, and "[!a].txt" misses b.txt (filepath.Match has no '!'
// negation). It also reads the global excludes only from ~/.gitconfig.

// IgnoreFileNames are the per-directory ignore files: git's, and the one
// tools such as ripgrep and watchexec read for ignores git should not have.
// Within a directory, .ignore wins over .gitignore.
var IgnoreFileNames = []string{".gitignore", ".ignore"}

// IsIgnoreFileName reports whether name is one of IgnoreFileNames.
func IsIgnoreFileName(name string) bool {
	return name == ".gitignore" || name == ".ignore"
}

// ignoreRule is one pattern line of an ignore file.
type ignoreRule struct {
	pt     pattern
	negate bool
}

// stamp identifies one version of a file; the zero stamp is "absent".
type stamp struct {
	mtime int64
	size  int64
	ino   uint64
}

func stampOfInfo(fi os.FileInfo) stamp {
	st := stamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
	}
	if st == (stamp{}) {
		st.ino = 1 // present, whatever it says
	}
	return st
}

func stampOf(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stampOfInfo(fi)
}

// ignoreFile is one ignore file as last read.
type ignoreFile struct {
	path     string
	stamp    stamp
	rules    []ignoreRule
	anchored bool // some rule looks at more than the base name
}

// readIgnoreFile reads path; a missing or unreadable file has no rules.
func readIgnoreFile(path string) ignoreFile {
	f := ignoreFile{path: path, stamp: stampOf(path)}
	if f.stamp == (stamp{}) {
		return f
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return f
	}
	f.rules = parseIgnoreLines(data)
	for _, r := range f.rules {
		f.anchored = f.anchored || r.pt.anchored
	}
	return f
}

// parseIgnoreLines parses the content of an ignore file. A line the spec's
// matcher cannot express exactly (a POSIX class name such as [:alpha:], or
// invalid UTF-8) is skipped: it ignores nothing rather than the wrong files.
func parseIgnoreLines(data []byte) []ignoreRule {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // git skips a BOM
	var rules []ignoreRule
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		var r ignoreRule
		if line[0] == '!' {
			r.negate, line = true, line[1:]
		}
		line = trimTrailingSpaces(line)
		if line == "" {
			continue
		}
		// Braces are literal in gitignore; the spec's compiler expands them.
		pts, err := compilePatterns(escapeBraces(line))
		if err != nil || len(pts) != 1 {
			continue
		}
		r.pt = pts[0]
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

// decide returns whether the rules of f decide about the entry at rel
// (relative to f's directory) with base name name, and how: the last
// matching rule wins, as in git.
func (f *ignoreFile) decide(name, rel string, isDir bool) (ignored, decided bool) {
	for i := len(f.rules) - 1; i >= 0; i-- {
		r := &f.rules[i]
		if r.pt.dirOnly && !isDir {
			continue
		}
		if r.pt.match(name, rel) {
			return !r.negate, true
		}
	}
	return false, false
}
