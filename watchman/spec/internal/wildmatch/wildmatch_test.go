package wildmatch

import (
	"slices"
	"testing"
)

func TestExpandBraces(t *testing.T) {
	for p, want := range map[string][]string{
		"a":          {"a"},
		"{a,b}":      {"a", "b"},
		"x{a,b}y":    {"xay", "xby"},
		"{a,{b,c}}":  {"a", "b", "c"},
		"{a,b}{c,d}": {"ac", "ad", "bc", "bd"},
		"{a":         {`\{a`},
		"a}":         {`a\}`},
		"{a{b,c}":    {`\{ab`, `\{ac`},
		`\{a,b}`:     {`\{a,b\}`},
		"[{]{a,b}":   {"[{]a", "[{]b"},
		"{}":         {""},
		"{a,}":       {"a", ""},
	} {
		got, err := expandBraces(p)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("expandBraces(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
}

// TestMatchByteByByte: '?' is one byte, as in Watchman's wildmatch, and a
// pattern with '/' looks at the relative path.
func TestMatchByteByByte(t *testing.T) {
	for _, c := range []struct {
		pattern, name, rel string
		want               bool
	}{
		{"?.go", "\xe9.go", "\xe9.go", true}, // one byte, invalid UTF-8
		{"?.go", "\xc3\xa9.go", "\xc3\xa9.go", false},
		{"??.go", "\xc3\xa9.go", "\xc3\xa9.go", true},
		{"*.go", "a.go", "x/a.go", true},
		{"x/*.go", "a.go", "x/a.go", true},
		{"x/*.go", "a.go", "y/a.go", false},
		{"x/**/*.go", "a.go", "x/y/z/a.go", true},
	} {
		pts, err := Compile(c.pattern)
		if err != nil || len(pts) != 1 {
			t.Fatalf("Compile(%q) = %v, %v", c.pattern, pts, err)
		}
		if got := pts[0].Match(c.name, c.rel); got != c.want {
			t.Errorf("%q matches %q (%q) = %v, want %v", c.pattern, c.name, c.rel, got, c.want)
		}
	}
}
