package poller

import (
	"slices"
	"testing"
)

func TestNestingLevelsNeverPutNestedDirsTogether(t *testing.T) {
	levels := nestingLevels([]string{"/r/a/b", "/r", "/r/a", "/r/c", "/r/a/b/d", "/s"})
	for i := range levels {
		slices.Sort(levels[i])
	}
	want := [][]string{{"/r", "/s"}, {"/r/a", "/r/c"}, {"/r/a/b"}, {"/r/a/b/d"}}
	if !slices.EqualFunc(levels, want, slices.Equal) {
		t.Fatalf("levels %q, want %q", levels, want)
	}
}
