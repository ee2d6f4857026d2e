package spec

import (
	"slices"
	"testing"
)

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
