package spec

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSpecMatch feeds arbitrary patterns and paths to the matcher. Beyond
// "never panics", it checks properties that hold for every pattern the spec
// accepts: Selects and the walk's view agree, a pattern without any syntax
// matches exactly its own name, and a brace group selects what its
// alternatives select one by one.
func FuzzSpecMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"*.go", "a/b.go"}, {"src/**/*.go", "src/x/y.go"}, {"{a,b}.txt", "a.txt"},
		{"?.py", "é.py"}, {"[!a]*", ".x"}, {"__pycache__/", "x/__pycache__/y"},
		{"{a,{b,c}}", "c"}, {`\{x`, "{x"}, {"a/**", "a"}, {"**", "x\ny"},
		{"[a-z]", "\xff"}, {"/top", "top"}, {"{,}", "x"}, {"a}b{", "a}b{"},
	} {
		f.Add(seed[0], seed[1])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, pat, rel string) {
		rel = strings.Trim(filepath.Clean("/"+rel), "/")
		if rel == "" || rel == "." || strings.Contains(rel, "\x00") {
			return
		}
		s, err := New(Options{Watch: []string{dir}, Patterns: []string{pat}, NoDefaultIgnores: true})
		if err != nil {
			return
		}
		abs := filepath.Join(dir, rel)
		got := s.Selects(abs)

		walk := true
		for i := 0; i < len(rel); i++ {
			if rel[i] == '/' && s.walkSkipDir(dir, rel[:i]) {
				walk = false
			}
		}
		walk = walk && s.walkSelects(dir, rel)
		if got != walk {
			t.Fatalf("pattern %q, %q: Selects = %v, walk = %v", pat, rel, got, walk)
		}
		_ = s.Expression(dir) // must not panic

		if !strings.ContainsAny(pat, `*?[]{}\/`) && !strings.ContainsAny(rel, "/") && !isVCS(rel) {
			if want := rel == pat; got != want {
				t.Fatalf("literal pattern %q, %q: Selects = %v, want %v", pat, rel, got, want)
			}
		}

		if strings.ContainsAny(pat, `{}\[,`) {
			return
		}
		// Braces: {pat,x} selects what pat or x selects.
		both, err := New(Options{Watch: []string{dir}, Patterns: []string{"{" + pat + ",zz}"}, NoDefaultIgnores: true})
		if err != nil {
			t.Fatalf("pattern %q is valid but {%s,zz} is not: %v", pat, pat, err)
		}
		want := got || rel == "zz" || strings.HasSuffix(rel, "/zz")
		if g := both.Selects(abs); g != want {
			t.Fatalf("pattern {%s,zz}, %q: Selects = %v, want %v", pat, rel, g, want)
		}
	})
}

func isVCS(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part == ".git" || part == ".hg" || part == ".svn" || strings.HasPrefix(part, ".watchman-cookie-") {
			return true
		}
	}
	return false
}
