package spec

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newSpec(t testing.TB, opts Options) *Spec {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// containsTerm reports whether term appears anywhere in expr.
func containsTerm(expr []any, term []any) bool {
	for _, e := range expr {
		sub, ok := e.([]any)
		if !ok {
			continue
		}
		if slices.EqualFunc(sub, term, func(a, b any) bool { return a == b }) || containsTerm(sub, term) {
			return true
		}
	}
	return false
}
